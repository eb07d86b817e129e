"""The dashboard in headless chromium: each view loads, reacts to its controls, and shows
the numbers a direct run of the same config gives; sessions keep their own state.

The server (``python -m experiments.app``) runs on a free port for the module and is
stopped by its fixture. Screenshots are saved in each test's temporary folder. Needs
Debian's chromium (``make chromium``): playwright cannot download browsers here.
"""

from __future__ import annotations

import logging
import os
import shlex
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from experiments.dashboard import stats
from experiments.dashboard.settings import default_settings
from experiments.dashboard.single import run_spec
from experiments.workflow import outputs
from experiments.workflow.cli import precheck
from experiments.workflow.convert import to_simulation_configs
from experiments.workflow.errors import BAD_INPUT, one_line
from experiments.workflow.paths import CONF_DIR, ROOT
from experiments.workflow.run import run_experiment
from experiments.workflow.schema import ExperimentConf
from sim import simulate

pytestmark = pytest.mark.browser
log = logging.getLogger(__name__)

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
FIRST_LOAD_MS = 180_000  # the first view may wait for the kernel to compile (cold cache)
expect.set_options(timeout=20_000)  # a check waits for the view in flight (25 sets x 40 seeds
# take a few seconds on a loaded machine); a passing expectation returns at once
UPDATE_MS = 60_000
DEFAULTS = default_settings()  # the main config's values the pages open with
OPENING = f"{len(DEFAULTS.strategies)} strategies x {DEFAULTS.n_seeds} seeds"
BUDGET = f"budget {DEFAULTS.budget:g} budget units"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard on 127.0.0.1 and a free port; its log in the fixture's folder."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    with log_path.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "experiments.app", "--port", str(port)],
            cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(url, timeout=5) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the dashboard did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: run `make chromium` (apt-get install -y chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1500, "height": 2600})  # whole views
    p = context.new_page()
    p.set_default_timeout(UPDATE_MS)
    yield p
    context.close()


def shown(page: Page, text: str, timeout: int = UPDATE_MS) -> str:
    """Wait until the view's status names ``text`` and nothing is running; its text."""
    status = page.locator(".view-status")
    expect(status).to_contain_text(text, timeout=timeout)
    expect(page.locator(".view-running")).to_have_count(0, timeout=timeout)
    return status.inner_text()


def table_cells(page: Page, css: str) -> dict[str, list[str]]:
    """Rows of an HTML table of the page: strategy -> cell texts."""
    rows = page.locator(f"table.{css}").evaluate(
        "t => [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.innerText.trim()))"
    )
    return {row[0]: row[1:] for row in rows}


def type_into(page: Page, css: str, value: str) -> None:
    field = page.locator(f"{css} input")
    field.fill(value)
    field.press("Enter")


def typed_and_applied(page: Page, css: str, value: str, override: str) -> None:
    """Type ``value`` and wait until the command box shows ``override``; typed once more if
    not. Known defect (closing note of 2026-12-07): a value typed while an update is in
    flight is sometimes dropped; this waits it out instead of failing on it."""
    for _ in range(2):
        type_into(page, css, value)
        try:
            expect(page.locator("pre.copy-command")).to_contain_text(override, timeout=5_000)
            return
        except AssertionError:
            continue
    expect(page.locator("pre.copy-command")).to_contain_text(override)


def choose(page: Page, css: str, item: str) -> None:
    """Click ``item`` in the menu of the select ``css`` (toggles it in a multi-select)."""
    page.locator(css).click()
    page.locator(".menuable__content__active .v-list-item", has_text=item).first.click()
    page.keyboard.press("Escape")


def drag(page: Page, slider: Locator) -> None:
    """Drag a slider's thumb from the middle to three quarters, in small moves."""
    box = slider.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.5, y)
    page.mouse.down()
    for k in range(1, 6):
        page.mouse.move(box["x"] + box["width"] * (0.5 + 0.05 * k), y, steps=3)
    page.mouse.up()


def direct_run(overrides: list[str], out: Path) -> pd.DataFrame:
    """The summary table of ``run_experiment`` on the config of ``overrides``."""
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = hydra_compose("config", overrides=[*overrides, "plots=false"])
    run_experiment(cfg, out)
    summary = pd.read_parquet(out / outputs.SUMMARY)
    return summary.assign(strategy=summary["strategy"].astype(str))


