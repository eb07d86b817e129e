"""Import path kept for tests/test_engine.py, test_invariants.py and test_rng.py, which are
being rewritten with ``sim/``; the scenario loader is :mod:`experiments.workflow.scenario`.
Delete this module once those tests import from there."""

from experiments.workflow.scenario import default_table, load_scenario_file, table_from_mapping

__all__ = ["default_table", "load_scenario_file", "table_from_mapping"]
