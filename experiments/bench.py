"""`python -m experiments.bench`: see :mod:`experiments.tools.bench`."""

from experiments.tools.bench import main

if __name__ == "__main__":
    main()
