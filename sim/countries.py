"""Country agents' fixed attributes, the intra-ASEAN network, and uncertain priors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from sim import rng as rngmod
from sim.ladder import Ladder
from sim.numerics import rule

ATTRIBUTES: dict[str, str] = {
    "russia_trade_pct": "goods trade with Russia, % of total goods trade (2021)",
    "russia_trade_bn": "goods trade with Russia, USD bn (2021)",
    "japan_trade_share": "share of goods trade with Japan, 0-1",
    "china_trade_share": "share of goods trade with China, 0-1",
    "west_trade_share": "share of goods trade with the US and EU, 0-1",
    "arms_russia": "Russia's share of arms imports, 0-1",
    "energy_russia": "dependence on Russian energy, fertiliser and nuclear ties, index 0-1",
    "party_affinity": "party or ideological affinity with Moscow, index 0-1",
    "security_partner": "alliance or security partnership with the US/Japan, index 0-1",
    "transit_hub": "entrepot, trade-finance or transit-hub role, index 0-1",
    "democracy": "Freedom House 2021 score / 100",
    "public_support": "public support for acting on Ukraine, 0-1",
    "salience": "salience of the war in domestic politics, 0-1",
    "norm_weight": "small-state weight on the norm against conquest, 0-1",
    "un_legalism": "insistence on UN Security Council authority before coercive measures, 0-1"
    " (lifts the sanction bar without a mandate; lowers yes votes on punitive resolutions)",
    "unsc_compliance": "readiness to implement sanctions a UN Security Council mandate makes "
    "binding, 0-1",
    "aid_leverage": "leverage of Japanese aid and loans (linkage), 0-1",
    "un_seat_stance": "stance of the UN delegation where it differs from the government "
    "(NaN: it follows the government)",
    "initial_stance": "declared position in the first week of the war, read onto the ladder "
    "(rungs, 0 oppose .. 4 sanction; national statements of 24 Feb - 3 Mar 2022)",
    "norm_cited": "1 where the state's statements cite the small-state norm against conquest "
    "as a reason to act, else 0 (the norm force acts only there)",
}
"""Every attribute a country carries, with its meaning and unit."""

ATTRIBUTE_NAMES: tuple[str, ...] = tuple(ATTRIBUTES)


@rule
def sample_attribute(key, row, i, lower, upper):  # noqa: ANN001, ANN201
    """A run's draw of an uncertain attribute (row ``row``) of country ``i``: uniform in
    its prior range ``[lower, upper]`` (the point value where the range is empty)."""
    return lower + rngmod.uniform(key, rngmod.STREAM_PRIORS, row, i) * (upper - lower)


@njit(cache=True)
def _sample_all(keys: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    out = np.empty((lower.shape[0], keys.shape[0], lower.shape[1]))
    for a in range(lower.shape[0]):
        for r in range(keys.shape[0]):
            for i in range(lower.shape[1]):
                out[a, r, i] = sample_attribute(keys[r], a, i, lower[a, i], upper[a, i])
    return out


TRADE_SHARES = ("japan_trade_share", "china_trade_share", "west_trade_share")
"""Shares of one country's goods trade: together at most 1."""
STANCE_ATTRIBUTES = ("initial_stance", "un_seat_stance")
"""Attributes read onto the ladder: a stance in ``[0, STANCE_TOP)`` (NaN allowed for
``un_seat_stance``: the delegation follows the government)."""
STANCE_TOP = Ladder().top
"""The top of the default ladder (five rungs, 0 oppose .. 4 sanction)."""

_UNIT_INTERVAL = set(ATTRIBUTE_NAMES) - {
    "russia_trade_pct",
    "russia_trade_bn",
    "un_seat_stance",
    "initial_stance",
}


@dataclass(frozen=True)
class CountryProfile:
    """One country's attributes: a point value each, and a prior range where uncertain."""

    code: str
    name: str
    values: Mapping[str, float]
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    member: bool = True

    def __post_init__(self) -> None:
        missing = [a for a in ATTRIBUTE_NAMES if a not in self.values]
        unknown = [a for a in self.values if a not in ATTRIBUTES]
        if unknown:
            raise ValueError(
                f"countries.{self.code}: unknown attribute {unknown[0]!r}; "
                f"allowed: {', '.join(ATTRIBUTE_NAMES)}"
            )
        if missing:
            raise ValueError(f"countries.{self.code}: missing attribute {missing[0]!r}")
        for attr, value in self.values.items():
            v = float(value)
            if attr == "un_seat_stance" and np.isnan(v):
                continue
            if not np.isfinite(v):
                raise ValueError(f"countries.{self.code}.{attr}: must be a finite number")
            if attr in _UNIT_INTERVAL and not 0.0 <= v <= 1.0:
                raise ValueError(f"countries.{self.code}.{attr}: must be in [0, 1], got {v}")
            if v < 0:
                raise ValueError(f"countries.{self.code}.{attr}: must be >= 0, got {v}")
            if attr == "russia_trade_pct" and v > 100:
                raise ValueError(
                    f"countries.{self.code}.{attr}: a percentage, must be in [0, 100], got {v}"
                )
            if attr in STANCE_ATTRIBUTES and not v < STANCE_TOP:
                raise ValueError(
                    f"countries.{self.code}.{attr}: a stance on the ladder, must be in "
                    f"[0, {STANCE_TOP:g}) (0 oppose .. 4 sanction), got {v}"
                )
        total = sum(float(self.values[a]) for a in TRADE_SHARES)
        if total > 1.0 + 1e-9:
            raise ValueError(
                f"countries.{self.code}.{TRADE_SHARES[0]}: with {' and '.join(TRADE_SHARES[1:])}"
                f", shares of one country's trade, must sum to at most 1, got {total:g}"
            )
        for attr, (lo, hi) in self.ranges.items():
            if attr not in ATTRIBUTES:
                raise ValueError(
                    f"countries.{self.code}.{attr}: unknown attribute; "
                    f"allowed: {', '.join(ATTRIBUTE_NAMES)}"
                )
            if not lo <= float(self.values[attr]) <= hi:
                raise ValueError(
                    f"countries.{self.code}.{attr}: value {self.values[attr]} outside its "
                    f"prior range [{lo}, {hi}]"
                )
            if attr in _UNIT_INTERVAL and not (0.0 <= lo <= hi <= 1.0):
                raise ValueError(
                    f"countries.{self.code}.{attr}: range must lie in [0, 1], got [{lo}, {hi}]"
                )


