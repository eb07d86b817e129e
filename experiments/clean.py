"""`python -m experiments.clean`: see :func:`experiments.workflow.folders.clean_main`."""

from experiments.workflow.folders import clean_main as main

if __name__ == "__main__":
    main()
