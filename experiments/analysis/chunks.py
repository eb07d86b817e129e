"""Chunk-by-chunk results of a long analysis, kept so that a stopped analysis resumes.

:class:`ChunkStore` is the one place the analysis writes its runs before they are final.
Its interface is deliberately narrow (``done``, ``record``, ``finalize``) so that it can be
switched to the run ledger of the reliability work (``experiments/workflow/ledger.py``)
without touching the rest of the analysis: replace this class, keep the three methods.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from experiments.workflow import atomic
from experiments.workflow.errors import ConfigError

log = logging.getLogger(__name__)

_CHUNK_ID = re.compile(r"[A-Za-z0-9_.-]+")
PLAN = "plan.json"


class ChunkStore:
    """Tables recorded chunk by chunk under ``<path>.chunks/``, published as one Parquet
    file ``path`` by :meth:`finalize`.

    Each chunk is written atomically (``<chunk_id>.parquet``), so a chunk on disk is
    complete. The folder also holds ``plan.json`` with the analysis's ``fingerprint``: an
    existing folder with another fingerprint belongs to another analysis and is refused
    (one-line error), never mixed in.

    Args:
        path: the final Parquet file.
        fingerprint: identifies what is being computed (same plan, same fingerprint).
    """

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = Path(path)
        self.directory = self.path.with_name(f"{self.path.name}.chunks")
        self.fingerprint = fingerprint
        plan = self.directory / PLAN
        if plan.exists():
            found = json.loads(plan.read_text()).get("fingerprint")
            if found != fingerprint:
                raise ConfigError(
                    "hydra.run.dir",
                    f"{self.directory} holds chunks of a different analysis; resume with the "
                    "same settings or use a new folder",
                )
            log.info("resuming: %d chunks already done in %s", len(self._ids()), self.directory)
        else:
            self.directory.mkdir(parents=True, exist_ok=True)
            atomic.write_json(plan, {"fingerprint": fingerprint})

    def _file(self, chunk_id: str) -> Path:
        if not _CHUNK_ID.fullmatch(chunk_id):
            raise ValueError(f"chunk id {chunk_id!r}: letters, digits, '_', '.', '-' only")
        return self.directory / f"{chunk_id}.parquet"

    def _ids(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.parquet"))

    def done(self, chunk_id: str) -> bool:
        """Whether ``chunk_id`` was recorded (by this process or an earlier one)."""
        return self._file(chunk_id).exists()

    def record(self, chunk_id: str, table: pa.Table) -> None:
        """Keep ``table`` as chunk ``chunk_id`` (atomically; replaces an earlier record)."""
        atomic.atomic_write(
            self._file(chunk_id), lambda tmp: pq.write_table(table, tmp, compression="zstd")
        )

    def finalize(self) -> pa.Table:
        """Every recorded chunk, in chunk-id order, written to ``path`` (atomically); the
        chunk folder is then removed. Returns the table."""
        ids = self._ids()
        if not ids:
            raise RuntimeError(f"no chunk recorded in {self.directory}")
        table = pa.concat_tables([pq.read_table(self._file(i)) for i in ids])
        atomic.atomic_write(self.path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
        shutil.rmtree(self.directory)
        log.info("%d chunks, %d rows -> %s", len(ids), table.num_rows, self.path)
        return table
