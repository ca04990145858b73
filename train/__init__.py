"""Training scripts: arrays in, .h5 models with their model card out."""
