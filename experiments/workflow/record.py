"""The 2022 record drawn beside the simulated outcomes: members naming Russia in their own
statements, read from the facts file (``observables_2022_2023.statements``: ``kind``
national, ``attribution`` own) within a run's horizon. Data, not code: a statement added
to the file changes the count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from experiments.workflow.paths import DATA_DIR

FACTS_FILE = DATA_DIR / "asean_2022.yaml"
OWN_KINDS = ("national",)
"""Statement kinds that are a member's own statement (the file's ``statement_kinds``)."""


@dataclass(frozen=True)
class NamingRecord:
    """Members with an own statement naming Russia (``named``) and, beyond them, members
    whose only such reading is 'unclear' (``unclear``), between ``start`` and ``end``."""

    named: tuple[str, ...]
    unclear: tuple[str, ...]
    start: dt.date
    end: dt.date

    @property
    def low(self) -> int:
        return len(self.named)

    @property
    def high(self) -> int:
        return len(self.named) + len(self.unclear)

    def label(self) -> str:
        """Legend text: the count, the members and the dates."""
        count = f"{self.low}" + (f" (up to {self.high})" if self.unclear else "")
        named = ", ".join(self.named) or "none"
        unclear = f"; unclear: {', '.join(self.unclear)}" if self.unclear else ""
        return (
            f"record {self.start}..{self.end}: {count} members naming Russia in their own "
            f"statements ({named}{unclear})"
        )


def _first_day(value: Any) -> dt.date | None:
    """A statement's date (a month counts from its first day); None if unreadable."""
    if isinstance(value, dt.date):
        return value
    text = str(value)
    try:
        return dt.date.fromisoformat(text if len(text) != 7 else f"{text}-01")
    except ValueError:
        return None


def naming_record(
    facts: dict[str, Any], members: Iterable[str], start: dt.date, end: dt.date
) -> NamingRecord:
    """The members of ``members`` naming Russia in their own statements in ``facts``
    (a parsed facts file) dated ``start``..``end``; 'unclear' readings kept apart."""
    wanted = list(members)
    named: set[str] = set()
    unclear: set[str] = set()
    for s in facts["observables_2022_2023"]["statements"]:
        if s.get("kind") not in OWN_KINDS or s.get("attribution") != "own":
            continue
        day = _first_day(s.get("date"))
        if day is None or not start <= day <= end:
            continue
        for code in s.get("countries", []):
            if s.get("names_russia") is True:
                named.add(code)
            elif str(s.get("names_russia")) == "unclear":
                unclear.add(code)
    return NamingRecord(
        tuple(c for c in wanted if c in named),
        tuple(c for c in wanted if c in unclear and c not in named),
        start,
        end,
    )


def run_record(
    members: Iterable[str], start: dt.date, end: dt.date, path: Path = FACTS_FILE
) -> NamingRecord | None:
    """:func:`naming_record` from the facts file at ``path``; None if it is missing."""
    if not Path(path).exists():
        return None
    return naming_record(yaml.safe_load(Path(path).read_text()), members, start, end)
