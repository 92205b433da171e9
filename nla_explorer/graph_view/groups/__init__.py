"""Module groups of a picture: the tree, folded repeats, and what is shown of them (no Qt)."""
