"""Errors a user can act on; the CLI prints them as one line, never a traceback."""


class DrawpadError(Exception):
    """Base for every error drawpad reports to a user."""


class ImageError(DrawpadError, ValueError):
    """An image with nothing to recognize, or one that cannot be read."""


class ModelError(DrawpadError):
    """A model file that cannot be loaded or does not fit what drawpad expects."""


class DataError(DrawpadError):
    """A data file that is missing or not what it claims to be."""
