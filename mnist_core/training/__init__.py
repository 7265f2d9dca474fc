"""Training with Keras: the only layer that imports TensorFlow."""
