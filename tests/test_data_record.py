"""The observables record of 2022-2023 in ``data/asean_2022.yaml`` (issue 19, items 1-2).

Checks that every statement and material step is dated inside the window, names known
members, carries a confidence mark and, when verified, a source; that the per-member
coverage table is what the entries say; and a guard that no later UN General Assembly vote
or explanation of one enters the record.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SECTION = "observables_2022_2023"
WINDOW = (dt.date(2022, 2, 24), dt.date(2023, 3, 31))
LAST_CALIBRATION_VOTE = dt.date(2022, 4, 7)
KINDS = {
    "national",
    "bilateral_japan",
    "bilateral_us",
    "bilateral_eu",
    "asean",
    "g20",
    "apec",
    "eas",
    "other",
}
STEPS = {"deepening", "status_quo", "distancing", "anti_circumvention", "sanctions"}
ATTRIBUTIONS = {"own", "joint", "collective_hedged"}
LATER_RESOLUTION = re.compile(r"ES-11/(?:[4-9]|[1-9]\d)\b")
VOTE_WORDS = re.compile(r"\bvot(?:e|es|ed|ing)\b|\babstain|general assembly|\bunga\b", re.I)
URL = re.compile(r"^https?://\S+$")


# --------------------------------------------------------------------------- loading
def load_record(path: Path = ROOT / "data" / "asean_2022.yaml") -> dict[str, Any]:
    """The whole facts file (the observables section is ``SECTION``)."""
    return yaml.safe_load(path.read_text())


def date_span(value: Any) -> tuple[dt.date, dt.date]:
    """First and last day a record date stands for (a day, or a month written YYYY-MM)."""
    if isinstance(value, dt.date):
        return value, value
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}", text):
        year, month = map(int, text.split("-"))
        return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    day = dt.date.fromisoformat(text)
    return day, day


def countries(entry: dict[str, Any]) -> list[str]:
    return list(entry["countries"]) if "countries" in entry else [entry["country"]]


def vote_guard_hits(entries: list[dict[str, Any]]) -> list[str]:
    """Entries that name a later emergency-session resolution, or that mention a vote or the
    General Assembly while dated after the last calibration vote."""
    hits = []
    for entry in entries:
        text = json.dumps(entry, default=str)
        if LATER_RESOLUTION.search(text):
            hits.append(text)
        elif date_span(entry["date"])[1] > LAST_CALIBRATION_VOTE and VOTE_WORDS.search(text):
            hits.append(text)
    return hits


def derived_coverage(data: dict[str, Any], codes: list[str]) -> dict[str, dict[str, Any]]:
    """Per member and setting, the reading the coverage table must show (definitions in the
    data file): statements of the section plus national_statements_2022 and japan_outreach."""
    readings: dict[tuple[str, str], list[tuple[Any, str]]] = {}

    def add(code: str, kind: str, names: Any, attribution: str) -> None:
        readings.setdefault((code, kind), []).append((names, attribution))

    for code, entry in data["national_statements_2022"].items():
        if code in codes and entry.get("names_russia") in (True, False, "unclear"):
            add(code, "national", entry["names_russia"], "own")
    for meeting in data["japan_outreach"]:
        named = meeting.get("named_russia")
        if named in (True, False, "disputed"):
            add(
                meeting["with"],
                "bilateral_japan",
                "unclear" if named == "disputed" else named,
                "joint",
            )
    for entry in data[SECTION]["statements"]:
        for code in entry["countries"]:
            add(code, entry["kind"], entry["names_russia"], entry["attribution"])

    out: dict[str, dict[str, Any]] = {}
    for code in codes:
        row: dict[str, Any] = {}
        for kind in KINDS - {"other"}:
            found = readings.get((code, kind), [])
            if any(n is True and a != "collective_hedged" for n, a in found):
                row[kind] = "named"
            elif any(n is True for n, _ in found):
                row[kind] = "hedged"
            elif any(n == "unclear" for n, _ in found):
                row[kind] = "unclear"
            elif found:
                row[kind] = "not_named"
            else:
                row[kind] = {"unknown", "n/a"}
        steps = sorted(
            {m["step"] for m in data[SECTION]["material_measures"] if m["country"] == code}
        )
        row["material"] = steps or "unknown"
        out[code] = row
    return out


# --------------------------------------------------------------------------- tests
@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return load_record()


@pytest.fixture(scope="module")
def codes(data: dict[str, Any]) -> list[str]:
    return [*data["meta"]["asean_2022_members"], "TL"]


def _entries(data: dict[str, Any]) -> list[dict[str, Any]]:
    section = data[SECTION]
    return [*section["statements"], *section["material_measures"], *section["other_measures"]]


def test_section_sits_right_after_the_asean_statements(data: dict[str, Any]) -> None:
    keys = list(data)
    assert keys.index(SECTION) == keys.index("asean_statements") + 1
    assert data[SECTION]["window"] == {"start": WINDOW[0], "end": WINDOW[1]}


def test_definitions_name_every_kind_and_step(data: dict[str, Any]) -> None:
    definitions = data[SECTION]["definitions"]
    assert set(definitions["statement_kinds"]) == KINDS
    assert set(definitions["material_track"]) == STEPS
    for key in ("names_russia", "attribution", "direction", "rung", "coverage_values"):
        assert str(definitions[key]).strip()


def test_every_entry_is_dated_in_the_window_with_known_members(data, codes) -> None:
    entries = _entries(data)
    assert len(data[SECTION]["statements"]) >= 20 and len(data[SECTION]["material_measures"]) >= 10
    for entry in entries:
        first, last = date_span(entry["date"])
        assert WINDOW[0] <= first and last <= WINDOW[1], entry
        assert countries(entry) and set(countries(entry)) <= set(codes), entry


def test_confidence_marks_and_sources(data: dict[str, Any]) -> None:
    for entry in _entries(data):
        assert entry["C"] in {"V", "D", "U"}, entry
        sources = entry.get("sources", [])
        assert all(URL.match(s) for s in sources), entry
        if entry["C"] == "V":
            assert sources, f"a verified entry needs a source: {entry}"


def test_statement_and_measure_fields(data: dict[str, Any]) -> None:
    for entry in data[SECTION]["statements"]:
        assert entry["kind"] in KINDS, entry
        assert entry["names_russia"] in (True, False, "unclear"), entry
        assert entry["attribution"] in ATTRIBUTIONS, entry
        assert entry["direction"] in {"condemn", "neutral", "support"}, entry
        assert str(entry["wording"]).strip() and str(entry["setting"]).strip(), entry
        if "rung" in entry:
            assert len(entry["countries"]) == 1, f"a rung reading is for one member: {entry}"
            assert set(re.findall(r"\d", str(entry["rung"]))) <= set("01234"), entry
        if entry["C"] == "U":
            assert "prior" in json.dumps(entry, default=str), (
                f"a U entry must say it is a prior: {entry}"
            )
    for entry in data[SECTION]["material_measures"]:
        assert entry["step"] in STEPS and str(entry["what"]).strip(), entry


def test_context_before_the_window_stays_before_it(data: dict[str, Any]) -> None:
    for entry in data[SECTION]["context_before_window"]:
        assert date_span(entry["date"])[1] < WINDOW[0], entry


def test_coverage_table_is_what_the_entries_say(data, codes) -> None:
    table = {k: v for k, v in data[SECTION]["coverage"].items() if k != "C"}
    assert set(table) == set(codes)
    expected = derived_coverage(data, codes)
    for code in codes:
        assert set(table[code]) == (KINDS - {"other"}) | {"material"}, code
        for key, want in expected[code].items():
            got = table[code][key]
            assert got in want if isinstance(want, set) else got == want, (code, key, got, want)


def test_no_later_un_vote_enters_the_record(data: dict[str, Any]) -> None:
    section = data[SECTION]
    entries = [*_entries(data), *section["context_before_window"]]
    assert not vote_guard_hits(entries)
    assert not LATER_RESOLUTION.search(json.dumps(section, default=str))


def test_the_vote_guard_catches_what_it_must() -> None:
    later = "ES-11/" + "4"
    assert vote_guard_hits([{"date": dt.date(2022, 3, 2), "wording": later}])
    assert vote_guard_hits([{"date": dt.date(2022, 10, 12), "wording": "explains its vote"}])
    assert vote_guard_hits([{"date": "2022-11", "setting": "UN General Assembly"}])
    assert not vote_guard_hits([{"date": dt.date(2022, 3, 2), "wording": "voted yes on ES-11/1"}])
    assert not vote_guard_hits(
        [{"date": dt.date(2022, 11, 16), "wording": "most members condemned"}]
    )
