"""`python -m trtrnn.cli`: the same as the `trtrnn` script."""

import sys

from trtrnn.cli import main

sys.exit(main())
