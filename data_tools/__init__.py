"""Turn raw data (MNIST files, PHD08 text dumps, fonts) into NumPy arrays."""
