"""Unit tests for dlcourse.plots and dlcourse.widgets, run headless on the Agg backend."""
import matplotlib

matplotlib.use("Agg")

import ipywidgets as W  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402
from traitlets import TraitError  # noqa: E402

from dlcourse import plots, widgets  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _scatters(ax):
    return [c for c in ax.collections if isinstance(c, PathCollection)]


def _contours(ax, filled):
    return [c for c in ax.collections if isinstance(c, ContourSet) and c.filled == filled]


def _rows(a):
    a = np.asarray(a, dtype=float)
    return a[np.lexsort(a.T[::-1])]


@pytest.fixture
def linear_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    w, b = np.array([1.5, -0.7]), 0.3
    y = (X @ w + b > 0).astype(np.int64)
    return X, y, w, b


# --------------------------------------------------------------------------- decision_boundary


@pytest.mark.parametrize("kind", ["labels", "scores"])
def test_decision_boundary_draws_contour_along_true_line(linear_problem, kind):
    X, y, w, b = linear_problem
    if kind == "labels":
        predict = lambda P: (P @ w + b > 0).astype(int)  # noqa: E731
    else:
        predict = lambda P: 1.0 / (1.0 + np.exp(-(P @ w + b)))  # noqa: E731
    ax = plots.decision_boundary(predict, X, y, resolution=150)

    filled = _contours(ax, filled=True)
    assert len(filled) == 1
    levels = np.asarray(filled[0].levels)
    # the shading separates the two sides of the boundary: some level lies strictly inside (0, 1)
    assert ((levels > 0) & (levels < 1)).any()

    lines = _contours(ax, filled=False)
    assert len(lines) == 1
    np.testing.assert_allclose(lines[0].levels, [0.5])
    verts = np.concatenate([p.vertices for p in lines[0].get_paths() if len(p.vertices)])
    assert len(verts) > 10
    # every vertex of the 0.5 contour lies on w.x + b = 0 (to within the grid spacing)
    span = (X.max(axis=0) - X.min(axis=0) + 1.0).max()
    cell = span / (150 - 1)
    dist = np.abs(verts @ w + b) / np.linalg.norm(w)
    assert dist.max() < 2 * cell


def test_decision_boundary_scatters_every_point(linear_problem):
    X, y, w, b = linear_problem
    ax = plots.decision_boundary(lambda P: (P @ w + b > 0).astype(int), X, y)
    scat = _scatters(ax)
    assert len(scat) == len(np.unique(y))
    all_offsets = np.concatenate([s.get_offsets() for s in scat])
    np.testing.assert_array_equal(_rows(all_offsets), _rows(X))
    # each scatter holds exactly the points of one class
    per_class = sorted(_rows(s.get_offsets()).tobytes() for s in scat)
    expected = sorted(_rows(X[y == c]).tobytes() for c in np.unique(y))
    assert per_class == expected
    labels = {t.get_text() for t in ax.get_legend().get_texts()}
    assert labels == {f"class {c}" for c in np.unique(y)}


def test_decision_boundary_grid_covers_the_data(linear_problem):
    X, y, w, b = linear_problem
    seen = []

    def predict(P):
        seen.append(P.copy())
        return (P @ w + b > 0).astype(int)

    ax = plots.decision_boundary(predict, X, y, resolution=50, title="my title")
    assert len(seen) == 1
    P = seen[0]
    assert P.shape == (50 * 50, 2)
    assert (P.min(axis=0) <= X.min(axis=0)).all()
    assert (P.max(axis=0) >= X.max(axis=0)).all()
    assert ax.get_title() == "my title"


def test_decision_boundary_uses_given_axes(linear_problem):
    X, y, w, b = linear_problem
    fig, ax = plt.subplots()
    out = plots.decision_boundary(lambda P: (P @ w + b > 0).astype(int), X, y, ax=ax)
    assert out is ax
    assert len(fig.axes) == 1


