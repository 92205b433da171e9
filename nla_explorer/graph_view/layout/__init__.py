"""Where the boxes go, without Qt: the built-in layered layout (phases, placement), Graphviz
``dot``, and what a layout computes (model) and how good it is (crossings)."""
