"""Serve the dashboard: ``python -m experiments.app [--host 127.0.0.1] [--port 8765]``.

Solara's server runs in this process, on 127.0.0.1 unless told otherwise, offline (its
JavaScript and CSS come from the ``solara-assets`` package; telemetry and the version
check are off). The ensemble kernel is loaded in the background while the page opens.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import warnings
from collections.abc import Sequence
from dataclasses import replace

from experiments.workflow.errors import OneLineParser, int_in

log = logging.getLogger(__name__)

APP = "experiments.dashboard.pages"
OFFLINE_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # no calls home
    "SOLARA_THEME_LOADER": "plain",
}


def _warm_up() -> None:
    """Load (or compile, once after a change of sim/) the ensemble kernel."""
    from experiments.dashboard.ensemble import run_view
    from experiments.dashboard.settings import default_settings

    tiny = replace(default_settings(), strategies=("none",), n_seeds=1)
    run_view(tiny)
    log.info("ensemble kernel ready")


def time_open(folder: str) -> str:
    """One line: the time the Results browser takes to open ``folder``."""
    import time

    from experiments.dashboard.saved import SavedRun
    from experiments.dashboard.views import saved_view
    from experiments.workflow.errors import reporting

    with reporting():
        t0 = time.perf_counter()
        run = SavedRun(folder)
        first, strategies = run.slices()[0], run.strategies()
        view = saved_view(run, first, strategies)
        seconds = time.perf_counter() - t0
    if view.error:
        return f"error: {view.error}"
    tables = view.tables
    assert tables is not None
    return (
        f"opened {folder} ({first.label}; {len(tables.strategies)} strategies x "
        f"{tables.n_seeds} seeds): tables read, figures and tables rendered in {seconds:.2f} s"
    )


def time_compare(repeats: int = 3) -> str:
    """One line: the time of a Compare update at the default settings (the ensemble over
    the accepted sets, figures and tables, then the pair verdicts and parameter bands),
    after one untimed update that loads the kernel; each timed update on a new root seed."""
    import time

    from experiments.dashboard.settings import default_settings
    from experiments.dashboard.verdict_panel import verdict_view
    from experiments.dashboard.views import compare_view

    s = default_settings()
    verdict_view(s, compare_view(s))
    views, panels = [], []
    for k in range(1, repeats + 1):
        changed = replace(s, seed=s.seed + k)
        t0 = time.perf_counter()
        view = compare_view(changed)
        t1 = time.perf_counter()
        verdicts = verdict_view(changed, view)
        panels.append(time.perf_counter() - t1)
        views.append(t1 - t0)
        if view.error or isinstance(verdicts, str):
            return f"error: {view.error or verdicts}"
    return (
        f"Compare update at the defaults ({len(s.strategies)} strategies x {s.accepted_sets} "
        f"accepted sets x {s.n_seeds} seeds, budget {s.budget:g}): view "
        f"{', '.join(f'{x:.2f}' for x in views)} s, then verdicts and bands "
        f"{', '.join(f'{x:.2f}' for x in panels)} s (load average {os.getloadavg()[0]:.1f})"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options and run Solara's server until interrupted."""
    parser = OneLineParser(prog="python -m experiments.app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=int_in(1, 65535), default=8765, help="port, 1-65535 (default 8765)"
    )
    parser.add_argument(
        "--dev", action="store_true", help="Solara's development mode (restarts on code edits)"
    )
    parser.add_argument(
        "--time-open",
        metavar="FOLDER",
        help="print how long the Results browser takes to open FOLDER (its first point, every "
        "strategy: tables read, figures and tables rendered), then exit",
    )
    parser.add_argument(
        "--time-compare",
        action="store_true",
        help="print how long a Compare update takes at the default settings (ensemble, "
        "figures and tables, pair verdicts and parameter bands), then exit",
    )
    args = parser.parse_args(argv)
    if args.time_compare:
        sys.stdout.write(time_compare() + "\n")
        return
    if args.time_open:
        sys.stdout.write(time_open(args.time_open) + "\n")
        return
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("MESA").setLevel(logging.WARNING)
    # Solara's hook linter flags a component inside mesa 3.3.1 (not used here) on import
    warnings.filterwarnings("ignore", message=".*found despite early return", category=UserWarning)
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
    from solara.__main__ import cli  # after the environment: Solara reads it on import

    flags = ["--auto-restart"] if args.dev else ["--production"]
    log.info("dashboard on http://%s:%d", args.host, args.port)
    cli.main(
        args=[
            "run", APP, "--host", args.host, "--port", str(args.port), "--no-open",
            "--no-check-version", "--log-level-uvicorn", "warning", *flags,
        ],
        prog_name="solara",
    )  # fmt: skip
