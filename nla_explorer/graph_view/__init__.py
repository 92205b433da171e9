"""Drawing of captured autograd graphs: display model, layout, scene, items, view and export."""
