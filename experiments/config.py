"""`python -m experiments.config`: see :mod:`experiments.workflow.generate`."""

from experiments.workflow.generate import main

if __name__ == "__main__":
    main()
