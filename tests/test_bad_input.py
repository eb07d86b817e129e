"""Bad input: a one-line message naming the key, exit status 2, nothing written."""

from __future__ import annotations

import copy
import importlib
from pathlib import Path

import pytest
from hydra import initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

from experiments import run
from experiments.workflow import cli
from experiments.workflow.errors import BAD_INPUT, one_line
from experiments.workflow.paths import CONF_DIR
from experiments.workflow.run import check
from experiments.workflow.schema import ExperimentConf

SMALL = ("n_seeds=3", "calendar.n_steps=6", "plots=false", "accepted_sets=0")  # as conftest.SMALL

CASES = [
    # (overrides, text the one-line message must contain)
    (["strategy=hub_frist"], ["strategy", "allowed:", "hub_first"]),
    (["strategies=[uniform,nonesuch]"], ["strategies", "nonesuch", "allowed:"]),
    (["experiment=nonesuch"], ["experiment", "allowed:", "budget_sweep"]),
    (["countries=[SG,XX]"], ["countries", "'XX'", "allowed:", "SG"]),
    (["model.peer_wieght=1"], ["model.peer_wieght", "unknown key", "allowed:", "peer_weight"]),
    (["n_seed=5"], ["n_seed", "unknown key", "allowed:", "n_seeds"]),
    (["budget=lots"], ["budget", "'lots'", "Float"]),
    (["engine=gpu"], ["engine", "compiled", "mesa"]),
    (["institution=nato"], ["institution", "unsc"]),
    (["eligibility=everyone"], ["eligibility", "not_at_ask", "not_heading"]),
    (["effort=lavish"], ["effort", "matched", "responsive"]),
    (["feasibility=maybe"], ["feasibility", "'maybe'"]),
    (["plot_formats=[png,jpg]"], ["plot_formats", "'jpg'", "svg"]),
    (["plot_formats=[]", "plots=true"], ["plot_formats", "no format", "allowed:", "svg"]),
    (
        ["scenario.restrictions.MM.instruments=[visit,g7_coordination]"],
        ["restrictions.MM", "g7_coordination", "allowed:", "aid"],
    ),
    (["scenario.restrictions.MM.C=X"], ["scenario.restrictions.MM.C", "'X'", "allowed:"]),
    (["+scenario.restrictions.XX={}"], ["scenario.restrictions", "'XX'", "allowed:"]),
    (["budget=-1"], ["budget", ">= 0"]),
    (["n_seeds=-5"], ["n_seeds", ">= 1"]),
    (["model.peer_weight=99"], ["model.peer_weight", "[0.0, 8.0]"]),
    (
        ["strategy=g7_coalition", "strategy_options.g7_coalition.coordination_share=1.5"],
        ["strategy_options.g7_coalition.coordination_share", "[0, 1]"],
    ),
    (["scenario.countries.SG.democracy.value=1.4"], ["SG.democracy", "[0, 1]"]),
    (["+strategy_options.hub_first.kk=2"], ["strategy_options.hub_first.kk", "allowed:"]),
    (["+sweep.model.peer_wieght=[1,2]"], ["sweep.model.peer_wieght", "allowed:"]),
    (["-m", "budget=1,-2"], ["budget", ">= 0"]),
    (["-m", "budget=range(-1,2)"], ["budget", ">= 0"]),  # Hydra's own sweep expansion
    (["budget=nan"], ["budget", "finite"]),
    # a swept value goes through the same checks as the plain key
    (["+sweep.budget=[1,nan]"], ["sweep.budget", "finite"]),
    (["+sweep.budget=[1,-2]"], ["sweep.budget", ">= 0"]),
    (["+sweep.budget=[1,lots]"], ["sweep.budget", "'lots'", "Float"]),
    (["+sweep.institution=[none,nato]"], ["sweep.institution", "unsc"]),
    (["+sweep.model.peer_weight=[1,99]"], ["sweep.model.peer_weight", "[0.0, 8.0]"]),
    (["+sweep.budget=4"], ["sweep.budget", "non-empty list"]),
    (["calendar.n_steps=0"], ["calendar.n_steps", ">= 1"]),
    (["instruments.visit.cost=0"], ["instruments.visit.cost", "> 0"]),
    (["calendar.events.0.kind=party"], ["calendar.events[0].kind", "allowed:", "un_vote"]),
    (["seed=-1"], ["seed", "-1"]),
    (["workers=0"], ["workers", ">= 1"]),
    (["scenario_file=/nonexistent/scenario.yaml"], ["scenario_file", "cannot be read"]),
    (["scenario.data_file=data/missing.yaml"], ["scenario.data_file", "cannot be read"]),
    # resource guard: refused before anything is allocated, naming the estimate and what fits
    (
        ["n_seeds=1000000000", "accepted_sets=0"],
        ["n_seeds", "TB of disk", "free", "at most", "seeds fit"],
    ),
    (["n_seeds=1000000000000"], ["n_seeds", "PB of disk", "at most", "seeds fit"]),
    (
        ["n_seeds=1000000000", "keep_steps=false", "keep_trajectories=false"],
        ["n_seeds", "of disk", "at most", "seeds fit"],
    ),
    (
        # summaries only, so that the disk check (which depends on the free space of this
        # machine) passes and the memory check of one 10,000,000-replicate chunk refuses
        [
            "n_seeds=10000000",
            "chunk_size=10000000",
            "strategy=none",
            "keep_steps=false",
            "keep_trajectories=false",
        ],  # fmt: skip
        ["chunk_size", "of memory", "available", "at most chunk_size="],
    ),
    (["seed=18446744073709551616"], ["seed", "2**63 - 1"]),
    (
        ["strategy=hub_first", "strategy_options.hub_first.instrument=rocket"],
        ["strategy_options.hub_first.instrument", "'rocket'", "allowed:", "visit"],
    ),
    # every swept value is checked like the plain key
    (["+sweep.budget=[inf]"], ["sweep.budget", "finite"]),
    (["+sweep.model.peer_weight=[nan]"], ["sweep.model.peer_weight", "[0.0, 8.0]"]),
    (["+sweep.accepted_set=[1.5]"], ["sweep.accepted_set", "integer in [0,"]),
    (["+sweep.accepted_set=[-1]"], ["sweep.accepted_set", "integer in [0,"]),
    (["+sweep.accepted_set=[100000]"], ["sweep.accepted_set", "integer in [0,"]),
    (["+sweep.sample_priors=[true,maybe]"], ["sweep.sample_priors", "'maybe'"]),
    (["-m", "model.peer_weight=1,99"], ["model.peer_weight", "[0.0, 8.0]"]),
    (["-m", "seed=1,-1"], ["seed", "-1"]),
    # where and how chunks run
    (["executor=spark"], ["executor", "local", "dask"]),
    (["dask.n_workers=0"], ["dask.n_workers", ">= 1"]),
    (["dask.address=localhost"], ["dask.address", "tcp://"]),
    (["dask=yarn"], ["dask", "allowed:", "slurm"]),
    (["resume=/nonexistent/run"], ["resume", "no run to resume"]),
    (["-m", "budget=1,2", "--cfg", "hydra"], ["--cfg", "allowed: job"]),
    # issue 17: non-finite and out-of-range values where the checks did not reach
    (["instruments.visit.effect=nan"], ["instruments.visit.effect", "finite", ">= 0"]),
    (["instruments.visit.cost=nan"], ["instruments.visit.cost", "finite", "> 0"]),
    (["calendar.events.6.amount=inf"], ["calendar.events[6].amount", "finite"]),
    (["calendar.events.0.amount=nan"], ["calendar.events[0].amount", "finite"]),
    (["budget=1e308"], ["budget", "finite", "<= 1000"]),
    (["+sweep.budget=[1,1e308]"], ["sweep.budget", "<= 1000"]),
    (
        ["strategy=hub_first", "strategy_options.hub_first.centrality_weight=inf"],
        ["strategy_options.hub_first.centrality_weight", "finite", ">= 0"],
    ),
    (
        ["strategy=hub_first", "strategy_options.hub_first.k=100"],
        ["strategy_options.hub_first.k", "<= 10", "simulated countries"],
    ),
    (["k_adoptions=100"], ["k_adoptions", "<= 10", "simulated countries"]),
    (["calendar.n_steps=100000"], ["calendar.n_steps", "<= 520"]),
    (["calendar.start=0001-01-01"], ["calendar.start", "[2022-02-24, 2032-02-24]", "invasion"]),
    (["calendar.start=9999-12-01"], ["calendar.start", "[2022-02-24, 2032-02-24]"]),
    (
        ["instruments.visit.leverage=leverage"],
        ["instruments.visit.leverage", "unknown country attribute", "allowed:", "aid_leverage"],
    ),
    (
        ["instruments.two_plus_two.requires=nonesuch"],
        ["instruments.two_plus_two.requires", "'nonesuch'", "allowed:", "security_partner"],
    ),
    # issue 17: the scenario as data
    (["calendar.events.6.country=XX"], ["calendar.events[6].country", "'XX'", "allowed:", "SG"]),
    (["scenario.countries={}"], ["scenario.countries", "change nothing"]),
    (
        ["scenario.countries.SG.initial_stance.value=99"],
        ["scenario.countries.SG.initial_stance", "ladder", "[0, 5)"],
    ),
    (
        ["scenario.countries.SG.russia_trade_pct.value=500"],
        ["scenario.countries.SG.russia_trade_pct", "[0, 100]"],
    ),
    (
        ["scenario.countries.SG.china_trade_share.value=0.9"],
        ["scenario.countries.SG.japan_trade_share", "west_trade_share", "at most 1"],
    ),
    (["scenario.countries.SG.democracy.value=high"], ["SG.democracy.value", "number", "'high'"]),
    (["scenario.countries.SG=5"], ["scenario.countries.SG", "expected a mapping", "5"]),
    # issue 17: a key added with + outside the schema
    (["+model.new_param=1"], ["model.new_param", "unknown key", "allowed:", "peer_weight"]),
    (["+scenario.new_key=1"], ["scenario.new_key", "unknown key", "allowed:", "countries"]),
    (["+instruments.visit.new_key=1"], ["instruments.visit.new_key", "allowed:", "cost"]),
    (["+calendar.events.0.new_key=1"], ["calendar.events[0].new_key", "allowed:", "amount"]),
    (["+calendar.new_key=1"], ["calendar.new_key", "unknown key", "allowed:", "n_steps"]),
    # issue 17: a guard before long work (estimated, refused before any folder)
    (
        ["engine=mesa", "n_seeds=100000"],
        ["engine", "mesa", "about", "engine=compiled", "n_seeds <="],
    ),
]


