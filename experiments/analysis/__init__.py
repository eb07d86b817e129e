"""Decision analysis: designs, robustness, sensitivity, scenario discovery, figures, and
the ``python -m experiments.analyse`` command built on them.

The library modules (``design``, ``robustness``, ``sensitivity``, ``discovery``,
``figures``) are pure over numpy arrays and pandas DataFrames: no Hydra, no file paths, no
simulation objects; they are imported on their own (``from experiments.analysis import
robustness``); ``discovery`` imports the EMA Workbench lazily because importing it takes
seconds. The command modules connect them to the config and the engine: ``space``
(uncertainty space, point configs), ``runner`` (designs, runs chunk by chunk in the
run ledger of :mod:`experiments.workflow.ledger`, pilot), ``tables``, ``cases``,
``report``/``report_text``, ``settings``, ``dryrun`` and ``command``.
"""
