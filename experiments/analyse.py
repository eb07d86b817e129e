"""`python -m experiments.analyse`: see :mod:`experiments.analysis.command`."""

from experiments.analysis.command import main

if __name__ == "__main__":
    main()
