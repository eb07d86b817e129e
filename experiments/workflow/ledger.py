"""The run ledger: chunked work that survives interruption and never mixes two runs.

A ledger lives in one folder and is keyed by a content hash of what is computed
(:func:`content_key` of the resolved config, the code and the input files). Work is a
*plan*: chunks with ids, in a fixed order. Each finished chunk's tables are written as
Arrow IPC parts (``.parts/<table>/<chunk id>.arrow``, lz4, atomically: neither encoded nor
decoded, so the published Parquet file is the one Parquet encoding), then one ``done`` line is
appended to ``ledger.jsonl``; a failure appends a ``failed`` line with its error.
Re-opening the folder with the same key skips every chunk already done whose parts still
hold the bytes recorded (SHA-256 in its ``done`` line; a missing or damaged part is
recomputed); another key is refused. :meth:`Ledger.finalize` publishes one Parquet file
per table, its parts concatenated in plan order (or folded by a reducer), so the
published files do not depend on interruptions, on the order in which chunks finished, or
on the executor. The
``finalized`` line records each published file's SHA-256: :meth:`Ledger.damaged` names the
files that no longer match, and :meth:`Ledger.invalidate` starts the computation afresh in
the same folder (an ``invalidated`` line voids every earlier event but the key).

    plan = [Chunk(f"{i:05d}", {"seeds": [lo, hi]}) for i, (lo, hi) in enumerate(ranges)]
    with Ledger.open(folder, content_key(config), plan) as ledger:
        for chunk in ledger.pending():          # plan order, finished chunks skipped
            try:
                ledger.record(chunk.id, {"summary": compute(chunk)})
            except Exception as exc:
                ledger.fail(chunk.id, exc)
                raise
        files = ledger.finalize({"summary": folder / "summary.parquet"})

The folder is held (``flock``, see :mod:`experiments.workflow.folders`) while the ledger is
open, so two processes never write one ledger; a process killed with SIGKILL releases it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from experiments.workflow import atomic, folders
from experiments.workflow.errors import ConfigError

log = logging.getLogger(__name__)

LEDGER = "ledger.jsonl"
PARTS = ".parts"
PART_SUFFIX = ".arrow"
"""A part is an Arrow IPC file (buffers lz4-compressed where available)."""
_IPC = pa.ipc.IpcWriteOptions(compression="lz4" if pa.Codec.is_available("lz4") else None)
Reducer = Callable[[Iterator[pa.Table]], pa.Table]
"""Folds the parts of one table, in plan order, into the published table."""


def content_key(*values: Any) -> str:
    """SHA-256 of ``values`` as canonical JSON (sorted keys; other types via ``str``)."""
    text = json.dumps(values, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Chunk:
    """One unit of work: ``id`` (letters, digits, ``-_.``), ``spec`` (JSON-able, for humans
    and for the code that computes it)."""

    id: str
    spec: Mapping[str, Any] = field(default_factory=dict)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def read_events(folder: Path) -> list[dict[str, Any]]:
    """The events of ``folder``'s ledger, oldest first (a line cut short by a kill is
    skipped)."""
    path = Path(folder) / LEDGER
    if not path.exists():
        return []
    events = []
    for line in path.read_text().splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            log.debug("skipping a truncated ledger line in %s", path)
    return events


def ledger_key(folder: Path) -> str | None:
    """The key of ``folder``'s ledger, or None without one (reads its first line only)."""
    path = Path(folder) / LEDGER
    try:
        with open(path) as fh:
            return json.loads(fh.readline()).get("key")
    except (OSError, json.JSONDecodeError):
        return None


def is_finalized(folder: Path) -> bool:
    """Whether ``folder``'s ledger published its tables (and did not void them since)."""
    return published_files(folder) is not None


def published_files(folder: Path) -> dict[str, dict[str, Any]] | None:
    """Name -> ``{"rows", "sha256"}`` of the files the ledger last published, or None if it
    did not publish (or voided the publication since, with an ``invalidated`` line)."""
    files: dict[str, dict[str, Any]] | None = None
    for e in read_events(folder):
        if e.get("event") == "finalized":
            files = e.get("files") or {}
        elif e.get("event") == "invalidated":
            files = None
    return files


