"""Counter-based random numbers: every draw is a pure function of (seed, stream, step, index).

Each run owns a 64-bit key derived from its seed. The uniform number for stream ``s``,
step ``t`` and index ``i`` (a country, or an attribute row for prior draws) is
``splitmix64(key + GOLDEN * counter)`` mapped to ``[0, 1)``, with ``counter = (s * 2**24 +
t) * 2**8 + i % 2**8 + (i // 2**8) * 2**40``: for the first 256 countries the last term is
0 (the layout of the first kernels, so their numbers are unchanged), and each further block
of 256 countries has its own range of counters above ``2**40`` (distinct while ``s <
2**8``). A run
therefore sees the same numbers whether it is simulated alone (the Mesa model), in a
batch of a million, in any chunk, on any worker: this is what makes the drivers
bit-identical. SplitMix64 (Steele, Lea & Flood 2014) seeds Java's ``SplittableRandom``
and the xoshiro family; counter-based use follows Salmon et al. (2011).

Replicate seeds derive from the root seed and the replicate index only (never from the
strategy), so strategies in one experiment are compared on common random numbers.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.numerics import MASK64, rule, u64

GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_SEED_SALT = 0xD1B54A32D192ED03
_TWO_M53 = 2.0**-53

MAX_STEPS = 2**24
COUNTRY_BLOCK = 2**8
"""Countries numbered within a block of the counter (``i % COUNTRY_BLOCK``)."""
BLOCK_STRIDE = 2**40
"""Counter offset of each further block of countries (above every in-block counter)."""
MAX_COUNTRIES = 2**16
"""Countries a run may simulate: the counter layout allows 2**32; this limit keeps the
``(N, N)`` tie matrix of the peer signal below 35 GB."""
MAX_SEED = 2**63 - 1

# Streams, in the documented order of the ODD ("Submodels: random numbers").
STREAM_PRIORS = 0  # per-replicate draws of uncertain attributes (step = attribute row)
STREAM_THRESHOLD = 1  # per-country sanction threshold offsets
STREAM_INITIAL = 2  # initial stance spread
STREAM_SHOCK = 3  # weekly stance shocks
STREAM_BACKSLIDE = 4  # weekly backsliding hazard
STREAM_MATERIAL = 5  # weekly material-track shocks


@rule
def mix64(z):  # noqa: ANN001, ANN201
    """SplitMix64's finaliser of a 64-bit integer."""
    z = z ^ (z >> u64(30))
    z = (z * u64(_M1)) & u64(MASK64)
    z = z ^ (z >> u64(27))
    z = (z * u64(_M2)) & u64(MASK64)
    return z ^ (z >> u64(31))


@rule
def run_key(seed):  # noqa: ANN001, ANN201
    """The 64-bit key of a run from its non-negative seed."""
    return mix64(u64(seed) ^ u64(_SEED_SALT))


@rule
def uniform(key, stream, step, index):  # noqa: ANN001, ANN201
    """The uniform number in ``[0, 1)`` of a run for one stream, step and index."""
    block, within = divmod(index, COUNTRY_BLOCK)  # block 0 for the first 256 countries
    counter = (u64(stream) * u64(MAX_STEPS) + u64(step)) * u64(COUNTRY_BLOCK) + u64(within)
    counter = counter + u64(block) * u64(BLOCK_STRIDE)
    z = mix64((u64(key) + u64(GOLDEN) * counter) & u64(MASK64))
    return float(z >> u64(11)) * _TWO_M53


@rule
def centred_shock(u):  # noqa: ANN001, ANN201
    """A uniform mapped to a zero-mean, unit-variance bounded shock: ``sqrt(3) (2u - 1)``."""
    return (2.0 * u - 1.0) * 1.7320508075688772


@njit(cache=True)
def _keys(seeds: np.ndarray) -> np.ndarray:
    out = np.empty(seeds.shape[0], np.uint64)
    for r in range(seeds.shape[0]):
        out[r] = run_key(seeds[r])
    return out


@njit(cache=True)
def _uniforms(keys: np.ndarray, stream: int, step: int, n: int) -> np.ndarray:
    out = np.empty((keys.shape[0], n))
    for r in range(keys.shape[0]):
        for i in range(n):
            out[r, i] = uniform(keys[r], stream, step, i)
    return out


@njit(cache=True)
def _replicates(root: np.uint64, start: int, n: int) -> np.ndarray:
    out = np.empty(n, np.int64)
    for j in range(n):
        z = mix64((root + u64(GOLDEN) * u64(start + j + 1)) & u64(MASK64))
        out[j] = np.int64(z >> u64(1))
    return out


def _check_seeds(seeds: np.ndarray) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(seeds))
    if arr.size and (arr.dtype.kind not in "iu" or arr.min() < 0 or arr.max() > MAX_SEED):
        raise ValueError(f"seed: must be an integer in [0, 2**63 - 1], got {arr.tolist()[:3]}")
    return arr.astype(np.int64)


def run_keys(seeds: np.ndarray | list[int] | int) -> np.ndarray:
    """64-bit keys, one per run, from non-negative integer seeds (shape ``(R,)``)."""
    return _keys(_check_seeds(np.asarray(seeds)))


def uniforms(keys: np.ndarray, stream: int, step: int, n: int) -> np.ndarray:
    """Uniform numbers of shape ``(R, n)`` for one stream and step (:func:`uniform`)."""
    if not 0 <= step < MAX_STEPS or not 0 < n <= MAX_COUNTRIES:
        raise ValueError(f"rng.uniforms: step {step} or n {n} out of range")
    return _uniforms(np.asarray(keys, dtype=np.uint64), stream, step, n)


def replicate_seeds(root_seed: int, n: int, start: int = 0) -> np.ndarray:
    """Seeds for replicates ``start .. start + n - 1`` of an experiment (63-bit, int64)."""
    if isinstance(root_seed, bool) or not 0 <= int(root_seed) <= MAX_SEED:
        raise ValueError(f"seed: must be an integer in [0, 2**63 - 1], got {root_seed}")
    if n < 0:
        raise ValueError(f"n_seeds: must be non-negative, got {n}")
    return _replicates(np.uint64(run_key(int(root_seed))), int(start), int(n))
