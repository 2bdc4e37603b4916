"""Known mistakes in 06-rl: one realistic wrong answer per graded exercise."""
from known_wrong import Mistake

MISTAKES = [
    Mistake(
        answer_id="discounted_returns",
        test_id="test_discounted_returns",
        names=('1 + 0.5 * G[2]',),
        source="""
def discounted_returns(rewards, gamma):
    rewards = np.asarray(rewards, dtype=np.float64)
    G = np.zeros_like(rewards)
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        running = gamma * (rewards[t] + running)  # BUG: discounts the immediate reward too
        G[t] = running
    return G
""",
    ),
    Mistake(
        answer_id="q_from_v",
        test_id="test_q_from_v",
        names=('discounted value of where you land',),
        # both back up values with q_from_v, as the notebook asks
        also_fails=('test_policy_evaluation', 'test_value_iteration'),
        source="""
def q_from_v(P, R, V, gamma):
    P, R, V = np.asarray(P, dtype=np.float64), np.asarray(R, dtype=np.float64), np.asarray(V, dtype=np.float64)
    Q = np.zeros_like(R)
    for s in range(R.shape[0]):
        for a in range(R.shape[1]):
            Q[s, a] = R[s, a] + gamma * V[s]  # BUG: the value of the current state, not of the next one
    return Q
""",
    ),
    Mistake(
        answer_id="policy_evaluation",
        test_id="test_policy_evaluation",
        names=('always move',),
        oracle_names=('uniform policy', 'policy[s, a]'),
        source="""
def policy_evaluation(P, R, policy, gamma, tol=1e-10, max_iter=100_000):
    policy = np.asarray(policy, dtype=np.float64)
    V = np.zeros(policy.shape[0])
    for _ in range(max_iter):
        V_new = q_from_v(P, R, V, gamma).mean(axis=1)  # BUG: averages the actions, ignores the policy
        if np.max(np.abs(V_new - V)) < tol:
            return V_new
        V = V_new
    return V
""",
    ),
    Mistake(
        answer_id="value_iteration",
        test_id="test_value_iteration",
        names=('argmax over actions',),
        oracle_names=('policy: expected shape',),
        source="""
def value_iteration(P, R, gamma, tol=1e-10, max_iter=100_000):
    V = np.zeros(np.asarray(R).shape[0])
    for _ in range(max_iter):
        V_new = q_from_v(P, R, V, gamma).max(axis=1)
        done = np.max(np.abs(V_new - V)) < tol
        V = V_new
        if done:
            break
    policy = np.argmax(q_from_v(P, R, V, gamma), axis=0)  # BUG: wrong axis.astype(np.int64)
    return V, policy
""",
    ),
    Mistake(
        answer_id="epsilon_greedy_probs",
        test_id="test_epsilon_greedy_probs",
        names=('tie',),
        oracle_names=('a tie',),
        round_trip=True,
        source="""
def epsilon_greedy_probs(q_values, epsilon):
    q = np.asarray(q_values, dtype=np.float64)
    n_actions = q.shape[-1]
    probs = np.full(q.shape, epsilon / n_actions)
    best = np.argmax(q, axis=-1)  # BUG: a tie gives all the greedy mass to the first best action
    np.put_along_axis(probs, np.expand_dims(best, -1), epsilon / n_actions + 1.0 - epsilon, axis=-1)
    return probs
""",
    ),
    Mistake(
        answer_id="q_learning_update",
        test_id="test_q_learning_update",
        names=('done',),
        source="""
def q_learning_update(Q, s, a, r, s_next, done, alpha=0.1, gamma=0.99):
    Q = np.asarray(Q, dtype=np.float64)
    target = r + gamma * np.max(Q[s_next])  # BUG: bootstraps past the end
    Q[s, a] += alpha * (target - Q[s, a])
    return Q
""",
    ),
    Mistake(
        answer_id="reinforce_loss",
        test_id="test_reinforce_loss",
        names=('detach',),
        oracle_names=('detach',),
        source="""
def reinforce_loss(logits, actions, returns, baselines):
    log_probs = F.log_softmax(logits, dim=1)
    taken = log_probs.gather(1, actions.long().unsqueeze(1)).squeeze(1)
    advantages = returns - baselines  # BUG: the baselines get the policy's gradient
    return -(taken * advantages).mean()
""",
    ),
    Mistake(
        answer_id="agent_weights",
        test_id="test_agent_weights",
        names=('transpose', '(n_out, n_in)'),
        oracle_names=('transpose', '(n_out, n_in)'),
        source="""
def agent_weights():
    # BUG: transposes nn.Linear's (n_out, n_in) weight into (n_in, n_out), the habit of writing h @ W + b
    return [(layer.weight.detach().cpu().numpy().T.copy(), layer.bias.detach().cpu().numpy().copy())
            for layer in policy_net if isinstance(layer, nn.Linear)]
""",
    ),
    Mistake(answer_id="q_bellman_optimality", test_id="test_q_bellman_optimality", names=("one-step look-ahead",),
            source='Q_BELLMAN_OPTIMALITY = "c"  # BUG: the max is over future values, not just the reward\n'),
    Mistake(answer_id="q_slip_detour", test_id="test_q_slip_detour", names=("longer route",),
            source='Q_SLIP_DETOUR = "a"  # BUG: the shortest route is not the best with slipping\n'),
    Mistake(answer_id="q_chain_value", test_id="test_q_chain_value", names=("gamma^3",),
            source="Q_CHAIN_VALUE = 0.9 ** 4  # BUG: one discount too many\n"),
    Mistake(answer_id="q_greedy_share", test_id="test_q_greedy_share", names=("epsilon / A",),
            source="Q_GREEDY_SHARE = 0.8  # BUG: forgets the best action's share of the exploration\n"),
]

