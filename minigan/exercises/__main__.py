"""``python -m minigan.exercises``: the command ``minigan-exercises``."""

import sys

from .cli import main

sys.exit(main())
