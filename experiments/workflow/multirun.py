"""The multirun aggregate: every finished job's tables concatenated at the sweep root.

A job's folder is ``<sweep>/<number>`` (see :func:`experiments.workflow.folders.job_folder`:
a re-run of the sweep finds each finished job's folder again, so numbers are unique and
stable); the ``job`` column is that number. Jobs without a manifest (failed or unfinished)
are skipped with a warning on the console and listed in ``multirun.json``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from experiments.workflow import atomic, curves
from experiments.workflow.manifest import MANIFEST, now_iso
from experiments.workflow.outputs import TABLES, OutputSet, dict_array

log = logging.getLogger(__name__)

COMBINED = (*TABLES, curves.CURVES)
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


def job_dirs(sweep_dir: Path) -> list[tuple[int, str, Path]]:
    """(number, overrides, folder) of every job folder of a sweep, by number."""
    jobs = []
    for sub in sorted(p for p in Path(sweep_dir).iterdir() if p.is_dir() and p.name.isdigit()):
        overrides_file = sub / ".hydra" / "overrides.yaml"
        if not overrides_file.exists():
            continue
        overrides = yaml.safe_load(overrides_file.read_text()) or []
        jobs.append((int(sub.name), " ".join(overrides), sub))
    return sorted(jobs)


def _plots_wanted(jobs: Sequence[tuple[int, str, Path]]) -> bool:
    for _, _, path in jobs:
        try:
            return bool(json.loads((path / MANIFEST).read_text())["config"]["plots"])
        except (OSError, KeyError, TypeError, ValueError):
            continue
    return False


try:  # the callback base class lives in Hydra; sim and the tables do not need it
    from hydra.experimental.callback import Callback
except ImportError:  # pragma: no cover
    Callback = object  # type: ignore[assignment,misc]


class CombineSweep(Callback):  # type: ignore[misc,valid-type]
    """Hydra callback: at the end of a multirun, combine the jobs' tables at the sweep root
    and draw the figures there (one line per job and strategy)."""

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_absolute():
            sweep_dir = Path(config.hydra.runtime.cwd) / sweep_dir
        jobs = job_dirs(sweep_dir)
        written = combine_tables(jobs, sweep_dir)
        log.info("combined %d jobs into %s", len(jobs), ", ".join(str(p) for p in written))
        if written and _plots_wanted(jobs):
            from experiments.workflow import plot

            plot.draw_all(sweep_dir)
