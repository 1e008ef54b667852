#!/usr/bin/env python
"""Train a GAN on MNIST digits with minigan: the main example.

The code lives in :mod:`minigan.train`, so that a pip user without this repository runs the
same job as ``minigan-train`` or ``python -m minigan.train``; see its docstring for the
options and the files it writes. ``python examples/mnist_gan.py --help`` lists them too.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if os.path.isdir(os.path.join(_HERE, "..", "minigan")):  # run from a source checkout
    sys.path.insert(0, os.path.abspath(os.path.join(_HERE, "..")))

from minigan.train import *  # noqa: E402, F403  (main, parse_args, Run, MODELS, ...)
from minigan.train import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
