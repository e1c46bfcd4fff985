"""Plotly figures in one widget that can be redrawn: :class:`Figures`.

The dashboard draws its charts with it instead of one ``plotly.graph_objects.FigureWidget``
per chart. A FigureWidget's front end (plotly 6+, an anywidget) is a ~5 MB module with
plotly.js inside, and every FigureWidget model imports its own copy. anywidget gives a
model's module 2 seconds, counted from the model's creation, to load; then it rejects the
model's ``ready`` promise with "[anywidget] Failed to initialize model." (the ``Runtime``
constructor in anywidget's runtime.ts, added by https://github.com/manzt/anywidget/pull/828,
still so in anywidget 0.11.0). That is an uncaught error in the page, unless a message
for the model was waiting on ``ready`` (``AnyModel._handle_comm_msg``), which is then
lost instead: so the error showed in some page loads only.
Voilà creates all the models of its page at once (``Promise.all`` in ``_loadFromKernel``
of its widget manager), so with 5-7 FigureWidgets the 5 MB imports queue behind each
other (about 2 s each on a 2-core machine) and the later ones run out of time. The charts
drew anyway (a view waits for the module, not for the timer), so only the page's error
log showed it. JupyterLab creates models one by one as their messages come in, which is
why it did not show there.

Here the module is a few lines, and plotly.js travels as a synced trait that the page
evaluates once (per plotly.js version), when the first view renders: after the model's
``ready``, outside anywidget's 2 seconds. The whole dashboard is ONE such model: a second
anywidget model created in the same moment (Voilà) could see its own short import delayed
behind that evaluation. Redrawing sets ``sections`` on the same model (``Plotly.react``
in the page): no model is created or closed when the dashboard shows another test.

Not figures displayed into ``Output`` widgets either: nbclient (reports, tests, Binder's
check) cannot shut down a kernel that sent a large figure into one.

>>> Figures({"Sessions": [fig1, fig2], "Answers": [fig3]})            # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anywidget
import traitlets

__all__ = ["Figures", "figure_json"]

_HERE = Path(__file__).resolve().parent


def figure_json(figure: Any) -> dict[str, Any]:
    """``figure`` as the JSON plotly.js draws, by plotly's own encoder: dates as ISO text
    (numpy datetimes sent as they are come out as numbers, drawn near 1970) and numeric
    arrays as compact typed arrays."""
    import plotly.io as pio

    return json.loads(pio.to_json(figure, validate=False))


def _plotly_js() -> tuple[str, str]:
    """plotly.js (minified) and its version, as shipped with the installed plotly."""
    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    return get_plotlyjs(), get_plotlyjs_version()


class Figures(anywidget.AnyWidget):
    """Plotly figures in sections, each under its heading; :meth:`show` redraws them.

    Synced state: ``sections``, a list of ``{"heading": str, "figures": [...]}`` with
    each figure as plotly JSON (``{"data": [...], "layout": {...}}``). In the page each
    chart is a ``.js-plotly-plot`` inside a ``.ut-figures-section``.
    """

    _esm = _HERE / "figures.js"

    sections = traitlets.List(traitlets.Dict()).tag(sync=True)
    # plotly.js goes with the model, not in _esm (see the module docstring).
    _plotly_js = traitlets.Unicode("").tag(sync=True)
    _plotly_version = traitlets.Unicode("").tag(sync=True)

    def __init__(self, sections: Mapping[str, Sequence[Any]] | None = None, **kwargs: Any):
        source, version = _plotly_js()
        super().__init__(_plotly_js=source, _plotly_version=version, **kwargs)
        if sections:
            self.show(sections)

    def show(self, sections: Mapping[str, Sequence[Any]]) -> None:
        """Draw ``sections`` (heading -> plotly figures, in order) instead of what is shown."""
        self.sections = [
            {"heading": heading, "figures": [figure_json(f) for f in figures]}
            for heading, figures in sections.items()
        ]

    @property
    def figures(self) -> list[dict[str, Any]]:
        """Every figure drawn, as plotly JSON, in order."""
        return [figure for section in self.sections for figure in section["figures"]]
