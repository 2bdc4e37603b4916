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
import pytest  # noqa: E402

from autograder.oracle import load_oracle  # noqa: E402

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


def worked_example_gradients(ns):
    """dE/dw1 and dE/dw5 of the lecture's 2-2-1 network, by torch.autograd, from the notebook's numbers."""
    import torch

    w = {k: torch.tensor(float(ns[k]), dtype=torch.float64, requires_grad=True) for k in
         ("w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3")}
    x1, x2 = float(ns["x1"]), float(ns["x2"])
    h1 = torch.sigmoid(w["w1"] * x1 + w["w2"] * x2 + w["b1"])
    h2 = torch.sigmoid(w["w3"] * x1 + w["w4"] * x2 + w["b2"])
    y_hat = torch.sigmoid(w["w5"] * h1 + w["w6"] * h2 + w["b3"])
    ((y_hat - float(ns["y_target"])) ** 2).backward()
    return {"w1": w["w1"].grad.item(), "w5": w["w5"].grad.item()}


def test_backprop_explorer_walks_the_chain_rule_to_the_autograd_gradient():
    ns = run_until(ROOT / "solutions" / "03-backprop" / "backprop.ipynb", "backprop_explorer")
    explorer, reference = ns["backprop_explorer"], worked_example_gradients(ns)
    for weight, steps in (("w1", 5), ("w5", 3)):
        frames = [line_data(explorer.update(weight=weight, step=k)) for k in range(steps + 1)]
        titles = [title for _, title in frames]
        assert len(set(titles)) == steps + 1, f"every step of {weight} should change the title: {titles}"
        final = float(titles[-1].rsplit("=", 1)[1].split()[0])
        assert final == pytest.approx(reference[weight], abs=1e-5), (weight, titles[-1], reference)


def figure_state(fig):
    """Everything an update can change: every line's data and every axes' title."""
    return [(np.column_stack(line.get_data()).astype(float).round(6).tobytes(), ax.get_title())
            for ax in fig.axes for line in ax.lines] + [ax.get_title() for ax in fig.axes]


def assert_each_update_changes_the_figure(explorer, settings):
    previous = None
    for values in settings:
        state = figure_state(explorer.update(**values))
        assert previous is None or state != previous, f"update({values}) left the figure unchanged"
        previous = state


def test_sin_explorer_refits_for_width_depth_and_activation():
    ns = run_until(ROOT / "solutions" / "02-mlp" / "mlp.ipynb", "sin_explorer")
    explorer = ns["sin_explorer"]
    settings = [dict(width=8, depth=1, activation="relu"), dict(width=32, depth=2, activation="relu"),
                dict(width=32, depth=2, activation="tanh"), dict(width=4, depth=3, activation="linear")]
    assert_each_update_changes_the_figure(explorer, settings)
    # a linear network can only fit a straight line: its curve has one constant slope
    ax = explorer.figure.axes[0]
    curves = [np.column_stack(line.get_data()).astype(float) for line in ax.lines]
    assert any(len(c) > 10 and np.allclose(np.diff(c[:, 1]) / np.diff(c[:, 0]),
                                           (c[-1, 1] - c[0, 1]) / (c[-1, 0] - c[0, 0]), atol=1e-3)
               for c in curves), "the linear network's fit is not a straight line"


def test_kernel_explorer_applies_the_kernel_like_conv2d():
    import torch
    import torch.nn.functional as F

    ns = run_until(ROOT / "solutions" / "05-cnn" / "cnn.ipynb", "kernel_explorer")
    explorer = ns["kernel_explorer"]
    assert_each_update_changes_the_figure_images(explorer, [dict(preset="identity"), dict(preset="Sobel x"),
                                                            dict(k11=3.0), dict(image=5)])
    fig = explorer.update(preset="blur", image=2)
    digit, kernel, filtered = (np.asarray(im.get_array(), dtype=float) for im in fig.axes[0].images[:3])
    reference = F.conv2d(torch.tensor(digit)[None, None], torch.tensor(kernel)[None, None], padding=1)[0, 0]
    np.testing.assert_allclose(filtered, reference.numpy(), atol=1e-6)


def assert_each_update_changes_the_figure_images(explorer, settings):
    previous = None
    for values in settings:
        fig = explorer.update(**values)
        state = [np.asarray(im.get_array(), dtype=float).tobytes() for ax in fig.axes for im in ax.images]
        assert previous is None or state != previous, f"update({values}) left the images unchanged"
        previous = state


