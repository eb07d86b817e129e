"""`python -m experiments.calibrate`: see :mod:`experiments.calibration.calibrate`."""

from experiments.calibration.calibrate import main

if __name__ == "__main__":
    main()
