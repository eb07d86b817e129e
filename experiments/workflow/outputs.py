"""Tidy results tables: schemas, columns from simulated arrays, writers, multirun aggregate.

Every table written here follows :data:`SCHEMAS` (column -> (type, meaning)); the README
documents the same dict and the tests check written files against it. Files are written
through :mod:`experiments.workflow.atomic` (``<name>.tmp``, renamed when complete), so an
interrupted or failed run leaves no file that looks complete.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.workflow import atomic, curves
from experiments.workflow.manifest import MANIFEST, now_iso
from sim import SimulationConfig, Trajectories
from sim.results import (
    COUNTRY_MEASURES,
    STEP_MEASURES,
    SUMMARY_MEASURES,
    Measure,
    member_counts,
)

log = logging.getLogger(__name__)

TRAJECTORIES = "trajectories.parquet"
STEPS = "steps.parquet"
SUMMARY = "summary.parquet"
CURVES = curves.CURVES
TABLES = (TRAJECTORIES, STEPS, SUMMARY)
"""The per-run tables (one row per seed, seed x step, seed x step x country)."""

_KEY_COLUMNS: dict[str, tuple[str, str]] = {
    "strategy": ("dictionary<string>", "Japan's strategy (conf/strategy/<name>.yaml)"),
    "point": ("int16", "index of the parameter point in the sweep grid (0 without a sweep)"),
    "<swept parameter>": (
        "as swept",
        "one column per `sweep` key (e.g. `budget`, `model.peer_weight`): its value at this point",
    ),
    "seed": ("int64", "replicate seed (the same for every strategy and point)"),
}
_STEP_COLUMNS: dict[str, tuple[str, str]] = {
    "step": ("int16", "week since 2022-02-24 (0 = the invasion)"),
    "date": ("date32[day]", "calendar date of the step (start + 7 x step days)"),
}


def _columns(measures: dict[str, Measure]) -> dict[str, tuple[str, str]]:
    """Declared measures (:mod:`sim.results`) as columns: (Arrow type, meaning)."""
    return {name: (np.dtype(m.dtype).name, m.meaning) for name, m in measures.items()}


_COUNTRY = _columns(COUNTRY_MEASURES)
SCHEMAS: dict[str, dict[str, tuple[str, str]]] = {
    TRAJECTORIES: {
        **_KEY_COLUMNS,
        **_STEP_COLUMNS,
        "country": ("dictionary<string>", "two-letter code of the data file (BN, KH, ...)"),
        "stance": _COUNTRY["stance"],
        "level": _COUNTRY["level"],
        "level_name": ("dictionary<string>", "name of the rung"),
        "outreach": _COUNTRY["outreach"],
        "material": _COUNTRY["material"],
    },
    STEPS: {**_KEY_COLUMNS, **_STEP_COLUMNS, **_columns(STEP_MEASURES)},
    SUMMARY: {**_KEY_COLUMNS, **_columns(SUMMARY_MEASURES)},
}
"""Every column of every results table: (Arrow type, meaning). Multirun aggregates add
``job`` (int32, the job's folder number) and ``overrides`` (string, the job's overrides)."""
SCHEMAS[CURVES] = {
    "strategy": _KEY_COLUMNS["strategy"],
    "point": _KEY_COLUMNS["point"],
    "<swept parameter>": _KEY_COLUMNS["<swept parameter>"],
    **curves.COLUMNS,
}

COMBINED_COLUMNS: dict[str, tuple[str, str]] = {
    "job": ("int32", "the job's folder number within the multirun folder"),
    "overrides": ("dictionary<string>", "the job's command-line overrides, space-separated"),
}


# --------------------------------------------------------------------------- tidy tables
def dict_array(indices: np.ndarray, labels: Sequence[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(
        pa.array(indices.astype(np.int32)), pa.array(list(labels), pa.string())
    )


def _param_value(value: Any) -> Any:
    """Swept values with one Arrow type per column: numbers as float64, others as given."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def key_arrays(
    strategy: str, point: int, params: dict[str, Any], seeds: np.ndarray, repeat: int
) -> dict[str, pa.Array]:
    """Key columns (strategy, point, swept parameters, seed) of ``len(seeds) * repeat`` rows."""
    n = len(seeds) * repeat
    cols: dict[str, pa.Array] = {
        "strategy": dict_array(np.zeros(n, np.int32), [strategy]),
        "point": pa.array(np.full(n, point, np.int16)),
    }
    for name, value in params.items():
        cols[name] = pa.array([_param_value(value)] * n)
    cols["seed"] = pa.array(np.repeat(np.asarray(seeds, np.int64), repeat))
    return cols


