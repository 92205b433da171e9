"""Dock panels of the main window; each takes the document (or a model) and connects signals."""
