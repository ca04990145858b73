"""Training scripts: arrays in, .h5 models with their model card out."""

import os

from drawpad.engine import import_keras

# oneDNN's kernels trained the Hangul net 2x faster on a 2-core AMD CPU, where TensorFlow
# leaves them off by default (it turns them on only for recent Intel CPUs).
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

# Every trainer runs on Keras; importing it here, quietly, keeps TensorFlow's C++ start-up
# lines (absl, CUDA) off the terminal, whichever module is run first.
import_keras()
