#!/usr/bin/env python3
"""drawpad: draw a digit or a Hangul syllable, press SPACE, see the top guesses.

    python run_pad.py                        # pad window, digit model
    python run_pad.py --image a.png --json   # headless
    python run_pad.py --help
"""
import sys

from drawpad.cli import main

if __name__ == "__main__":
    sys.exit(main())
