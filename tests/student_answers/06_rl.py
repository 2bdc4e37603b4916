"""Student-style answers for 06-rl, written from the exercise texts alone."""

ANSWERS = {
    "discounted_returns": '''
def discounted_returns(rewards, gamma):
    T = len(rewards)
    G = np.zeros(T)
    running = 0.0
    for t in range(T - 1, -1, -1):
        running = rewards[t] + gamma * running
        G[t] = running
    return G
''',
    "q_from_v": '''
def q_from_v(P, R, V, gamma):
    return R + gamma * (P @ V)
''',
    "policy_evaluation": '''
def policy_evaluation(P, R, policy, gamma, tol=1e-10, max_iter=100_000):
    V = np.zeros(R.shape[0])
    for sweep in range(max_iter):
        Q = q_from_v(P, R, V, gamma)
        V_next = (policy * Q).sum(axis=1)
        if np.max(np.abs(V_next - V)) < tol:
            return V_next
        V = V_next
    return V
''',
    "value_iteration": '''
def value_iteration(P, R, gamma, tol=1e-10, max_iter=100_000):
    V = np.zeros(R.shape[0])
    for sweep in range(max_iter):
        V_next = q_from_v(P, R, V, gamma).max(axis=1)
        done = np.max(np.abs(V_next - V)) < tol
        V = V_next
        if done:
            break
    greedy = np.argmax(q_from_v(P, R, V, gamma), axis=1).astype(np.int64)
    return V, greedy
''',
    "epsilon_greedy_probs": '''
def epsilon_greedy_probs(q_values, epsilon):
    q = np.asarray(q_values, dtype=float)
    n_actions = q.shape[-1]
    best = (q == q.max(axis=-1, keepdims=True)).astype(float)
    n_best = best.sum(axis=-1, keepdims=True)
    return epsilon / n_actions + (1 - epsilon) * best / n_best
''',
    "q_learning_update": '''
def q_learning_update(Q, s, a, r, s_next, done, alpha=0.1, gamma=0.99):
    if done:
        target = r
    else:
        target = r + gamma * np.max(Q[s_next])
    Q[s, a] = Q[s, a] + alpha * (target - Q[s, a])
    return Q
''',
    "reinforce_loss": '''
def reinforce_loss(logits, actions, returns, baselines):
    logp = F.log_softmax(logits, dim=1)
    chosen = logp.gather(1, actions.long().unsqueeze(1)).squeeze(1)
    adv = returns - baselines.detach()
    return -(chosen * adv).mean()
''',
    "agent_weights": '''
def agent_weights():
    exported = []
    for module in policy_net.modules():
        if isinstance(module, nn.Linear):
            W = module.weight.detach().numpy().astype(np.float64)   # already (n_out, n_in)
            b = module.bias.detach().numpy().astype(np.float64)
            exported.append((W, b))
    return exported
''',
    "q_bellman_optimality": "Q_BELLMAN_OPTIMALITY = 'b'\n",
    "q_slip_detour": "Q_SLIP_DETOUR = 'B'\n",
    "q_chain_value": "Q_CHAIN_VALUE = 0.9 ** 3\n",
    "q_greedy_share": "Q_GREEDY_SHARE = 0.85\n",
    "written_planning": '''
Value iteration knows P and R (the model) and just computes: it sweeps all states with the
Bellman optimality backup until V converges to V*, then takes the argmax. It never acts.
Q-learning doesn't know P or R, it only gets (s, a, r, s') samples by acting and nudges Q(s, a)
towards r + gamma max Q(s', .). So it has to explore: if it never tries an action it never learns
that it is better, and pure greedy could get stuck on a bad path. Value iteration sees every action
in the model so it doesn't need to try anything.
''',
}
