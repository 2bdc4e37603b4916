"""A realistic mistake in an exercise no other graded exercise builds on."""
ANSWER_ID = "early_stopping_epoch"
TEST_ID = "test_early_stopping_epoch"
SOURCE = """
def early_stopping_epoch(val_losses, patience, min_delta=0.0):
    best, best_epoch, wait = val_losses[0], 0, 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] < best - min_delta:
            best, best_epoch, wait = val_losses[epoch], epoch, 0
        else:
            wait += 1
            if wait > patience:  # BUG: waits one epoch too many
                return epoch, best_epoch
    return len(val_losses) - 1, best_epoch
"""
