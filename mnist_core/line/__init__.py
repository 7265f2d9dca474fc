"""The 2-D line that separates: a tiny network in numpy, before digits."""
