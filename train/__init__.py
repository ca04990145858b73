"""Training scripts: arrays in, .h5 models with their model card out."""

from drawpad.engine import import_keras

# Every trainer runs on Keras; importing it here, quietly, keeps TensorFlow's C++ start-up
# lines (absl, CUDA) off the terminal, whichever module is run first.
import_keras()
