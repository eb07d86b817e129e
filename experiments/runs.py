"""`python -m experiments.runs`: see :mod:`experiments.workflow.listing`."""

from experiments.workflow.listing import main

if __name__ == "__main__":
    main()
