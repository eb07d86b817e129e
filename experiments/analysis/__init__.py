"""Model-independent analysis of experiment tables: designs, robustness, sensitivity,
scenario discovery and figures.

Every function here is pure over numpy arrays and pandas DataFrames: no Hydra, no file
paths, no simulation objects. The modules are imported on their own
(``from experiments.analysis import robustness``); ``discovery`` imports the EMA Workbench
lazily because importing it takes seconds.
"""
