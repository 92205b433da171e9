"""Autograd as torch runs it: graph capture, forward values, backward trace and steps."""
