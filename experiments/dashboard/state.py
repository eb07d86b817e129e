"""Per-session state of the dashboard.

Solara keeps the value of a module-level reactive variable per browser session (one
virtual kernel per page), so sessions never see each other's settings. Defaults are
immutable values; models and results are created inside components (``use_memo``,
``use_reactive``, ``use_task``), never at module level, where every session would share
them.
"""

from __future__ import annotations

import solara

from experiments.dashboard.settings import Settings, default_settings

settings: solara.Reactive[Settings] = solara.reactive(default_settings())
"""The scenario shared by the Compare and Single run views of one session."""