def test_decision_boundary_multiclass(linear_problem):
    X, _, _, _ = linear_problem
    y = (np.argmax(np.column_stack([X[:, 0], X[:, 1], -X.sum(axis=1)]), axis=1)).astype(int)

    def predict(P):
        return np.argmax(np.column_stack([P[:, 0], P[:, 1], -P.sum(axis=1)]), axis=1)

    ax = plots.decision_boundary(predict, X, y)
    assert len(_scatters(ax)) == 3
    np.testing.assert_array_equal(_rows(np.concatenate([s.get_offsets() for s in _scatters(ax)])), _rows(X))


# --------------------------------------------------------------------------- line_from_weights


@pytest.mark.parametrize(
    "w, b",
    [((1.0, 1.0), 0.0), ((2.0, -1.0), 0.5), ((0.3, 4.0), -1.0), ((-1.0, 0.2), 0.1)],
)
def test_line_from_weights_satisfies_equation(w, b):
    fig, ax = plt.subplots()
    ax.set_xlim(-3, 3)
    ax.set_ylim(-2, 2)
    line = plots.line_from_weights(w, b, ax)
    xs, ys = (np.asarray(v, dtype=float) for v in line.get_data())
    assert len(xs) >= 2
    np.testing.assert_allclose(w[0] * xs + w[1] * ys + b, 0.0, atol=1e-9)
    # it spans the horizontal range of the axes and leaves the limits alone
    np.testing.assert_allclose(sorted(xs)[0], -3)
    np.testing.assert_allclose(sorted(xs)[-1], 3)
    assert ax.get_xlim() == (-3, 3)
    assert ax.get_ylim() == (-2, 2)
    assert line in ax.lines


def test_line_from_weights_vertical_line():
    fig, ax = plt.subplots()
    ax.set_xlim(-3, 3)
    ax.set_ylim(-2, 2)
    w, b = (2.0, 0.0), -1.0
    line = plots.line_from_weights(w, b, ax)
    xs, ys = (np.asarray(v, dtype=float) for v in line.get_data())
    np.testing.assert_allclose(w[0] * xs + w[1] * ys + b, 0.0, atol=1e-12)
    np.testing.assert_allclose(xs, 0.5)
    assert ys.min() == -2 and ys.max() == 2


def test_line_from_weights_zero_weights_draws_nothing_visible():
    fig, ax = plt.subplots()
    line = plots.line_from_weights((0.0, 0.0), 1.0, ax)
    xs, ys = line.get_data()
    assert np.isnan(np.asarray(xs, dtype=float)).all()
    assert np.isnan(np.asarray(ys, dtype=float)).all()


def test_line_from_weights_accepts_arrays_and_kwargs():
    import torch

    fig, ax = plt.subplots()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    w = torch.tensor([1.0, 1.0])
    line = plots.line_from_weights(w, -1.0, ax, color="r", lw=3)
    xs, ys = (np.asarray(v, dtype=float) for v in line.get_data())
    np.testing.assert_allclose(xs + ys - 1.0, 0.0, atol=1e-7)
    assert matplotlib.colors.same_color(line.get_color(), "r")
    assert line.get_linewidth() == 3


# --------------------------------------------------------------------------- training_curves


def test_training_curves_one_line_per_series():
    history = {"train": [1.0, 0.5, 0.25, 0.2], "test": [1.1, 0.7, 0.6, 0.65]}
    ax = plots.training_curves(history, ylabel="loss", title="t")
    assert len(ax.lines) == len(history)
    by_label = {ln.get_label(): ln for ln in ax.lines}
    assert set(by_label) == set(history)
    for name, values in history.items():
        xs, ys = by_label[name].get_data()
        np.testing.assert_array_equal(np.asarray(ys, dtype=float), values)
        np.testing.assert_array_equal(np.asarray(xs), np.arange(1, len(values) + 1))
    assert ax.get_legend() is not None
    assert ax.get_ylabel() == "loss"
    assert ax.get_title() == "t"


def test_training_curves_single_long_series_and_logy():
    values = list(np.linspace(1, 0.01, 100))
    ax = plots.training_curves({"loss": values}, logy=True)
    assert len(ax.lines) == 1
    np.testing.assert_allclose(ax.lines[0].get_ydata(), values)
    assert ax.get_yscale() == "log"


