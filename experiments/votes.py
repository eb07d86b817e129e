"""`python -m experiments.votes`: see :mod:`experiments.calibration.votes`."""

from experiments.calibration.votes import main

if __name__ == "__main__":
    main()