@dataclass(frozen=True)
class CountryTable:
    """Attributes of the simulated countries as arrays, shape ``(N,)`` each.

    ``network`` holds intra-ASEAN tie weights (``network[i, j]``: how much ``i`` watches
    ``j``), zero on the diagonal. ``member`` marks ASEAN members (the scenario's ``members``; a
    simulated country not among them is an observer).
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    values: np.ndarray  # (A, N)
    lower: np.ndarray  # (A, N) prior lower bounds (= values where certain)
    upper: np.ndarray  # (A, N)
    network: np.ndarray  # (N, N)
    member: np.ndarray  # (N,) bool

    @classmethod
    def from_profiles(
        cls, profiles: Sequence[CountryProfile], ties: Mapping[tuple[str, str], float]
    ) -> CountryTable:
        """Build the table; ``ties[(a, b)]`` is a symmetric tie weight in [0, 1]."""
        if not profiles:
            raise ValueError("countries: at least one country is required")
        codes = tuple(p.code for p in profiles)
        if len(set(codes)) != len(codes):
            raise ValueError(f"countries: duplicate country codes in {list(codes)}")
        if len(codes) > rngmod.MAX_COUNTRIES:
            raise ValueError(
                f"countries: at most {rngmod.MAX_COUNTRIES} countries (the tie matrix "
                f"grows with the square), got {len(codes)}"
            )
        a, n = len(ATTRIBUTE_NAMES), len(codes)
        values = np.empty((a, n))
        lower = np.empty((a, n))
        upper = np.empty((a, n))
        for j, p in enumerate(profiles):
            for k, attr in enumerate(ATTRIBUTE_NAMES):
                v = float(p.values[attr])
                lo, hi = p.ranges.get(attr, (v, v))
                values[k, j], lower[k, j], upper[k, j] = v, lo, hi
        index = {c: i for i, c in enumerate(codes)}
        network = np.zeros((n, n))
        for (x, y), w in ties.items():
            if x not in index or y not in index:
                continue  # a tie to a country not simulated in this scenario
            if not 0.0 <= float(w) <= 1.0:
                raise ValueError(f"network.{x}-{y}: weight must be in [0, 1], got {w}")
            if x == y:
                raise ValueError(f"network.{x}-{y}: self-ties are not allowed")
            network[index[x], index[y]] = network[index[y], index[x]] = float(w)
        member = np.array([p.member for p in profiles], dtype=bool)
        return cls(codes, tuple(p.name for p in profiles), values, lower, upper, network, member)

    @property
    def n(self) -> int:
        return len(self.codes)

    def index(self, code: str) -> int:
        try:
            return self.codes.index(code)
        except ValueError:
            raise ValueError(
                f"country: unknown code {code!r}; allowed: {', '.join(self.codes)}"
            ) from None

    def column(self, attr: str) -> np.ndarray:
        """One attribute's point values, shape ``(N,)``."""
        return self.values[ATTRIBUTE_NAMES.index(attr)]

    def uncertain(self) -> list[tuple[str, str]]:
        """(attribute, country) pairs whose value is a prior range rather than a fact."""
        a_idx, c_idx = np.nonzero(self.upper > self.lower)
        return [(ATTRIBUTE_NAMES[a], self.codes[c]) for a, c in zip(a_idx, c_idx, strict=True)]

    def with_values(self, overrides: Mapping[tuple[str, str], float]) -> CountryTable:
        """A copy with some (attribute, country) point values replaced (for calibration)."""
        values = self.values.copy()
        for (attr, code), v in overrides.items():
            values[ATTRIBUTE_NAMES.index(attr), self.index(code)] = v
        return CountryTable(
            self.codes, self.names, values, self.lower, self.upper, self.network, self.member
        )

    def attributes(self, keys: np.ndarray | None) -> dict[str, np.ndarray]:
        """Attributes for a batch of runs, each shape ``(R, N)`` (or ``(1, N)``).

        With ``keys`` (run keys), every uncertain value is drawn uniformly in its prior
        range from the run's own stream; otherwise point values are used for all runs.
        """
        if keys is None:
            vals = self.values[:, None, :]
        else:
            vals = _sample_all(np.asarray(keys, dtype=np.uint64), self.lower, self.upper)
        return {attr: vals[k] for k, attr in enumerate(ATTRIBUTE_NAMES)}
