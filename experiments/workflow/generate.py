"""Config files generated from the code: ``python -m experiments.config [NAME]``.

``model`` and ``vote_rule`` print the store file ``conf/<NAME>/default.yaml`` with its
current values and comments rendered from the field metadata (after a change of a field's
metadata); a strategy name prints ``conf/strategy/<name>.yaml`` from the options of
:data:`sim.strategies.STRATEGY_OPTIONS`.
"""

from __future__ import annotations

import sys

from experiments.workflow import store
from experiments.workflow.errors import ConfigError, reporting
from sim.strategies import STRATEGIES, STRATEGY_OPTIONS


# --------------------------------------------------------------------------- generators
def render_strategy(name: str) -> str:
    """``conf/strategy/<name>.yaml``: selecting it narrows the run to this strategy."""
    doc = STRATEGIES[name].doc
    lines = [
        "# @package _global_",
        f"# Strategy '{name}': {doc}",
        f"# Selecting this file (strategy={name}) runs this strategy only, with these options.",
        f"strategies: [{name}]",
        "strategy_options:",
    ]
    opts = STRATEGY_OPTIONS[name]
    if not opts:
        lines.append(f"  {name}: {{}}  # no options")
    else:
        lines.append(f"  {name}:")
        for key, value in opts.items():
            lines.append(f"    {key}: {value}  # {_OPTION_DOCS.get(key, '')}")
    return "\n".join(lines) + "\n"


_OPTION_DOCS = {
    "instrument": "instrument used: visit, two_plus_two or aid",
    "k": "number of countries targeted at once, integer >= 1",
    "centrality_weight": "weight of network centrality in the hub score, >= 0",
    "dialogue_share": "share of the budget spent on 2+2 dialogues, [0, 1]; rest on visits",
    "coordination_share": "share of the budget spent on G7 coordination, [0, 1]",
    "chunks": "number of budget chunks reallocated greedily each week, integer >= 1",
    "background_g7": "G7 coordination every week besides the dated visits, budget units "
    "(no dated record: 0; above 0 a counterfactual)",
}


USAGE = """usage: python -m experiments.config [NAME]

Print a config file generated from the code:
  model, vote_rule   the store file conf/<NAME>/default.yaml, values with their comments
  <strategy>         conf/strategy/<strategy>.yaml from the strategy's registered options
NAME defaults to model.
"""


def main(argv: list[str] | None = None) -> None:
    """Print a store file (``model``, ``vote_rule``) or ``conf/strategy/<name>.yaml``."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return
    what = args[0] if args else "model"
    allowed = [*store.STORES, *STRATEGIES]
    with reporting():
        if len(args) > 1:
            raise ConfigError("config", f"one name expected, got {len(args)}: {args}", allowed)
        if what not in allowed:
            raise ConfigError("config", f"unknown name {what!r}", allowed)
    if what in store.STORES:
        chosen = store.STORES[what]
        sys.stdout.write(store.render_store(chosen, store.read_store(chosen)))
    else:
        sys.stdout.write(render_strategy(what))
