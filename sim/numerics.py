"""Numeric plumbing shared by the rules and the drivers; no model content lives here.

- :func:`rule` marks a model equation: a plain Python function when called from Python
  (the Mesa model), compiled into the ensemble kernel when called from it (numba's
  ``register_jitable``). Both drivers therefore run the same source, and numba compiles
  without fast-math, so every float operation rounds the same way: bit-identical runs.
- :func:`u64` makes 64-bit unsigned arithmetic behave alike in both (Python ints are
  masked; numba uses ``uint64``), for the counter-based random numbers.
- :func:`pairwise_sum` adds an array in NumPy's pairwise order, so that sums in the
  kernel equal ``ndarray.sum`` of the same numbers.
- :func:`jit_cache_dir` keys numba's on-disk cache by a hash of the ``sim`` source files
  compiled code is built from (:func:`compiled_sources`): numba only checks the file of
  the compiled function itself, so an edited rule would otherwise run stale compiled code.
- :func:`generate_rule` writes the few rules that only repeat a declared list (a record
  built field by field, the dispatch over registered strategies).
"""

from __future__ import annotations

import ast
import hashlib
import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numba.extending import overload, register_jitable

log = logging.getLogger(__name__)

rule = register_jitable
"""Decorator for a model equation: plain Python from Python, compiled inside the kernel."""


def hot_rule(fn: Any) -> Any:
    """A :func:`rule` that numba inlines into its caller (a phase of the week, or a rule a
    phase calls once per country): the compiled week runs without calls, and arguments
    such as the world's arrays are not passed through the stack every week."""
    return register_jitable(inline="always")(fn)


MASK64 = 0xFFFFFFFFFFFFFFFF


def u64(x: int) -> int:
    """``x`` as an unsigned 64-bit integer (a masked Python int; ``uint64`` when compiled)."""
    return int(x) & MASK64


@overload(u64)
def _u64_compiled(x):  # noqa: ANN001, ANN202 (numba typing hook)
    return lambda x: np.uint64(x)


PAIRWISE_BLOCK = 128
"""NumPy adds up to this many contiguous elements with eight partial sums."""


_BLOCK_SUM = [
    "if n < 8:",
    "    total = 0.0",
    "    for i in range(start, start + n):",
    "        total += X[i]",
    "    return total",
    *(f"r{j} = X[start + {j}]" for j in range(8)),
    "tail = n - n % 8",
    "for i in range(start + 8, start + tail, 8):",
    *(f"    r{j} += X[i + {j}]" for j in range(8)),
    "total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))",
    "for i in range(start + tail, start + n):",
    "    total += X[i]",
    "return total",
]
"""NumPy's sum of up to 128 contiguous elements (``X[i]`` is element ``i``): in order
below 8, else eight partial sums combined pairwise, then the tail in order."""


def _block_sum_rule(name: str, args: str, element: str) -> Any:
    return generate_rule(name, args, [line.replace("X[", element) for line in _BLOCK_SUM], {})


@rule
def pairwise_sum(x, start, n):  # noqa: ANN001, ANN201
    """Sum of ``x[start:start + n]`` in NumPy's pairwise order (bit-identical to
    ``x[start:start + n].sum()`` for a contiguous float64 array).

    Above 128 elements NumPy splits the range in two (the first half a multiple of 8)
    and adds the halves' sums; the recursion is unrolled here with an explicit stack.
    """
    if n <= PAIRWISE_BLOCK:
        return block_sum(x, start, n)
    frame_start = np.empty(64, np.int64)
    frame_n = np.empty(64, np.int64)
    frame_left = np.empty(64)
    frame_right_pending = np.zeros(64, np.bool_)
    depth = 0
    frame_start[0] = start
    frame_n[0] = n
    while True:
        s, m = frame_start[depth], frame_n[depth]
        while m > PAIRWISE_BLOCK:  # descend to the leftmost block
            frame_right_pending[depth] = False
            depth += 1
            half = m // 2
            half -= half % 8
            frame_start[depth], frame_n[depth] = s, half
            m = half
        value = block_sum(x, s, m)
        depth -= 1
        while depth >= 0:  # climb: a finished left half starts its right half
            if not frame_right_pending[depth]:
                half = frame_n[depth] // 2
                half -= half % 8
                frame_left[depth] = value
                frame_right_pending[depth] = True
                frame_start[depth + 1] = frame_start[depth] + half
                frame_n[depth + 1] = frame_n[depth] - half
                depth += 1
                break
            value = frame_left[depth] + value
            depth -= 1
        if depth < 0:
            return value


