"""`python -m experiments.config`: see :mod:`experiments.workflow.config`."""

from experiments.workflow.config import main

if __name__ == "__main__":
    main()
