"""Output folders: each run gets its own, locked while in use, cleaned when abandoned.

- :func:`claim` creates a run folder exclusively (``os.mkdir``, never ``exist_ok``): two
  runs started in the same second get ``<time>`` and ``<time>_2``.
- :func:`hold` takes an exclusive ``flock`` on ``<folder>/.lock`` for the life of the
  process (released by the kernel even after SIGKILL); :func:`in_use` tells whether another
  process holds it.
- :func:`remove_abandoned` deletes temporary files (``*.tmp``, see
  :mod:`experiments.workflow.atomic`) left by interrupted runs in folders no process holds.
- :func:`job_folder` (behind the resolver ``sim_job_folder`` of ``hydra.sweep.subdir``,
  registered by :mod:`experiments.workflow.run`) gives a multirun job the folder of the
  same job in an earlier attempt of the sweep, or a fresh number: re-running a sweep (or
  only its failed overrides) never overwrites a finished job.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from experiments.workflow.errors import ConfigError, OneLineParser, reporting

log = logging.getLogger(__name__)

LOCK = ".lock"
TMP_SUFFIX = ".tmp"
_HELD: dict[Path, list[int]] = {}
"""Folders this process holds: folder -> [file descriptor of its lock file, hold count]."""


class FolderBusy(ConfigError):
    """The folder is held by another running process."""


# --------------------------------------------------------------------------- locks
def hold(folder: Path, key: str = "hydra.run.dir", wait_s: float = 10.0) -> Path:
    """Hold ``folder`` for this process (exclusive ``flock`` on its ``.lock``); holds nest
    (each :func:`hold` needs its :func:`release`).

    Waits up to ``wait_s`` seconds (a cleaner holds a lock for milliseconds), then raises
    :class:`FolderBusy` naming ``key``."""
    folder = Path(folder).resolve()
    if folder in _HELD:
        _HELD[folder][1] += 1
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                os.close(fd)
                raise FolderBusy(
                    key, f"{folder} is in use by another running process; wait or choose another"
                ) from None
            time.sleep(0.05)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    _HELD[folder] = [fd, 1]
    return folder


def release(folder: Path) -> None:
    """Release one hold of a folder held by this process (the lock file stays)."""
    folder = Path(folder).resolve()
    held = _HELD.get(folder)
    if held is None:
        return
    held[1] -= 1
    if held[1] == 0:
        del _HELD[folder]
        fcntl.flock(held[0], fcntl.LOCK_UN)
        os.close(held[0])


def in_use(folder: Path) -> bool:
    """Whether a process (this one included) holds ``folder``."""
    folder = Path(folder).resolve()
    if folder in _HELD:
        return True
    try:
        fd = os.open(folder / LOCK, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- claims
def writable(key: str, folder: Path, keep: bool = True) -> Path:
    """Create ``folder`` (and parents) if needed and check that files can be written there;
    one-line error naming ``key`` otherwise. ``keep=False``: remove the folders created
    (a check that leaves no trace)."""
    folder = Path(folder).absolute()
    created = [p for p in [folder, *folder.parents] if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}{TMP_SUFFIX}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            key, f"cannot write to {folder} ({exc.strerror}); choose a writable folder"
        ) from None
    finally:
        if not keep:
            for path in created:
                if path.is_dir():
                    path.rmdir()
    return folder


def claim(path: Path, key: str = "hydra.run.dir") -> Path:
    """Create a new folder exclusively: ``path``, else ``path_2``, ``path_3`` ..."""
    path = Path(path)
    writable(key, path.parent)
    for n in range(1, 10_000):
        candidate = path if n == 1 else path.with_name(f"{path.name}_{n}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
        except OSError as exc:
            raise ConfigError(key, f"cannot create {candidate} ({exc.strerror})") from None
    raise ConfigError(key, f"too many folders named {path.name}_N in {path.parent}")


# --------------------------------------------------------------------------- cleaning
MARKERS = (LOCK, "ledger.jsonl")
"""Files that make a folder one of our run folders (the clean command also accepts Hydra's
``.hydra`` folder, the mark of runs started before the ledger)."""


def run_dirs(root: Path, max_depth: int | None = None, hydra: bool = False) -> list[Path]:
    """Run folders under ``root`` (itself included), at most ``max_depth`` levels down."""
    root = Path(root)
    markers = set(MARKERS) | ({".hydra"} if hydra else set())
    found = []
    for current, dirs, files in os.walk(root):
        depth = len(Path(current).relative_to(root).parts)
        if markers & (set(files) | set(dirs)):
            found.append(Path(current))
        deeper = max_depth is None or depth < max_depth
        dirs[:] = [d for d in dirs if deeper and d not in (".hydra", ".parts")]
    return found


def abandoned_temporaries(
    root: Path, max_depth: int | None = None, hydra: bool = False
) -> list[Path]:
    """Temporary files in run folders under ``root`` that no process holds (neither the
    folder nor a folder above it, such as a multirun's sweep folder)."""
    root = Path(root).resolve()
    found: list[Path] = []
    for folder in run_dirs(root, max_depth, hydra):
        owners = [folder, *(p for p in folder.parents if p == root or root in p.parents)]
        if any(in_use(p) for p in owners):
            continue
        found.extend(p for p in folder.glob(f"*{TMP_SUFFIX}") if p.is_file())
        found.extend(p for p in (folder / ".parts").rglob(f"*{TMP_SUFFIX}") if p.is_file())
    return found


def remove_abandoned(
    root: Path, max_depth: int | None = None, hydra: bool = False
) -> tuple[int, int]:
    """Remove :func:`abandoned_temporaries` under ``root``; return (files, bytes)."""
    files = size = 0
    for tmp in abandoned_temporaries(root, max_depth, hydra):
        try:
            size += tmp.stat().st_size
            tmp.unlink()
            files += 1
        except FileNotFoundError:
            continue
    if files:
        log.info(
            "removed %d abandoned temporary files (%.1f MB) of interrupted runs under %s",
            files,
            size / 1e6,
            root,
        )
    return files, size


# --------------------------------------------------------------------------- multirun jobs
def _saved_overrides(folder: Path) -> list[str] | None:
    try:
        saved = yaml.safe_load((folder / ".hydra" / "overrides.yaml").read_text()) or []
    except (OSError, yaml.YAMLError):
        return None
    return [o for o in saved if not str(o).startswith("resume=")]


def job_folder(
    sweep_dir: str | Path, num: int, overrides: Sequence[str], same: Callable[[Path], bool]
) -> str:
    """The sub-folder of a multirun job: that of the same job in an earlier attempt of the
    sweep (same overrides, and ``same(folder)``: e.g. the same ledger key), else ``num`` if
    free, else the next free number; a new folder is created exclusively."""
    sweep = Path(str(sweep_dir))
    wanted = [str(o) for o in overrides if not str(o).startswith("resume=")]
    numbered = sorted(
        (int(p.name), p) for p in (sweep.iterdir() if sweep.is_dir() else []) if p.name.isdigit()
    )
    for _, folder in numbered:
        if _saved_overrides(folder) == wanted and same(folder):
            return folder.name
    sweep.mkdir(parents=True, exist_ok=True)
    candidates = [int(num), *range(max([n for n, _ in numbered], default=-1) + 1, 1_000_000)]
    for n in candidates:
        try:
            (sweep / str(n)).mkdir()
            return str(n)
        except FileExistsError:
            continue
    raise RuntimeError(f"no free job folder in {sweep}")


# --------------------------------------------------------------------------- clean command
def interrupted_runs(root: Path) -> list[Path]:
    """Run folders under ``root`` with a ledger but no manifest, that no process holds."""
    return [
        d
        for d in run_dirs(root)
        if (d / "ledger.jsonl").exists()
        and not (d / "manifest.json").exists()
        and not any(in_use(p) for p in [d, d.parent])
    ]


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


DEFAULT_RESULTS = (Path("outputs"), Path("multirun"))
"""The results folders ``clean`` looks in by default (relative to the working directory)."""
RESULTS_DEPTH = 3
"""How deep run folders sit in a results folder (``multirun/<experiment>/<time>/<job>``)."""


def check_results_folder(root: Path, default: bool = False) -> None:
    """``root`` is a results folder: a run folder or one holding run folders (within
    :data:`RESULTS_DEPTH` levels); a missing or empty default folder is allowed."""
    if default and (not root.exists() or (root.is_dir() and not any(root.iterdir()))):
        return
    if not root.is_dir() or not run_dirs(root, RESULTS_DEPTH, hydra=True):
        what = (
            f"no run folder, with ledger.jsonl or .hydra/, within {RESULTS_DEPTH} levels"
            if root.is_dir()
            else "not a folder"
        )
        raise ConfigError(
            "dirs",
            f"{root} is not a results folder ({what})",
            [str(p) for p in DEFAULT_RESULTS] + ["a run or sweep folder"],
        )


def clean_main(argv: Sequence[str] | None = None) -> None:
    """``python -m experiments.clean [DIR ...] [--interrupted]``."""
    import shutil

    parser = OneLineParser(
        prog="python -m experiments.clean",
        description="Remove temporary files that interrupted runs left behind (never those of "
        "a running process); list interrupted runs, which finish when run again.",
    )
    parser.add_argument("dirs", nargs="*", type=Path, default=[Path("outputs"), Path("multirun")])
    parser.add_argument(
        "--interrupted", action="store_true", help="also delete interrupted runs' folders"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with reporting():
        for root in args.dirs:
            check_results_folder(root, default=root in DEFAULT_RESULTS)
    total_files = total_bytes = 0
    for root in args.dirs:
        if not root.is_dir():
            continue
        files, size = remove_abandoned(root, hydra=True)
        total_files, total_bytes = total_files + files, total_bytes + size
        for folder in interrupted_runs(root):
            if args.interrupted:
                log.info("deleted interrupted run %s (%.1f MB)", folder, _size(folder) / 1e6)
                shutil.rmtree(folder)
            else:
                log.info(
                    "interrupted run %s (%.1f MB): run the same command again (or "
                    "resume=%s) to finish it, or --interrupted to delete it",
                    folder,
                    _size(folder) / 1e6,
                    folder,
                )
    log.info("removed %d abandoned temporary files (%.1f MB)", total_files, total_bytes / 1e6)
