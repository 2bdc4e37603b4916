"""Slider explorers that work in JupyterLab and can be driven headless in tests.

An :class:`Explorer` owns a matplotlib figure and a drawing function
``draw(ax, **values)``. In JupyterLab, ``explorer.show()`` (or displaying it) renders
sliders whose changes redraw the figure; in a test, ``explorer.update(w1=2.0)``
redraws with those values and returns the figure, whose artists can be inspected.
"""
from __future__ import annotations

from collections.abc import Callable

import ipywidgets as W
from IPython.display import display
from matplotlib.figure import Figure


def _slider(name: str, spec):
    if isinstance(spec, W.ValueWidget):
        return spec
    if isinstance(spec, (list, tuple)) and spec and all(isinstance(s, str) for s in spec):
        return W.Dropdown(options=list(spec), value=spec[0], description=name)
    lo, hi, step, value = spec
    cls = W.IntSlider if all(isinstance(v, int) for v in spec) else W.FloatSlider
    return cls(min=lo, max=hi, step=step, value=value, description=name,
               continuous_update=True, layout=W.Layout(width="320px"))


class Explorer:
    """Sliders bound to a redrawn figure.

    Args:
        draw: ``draw(ax, **values)`` draws one frame on a cleared axes.
        controls: name -> ``(min, max, step, value)`` for a slider, a list of strings for
            a dropdown, or a ready ipywidget.
        figsize: size of the figure in inches.
    """

    def __init__(self, draw: Callable, controls: dict, figsize=(4.5, 4)):
        self.draw = draw
        self.controls = {name: _slider(name, spec) for name, spec in controls.items()}
        self.figure = Figure(figsize=figsize)
        self.ax = self.figure.add_subplot()
        self.output = W.Output()
        self._quiet = False
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = W.HBox([W.VBox(list(self.controls.values())), self.output])
        self.update()

    @property
    def values(self) -> dict:
        return {name: c.value for name, c in self.controls.items()}

    def update(self, **values) -> Figure:
        """Set any controls given, redraw, and return the figure."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise KeyError(f"no control named {sorted(unknown)}; controls: {sorted(self.controls)}")
        self._quiet = True  # one redraw for the whole update, not one per control
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._quiet = False
        self._redraw()
        return self.figure

    def _on_change(self, _change):
        if not self._quiet:
            self._redraw()

    def _redraw(self):
        self.ax.clear()
        self.draw(self.ax, **self.values)
        with self.output:
            self.output.clear_output(wait=True)
            display(self.figure)

    def show(self):
        """Display the sliders and the figure in the notebook."""
        display(self.widget)

    def _ipython_display_(self):
        self.show()
