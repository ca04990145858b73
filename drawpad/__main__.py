"""python -m drawpad: the same command line as run_pad.py and `drawpad`."""
import sys

from drawpad.cli import main

if __name__ == "__main__":
    sys.exit(main())
