"""The edge between ``conf/`` and ``sim/``: config schemas and conversion, the calibrated
store, scenario loading, results tables, errors, and the ``run`` and ``plot`` commands."""