def test_training_curves_series_of_different_lengths():
    history = {"a": [3, 2, 1], "b": [5, 4, 3, 2, 1, 0.5]}
    ax = plots.training_curves(history)
    for ln in ax.lines:
        np.testing.assert_array_equal(ln.get_ydata(), history[ln.get_label()])


# --------------------------------------------------------------------------- image_grid


@pytest.mark.parametrize("n, ncols", [(7, 10), (12, 5), (10, 10)])
def test_image_grid_shows_every_image(n, ncols):
    rng = np.random.default_rng(n)
    images = rng.random((n, 8, 8))
    fig = plots.image_grid(images, labels=list(range(n)), ncols=ncols)
    assert isinstance(fig, matplotlib.figure.Figure)
    shown = [im for ax in fig.axes for im in ax.get_images()]
    assert len(shown) == n
    assert len(fig.axes) == ncols * int(np.ceil(n / ncols))
    for i, im in enumerate(shown):
        assert isinstance(im, AxesImage)
        np.testing.assert_array_equal(np.asarray(im.get_array()), images[i])
    titles = [ax.get_title() for ax in fig.axes if ax.get_images()]
    assert titles == [str(i) for i in range(n)]


def test_image_grid_reshapes_flat_images():
    rng = np.random.default_rng(1)
    flat = rng.random((5, 64))
    fig = plots.image_grid(flat, ncols=3)
    shown = [im for ax in fig.axes for im in ax.get_images()]
    assert len(shown) == 5
    for i, im in enumerate(shown):
        np.testing.assert_array_equal(np.asarray(im.get_array()), flat[i].reshape(8, 8))


# --------------------------------------------------------------------------- Explorer


