"""The 2022 record drawn on the strategy comparison: members naming Russia in their own
statements within a run's horizon, counted from the facts file (data, not code)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from experiments.workflow.record import FACTS_FILE, naming_record, run_record

START, END = dt.date(2022, 2, 24), dt.date(2023, 3, 2)


def _statement(code: str, date: str, names: object, kind: str = "national",
               attribution: str = "own") -> dict:  # fmt: skip
    return {"date": date, "countries": [code], "kind": kind, "names_russia": names,
            "attribution": attribution}  # fmt: skip


def _write(path: Path, statements: list[dict]) -> Path:
    path.write_text(yaml.safe_dump({"observables_2022_2023": {"statements": statements}}))
    return path


def test_the_record_count_comes_from_the_data_file(tmp_path: Path) -> None:
    statements = [
        _statement("SG", "2022-10-01", True),
        _statement("KH", "2022-03-28", True),
        _statement("KH", "2022-10", "unclear"),  # already named: not an extra 'unclear'
        _statement("PH", "2022-02-28", "unclear"),
        _statement("BN", "2022-02-26", False),
        _statement("VN", "2022-03-29", True, kind="bilateral_us", attribution="joint"),
        _statement("TL", "2022-03-03", True),  # not simulated
        _statement("MY", "2023-03-20", True),  # after the horizon
    ]
    members = ["BN", "KH", "MY", "PH", "SG", "VN"]
    record = run_record(members, START, END, _write(tmp_path / "facts.yaml", statements))
    assert record is not None
    assert (record.named, record.unclear, record.low, record.high) == (
        ("KH", "SG"), ("PH",), 2, 3)  # fmt: skip
    assert "record 2022-02-24..2023-03-02: 2 (up to 3)" in record.label()
    statements.append(_statement("BN", "2022-06-01", True))  # a member added to the record
    record = run_record(members, START, END, _write(tmp_path / "facts.yaml", statements))
    assert record is not None and record.named == ("BN", "KH", "SG") and record.low == 3
    later = run_record(members, START, dt.date(2023, 3, 31), tmp_path / "facts.yaml")
    assert later is not None and "MY" in later.named  # the horizon decides


def test_the_shipped_record_counts_own_statements_only() -> None:
    facts = yaml.safe_load(FACTS_FILE.read_text())
    members = ["BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN"]
    record = naming_record(facts, members, START, END)
    own = {
        c
        for s in facts["observables_2022_2023"]["statements"]
        if s["kind"] == "national" and s["attribution"] == "own" and s["names_russia"] is True
        for c in s["countries"]
    }
    assert set(record.named) <= own and set(record.named) <= set(members)
    assert not set(record.unclear) & set(record.named)
