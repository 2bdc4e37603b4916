"""Every notebook's explorer can be driven headless: the update changes the figure.

The solution notebook's code cells are run in this process, in order, up to the cell
that builds the explorer (fast mode, Agg backend), then the explorer is updated with
slider values and its figure's data is compared before and after.
"""
import matplotlib

matplotlib.use("Agg")

from pathlib import Path  # noqa: E402

import nbformat  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def run_until(notebook: Path, name: str) -> dict:
    """Execute code cells of ``notebook`` until ``name`` is defined; return the namespace."""
    namespace: dict = {"__name__": "__notebook__"}
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!")))
        exec(compile(source, f"{notebook.name}", "exec"), namespace)  # noqa: S102 - our own notebook
        if name in namespace:
            return namespace
    raise AssertionError(f"{notebook.name} never defines {name}")


def line_data(fig):
    ax = fig.axes[0]
    return [np.column_stack(line.get_data()).astype(float) for line in ax.lines], ax.get_title()


def rows_right(gate, w1, w2, b) -> int:
    """Independent count of truth-table rows a unit (w1, w2, b) gets right."""
    import operator

    ops = {"AND": operator.and_, "OR": operator.or_, "XOR": operator.xor}
    return sum(int(w1 * x1 + w2 * x2 + b >= 0) == ops[gate](x1, x2) for x1 in (0, 1) for x2 in (0, 1))


def test_perceptron_gate_explorer_moves_the_line_and_counts_correct_rows():
    ns = run_until(ROOT / "solutions" / "01-perceptron" / "perceptron.ipynb", "gate_explorer")
    explorer = ns["gate_explorer"]
    settings = [dict(gate="AND", w1=1.0, w2=1.0, b=-1.5), dict(gate="AND", w1=1.0, w2=1.0, b=-0.5),
                dict(gate="XOR", w1=1.0, w2=1.0, b=-0.5), dict(gate="OR", w1=-0.7, w2=1.3, b=0.2)]
    previous = None
    for values in settings:
        lines, title = line_data(explorer.update(**values))
        assert values["gate"] in title and f"{rows_right(**values)}/4" in title, (values, title)
        if previous is not None and values["b"] != previous[1]["b"]:
            moved = any(not np.allclose(a, b, equal_nan=True) for a, b in zip(previous[0], lines))
            assert moved, f"moving the sliders to {values} did not move the decision line"
        previous = (lines, values)
