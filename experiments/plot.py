"""`python -m experiments.plot`: see :mod:`experiments.workflow.plot`."""

from experiments.workflow.plot import main

if __name__ == "__main__":
    main()
