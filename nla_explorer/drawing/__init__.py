"""Qt drawing helpers shared by the graph view and the panels (neither layer owns them):
colours and fonts, tensor heatmaps, zoom keys."""
