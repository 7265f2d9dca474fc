"""Turning a drawing into an MNIST input: the canvas recipe and pen strokes."""