def test_schedule_explorer_draws_the_schedules_torch_computes():
    import torch

    ns = run_until(ROOT / "solutions" / "08-hyperparameters" / "hyperparameters.ipynb", "schedule_explorer")
    explorer = ns["schedule_explorer"]
    assert_each_update_changes_the_figure(explorer, [dict(schedule="step"), dict(schedule="cosine"),
                                                     dict(schedule="exponential", gamma=0.9)])
    fig = explorer.update(schedule="step", lr0=0.1, step_size=25, gamma=0.5, epochs=50)
    curves = [np.column_stack(line.get_data()).astype(float) for line in fig.axes[0].lines]
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=25, gamma=0.5)
    reference = []
    for _ in range(50):
        reference.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert any(len(c) >= 50 and np.allclose(c[:50, 1], reference) for c in curves), \
        "the step schedule drawn is not torch's StepLR (0.1 for 25 epochs, then 0.05)"


def test_optimizer_explorer_redraws_trajectories_and_gd_matches_a_direct_run():
    ns = run_until(ROOT / "solutions" / "04-optimizers" / "optimizers.ipynb", "optimizer_explorer")
    explorer = ns["optimizer_explorer"]
    assert_each_update_changes_the_figure(explorer, [dict(function="quadratic", lr=0.03), dict(lr=0.1),
                                                     dict(momentum=0.5), dict(function="Rosenbrock")])
    legend = explorer.update(function="quadratic", lr=10.0, steps=60).axes[0].get_legend()
    assert legend is not None and "diverged" in " ".join(t.get_text() for t in legend.get_texts())


def test_gridworld_explorer_redraws_values_that_solve_the_bellman_equations():
    ns = run_until(ROOT / "solutions" / "06-rl" / "rl.ipynb", "gridworld_explorer")
    explorer = ns["gridworld_explorer"]
    settings = [dict(gamma=0.6), dict(gamma=0.95, epsilon=0.5), dict(epsilon=0.1, slip=0.0), dict(slip=0.3)]
    previous = None
    for values in settings:
        fig = explorer.update(**values)
        state = [np.asarray(im.get_array(), dtype=float).tobytes() for im in fig.axes[0].images]
        assert previous is None or state != previous, f"update({values}) left the heat map unchanged"
        previous = state
    gamma, epsilon, slip = 0.9, 0.2, 0.1
    title = explorer.update(gamma=gamma, epsilon=epsilon, slip=slip).axes[0].get_title()
    P, R = ns["make_gridworld"](slip)
    # the grader's exact references: V* by policy iteration with linear solves, V^pi by a solve
    oracle = load_oracle("06-rl")
    v = oracle.optimal_values(P, R, gamma)
    q = R + gamma * np.einsum("sat,t->sa", P, v)
    best = q == q.max(axis=1, keepdims=True)
    n_actions = R.shape[1]
    eps_policy = epsilon / n_actions + (1 - epsilon) * best / best.sum(axis=1, keepdims=True)
    v_eps = oracle.exact_policy_value(P, R, eps_policy, gamma)[ns["START"]]
    assert f"V*(S)={v[ns['START']]:.3f}" in title and f"V(S)={v_eps:.3f}" in title, (title, v[ns["START"]], v_eps)


def test_depth_explorer_draws_autograd_gradient_norms():
    ns = run_until(ROOT / "solutions" / "07-resnet" / "resnet.ipynb", "depth_explorer")
    explorer = ns["depth_explorer"]
    assert_each_update_changes_the_figure(explorer, [dict(depth=10), dict(depth=40), dict(activation="relu"),
                                                     dict(network="residual"), dict(init="he")])
    fig = explorer.update(depth=20, activation="sigmoid", network="plain", init="default")
    (curve,) = [np.column_stack(line.get_data()).astype(float) for line in fig.axes[0].lines]
    assert len(curve) == 20
    # with sigmoid, a plain 20-layer network's gradients shrink towards the input by orders of magnitude
    assert curve[0, 1] < 1e-3 * curve[-1, 1], curve[:, 1]
    plain = ns["layer_grad_norms"](ns["mlp_weights"](20, "default", width=64, seed=0), ns["X_probe"],
                                   ns["y_probe"], activation="sigmoid")
    np.testing.assert_allclose(curve[:, 1], np.maximum(plain, 1e-30), rtol=1e-6)
