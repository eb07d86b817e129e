"""The Solara app: three views, one route each (``solara run experiments.dashboard.pages``)."""

from __future__ import annotations

import solara
import solara.lab

from experiments.dashboard.browser import ResultsPage
from experiments.dashboard.compare import ComparePage
from experiments.dashboard.single import SingleRunPage

TITLE = "ASEAN outreach simulator"


@solara.component
def Layout(children: list | None = None) -> None:
    """The app bar: the title and one tab per view."""
    route, routes = solara.use_route()
    router = solara.use_router()
    index = routes.index(route) if route in routes else 0

    def go(i: int) -> None:
        router.push("/" + routes[i].path.strip("/"))

    solara.Title(f"{TITLE}: {routes[index].label}")
    with solara.AppLayout(navigation=True):  # our tabs: AppLayout's would show paths
        with solara.AppBar():  # AppLayout takes any other first child for the sidebar
            solara.AppBarTitle(f"{TITLE}: Japan's 2022 outreach for sanctions on Russia")
            with solara.lab.Tabs(value=index, on_value=go, align="center"):
                for r in routes:
                    solara.lab.Tab(r.label)
        solara.Column(children=children or [])


routes = [
    solara.Route(path="/", component=ComparePage, label="Compare strategies", layout=Layout),
    solara.Route(path="single-run", component=SingleRunPage, label="Single run (Mesa)"),
    solara.Route(path="results", component=ResultsPage, label="Results browser"),
]
