"""Entry points of the Hydra apps: every job is checked, and its folder chosen, before Hydra.

A command line may launch several jobs (``-m budget=1,2``); :func:`expand_jobs` lists
them with Hydra's own sweep expansion (``BasicSweeper.split_arguments``), and
:func:`run_cli` composes and converts each (and, for runs, checks memory and disk) before
handing the arguments to Hydra, so bad input is reported in one line and leaves no
folder. It then picks the output folder itself: a new one created exclusively (two runs
started in the same second get two folders), an interrupted run of the same config to
finish (``resume=auto``), or the folder given; the folder is held while the app runs.
``-m ... --cfg job`` prints each job's config (Hydra itself refuses the combination).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict

from experiments.workflow import atomic, folders, manifest
from experiments.workflow.errors import ConfigError, reporting
from experiments.workflow.ledger import damaged_files, file_sha256, is_finalized, ledger_key
from experiments.workflow.paths import CONF_DIR, resolve

MULTIRUN = ("-m", "--multirun")


@dataclass(frozen=True)
class RunHooks:
    """What ``run_cli`` needs from an app with a ledger (``experiments.run``)."""

    plan: Callable[[DictConfig], Any]  # convert a job and plan it (built once per job)
    check: Callable[[DictConfig, Path], Any]  # the plan, refused if it does not fit a folder
    key: Callable[[DictConfig], str]  # the ledger key of a job
    seconds: Callable[[DictConfig, Any], float] | None = None  # a checked job's estimate


def expand_jobs(overrides: Sequence[str]) -> list[list[str]]:
    """The override lists of the jobs a (multi)run launches, as Hydra's sweeper expands them."""
    parsed = OverridesParser.create().parse_overrides(list(overrides))
    batches = BasicSweeper.split_arguments(parsed, max_batch_size=None)
    return [job for batch in batches for job in batch]


def check_keys(cfg: Any, path: str = "") -> None:
    """Every key of a composed config is a field of its schema: a key added with ``+``
    (``+model.new_param=1``) under a schema node is an error listing the allowed keys."""
    if isinstance(cfg, ListConfig) and not cfg._is_none() and not cfg._is_missing():
        for k in range(len(cfg)):
            check_keys(cfg._get_node(k), f"{path}[{k}]")
        return
    if not isinstance(cfg, DictConfig) or cfg._is_none() or cfg._is_missing():
        return
    schema = OmegaConf.get_type(cfg)
    allowed = (
        [f.name for f in dataclasses.fields(schema)] if dataclasses.is_dataclass(schema) else None
    )
    for key in cfg.keys():
        full = f"{path}.{key}" if path else str(key)
        if allowed is not None and key not in allowed:
            raise ConfigError(full, "unknown key", allowed)
        if not OmegaConf.is_missing(cfg, key):
            check_keys(cfg._get_node(key), full)


def check_empty_merges(cfg: DictConfig, job: Sequence[str]) -> None:
    """``key={}`` on a non-empty mapping is refused: Hydra merges it, changing nothing."""
    for o in OverridesParser.create().parse_overrides(list(job)):
        key = o.key_or_group
        if o.is_delete() or o.value() != {} or key.startswith("hydra"):
            continue
        node = OmegaConf.select(cfg, key, default=None)
        if isinstance(node, DictConfig) and len(node):
            raise ConfigError(
                key,
                f"{{}} is merged into its {len(node)} entries and would change nothing; "
                f"remove entries with ~{key}.<name>, or give another file (e.g. scenario_file=)",
            )


def _compose(
    config_name: str, job: Sequence[str], keep: bool = False
) -> tuple[DictConfig, DictConfig]:
    """(task config, its ``hydra`` node) of one job, its keys checked against the schema:
    the job's one composition. ``keep``: (task config, the whole config, ``hydra`` node
    included), for a single run to be run from it."""
    whole = compose(config_name, overrides=list(job), return_hydra_config=True)
    if keep:
        cfg = copy.deepcopy(whole)
    else:
        cfg, whole = whole, whole.hydra
    with open_dict(cfg):
        del cfg["hydra"]
    check_keys(cfg)
    check_empty_merges(cfg, job)
    return cfg, whole


