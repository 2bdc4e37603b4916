"""Known mistakes in 09-capstone: one realistic wrong answer per graded exercise."""
from known_wrong import Mistake

MISTAKES = [
    Mistake(
        answer_id="validation_split",
        test_id="test_validation_split",
        names=('block',),
        source="""
def validation_split(n, val_fraction, seed):
    n_val = round(val_fraction * n)
    idx = np.arange(n)
    return idx[:n - n_val], idx[n - n_val:]  # BUG: the last n_val samples, never shuffled
""",
    ),
    Mistake(
        answer_id="batch_indices",
        test_id="test_batch_indices",
        names=('last',),
        oracle_names=('remainder',),
        source="""
def batch_indices(n, batch_size, seed):
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=g)
    return [perm[i:i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]  # BUG: drops the last batch
""",
    ),
    Mistake(
        answer_id="q_eval_mode",
        test_id="test_q_eval_mode",
        names=('masks',),
        source="""
Q_EVAL_MODE = "a"
""",
    ),
    Mistake(
        answer_id="early_stopping_update",
        test_id="test_early_stopping_update",
        names=('improved',),
        round_trip=True,
        source="""
def early_stopping_update(state, val_accuracy, patience, min_delta=0.0):
    new = dict(state)
    improved = val_accuracy >= state["best"] + min_delta  # BUG: a tie counts as an improvement
    if improved:
        new["best"], new["best_epoch"], new["bad_epochs"] = val_accuracy, state["epoch"], 0
    else:
        new["bad_epochs"] = state["bad_epochs"] + 1
    new["epoch"] = state["epoch"] + 1
    return new, improved, patience is not None and new["bad_epochs"] >= patience
""",
    ),
    Mistake(
        answer_id="q_lr",
        test_id="test_q_lr",
        names=('overshooting',),
        source="""
Q_LR = "a"
""",
    ),
    Mistake(
        answer_id="q_val_noise",
        test_id="test_q_val_noise",
        names=('outside the accepted range',),
        source="""
Q_VAL_NOISE = 0.0126  # BUG: a fraction, not percentage points
""",
    ),
    Mistake(
        answer_id="q_selection",
        test_id="test_q_selection",
        names=('upward',),
        source="""
Q_SELECTION = "c"
""",
    ),
    Mistake(
        answer_id="final_config",
        test_id="test_final_model",
        names=('accuracy',),
        oracle_names=('accuracy',),
        source="""
# BUG: the MLP at a large learning rate, no validation evidence, no early stopping
FINAL_CONFIG = {"model": "mlp", "width": 256, "dropout": 0.0, "lr": 0.05, "weight_decay": 0.0,
                "epochs": 30, "patience": None, "schedule": "constant"}
""",
    ),
]
