"""`python -m experiments.votes` (and `... score forecast=FILE votes=FILE`): see
:mod:`experiments.calibration.votes`."""

from experiments.calibration.votes import main

if __name__ == "__main__":
    main()
