"""`python -m experiments.bench_workflow`: see :mod:`experiments.tools.bench_workflow`."""

from experiments.tools.bench_workflow import main

if __name__ == "__main__":
    main()
