"""`python -m experiments.run`: see :mod:`experiments.workflow.run`."""

from experiments.workflow.run import main

if __name__ == "__main__":
    main()