def expected_cells(summary: pd.DataFrame, strategies: list[str], diff: bool = False) -> dict:
    long = (
        stats.paired_differences(summary, strategies)
        if diff
        else stats.outcome_table(summary, strategies)
    )
    table = stats.wide_text(long, sign=diff)
    return {s: list(row) for s, row in zip(table.index, table.itertuples(index=False), strict=True)}


def report(request: pytest.FixtureRequest, line: str) -> None:
    """A line in the test log (shown with the test results)."""
    log.info(line)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\n[dashboard] {line}")


def test_compare_view_reruns_and_shows_the_numbers_of_a_direct_run(
    page: Page, server: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    urls, failed = [], []
    page.on("request", lambda r: urls.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(server)
    shown(page, OPENING, timeout=FIRST_LOAD_MS)
    offline = [u for u in urls if not u.startswith((server, "ws://127.0.0.1", "data:", "blob:"))]
    assert not offline and not failed, (offline, failed)  # everything served locally
    type_into(page, ".sets-input", "0")  # the calibrated point: 500 seeds x 25 sets is capped
    expect(page.locator("pre.copy-command")).to_contain_text("accepted_sets=0")  # applied
    page.get_by_text("model parameters (calibrated values)").click()  # drawing the sliders
    page.wait_for_timeout(1000)  # changes nothing
    assert "model." not in page.locator("pre.copy-command").inner_text()
    expect(page.locator(".view-running")).to_have_count(0)
    drag(page, page.locator(".v-slider").first)  # outreach_weight: one run on release
    text = shown(page, "outreach_weight=")
    value = text.split("outreach_weight=", 1)[1].split(";")[0]
    assert (
        f"model.outreach_weight={float(value)!r}" in page.locator("pre.copy-command").inner_text()
    )
    page.get_by_role("button", name="reset to the calibrated values").click()
    shown(page, "calibrated parameters")
    expect(page.locator("pre.copy-command")).to_contain_text("accepted_sets=0")  # kept
    shown(page, "calibrated parameters")
    type_into(page, ".seeds-input", "500")
    shown(page, f"{len(DEFAULTS.strategies)} strategies x 500 seeds")
    timings, computed = [], []
    for seed in (1, 2, 3):  # 500 seeds x every strategy, fresh seeds each time
        typed_and_applied(page, ".root-seed-input", str(seed), f" seed={seed} ")
        t0 = time.perf_counter()
        text = shown(page, f"{len(DEFAULTS.strategies)} strategies x 500 seeds (root seed {seed})")
        timings.append(time.perf_counter() - t0)
        computed.append(float(text.rsplit("computed in ", 1)[1].split(" s")[0]))
    load = os.getloadavg()[0]
    report(
        request,
        "refresh of 500 seeds x 11 strategies, root-seed change to plots shown in the browser: "
        f"{', '.join(f'{t:.2f}' for t in timings)} s (median {statistics.median(timings):.2f}"
        f" s; server side {', '.join(f'{c:.2f}' for c in computed)} s; load average {load:.1f})",
    )
    page.screenshot(path=tmp_path / "compare_500_seeds.png", full_page=True)

    choose(page, ".strategy-select", "historical")  # deselect one strategy
    shown(page, f"{len(DEFAULTS.strategies) - 1} strategies x 500 seeds")
    type_into(page, ".budget-input", "2")
    shown(page, "budget 2 budget units per week")
    args = shlex.split(page.locator("pre.copy-command").inner_text())
    assert args[1:3] == ["-m", "experiments.run"] and args[0] != "python"  # the venv's python
    overrides = args[3:]
    assert "budget=2.0" in overrides and "seed=3" in overrides
    strategies = [s for s in default_settings().strategies if s != "historical"]
    assert f"strategies=[{','.join(strategies)}]" in overrides
    summary = direct_run(overrides, tmp_path / "direct")
    assert table_cells(page, "outcome-table") == expected_cells(summary, strategies)
    assert table_cells(page, "difference-table") == expected_cells(summary, strategies, True)
    expect(page.locator("img")).to_have_count(3)  # adoption, differences, member levels
    page.screenshot(path=tmp_path / "compare_budget_2.png", full_page=True)


def test_single_run_view_steps_the_mesa_model(page: Page, server: str, tmp_path: Path) -> None:
    page.goto(f"{server}/single-run")
    status = page.locator(".week-status")
    expect(status).to_contain_text("week 0 of 53", timeout=FIRST_LOAD_MS)
    for strategy, weeks in (("adaptive", 3), ("uniform", 1)):
        if strategy != "adaptive":
            choose(page, ".run-strategy", strategy)
            expect(status).to_contain_text("week 0 of 53")
        for week in range(1, weeks + 1):  # each step shown before the next click
            page.get_by_role("button", name="Step").click()
            expect(status).to_contain_text(f"week {week} of 53")
        spec = run_spec(default_settings(), strategy, 0)
        traj = simulate(spec.config, np.array([spec.seed]))
        member = spec.config.countries.member
        adopters = int((traj.level[0, weeks][member] >= 4).sum())
        expect(status).to_contain_text(
            f"members at 'sanction': {adopters}; Japan spent {traj.spent[0, weeks]:.2f} of "
            f"{traj.available[0, weeks]:.2f} budget units"
        )
    page.screenshot(path=tmp_path / "single_run.png", full_page=True)
    page.get_by_role("button", name="▶").click()  # play: the page keeps answering
    expect(status).to_contain_text("week 4 of 53")
    page.get_by_role("button", name="❚❚").click()
    expect(page.get_by_role("button", name="Step")).to_be_enabled()


def test_results_browser_reads_a_sweep_point(page: Page, server: str, tmp_path: Path) -> None:
    folder = tmp_path / "run"
    overrides = ["strategies=[none,uniform,adaptive]", "n_seeds=20", "+sweep.budget=[1,3]"]
    summary = direct_run(overrides, folder)
    page.goto(f"{server}/results")
    type_into(page, ".folder-input", str(folder))
    shown(page, "point 0 (budget=1)", timeout=FIRST_LOAD_MS)
    choose(page, ".point-select", "point 1 (budget=3)")
    shown(page, "point 1 (budget=3)")
    at_point = summary[summary["point"] == 1]
    strategies = ["none", "uniform", "adaptive"]
    assert table_cells(page, "outcome-table") == expected_cells(at_point, strategies)
    assert table_cells(page, "difference-table") == expected_cells(at_point, strategies, True)
    page.screenshot(path=tmp_path / "results_browser.png", full_page=True)
    with page.expect_download() as download:  # the outcome table as the page shows it
        page.get_by_text("table (CSV)").click()
    exported = pd.read_csv(download.value.path())
    assert set(exported["strategy"]) == set(strategies) and (exported["n"] == 20).all()
    with page.expect_download() as download:
        page.get_by_text("figure (SVG)").click()
    assert b"<svg" in Path(download.value.path()).read_bytes()
    type_into(page, ".folder-input", str(tmp_path / "missing"))
    expect(page.locator(".view-error")).to_contain_text("folder: ", timeout=20_000)


def cli_line(settings_changes: dict | None = None, overrides: list[str] | None = None) -> str:
    """The one line ``python -m experiments.run`` prints (without ``error:``) for the
    default view changed by ``settings_changes``, or for extra raw ``overrides``."""
    bad = replace(default_settings(), **(settings_changes or {})).overrides()
    with pytest.raises(BAD_INPUT) as info:
        precheck("config", to_simulation_configs, [*bad, *(overrides or [])])
    return one_line(info.value, ExperimentConf)


def no_traceback(page: Page) -> None:
    expect(page.get_by_text("Traceback")).to_have_count(0)
    expect(page.get_by_text("internal error")).to_have_count(0)


BAD_SETTINGS = [
    (".budget-input", "-1", {"budget": -1.0}),
    (".budget-input", "1e308", {"budget": 1e308}),
    (".budget-input", "inf", {"budget": float("inf")}),
    (".budget-input", "nan", {"budget": float("nan")}),
    (".seeds-input", "0", {"n_seeds": 0}),
    (".root-seed-input", "-1", {"seed": -1}),
]


def test_bad_input_shows_the_cli_s_one_line_and_no_traceback(
    page: Page, server: str, tmp_path: Path
) -> None:
    """Each bad value typed into the Compare view: the command line's line, no traceback;
    the default value typed back shows the default view again."""
    page.goto(server)
    good = shown(page, "strategies x", timeout=FIRST_LOAD_MS).split("; computed in")[0]
    defaults = default_settings()
    for css, text, changes in BAD_SETTINGS:
        type_into(page, css, text)
        expect(page.locator(".view-error")).to_have_text(cli_line(changes))
        no_traceback(page)
        if text == "-1" and css == ".budget-input":
            page.screenshot(path=tmp_path / "bad_input.png", full_page=True)
        key = next(iter(changes))
        type_into(page, css, str(getattr(defaults, key)))
        expect(page.locator(".view-error")).to_have_count(0)
        shown(page, good)


@pytest.mark.parametrize(
    ("css", "key", "text", "fixed", "view"),
    [(".budget-input", "budget", "abc", "3", "budget 3 budget units"),
     (".root-seed-input", "seed", "abc", "7", "(root seed 7)"),
     (".seeds-input", "n_seeds", "1.5", "12", "x 12 seeds")],
    ids=["budget", "root seed", "n_seeds"],
)  # fmt: skip
def test_text_that_is_not_a_number_shows_the_cli_s_one_line(
    page: Page, server: str, css: str, key: str, text: str, fixed: str, view: str
) -> None:
    """Text that is no number: the command line's line under the field, no traceback; a
    good value typed into the field afterwards clears it and updates the view."""
    page.goto(server)
    shown(page, BUDGET, timeout=FIRST_LOAD_MS)
    type_into(page, css, text)
    expect(page.locator(css)).to_contain_text(cli_line(overrides=[f"{key}={text}"]))
    no_traceback(page)
    type_into(page, css, fixed)
    expect(page.locator(css)).not_to_contain_text(f"{key}: ")
    shown(page, view)


def test_single_run_view_shows_a_bad_budget_or_replicate_in_one_line(
    page: Page, server: str
) -> None:
    """A bad budget or replicate on the Single run view: one line, no traceback; a good
    one (also a replicate far beyond the Compare view's seeds) steps again."""
    page.goto(f"{server}/single-run")
    status = page.locator(".week-status")
    expect(status).to_contain_text("week 0 of 53", timeout=FIRST_LOAD_MS)
    type_into(page, ".budget-input", "-2")
    expect(page.locator(".view-error")).to_have_text(cli_line({"budget": -2.0}))
    no_traceback(page)
    type_into(page, ".budget-input", "2")
    expect(page.locator(".view-error")).to_have_count(0)
    for bad in ("-1", str(2**62)):
        type_into(page, ".replicate-input", bad)
        expect(page.locator(".view-error")).to_have_text(
            f"replicate: must be an integer in [0, 2**62), got {bad}"
        )
        no_traceback(page)
    far = 10**12  # one seed drawn, not a trillion
    type_into(page, ".replicate-input", str(far))
    seed = run_spec(replace(DEFAULTS, budget=2.0), "adaptive", far).seed
    expect(page.get_by_text(f"seed {seed}, from the root seed")).to_be_visible()
    expect(page.locator(".view-error")).to_have_count(0)
    page.get_by_role("button", name="Step").click()
    expect(status).to_contain_text("week 1 of 53")


@pytest.mark.parametrize("path", ["/etc", "/nonexistent/run", "README.md", "   "])
def test_results_browser_rejects_a_folder_that_is_not_a_run(
    page: Page, server: str, tmp_path: Path, path: str
) -> None:
    """Not a results folder: one line naming ``folder``, no traceback; a real run after it
    opens. Blank text is no folder at all: the prompt again."""
    page.goto(f"{server}/results")
    expect(page.locator(".folder-input input")).to_be_visible(timeout=FIRST_LOAD_MS)
    type_into(page, ".folder-input", path)
    if path.strip():
        error = page.locator(".view-error")
        expect(error).to_contain_text("folder: ")
        assert "\n" not in error.inner_text().strip()
    else:
        expect(page.get_by_text("choose a run folder")).to_be_visible()
    no_traceback(page)
    folder = tmp_path / "run"
    direct_run(["strategies=[none,uniform]", "n_seeds=5"], folder)
    type_into(page, ".folder-input", str(folder))
    expect(page.locator(".view-error")).to_have_count(0)
    shown(page, "point 0")


def test_each_session_keeps_its_own_settings(browser: Browser, server: str) -> None:
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2)]
    try:
        a, b = (c.new_page() for c in contexts)
        for p in (a, b):
            p.goto(server)
            shown(p, BUDGET, timeout=FIRST_LOAD_MS)
        type_into(a, ".budget-input", "3")
        shown(a, "budget 3 budget units")
        b.wait_for_timeout(1000)
        assert BUDGET in b.locator(".view-status").inner_text()
        assert b.locator(".budget-input input").input_value() == str(DEFAULTS.budget)
        contexts.append(browser.new_context())
        late = contexts[2].new_page()  # a new session after the change starts from defaults
        late.goto(server)
        shown(late, BUDGET, timeout=FIRST_LOAD_MS)
    finally:
        for c in contexts:
            c.close()
