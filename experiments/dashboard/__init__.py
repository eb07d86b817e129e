"""The dashboard: compare strategies live, step the Mesa model, browse saved runs.

``python -m experiments.app`` serves it (Solara, Mesa's visualization stack). The pure
parts (settings and the command that reproduces them, the ensemble, statistics, figures,
saved-run tables) import no Solara and are tested without a browser; the pages
(:mod:`experiments.dashboard.pages`) only arrange them.
"""
