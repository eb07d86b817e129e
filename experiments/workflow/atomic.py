"""The one way files are written: under a temporary name in the same folder, renamed
(``os.replace``) when complete, removed on error. A reader never sees a half-written file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def temporary_path(path: Path) -> Path:
    """The temporary name of ``path`` while it is written: ``<name>.tmp`` beside it."""
    return path.with_name(f"{path.name}.tmp")


@contextmanager
def pending(path: Path) -> Iterator[Path]:
    """Yield the temporary path to write; on success rename it to ``path``, on error
    remove it. Several ``pending`` files in one ``ExitStack`` are published together."""
    path = Path(path)
    tmp = temporary_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` to write the temporary file, then publish it as ``path``."""
    with pending(path) as tmp:
        write(tmp)
    return Path(path)


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text))


def write_json(path: Path, payload: Any, **dumps: Any) -> Path:
    """Write ``payload`` as indented JSON (trailing newline) to ``path`` atomically."""
    return write_text(path, json.dumps(payload, indent=2, **dumps) + "\n")
