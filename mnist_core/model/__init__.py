"""A network without TensorFlow: the numpy forward pass, input scaling, weights per epoch, runs and
run files, and the checks an uploaded model file passes before anything loads it."""