def _option(args: Sequence[str], *names: str) -> str | None:
    for i, a in enumerate(args):
        if a in names and i + 1 < len(args):
            return args[i + 1]
        for n in names:
            if a.startswith(f"{n}="):
                return a.split("=", 1)[1]
    return None


def show_jobs(config_name: str, args: Sequence[str]) -> None:
    """``-m ... --cfg job [--resolve]``: print the composed config of every job (inside
    an initialized Hydra, see :func:`run_cli`)."""
    what = _option(args, "--cfg", "-c")
    if what != "job":
        raise ConfigError(
            "--cfg", f"with -m only each job's config is shown, not {what!r}", ["job"]
        )
    skip = {"--cfg", "-c", "job", "--resolve", *MULTIRUN}
    overrides = [a for a in args if a not in skip and not a.startswith(("--cfg=", "-c="))]
    for n, job in enumerate(expand_jobs(overrides)):
        cfg, _ = _compose(config_name, job)
        sys.stdout.write(f"# job {n}: {' '.join(job)}\n")
        sys.stdout.write(OmegaConf.to_yaml(cfg, resolve="--resolve" in args))


def _quote(path: Path) -> str:
    text = str(path)
    return f"'{text}'" if any(ch in text for ch in " ,=[]{}()'\"\\:$") else text


def _given(overrides: Sequence[str], key: str) -> bool:
    return any(o.lstrip("+~").startswith(f"{key}=") for o in overrides)


def complete_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a complete run in ``folder`` whose published tables and figures
    still hold the bytes recorded (SHA-256), else None."""
    try:
        record = json.loads((folder / manifest.MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if not is_finalized(folder) or damaged_files(folder):
        return None
    expected = {**(record.get("sha256") or {}), **(record.get("figure_sha256") or {})}
    for name in [*(record.get("sha256") or {}), *(record.get("figures") or [])]:
        path = folder / name
        if not path.is_file() or file_sha256(path) != expected.get(name):
            return None
    return record


def find_resumable(parent: Path, key: str) -> tuple[Path | None, Path | None]:
    """(an interrupted run of ``key`` under ``parent`` that no process holds, a complete one)."""
    if not parent.is_dir():
        return None, None
    interrupted = complete = None
    for folder in sorted((p for p in parent.iterdir() if p.is_dir()), reverse=True):
        if ledger_key(folder) != key:
            continue
        if complete_manifest(folder) is not None:
            complete = complete or folder
        elif interrupted is None and not folders.in_use(folder):
            interrupted = folder
    return interrupted, complete


def _run_folder(cfg: DictConfig, hydra_cfg: DictConfig, job: Sequence[str], run: RunHooks) -> Path:
    """The folder of a single run: given, resumed or new (created exclusively)."""
    resume = str(cfg.resume)
    default = Path(str(hydra_cfg.run.dir)).absolute()
    if resume not in ("auto", "never"):
        folder = resolve(resume) if not Path(resume).is_absolute() else Path(resume)
        found = ledger_key(folder)
        if found is None:
            raise ConfigError("resume", f"{folder} holds no run to resume (no ledger.jsonl)")
        if found != run.key(cfg):
            raise ConfigError(
                "resume",
                f"{folder} holds a run of another configuration, data or code; resume it with "
                "the same command as it was started with",
            )
        run.check(cfg, folder)
        return folders.hold(folder, "resume")
    if _given(job, "hydra.run.dir"):
        found = ledger_key(default) if default.is_dir() else None
        if found is not None and found != run.key(cfg):
            raise ConfigError(
                "hydra.run.dir",
                f"{default} holds the results of another configuration; choose a new folder",
            )
        if found is None and default.is_dir() and (default / manifest.MANIFEST).exists():
            raise ConfigError(
                "hydra.run.dir", f"{default} already holds a run; choose a new folder"
            )
        folders.writable("hydra.run.dir", default, keep=False)
        run.check(cfg, default)
        return folders.hold(folders.writable("hydra.run.dir", default))
    run.check(cfg, default)
    if resume == "auto":
        interrupted, complete = find_resumable(default.parent, run.key(cfg))
        if complete is not None:
            sys.stderr.write(
                f"already complete: {complete} holds this run (same config, data and code); "
                "nothing recomputed (resume=never runs it again)\n"
            )
            raise SystemExit(0)
        if interrupted is not None:
            try:
                folders.hold(interrupted, wait_s=0)
                sys.stderr.write(f"resuming the interrupted run in {interrupted}\n")
                return interrupted
            except folders.FolderBusy:
                pass
    return folders.hold(folders.claim(default))


HYDRA_LOCK = threading.RLock()
"""Held while a thread initializes Hydra's global state (the dashboard's sessions and its
tests compose from several threads of one process; Hydra's state is not thread-safe)."""


