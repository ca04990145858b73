"""drawpad: draw a digit or a Hangul syllable, get the top guesses.

    from drawpad import Recognizer
    rec = Recognizer.from_file("models/mnist.h5")
    rec.recognize(image, top=3)[0].label
"""
from drawpad.errors import DrawpadError, ImageError, ModelError
from drawpad.preprocess import Preprocessing, preprocess
from drawpad.predictions import Prediction
from drawpad.recognizer import Recognizer

__all__ = ["DrawpadError", "ImageError", "ModelError", "Prediction", "Preprocessing",
           "Recognizer", "preprocess"]