def _check_rejected(capsys, out: Path, words: list[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        run.main([*argv, f"hydra.run.dir={out}", f"hydra.sweep.dir={out}"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert not out.exists()  # no folder, no results file


END_TO_END = {
    "strategy=hub_frist",
    "countries=[SG,XX]",
    "model.peer_wieght=1",
    "+model.new_param=1",
    "budget=-1",
    "budget=nan",
    "scenario_file=/nonexistent/scenario.yaml",
    "n_seeds=1000000000 accepted_sets=0",
}
"""Rows run through ``python -m experiments.run`` in the quick loop; the rest of the
catalogue runs so in the full suite (``slow``; each composes the whole config, ~0.5 s)."""


@pytest.mark.parametrize(
    ("argv", "words"),
    [c if " ".join(c[0]) in END_TO_END else pytest.param(*c, marks=pytest.mark.slow)
     for c in CASES],
    ids=[" ".join(c[0]) for c in CASES],
)  # fmt: skip
def test_bad_input_is_rejected_in_one_line(capsys, tmp_path: Path, argv, words) -> None:
    _check_rejected(capsys, tmp_path / "out", words, argv)


def _needs_hydra(job: list[str]) -> bool:
    """A config group: only Hydra's composition applies it."""
    parsed = OverridesParser.create().parse_overrides(job)
    return any((CONF_DIR / o.key_or_group).is_dir() for o in parsed)


def _checks_message(composed: DictConfig, argv: list[str], out: Path) -> str:
    """The one line the command line prints for ``argv``, from the checks that follow
    composition (schema keys, empty merges, conversion, the plan and its resource guard)
    of every job, and the room for its results under ``out``; a job without a config group
    is the config composed once with its values set (``+key``: added)."""
    with pytest.raises(BAD_INPUT) as info:
        for job in cli.expand_jobs([a for a in argv if a not in cli.MULTIRUN]):
            if _needs_hydra(job):
                with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
                    check(cli._compose("config", job)[0], out)
                continue
            cfg = copy.deepcopy(composed)
            for o in OverridesParser.create().parse_overrides(job):
                OmegaConf.update(cfg, o.key_or_group, o.value(), merge=True, force_add=o.is_add())
            cli.check_keys(cfg)
            cli.check_empty_merges(cfg, job)
            check(cfg, out)
    return one_line(info.value, ExperimentConf)


FOLDER_CASES = {"resume=/nonexistent/run", "-m budget=1,2 --cfg hydra"}
"""Rows refused by the command line itself (the folder to resume, Hydra's options)."""


@pytest.mark.parametrize(
    ("argv", "words"),
    [c for c in CASES if " ".join(c[0]) not in FOLDER_CASES],
    ids=[" ".join(c[0]) for c in CASES if " ".join(c[0]) not in FOLDER_CASES],
)
def test_bad_input_is_caught_by_the_checks_after_composition(
    composed, tmp_path: Path, argv, words
) -> None:
    """Every catalogue row, without the command line around the checks (the quick loop;
    the command line itself: the test above, whole in the full suite)."""
    line = _checks_message(composed, argv, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    for word in words:
        assert word in line, (word, line)


ENTRY_CASES = [
    # (entry point, overrides, text the one-line message must contain)
    ("calibrate", ["quantile=2"], ["quantile", "(0, 1]"]),
    ("calibrate", ["generations=0"], ["generations", ">= 1"]),
    ("calibrate", ["model_params=[mandate_compliance]"], ["model_params", "not identified"]),
    ("calibrate", ["start.peer_weight=99"], ["start.peer_weight", "[0.0, 8.0]"]),
    ("calibrate", ["+start.mandate_compliance=1"], ["start", "mandate_compliance", "allowed:"]),
    ("calibrate", ["n_sample=5"], ["n_sample", "unknown key", "allowed:", "n_samples"]),
    ("calibrate", ["votes.n_noise=0"], ["votes.n_noise", ">= 1"]),
    ("calibrate", ["votes.noise_high=2"], ["votes.noise_low", "noise_high", "1.0"]),
    ("validate", ["n_seeds=5"], ["n_seeds", ">= 10"]),
    ("validate", ["reprot=x.md"], ["reprot", "unknown key", "allowed:", "report"]),
    (
        "validate",
        ["+reach_plausible.peer_weight=1"],
        ["reach_plausible.peer_weight", "must be a number in", "accepted sets"],
    ),
    (
        "validate",
        ["reach_plausible.outreach_weight=99"],
        ["reach_plausible.outreach_weight", "must be a number in"],
    ),
    ("votes", ["date=2022-03-24", "kind=sanction"], ["kind", "punitive"]),
    ("votes", ["date=2024-02-25", "kind=principle"], ["date", "2022-02-24, 2024-02-24"]),
    ("votes", ["date=2022-02-23", "kind=punitive"], ["date", "2022-02-24, 2024-02-24"]),
    ("votes", ["date=2099-01-01", "kind=principle"], ["date", "2022-02-24, 2024-02-24"]),
    (
        "votes",
        ["date=2022-09-01", "kind=principle", "n_seeds=1000000000"],
        ["n_seeds", "memory", "at most"],
    ),
    ("validate", ["n_seed=5"], ["n_seed", "unknown key", "allowed:", "n_seeds"]),
    # issue 19: the edge probe's settings
    ("validate", ["edge_probe.factor=0.5"], ["edge_probe.factor", "> 1"]),
    (
        "validate",
        ["edge_probe.strategies=[uniform,nonesuch]"],
        ["edge_probe.strategies", "nonesuch", "allowed:", "g7_coalition"],
    ),
    ("calibrate", ["foo=1"], ["foo", "unknown key", "allowed:", "n_samples"]),
    # issue 17
    ("validate", ["n_boot=-1"], ["n_boot", ">= 10"]),
    ("validate", ["report=/proc/x.md"], ["report", "/proc", "cannot write"]),
    ("validate", ["figures_dir=/proc/x"], ["figures_dir", "/proc/x", "cannot write"]),
    (
        "votes",
        ["date=2022-03-02", "kind=principle", "calendar.start=2023-01-01"],
        ["calendar.start", "after the vote date 2022-03-02"],
    ),
    ("votes", ["date=2022-03-02", "kind=principle", "+model.new_param=1"], ["model.new_param"]),
    # issue 20: a feature not in sim.votes.FEATURES
    (
        "votes",
        ["date=2022-09-01", "kind=principle", "features.nonsense=true"],
        ["features.nonsense", "allowed:", "territorial_integrity", "suspension_from_body"],
    ),
    (
        "analyse",
        ["strategies=[none]"],
        ["strategies", "reference 'none'", "at least one other", "allowed:"],
    ),
    (
        "analyse",
        ["--dry-run", "designs.explore=1000000000"],
        ["designs.explore", "1,000,000,000 design points", "GB", "at most 1,000,000"],
    ),
    (
        "analyse",
        ["--dry-run", "designs.sobol_n=1048576"],
        ["designs.sobol_n", "design points over", "at most 1,000,000"],
    ),
    ("analyse", ["--dry-run", "+model.new_param=1"], ["model.new_param", "allowed:"]),
    ("analyse", ["calendar.start=9999-12-01"], ["calendar.start", "2032-02-24"]),
    ("analyse", ["publish=true", "report=/proc/x.md"], ["report", "/proc", "cannot write"]),
    (
        "analyse",
        ["--dry-run", "uncertainty.levers.budget={kind:real,lo:1.0,hi:5000.0}"],
        ["uncertainty.levers.budget", "[0, 1000]"],
    ),
]


_FIRST = {c[0]: i for i, c in reversed(list(enumerate(ENTRY_CASES)))}
"""The first row of each entry point runs in the quick loop; the others are ``slow``."""


@pytest.mark.parametrize(
    ("entry", "argv", "words"),
    [c if i in _FIRST.values() else pytest.param(*c, marks=pytest.mark.slow)
     for i, c in enumerate(ENTRY_CASES)],
    ids=[" ".join([c[0], *c[1]]) for c in ENTRY_CASES],
)  # fmt: skip
def test_other_entry_points_reject_bad_input_in_one_line(
    capsys, tmp_path: Path, entry: str, argv, words
) -> None:
    main = importlib.import_module(f"experiments.{entry}").main
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        main([*argv, f"hydra.run.dir={out}"])
    assert exc.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert not out.exists()