def step_dates(config: SimulationConfig, n_steps_plus_1: int) -> np.ndarray:
    """The calendar date of each step (start + 7 x step days)."""
    start = np.datetime64(config.calendar.start, "D")
    return start + 7 * np.arange(n_steps_plus_1).astype("timedelta64[D]")


def trajectory_table(
    traj: Trajectories,
    config: SimulationConfig,
    strategy: str,
    point: int,
    params: dict[str, Any],
) -> pa.Table:
    """One row per seed x step x country (see ``SCHEMAS[TRAJECTORIES]``)."""
    r, t, n = traj.level.shape
    cols = key_arrays(strategy, point, params, traj.seeds, t * n)
    step = np.tile(np.repeat(np.arange(t, dtype=np.int16), n), r)
    cols["step"] = pa.array(step)
    cols["date"] = pa.array(step_dates(config, t)[step])
    cols["country"] = dict_array(np.tile(np.arange(n), r * t), config.countries.codes)
    for name, m in COUNTRY_MEASURES.items():
        cols[name] = pa.array(getattr(traj, name).reshape(-1).astype(m.dtype))
        if name == "level":
            cols["level_name"] = dict_array(traj.level.reshape(-1), config.ladder.names)
    return pa.table(cols)


def steps_table(
    traj: Trajectories,
    config: SimulationConfig,
    strategy: str,
    point: int,
    params: dict[str, Any],
) -> pa.Table:
    """One row per seed x step with run-level series (see ``SCHEMAS[STEPS]``)."""
    r, t, _ = traj.level.shape
    counts = member_counts(traj.level, config.countries.member, config.ladder)
    cols = key_arrays(strategy, point, params, traj.seeds, t)
    step = np.tile(np.arange(t, dtype=np.int16), r)
    cols["step"] = pa.array(step)
    cols["date"] = pa.array(step_dates(config, t)[step])
    for name, m in STEP_MEASURES.items():
        values = counts[name] if name in counts else getattr(traj, name)
        cols[name] = pa.array(values.reshape(-1).astype(m.dtype))
    return pa.table(cols)


def summary_table(
    summary: dict[str, np.ndarray],
    seeds: np.ndarray,
    strategy: str,
    point: int,
    params: dict[str, Any],
) -> pa.Table:
    """One row per seed with the outcome measures (see ``SCHEMAS[SUMMARY]``)."""
    cols = key_arrays(strategy, point, params, seeds, 1)
    for name, m in SUMMARY_MEASURES.items():
        cols[name] = pa.array(np.asarray(summary[name]).astype(m.dtype))
    return pa.table(cols)


