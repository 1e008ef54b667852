"""``python -m minigan.gradcheck``: check every registered layer and loss, print a table."""

import sys

from minigan.gradcheck import main

sys.exit(main())
