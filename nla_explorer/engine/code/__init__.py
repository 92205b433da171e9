"""The safe code form: parsing a whitelist of Python, evaluating it in CPython's order, writing it back."""