# --------------------------------------------------------------------------- writers
class OutputSet:
    """Parquet tables of one run, streamed under temporary names and published together.

    Inside ``with files.publishing():``, ``files.write(name, table)`` appends to ``name``
    (each file is an :func:`experiments.workflow.atomic.pending` file): on success every
    file is renamed to its final name, on any error every temporary file is removed.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._stack: ExitStack | None = None
        self.rows: dict[str, int] = {}

    def write(self, name: str, table: pa.Table) -> None:
        """Append ``table`` to the Parquet file ``name`` (opened on first use)."""
        if self._stack is None:
            raise RuntimeError("OutputSet.write: call inside `with files.publishing():`")
        if name not in self._writers:
            tmp = self._stack.enter_context(atomic.pending(self.directory / name))
            self._writers[name] = pq.ParquetWriter(tmp, table.schema, compression="zstd")
        self._writers[name].write_table(table)
        self.rows[name] = self.rows.get(name, 0) + table.num_rows

    def _close(self, quiet: bool = False) -> None:
        for writer in self._writers.values():
            try:
                writer.close()
            except Exception:
                if not quiet:
                    raise
                log.debug("closing a writer failed during cleanup", exc_info=True)
        self._writers.clear()

    @contextmanager
    def publishing(self) -> Iterator[OutputSet]:
        """Publish every file on success, remove every temporary file on error."""
        with ExitStack() as stack:
            self._stack = stack
            try:
                yield self
            except BaseException:
                self._close(quiet=True)
                raise
            finally:
                self._stack = None
            self._close()


# --------------------------------------------------------------------------- multirun
COMBINED = (*TABLES, CURVES)
"""The tables a multirun aggregate concatenates over jobs."""
MULTIRUN = "multirun.json"


def _warn(message: str) -> None:
    """A warning that reaches the console whatever Hydra did to the logging handlers."""
    log.warning(message)
    consoles = (sys.stderr, sys.stdout, sys.__stderr__, sys.__stdout__)
    if not any(
        isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) in consoles
        for h in logging.getLogger().handlers
    ):
        sys.stderr.write(f"warning: {message}\n")


def _with_job(table: pa.Table, num: int, overrides: str, schema: pa.Schema) -> pa.Table:
    n = table.num_rows
    table = table.add_column(0, "overrides", dict_array(np.zeros(n, np.int32), [overrides]))
    table = table.add_column(0, "job", pa.array(np.full(n, num, np.int32)))
    for fld in schema:
        if fld.name not in table.column_names:
            table = table.append_column(fld.name, pa.nulls(n, fld.type))
    return table.select(schema.names).cast(schema)


def combine_tables(job_dirs: Sequence[tuple[int, str, Path]], out_dir: Path) -> list[Path]:
    """Concatenate each table over jobs into ``out_dir``, adding ``job`` and ``overrides``.

    ``job_dirs``: (job number, overrides string, job folder). Jobs without a manifest
    (failed or incomplete) are skipped with a warning.
    """
    complete = []
    for num, overrides, path in job_dirs:
        if (path / MANIFEST).exists():
            complete.append((num, overrides, path))
        else:
            _warn(f"job {num} ({overrides}) has no {MANIFEST}: not combined; re-run the sweep")
    files = OutputSet(out_dir)
    with files.publishing():
        for name in COMBINED:
            parts = [(n, o, p / name) for n, o, p in complete if (p / name).exists()]
            if not parts:
                continue
            schema = pa.unify_schemas(
                [pq.read_schema(f) for _, _, f in parts], promote_options="permissive"
            )
            schema = pa.schema(
                [
                    pa.field("job", pa.int32()),
                    pa.field("overrides", pa.dictionary(pa.int32(), pa.string())),
                    *schema,
                ]
            )
            for num, overrides, f in parts:
                for batch in pq.ParquetFile(f).iter_batches(batch_size=1_000_000):
                    table = pa.Table.from_batches([batch])
                    files.write(name, _with_job(table, num, overrides, schema))
    written = [out_dir / name for name in COMBINED if (out_dir / name).exists()]
    atomic.write_json(
        out_dir / MULTIRUN,
        {
            "jobs": [{"job": n, "overrides": o, "dir": str(p)} for n, o, p in complete],
            "skipped": [
                {"job": n, "overrides": o} for n, o, p in job_dirs if (n, o, p) not in complete
            ],
            "tables": {p.name: files.rows.get(p.name, 0) for p in written},
            "created": now_iso(),
        },
        default=str,
    )
    return written
