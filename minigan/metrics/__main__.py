"""``python -m minigan.metrics [--train]``: train or evaluate the MNIST evaluation classifier."""

import sys

from minigan.metrics.classifier_fit import main

sys.exit(main())