def precheck(
    config_name: str, convert: Callable[[DictConfig], Any], overrides: Sequence[str]
) -> None:
    """Compose and ``convert`` every job's config (no folder is made); raise the first
    bad-input error. Used by the dashboard and its tests to get the command line's message."""
    with HYDRA_LOCK, initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        for job in expand_jobs(list(overrides)):
            convert(_compose(config_name, job)[0])


@dataclass
class Prepared:
    """What :func:`prepare` decided: Hydra's arguments, the folder held (None when Hydra
    only prints, e.g. ``--help`` or ``--cfg``) and, for a single run, its composed config."""

    args: list[str]
    folder: Path | None
    job: DictConfig | None = None  # the single run's whole config (``hydra`` node included)
    overrides: list[str] = dataclasses.field(default_factory=list)  # its overrides


def prepare(
    config_name: str,
    convert: Callable[[DictConfig], Any],
    args: list[str],
    run: RunHooks | None,
) -> Prepared:
    """Check every job; choose, create and hold the output folder (inside an initialized
    Hydra, see :func:`run_cli`)."""
    multirun = any(a in MULTIRUN for a in args)
    overrides = [a for a in args if a not in MULTIRUN]
    if any(a.startswith("-") for a in overrides):
        if multirun and _option(overrides, "--cfg", "-c") is not None:
            show_jobs(config_name, args)
            raise SystemExit(0)
        if any(a in HELP for a in args) and "--hydra-help" not in args:
            show_help(config_name, args)
            raise SystemExit(0)
        return Prepared(args, None)  # --help, --cfg, --info ...: Hydra's own
    for key in ("hydra.run.dir", "hydra.sweep.dir"):
        given = [o.split("=", 1)[1] for o in overrides if o.startswith(f"{key}=")]
        if given and not given[-1].strip().strip("'\""):
            raise ConfigError(key, "empty; give a folder (e.g. outputs/my_run) or leave it out")
    jobs = expand_jobs(overrides)
    composed = [_compose(config_name, job, keep=not multirun) for job in jobs]
    for cfg, _ in composed:
        (run.plan if run is not None else convert)(cfg)
    if not multirun:
        cfg, whole = composed[0]
        if run is not None:
            folder = _run_folder(cfg, whole.hydra, jobs[0], run)
        elif _given(jobs[0], "hydra.run.dir"):
            folder = folders.writable("hydra.run.dir", Path(str(whole.hydra.run.dir)))
            folders.hold(folder)
        else:
            folder = folders.hold(folders.claim(Path(str(whole.hydra.run.dir)).absolute()))
        given = f"hydra.run.dir={_quote(folder.absolute())}"
        return Prepared([*args, given], folder, whole, [*jobs[0], given])
    cfg, hydra_cfg = composed[0]
    resume = str(cfg.get("resume", "auto"))
    sweep = Path(str(hydra_cfg.sweep.dir)).absolute()
    if resume not in ("auto", "never"):
        sweep = resolve(resume) if not Path(resume).is_absolute() else Path(resume)
        if not sweep.is_dir():
            raise ConfigError("resume", f"{sweep} is not a sweep folder")
    folders.writable("hydra.sweep.dir", sweep, keep=False)
    if run is not None:
        checked = [(cfg, run.check(cfg, sweep)) for cfg, _ in composed]
        if run.seconds is not None:
            seconds = sum(run.seconds(cfg, plan) for cfg, plan in checked)
            seconds *= len(jobs) / len(checked)  # later jobs like the checked ones
            sys.stderr.write(
                f"multirun: {len(jobs):,} jobs, about {seconds / 60:,.1f} min to simulate "
                "(each job logs its own estimate)\n"
            )
    if _given(overrides, "hydra.sweep.dir") or resume not in ("auto", "never"):
        folder = folders.writable("hydra.sweep.dir", sweep)
    else:
        folder = folders.claim(sweep, "hydra.sweep.dir")
    folders.hold(folder, "hydra.sweep.dir")
    return Prepared([*args, f"hydra.sweep.dir={_quote(folder.absolute())}"], folder)


