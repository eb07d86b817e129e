"""Counter-based random numbers: every draw is a pure function of (seed, stream, step, country).

Each run owns a 64-bit key derived from its seed. A uniform number for stream ``s``, step
``t`` and country ``i`` is ``splitmix64(key + GOLDEN * index(s, t, i))`` mapped to
``[0, 1)``, where ``index = (s * 2**24 + t) * 2**8 + i``. The same run therefore sees the
same numbers whether it is simulated alone (the Mesa engine), in a batch of 100,000
replicates, in any chunk or on any worker: this is what makes the engines bit-identical.
SplitMix64 (Steele, Lea & Flood 2014) is the generator Java's ``SplittableRandom`` and the
xoshiro family use for seeding; counter-based use follows Salmon et al. (2011).

Replicate seeds derive from the root seed and the replicate index only (never from the
strategy), so strategies in one experiment are compared on common random numbers.
"""

from __future__ import annotations

import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_SEED_SALT = np.uint64(0xD1B54A32D192ED03)
_TWO_M53 = 2.0**-53

MAX_STEPS = 2**24
MAX_COUNTRIES = 2**8

# Streams, in the documented order of ODD section 7 ("Submodels: random numbers").
STREAM_PRIORS = 0  # per-replicate draws of uncertain attributes (row = attribute)
STREAM_THRESHOLD = 1  # per-country sanction threshold offsets
STREAM_INITIAL = 2  # initial stance spread
STREAM_SHOCK = 3  # weekly stance shocks
STREAM_BACKSLIDE = 4  # weekly backsliding hazard


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, applied in place to a ``uint64`` array (and returned)."""
    z ^= z >> np.uint64(30)
    z *= _M1
    z ^= z >> np.uint64(27)
    z *= _M2
    z ^= z >> np.uint64(31)
    return z


def run_keys(seeds: np.ndarray | list[int] | int) -> np.ndarray:
    """64-bit keys, one per run, from non-negative integer seeds (shape ``(R,)``)."""
    seeds_arr = np.atleast_1d(np.asarray(seeds, dtype=np.int64))
    if np.any(seeds_arr < 0):
        raise ValueError("seed: must be a non-negative integer")
    with np.errstate(over="ignore"):
        return _mix(seeds_arr.astype(np.uint64) ^ _SEED_SALT)  # a fresh array


def uniform(keys: np.ndarray, stream: int, step: int, n: int) -> np.ndarray:
    """Uniform numbers in ``[0, 1)`` of shape ``(R, n)`` for one stream and step."""
    if not 0 <= step < MAX_STEPS or not 0 < n <= MAX_COUNTRIES:
        raise ValueError(f"rng.uniform: step {step} or n {n} out of range")
    index = (np.uint64(stream) * np.uint64(MAX_STEPS) + np.uint64(step)) * np.uint64(
        MAX_COUNTRIES
    ) + np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = _mix(keys[:, None] + GOLDEN * index[None, :])
    z >>= np.uint64(11)
    u = z.astype(np.float64)
    u *= _TWO_M53
    return u


def centred_shock(u: np.ndarray) -> np.ndarray:
    """Map uniforms to zero-mean, unit-variance bounded shocks: ``sqrt(3) * (2u - 1)``."""
    return (2.0 * u - 1.0) * np.sqrt(3.0)


def replicate_seeds(root_seed: int, n: int, start: int = 0) -> np.ndarray:
    """Seeds for replicates ``start .. start + n - 1`` of an experiment (63-bit, int64)."""
    if root_seed < 0:
        raise ValueError(f"seed: must be a non-negative integer, got {root_seed}")
    if n < 0:
        raise ValueError(f"n_seeds: must be non-negative, got {n}")
    root = run_keys(root_seed)[0]
    idx = np.arange(start, start + n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = _mix(root + GOLDEN * (idx + np.uint64(1)))
    return (z >> np.uint64(1)).astype(np.int64)