COMPILED_ROOT = "kernel"
"""The module whose compiled functions import, directly or not, every compiled rule."""


def _sim_imports(module: str) -> set[str]:
    """The ``sim`` modules that ``sim/<module>.py`` imports (read from its source)."""
    folder = Path(__file__).parent
    found: set[str] = set()
    for node in ast.walk(ast.parse((folder / f"{module}.py").read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "sim":
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("sim."))
    return {m for m in found if (folder / f"{m}.py").is_file()}


def compiled_sources() -> list[Path]:
    """The ``sim`` files compiled code is built from: ``sim/kernel.py`` and every ``sim``
    module it imports, directly or not (a rule can only reach the kernel by an import).
    Every ``@njit`` function of the package lives in one of them."""
    seen, todo = {COMPILED_ROOT}, [COMPILED_ROOT]
    while todo:
        for module in _sim_imports(todo.pop()) - seen:
            seen.add(module)
            todo.append(module)
    return sorted(Path(__file__).parent / f"{m}.py" for m in seen)


def sim_source_hash() -> str:
    """SHA-256 (first 16 hex digits) of the :func:`compiled_sources`, in name order: an
    edit elsewhere in ``sim`` (the Mesa model, the vote rule) keeps the compiled kernel."""
    digest = hashlib.sha256()
    for path in compiled_sources():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def jit_cache_dir() -> Path:
    """Where compiled kernels are cached: ``$SIM_JIT_CACHE`` or ``sim/__pycache__``, in a
    subfolder named by :func:`sim_source_hash` (a changed rule compiles afresh)."""
    base = os.environ.get("SIM_JIT_CACHE")
    root = Path(base) if base else Path(__file__).parent / "__pycache__"
    return root / f"numba-{sim_source_hash()}"


def configure_jit_cache() -> Path:
    """Point numba's cache at :func:`jit_cache_dir` (before any cached function is defined)."""
    from numba.core import config

    path = jit_cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob("numba-*"):  # caches of earlier sources
            if stale != path:
                shutil.rmtree(stale, ignore_errors=True)
    except OSError:  # read-only install: numba falls back to compiling in memory
        log.debug("jit cache folder %s is not writable", path)
    config.CACHE_DIR = str(path)
    return path


def generate_rule(name: str, args: str, body: Sequence[str], env: dict[str, Any]) -> Any:
    """A :func:`rule` ``name(args)`` with the given body lines, written from declared lists
    (e.g. a record built field by field, or a dispatch over the strategy registry), so that
    numba sees fixed names and adding a field or a strategy stays one declaration."""
    source = f"def {name}({args}):\n" + "".join(f"    {line}\n" for line in body)
    namespace = dict(env)
    exec(compile(source, f"<sim.numerics.{name}>", "exec"), namespace)  # noqa: S102
    return rule(namespace[name])


block_sum = _block_sum_rule("block_sum", "x, start, n", "x[")
"""``x[start:start + n].sum()`` of a contiguous float64 array, bit for bit (n <= 128)."""

row_sum = _block_sum_rule("row_sum", "x, row, start, n", "x[row, ")
"""``x[row, start:start + n].sum()`` of a C-contiguous 2-D float64 array, bit for bit
(n <= 128), without making a view of the row."""
