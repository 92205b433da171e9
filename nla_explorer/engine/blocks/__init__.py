"""The block editor's model: block templates, their values and the pure edits on expressions."""