HELP = ("--help", "-h")


def show_help(config_name: str, args: Sequence[str]) -> None:
    """``--help``: the text of Hydra's own app help (same template, groups and config),
    with the config groups listed from one copy of the config repository (Hydra copies
    it once per group and option kind: seconds with our schemas)."""
    import string

    from hydra._internal.config_repository import CachingConfigRepository
    from hydra._internal.utils import get_args_parser
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig
    from hydra.core.object_type import ObjectType
    from hydra.types import RunMode

    parsed = get_args_parser().parse_args(list(args))
    hydra = GlobalHydra.instance().hydra
    assert hydra is not None
    cfg = hydra.compose_config(
        config_name, parsed.overrides, run_mode=RunMode.RUN, with_log_configuration=True
    )
    HydraConfig.instance().set_config(cfg)
    repo = CachingConfigRepository(hydra.config_loader.repository)

    def groups(parent: str = "") -> list[str]:
        found = []
        for group in repo.get_group_options(parent, ObjectType.GROUP):
            name = f"{parent}/{group}" if parent else group
            if repo.get_group_options(name, ObjectType.CONFIG):
                found.append(name)
            if repo.get_group_options(name, ObjectType.GROUP):
                found.extend(groups(name))
        return found

    every = groups()

    def listed(hydra_groups: bool) -> str:
        chosen = [g for g in every if (g.startswith("hydra/") or g == "hydra") == hydra_groups]
        return "".join(
            f"{g}: {', '.join(sorted(repo.get_group_options(g, ObjectType.CONFIG)))}\n"
            for g in sorted(chosen)
        )

    clean = hydra.get_sanitized_cfg(copy.deepcopy(cfg), "job")
    text = string.Template(cfg.hydra.help.template).substitute(
        FLAGS_HELP=hydra.format_args_help(get_args_parser()),
        HYDRA_CONFIG_GROUPS=listed(True),
        APP_CONFIG_GROUPS=listed(False),
        CONFIG=OmegaConf.to_yaml(clean, resolve=parsed.resolve),
    )
    sys.stdout.write(text + "\n")


def job_name(task: Callable[..., Any]) -> str:
    """``hydra.job.name`` of a Hydra app (as ``hydra.main`` names it: its module's last part)."""
    from hydra._internal.utils import (
        detect_calling_file_or_module_from_task_function,
        detect_task_name,
    )

    return detect_task_name(*detect_calling_file_or_module_from_task_function(task))


