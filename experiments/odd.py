"""`python -m experiments.odd`: see :mod:`experiments.tools.odd`."""

import sys

from experiments.tools.odd import main

if __name__ == "__main__":
    sys.exit(main())
