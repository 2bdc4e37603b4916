"""A realistic mistake in an exercise no other graded exercise builds on."""
ANSWER_ID = "epsilon_greedy_probs"
TEST_ID = "test_epsilon_greedy_probs"
SOURCE = """
def epsilon_greedy_probs(q_values, epsilon):
    q = np.asarray(q_values, dtype=np.float64)
    n_actions = q.shape[-1]
    probs = np.full(q.shape, epsilon / n_actions)
    best = np.argmax(q, axis=-1)  # BUG: a tie gives all the greedy mass to the first best action
    np.put_along_axis(probs, np.expand_dims(best, -1), epsilon / n_actions + 1.0 - epsilon, axis=-1)
    return probs
"""
