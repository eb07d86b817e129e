"""`python -m experiments.app`: the dashboard, see :mod:`experiments.dashboard.server`."""

from experiments.dashboard.server import main

if __name__ == "__main__":
    main()
