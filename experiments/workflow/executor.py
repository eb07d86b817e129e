"""Where a run's chunks are computed: here (``executor=local``) or on Dask (``executor=dask``).

Both take the same :class:`~experiments.workflow.tasks.ChunkTask` list and hand each
chunk's tables to ``on_done`` in this process, which records them in the ledger; chunks
may finish in any order (the ledger publishes in plan order, so tables are identical).

- ``local``: ``workers`` threads (the compiled kernel releases the GIL).
- ``dask``: tasks on ``dask.distributed``: an embedded ``LocalCluster`` of
  ``dask.n_workers`` processes by default, the scheduler at ``dask.address`` if given, or a
  ``dask_jobqueue.SLURMCluster`` with ``dask.cluster=slurm`` (``conf/dask/slurm.yaml``).

At most a few chunks per worker are in flight, so memory stays bounded by chunks. On the
first failure no new chunk is started; chunks already running are still recorded, the
failure is reported to ``on_failed`` and re-raised.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

import pyarrow as pa

from experiments.workflow.tasks import ChunkTask, compute

log = logging.getLogger(__name__)


def release_memory() -> None:
    """Return freed heap memory to the system (glibc ``malloc_trim``; a no-op elsewhere):
    called once per recorded chunk, so worker threads' arenas do not keep a chunk's peak."""
    if _LIBC:
        _LIBC[0].malloc_trim(0)


def _libc() -> list[Any]:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018  (glibc only)
        return [libc]
    except (OSError, AttributeError):
        return []


_LIBC = _libc()
OnDone = Callable[[str, dict[str, pa.Table]], None]
OnFailed = Callable[[str, BaseException], None]
IN_FLIGHT_PER_WORKER = 2


def run_local(
    tasks: Sequence[tuple[str, ChunkTask]], workers: int, on_done: OnDone, on_failed: OnFailed
) -> None:
    """Compute ``tasks`` (id, task) on ``workers`` threads of this process."""
    if workers == 1:
        for chunk_id, task in tasks:
            try:
                tables = compute(task)
            except Exception as exc:
                on_failed(chunk_id, exc)
                raise
            on_done(chunk_id, tables)
            del tables
            release_memory()
        return
    queue = list(tasks)[::-1]
    error: BaseException | None = None
    with ThreadPoolExecutor(max_workers=workers) as pool:
        running: dict[Future, str] = {}
        while queue or running:
            while queue and error is None and len(running) < workers * IN_FLIGHT_PER_WORKER:
                chunk_id, task = queue.pop()
                running[pool.submit(compute, task)] = chunk_id
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                chunk_id = running.pop(future)
                exc = future.exception()
                if exc is not None:
                    on_failed(chunk_id, exc)
                    error = error or exc
                else:
                    on_done(chunk_id, future.result())
                del future
                release_memory()
    if error is not None:
        raise error


def check_dask(settings: Any) -> None:
    """Refuse (one line) a SLURM cluster where jobs cannot be submitted: no ``sbatch``."""
    import shutil

    from experiments.workflow.errors import ConfigError

    if settings.address or not _is_slurm(settings):
        return
    if shutil.which("sbatch") is None:
        raise ConfigError(
            "dask",
            "dask=slurm submits SLURM jobs but 'sbatch' is not on PATH here: run it on a "
            "SLURM login node, or use dask=local or dask.address=tcp://host:8786",
        )


def _is_slurm(settings: Any) -> bool:
    from experiments.workflow.schema import DaskCluster

    return DaskCluster(getattr(settings.cluster, "value", settings.cluster)) is DaskCluster.slurm


def make_cluster(settings: Any) -> Any:
    """The Dask cluster of ``settings`` (``None`` with ``dask.address``), not yet scaled: a
    ``dask_jobqueue.SLURMCluster`` for ``dask.cluster=slurm``, else an embedded
    ``LocalCluster``."""
    if settings.address:
        return None
    if _is_slurm(settings):
        from dask_jobqueue import SLURMCluster

        return SLURMCluster(**dict(settings.jobqueue))
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=settings.n_workers,
        threads_per_worker=settings.threads_per_worker,
        processes=True,
        dashboard_address=":8787" if settings.dashboard else None,
    )


@contextmanager
def dask_client(settings: Any) -> Iterator[Any]:
    """A ``distributed.Client`` for ``settings`` (the ``dask`` config node), closed after."""
    from distributed import Client

    for name in ("distributed", "distributed.worker", "distributed.scheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)
    check_dask(settings)
    cluster = make_cluster(settings)
    if cluster is None:
        client = Client(settings.address)
        log.info("dask: connected to %s", settings.address)
    elif _is_slurm(settings):
        cluster.scale(jobs=settings.jobs)
        client = Client(cluster)
        log.info("dask: SLURM cluster of %d jobs (%s)", settings.jobs, cluster.dashboard_link)
    else:
        client = Client(cluster)
        log.info(
            "dask: local cluster of %d worker processes x %d threads",
            settings.n_workers,
            settings.threads_per_worker,
        )
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_dask(
    tasks: Sequence[tuple[str, ChunkTask]],
    settings: Any,
    run_key: str,
    on_done: OnDone,
    on_failed: OnFailed,
) -> None:
    """Compute ``tasks`` as Dask tasks (one per chunk), a few per worker thread in flight."""
    from distributed import as_completed

    with dask_client(settings) as client:
        threads = max(1, sum(client.nthreads().values()))
        limit = threads * IN_FLIGHT_PER_WORKER
        queue = list(tasks)[::-1]
        ids: dict[str, str] = {}
        error: BaseException | None = None

        def submit() -> Any:
            chunk_id, task = queue.pop()
            future = client.submit(
                compute, task, key=f"chunk-{run_key[:12]}-{chunk_id}", pure=False
            )
            ids[future.key] = chunk_id
            return future

        pending = as_completed([submit() for _ in range(min(limit, len(queue)))])
        for future in pending:
            chunk_id = ids.pop(future.key)
            if future.status == "error":
                exc = future.exception()
                on_failed(chunk_id, exc)
                error = error or exc
            else:
                on_done(chunk_id, future.result())
            future.release()
            if queue and error is None:
                pending.add(submit())
        if error is not None:
            raise error