class DrawSpy:
    """A draw function that plots the line y = w x + b and counts its calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, ax, **values):
        self.calls.append(dict(values))
        xs = np.linspace(-1, 1, 5)
        w = values.get("w", 1.0)
        b = values.get("b", 0.0)
        if values.get("kind", "line") == "parabola":
            ax.plot(xs, w * xs**2 + b)
        else:
            ax.plot(xs, w * xs + b)


@pytest.fixture
def display_calls(monkeypatch):
    calls = []
    monkeypatch.setattr(widgets, "display", lambda *a, **k: calls.append(a))
    return calls


def _ydata(explorer):
    assert len(explorer.ax.lines) == 1  # the axes were cleared before redrawing
    return np.asarray(explorer.ax.lines[0].get_ydata(), dtype=float)


def test_explorer_draws_once_on_creation(display_calls):
    spy = DrawSpy()
    ex = widgets.Explorer(spy, {"w": (-2.0, 2.0, 0.1, 0.5), "b": (-1.0, 1.0, 0.1, 0.0)})
    assert len(spy.calls) == 1
    assert spy.calls[0] == {"w": 0.5, "b": 0.0}
    assert ex.values == {"w": 0.5, "b": 0.0}
    np.testing.assert_allclose(_ydata(ex), 0.5 * np.linspace(-1, 1, 5))


def test_explorer_update_redraws_with_new_values(display_calls):
    spy = DrawSpy()
    ex = widgets.Explorer(spy, {"w": (-2.0, 2.0, 0.1, 0.5), "b": (-1.0, 1.0, 0.1, 0.0)})
    fig1 = ex.update(w=1.5)
    y1 = _ydata(ex)
    fig2 = ex.update(w=-1.0, b=0.5)
    y2 = _ydata(ex)
    assert fig1 is ex.figure and fig2 is ex.figure
    xs = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(y1, 1.5 * xs + 0.0)
    np.testing.assert_allclose(y2, -1.0 * xs + 0.5)
    assert not np.allclose(y1, y2)
    assert ex.values == {"w": -1.0, "b": 0.5}


def test_explorer_one_update_is_one_draw(display_calls):
    spy = DrawSpy()
    ex = widgets.Explorer(spy, {"w": (-2.0, 2.0, 0.1, 0.5), "b": (-1.0, 1.0, 0.1, 0.0)})
    before_draw, before_display = len(spy.calls), len(display_calls)
    ex.update(w=1.0, b=0.3)  # two controls change ...
    assert len(spy.calls) == before_draw + 1  # ... one redraw
    assert len(display_calls) == before_display + 1
    assert spy.calls[-1] == {"w": 1.0, "b": 0.3}
    ex.update()  # no change still redraws exactly once
    assert len(spy.calls) == before_draw + 2


def test_explorer_unknown_control_raises(display_calls):
    spy = DrawSpy()
    ex = widgets.Explorer(spy, {"w": (-2.0, 2.0, 0.1, 0.5)})
    n = len(spy.calls)
    with pytest.raises(KeyError, match="nope"):
        ex.update(nope=1.0)
    assert len(spy.calls) == n  # nothing redrawn, nothing changed
    assert ex.values == {"w": 0.5}


def test_explorer_slider_change_redraws(display_calls):
    spy = DrawSpy()
    ex = widgets.Explorer(spy, {"w": (-2.0, 2.0, 0.1, 0.5), "b": (-1.0, 1.0, 0.1, 0.0)})
    n = len(spy.calls)
    ex.controls["w"].value = 1.7  # as if the student moved the slider
    assert len(spy.calls) == n + 1
    np.testing.assert_allclose(_ydata(ex), 1.7 * np.linspace(-1, 1, 5))
    ex.controls["b"].value = -0.4
    assert len(spy.calls) == n + 2
    np.testing.assert_allclose(_ydata(ex), 1.7 * np.linspace(-1, 1, 5) - 0.4)


def test_explorer_dropdown_control(display_calls):
    spy = DrawSpy()
    ex = widgets.Explorer(spy, {"kind": ["line", "parabola"], "w": (-2.0, 2.0, 0.1, 1.0)})
    assert isinstance(ex.controls["kind"], W.Dropdown)
    assert ex.values["kind"] == "line"
    xs = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(_ydata(ex), xs)
    ex.update(kind="parabola")
    assert spy.calls[-1]["kind"] == "parabola"
    np.testing.assert_allclose(_ydata(ex), xs**2)
    n = len(spy.calls)
    ex.controls["kind"].value = "line"
    assert len(spy.calls) == n + 1
    np.testing.assert_allclose(_ydata(ex), xs)


def test_explorer_failed_update_keeps_sliders_live(display_calls):
    spy = DrawSpy()
    ex = widgets.Explorer(spy, {"kind": ["line", "parabola"], "w": (-2.0, 2.0, 0.1, 1.0)})
    with pytest.raises(TraitError):  # the dropdown refuses a value it does not offer
        ex.update(kind="not an option")
    n = len(spy.calls)
    ex.controls["w"].value = -1.5
    assert len(spy.calls) == n + 1  # the quiet flag was reset after the failure


def test_explorer_control_types(display_calls):
    ready = W.FloatText(value=2.5, description="c")
    ex = widgets.Explorer(
        DrawSpy(),
        {"n": (1, 10, 1, 3), "w": (-2.0, 2.0, 0.1, 0.5), "c": ready},
    )
    assert isinstance(ex.controls["n"], W.IntSlider)
    assert isinstance(ex.controls["w"], W.FloatSlider)
    assert ex.controls["c"] is ready
    s = ex.controls["w"]
    assert (s.min, s.max, s.step, s.value) == (-2.0, 2.0, 0.1, 0.5)
    assert ex.values == {"n": 3, "w": 0.5, "c": 2.5}
    n_before = len(ex.draw.calls)
    ready.value = 1.0  # a ready-made widget is wired up too
    assert len(ex.draw.calls) == n_before + 1
    assert ex.draw.calls[-1]["c"] == 1.0


def test_explorer_show_displays_the_widget(display_calls):
    ex = widgets.Explorer(DrawSpy(), {"w": (-2.0, 2.0, 0.1, 0.5)})
    display_calls.clear()
    ex.show()
    assert display_calls == [(ex.widget,)]
    assert isinstance(ex.widget, W.HBox)


def test_explorer_runs_without_patched_display():
    """Headless, with IPython's real display function (no kernel)."""
    spy = DrawSpy()
    ex = widgets.Explorer(spy, {"w": (-2.0, 2.0, 0.1, 0.5)})
    ex.update(w=1.0)
    assert len(spy.calls) == 2
    np.testing.assert_allclose(_ydata(ex), np.linspace(-1, 1, 5))
