#!/usr/bin/env python
"""Train a GAN on MNIST digits with minigan: the main example.

The code lives in :mod:`minigan.train`, so that a pip user without this repository runs the
same job as ``minigan-train`` or ``python -m minigan.train``; see its docstring for the
options and the files it writes. ``python examples/mnist_gan.py --help`` lists them too, under
this file's name.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if os.path.isdir(os.path.join(_HERE, "..", "minigan")):  # run from a source checkout
    sys.path.insert(0, os.path.abspath(os.path.join(_HERE, "..")))

import minigan.train as _job  # noqa: E402
from minigan.train import *  # noqa: E402, F403  (Run, MODELS, RECIPES, ...)

#: The usage line names this file, as argparse names a script ("mnist_gan.py").
PROG = os.path.basename(__file__)


def parse_args(argv=None):
    return _job.parse_args(argv, prog=PROG)


def main(argv=None) -> int:
    return _job.main(argv, prog=PROG, command="python examples/mnist_gan.py")


if __name__ == "__main__":
    sys.exit(main())
