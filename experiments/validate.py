"""`python -m experiments.validate`: see :mod:`experiments.calibration.validate`."""

from experiments.calibration.validate import main

if __name__ == "__main__":
    main()
