"""Training demos as generators: the course network, least squares, target functions."""