def damaged_files(folder: Path) -> list[Path]:
    """Published files of ``folder`` that are missing or whose SHA-256 differs from the one
    the ledger recorded when it published them."""
    folder = Path(folder)
    out = []
    for name, record in (published_files(folder) or {}).items():
        path = folder / name
        if not path.is_file() or file_sha256(path) != record.get("sha256"):
            out.append(path)
    return out


def check_folder(
    folder: Path, key: str, key_name: str = "hydra.run.dir", found: str | None = None
) -> None:
    """Refuse ``folder`` for ``key`` if it holds another computation: a ledger with another
    key (``found``, read from the folder if not given) or results without a ledger.
    Raises :class:`~experiments.workflow.errors.ConfigError` naming ``key_name``."""
    folder = Path(folder)
    found = found if found is not None else ledger_key(folder)
    if found is not None and found != key:
        raise ConfigError(
            key_name,
            f"{folder} holds the results of another configuration (ledger key "
            f"{found[:12]} != {key[:12]}); choose a new folder",
        )
    if found is None and any(folder.glob("*.parquet")):
        raise ConfigError(
            key_name, f"{folder} already holds results without a ledger; choose a new folder"
        )


class Ledger:
    """Chunks of one computation in one folder; see the module docstring.

    Use :meth:`open`; the instance holds the folder until :meth:`close` (or the end of a
    ``with`` block)."""

    def __init__(
        self, folder: Path, key: str, plan: Sequence[Chunk], events: list[dict[str, Any]]
    ) -> None:
        self.folder = Path(folder)
        self.key = key
        self.plan = list(plan)
        self._index = {c.id: i for i, c in enumerate(self.plan)}
        if len(self._index) != len(self.plan):
            raise ValueError("ledger plan: chunk ids must be unique")
        self._done: dict[str, dict[str, Any]] = {}
        self._failed: dict[str, str] = {}
        self._write_lock = threading.Lock()
        self.finalized = False
        for e in events:
            kind, chunk = e.get("event"), e.get("chunk")
            if kind == "done":
                self._done[chunk] = e
                self._failed.pop(chunk, None)
            elif kind == "failed":
                self._failed[chunk] = e.get("error", "")
            elif kind == "finalized":
                self.finalized = True
            elif kind == "invalidated":
                self._done, self._failed, self.finalized = {}, {}, False

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls,
        folder: Path,
        key: str,
        plan: Sequence[Chunk],
        meta: Mapping[str, Any] | None = None,
        key_name: str = "hydra.run.dir",
    ) -> Ledger:
        """Hold ``folder`` and open (or resume) its ledger for ``key``.

        Raises :class:`~experiments.workflow.errors.ConfigError` naming ``key_name`` if the
        folder holds another computation (a ledger with another key, or finished results
        without a ledger) or another process holds it."""
        folder = Path(folder)
        folders.hold(folder, key_name)
        try:
            events = read_events(folder)
            check_folder(folder, key, key_name, events[0].get("key") if events else None)
            ledger = cls(folder, key, plan, events)
            ledger._clean_parts()
            ledger._check_parts()
            ledger._append(
                {
                    "event": "open",
                    "key": key,
                    "pid": os.getpid(),
                    "meta": dict(meta or {}),
                    "plan": [[c.id, dict(c.spec)] for c in ledger.plan],
                }
            )
        except BaseException:
            folders.release(folder)
            raise
        if ledger._done and not ledger.finalized:
            log.info(
                "resuming %s: %d of %d chunks already done",
                folder,
                sum(1 for c in ledger.plan if c.id in ledger._done),
                len(ledger.plan),
            )
        return ledger

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the folder."""
        folders.release(self.folder)

    # ------------------------------------------------------------------ state
    def done(self, chunk_id: str) -> bool:
        """Whether chunk ``chunk_id`` was recorded (by this process or an earlier one)."""
        return chunk_id in self._done

    def pending(self) -> list[Chunk]:
        """The planned chunks not done yet, in plan order."""
        return [c for c in self.plan if c.id not in self._done]

    def failures(self) -> dict[str, str]:
        """Chunk id -> error, for chunks whose last attempt failed."""
        return dict(self._failed)

    def records(self) -> Counter[str]:
        """How many times each chunk was recorded over the folder's whole history."""
        return Counter(e["chunk"] for e in read_events(self.folder) if e.get("event") == "done")

    # ------------------------------------------------------------------ writing
    def _append(self, event: Mapping[str, Any]) -> None:
        line = json.dumps({**event, "time": _now()}, default=str, separators=(",", ":"))
        with self._write_lock:
            fd = os.open(self.folder / LEDGER, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, (line + "\n").encode())
                os.fsync(fd)
            finally:
                os.close(fd)

    def _part(self, table: str, chunk_id: str) -> Path:
        return self.folder / PARTS / table / f"{chunk_id}{PART_SUFFIX}"

    def _clean_parts(self) -> None:
        """Remove temporary part files of an interrupted attempt (and all parts if the
        ledger was finalized)."""
        parts = self.folder / PARTS
        if self.finalized:
            shutil.rmtree(parts, ignore_errors=True)
        elif parts.is_dir():
            for tmp in parts.rglob(f"*{folders.TMP_SUFFIX}"):
                tmp.unlink(missing_ok=True)

    def _check_parts(self) -> None:
        """Forget done chunks whose parts are missing or differ from the SHA-256 recorded
        (they are recomputed); parts recorded without a hash must at least exist."""
        if self.finalized:
            return
        damaged = []
        for chunk_id, event in list(self._done.items()):
            hashes = event.get("sha256") or {}
            for name in event.get("rows") or {}:
                path = self._part(name, chunk_id)
                expected = hashes.get(name)
                if not path.is_file() or (expected and file_sha256(path) != expected):
                    damaged.append(path)
                    del self._done[chunk_id]
                    break
        if damaged:
            log.warning(
                "%d finished chunks have a missing or damaged part (first %s): recomputing them",
                len(damaged),
                damaged[0],
            )

    def damaged(self) -> list[Path]:
        """Published files whose bytes differ from the SHA-256 the ledger recorded (or that
        are missing); empty if the ledger is not finalized."""
        if not self.finalized:
            return []
        return damaged_files(self.folder)

    def invalidate(self, reason: str) -> None:
        """Void every chunk and the publication: the computation starts afresh here."""
        self._append({"event": "invalidated", "reason": reason})
        self._done, self._failed, self.finalized = {}, {}, False
        shutil.rmtree(self.folder / PARTS, ignore_errors=True)

    def record(
        self,
        chunk_id: str,
        tables: Mapping[str, pa.Table],
        info: Mapping[str, Any] | None = None,
    ) -> None:
        """Keep ``tables`` (name -> table) as chunk ``chunk_id``'s parts, then mark it done
        (``info`` is stored in its ``done`` line)."""
        if chunk_id not in self._index:
            raise KeyError(f"chunk {chunk_id!r} is not in the plan")
        hashes = {}
        for name, table in tables.items():
            path = self._part(name, chunk_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            data = _ipc_bytes(table)
            atomic.atomic_write(path, lambda tmp, d=data: tmp.write_bytes(memoryview(d)))
            hashes[name] = hashlib.sha256(memoryview(data)).hexdigest()
        event = {
            "event": "done",
            "chunk": chunk_id,
            "rows": {name: t.num_rows for name, t in tables.items()},
            "sha256": hashes,
            **({"info": dict(info)} if info else {}),
        }
        self._append(event)
        self._done[chunk_id] = event
        self._failed.pop(chunk_id, None)

    def fail(self, chunk_id: str, error: BaseException | str) -> None:
        """Record that chunk ``chunk_id`` failed with ``error``."""
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self._append({"event": "failed", "chunk": chunk_id, "error": text})
        self._failed[chunk_id] = text

    def parts(self, table: str) -> Iterator[pa.Table]:
        """The parts of ``table`` in plan order (chunks that have one)."""
        for chunk in self.plan:
            path = self._part(table, chunk.id)
            if path.exists():
                yield _read_part(path)

    def finalize(
        self, outputs: Mapping[str, Path], reducers: Mapping[str, Reducer] | None = None
    ) -> dict[str, dict[str, Any]]:
        """Publish each table of ``outputs`` (name -> final path) from its parts, in plan
        order: concatenated, or folded by ``reducers[name]``, on two threads (one file each:
        the bytes do not depend on it). Files are published together (temporary names, then
        renamed); tables without parts are skipped. Returns name -> ``{"rows", "sha256"}``;
        the parts are removed afterwards."""
        missing = self.pending()
        if missing:
            raise RuntimeError(f"finalize: {len(missing)} chunks not done (first {missing[0].id})")
        reducers = reducers or {}

        def publish(name: str, tmp: Path) -> int:
            if name in reducers:
                table = reducers[name](self.parts(name))
                pq.write_table(table, tmp, compression="zstd")
                return int(table.num_rows)
            return _concatenate(self.parts(name), tmp)

        written: dict[str, dict[str, Any]] = {}
        with ExitStack() as stack:
            pending = {
                name: (Path(path), stack.enter_context(atomic.pending(Path(path))))
                for name, path in outputs.items()
                if any(self._part(name, c.id).exists() for c in self.plan)
            }
            with ThreadPoolExecutor(max_workers=2) as pool:
                rows = {name: pool.submit(publish, name, tmp) for name, (_, tmp) in pending.items()}
                for name, (path, _) in pending.items():
                    written[name] = {"rows": rows[name].result(), "path": path}
        files = {
            name: {"rows": w["rows"], "sha256": file_sha256(w["path"])}
            for name, w in written.items()
        }
        self._append({"event": "finalized", "files": files})
        self.finalized = True
        shutil.rmtree(self.folder / PARTS, ignore_errors=True)
        return files


def _ipc_bytes(table: pa.Table) -> pa.Buffer:
    """``table`` as the bytes of an Arrow IPC file."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema, options=_IPC) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _read_part(path: Path) -> pa.Table:
    """A part written by :meth:`Ledger.record`."""
    with pa.OSFile(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


ROW_GROUP = 10_000
"""Rows per row group of a published table (the last may hold fewer): fixed, so the file's
bytes do not depend on how the rows were split into chunks."""


def _reencode(table: pa.Table) -> pa.Table:
    """Dictionary columns re-encoded from their values (entries in order of first
    appearance), so a row group's dictionaries do not depend on the parts it came from."""
    for i, f in enumerate(table.schema):
        if pa.types.is_dictionary(f.type):
            column = table.column(i).cast(f.type.value_type).combine_chunks().dictionary_encode()
            table = table.set_column(i, f.name, column.cast(f.type))
    return table


def _concatenate(parts: Iterable[pa.Table], path: Path) -> int:
    """Stream ``parts`` into one Parquet file at ``path`` in row groups of exactly
    :data:`ROW_GROUP` rows (the last one shorter); return its row count."""
    writer: pq.ParquetWriter | None = None
    rows = 0
    batch: list[pa.Table] = []
    held = 0

    def write(table: pa.Table) -> None:
        nonlocal writer
        for start in range(0, max(table.num_rows, 1), ROW_GROUP):
            group = _reencode(table.slice(start, ROW_GROUP).combine_chunks())
            if writer is None:
                writer = pq.ParquetWriter(path, group.schema, compression="zstd")
            writer.write_table(group, row_group_size=ROW_GROUP)

    try:
        for table in parts:
            batch.append(table)
            rows += table.num_rows
            held += table.num_rows
            if held >= ROW_GROUP:
                whole = pa.concat_tables(batch)
                cut = held - held % ROW_GROUP
                write(whole.slice(0, cut))
                batch, held = [whole.slice(cut)], held - cut
        if held or writer is None:
            write(pa.concat_tables(batch))
    finally:
        if writer is not None:
            writer.close()
    return rows
