"""`python -m experiments.runs` lists saved runs and analyses with their status."""

from __future__ import annotations

import json
from pathlib import Path

from experiments.workflow import folders, listing
from experiments.workflow.run import run_experiment


def _ledger(folder: Path, *events: dict) -> None:
    folder.mkdir(parents=True)
    meta = {"experiment": "budget_sweep", "overrides": ["budget=2"]}
    opened = {"event": "open", "key": "k", "time": f"2026-01-0{len(events)}T10:00", "meta": meta}
    lines = [opened, *events]
    (folder / "ledger.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines))


def test_saved_folders_are_listed_with_their_status(tmp_path, compose_cfg, capsys) -> None:
    root = tmp_path / "outputs"
    cfg = compose_cfg("n_seeds=2", "calendar.n_steps=3", "strategy=none", "accepted_sets=0",
                      "plots=false")  # fmt: skip
    run_experiment(cfg, root / "strategy_comparison" / "done")
    _ledger(root / "budget_sweep" / "stopped", {"event": "done", "chunk": "a"})
    _ledger(root / "budget_sweep" / "broken", {"event": "failed", "chunk": "a", "error": "x"})
    analysis = root / "analyse" / "robustness" / "a1"
    _ledger(analysis, {"event": "finalized", "files": {}})
    (analysis / "runs.parquet").write_bytes(b"x")
    (analysis / "manifest.json").write_text(json.dumps({"experiment": "robustness"}))
    busy = root / "budget_sweep" / "busy"
    _ledger(busy)
    folders.hold(busy)
    try:
        rows = {r.path.name: r for r in listing.list_saved([root])}
    finally:
        folders.release(busy)
    assert {n: r.status for n, r in rows.items()} == {
        "done": "complete",
        "stopped": "interrupted",
        "broken": "failed",
        "a1": "complete",
        "busy": "running",
    }
    assert rows["a1"].kind == "analysis" and rows["done"].kind == "run"
    assert rows["stopped"].experiment == "budget_sweep" and rows["stopped"].overrides == "budget=2"
    assert rows["done"].size > 1000
    listing.main([str(root), "--status", "failed"])
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("date (UTC)") and len(out) == 2 and "broken" in out[1]