def run_job(task: Callable[..., Any], config_name: str, prepared: Prepared) -> None:
    """Run the single job ``prepared`` composed, as ``hydra.main`` would (its folder, saved
    config, logging, callbacks, error report) without composing it again."""
    from hydra._internal.callbacks import Callbacks
    from hydra._internal.utils import run_and_report
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.utils import configure_log
    from hydra.core.utils import run_job as hydra_run_job
    from hydra.types import HydraContext, RunMode

    whole = prepared.job
    assert whole is not None and prepared.folder is not None
    given = prepared.overrides[-1]  # hydra.run.dir=<the folder chosen>
    with open_dict(whole):
        whole.hydra.run.dir = str(prepared.folder.absolute())
        whole.hydra.mode = RunMode.RUN
        whole.hydra.overrides.hydra.extend([given, "hydra.mode=RUN"])
    configure_log(whole.hydra.hydra_logging, whole.hydra.verbose)

    def go() -> None:
        callbacks = Callbacks(whole)
        callbacks.on_run_start(config=whole, config_name=config_name)
        loader = GlobalHydra.instance().config_loader()
        ret = hydra_run_job(
            hydra_context=HydraContext(config_loader=loader, callbacks=callbacks),
            task_function=task,
            config=whole,
            job_dir_key="hydra.run.dir",
            job_subdir_key=None,
        )
        callbacks.on_run_end(config=whole, config_name=config_name, job_return=ret)
        _ = ret.return_value  # raises the job's error

    run_and_report(go)


def _write_manifest(config_name: str, prepared: Prepared, started: str, t0: float) -> None:
    assert prepared.job is not None and prepared.folder is not None
    overrides = [a for a in prepared.overrides if not a.startswith("hydra.")]
    cfg = copy.deepcopy(prepared.job)
    with open_dict(cfg):
        del cfg["hydra"]
    config = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
    inputs = {}
    if "calibration_dir" in config:
        base = resolve(str(config["calibration_dir"]))
        inputs = {name: base / name for name in ("accepted.parquet", "votes_loo.json")}
    data_file = config.get("scenario", {}).get("data_file")
    if data_file:
        inputs["data_file"] = resolve(data_file)
    record = manifest.app_manifest(
        config_name, config, overrides, prepared.folder, inputs, started, time.perf_counter() - t0
    )
    atomic.write_json(prepared.folder / manifest.MANIFEST, record, default=str)


def run_cli(
    config_name: str,
    convert: Callable[[DictConfig], Any],
    task: Callable[[], None],
    schema: type,
    argv: Sequence[str] | None = None,
    run: RunHooks | None = None,
    write_manifest: bool = True,
) -> None:
    """Check every job and choose its folder (one-line report, exit 2, on bad input), then
    run the Hydra app ``task`` there: a single run from the config composed for the check
    (one composition per job), a multirun or a printing flag through ``hydra.main``.
    ``run``: ledger hooks of ``experiments.run``; ``write_manifest``: write a generic
    ``manifest.json`` after a successful single run (``experiments.run`` writes its own)."""
    args = list(sys.argv[1:] if argv is None else argv)
    started, t0 = manifest.now_iso(), time.perf_counter()
    with initialize_config_dir(
        config_dir=str(CONF_DIR), version_base="1.3", job_name=job_name(task)
    ):
        with reporting(schema):
            prepared = prepare(config_name, convert, args, run)
        sys.argv = [sys.argv[0], *prepared.args]
        if prepared.job is not None and prepared.folder is not None:
            try:  # prepare holds the folder while the app runs
                run_job(task, config_name, prepared)
                if write_manifest:
                    _write_manifest(config_name, prepared, started, t0)
            finally:
                folders.release(prepared.folder)
            return
    if prepared.folder is None:
        task()
        return
    try:  # a multirun: Hydra launches each job
        task()
    finally:
        folders.release(prepared.folder)
