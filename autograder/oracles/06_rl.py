"""Oracle for 06-rl: references in plain NumPy, exact linear solves, torch.autograd and gymnasium.

Each ``*_cases`` draws fresh inputs from the grader's generator; each ``check_*``
recomputes the reference here, in the grading process, and compares. The trained agent
arrives as plain arrays; the grader rebuilds the network in NumPy and plays CartPole-v1
itself on seeds drawn here, so no student code runs in this process.
"""
from dataclasses import dataclass

import numpy as np
import torch

from autograder.oracle import Case, Exercise, as_array, choice, estimate, mismatch, unpack
from autograder.trained_model import parse_layers

# -- shared: random MDPs, a small grid world, exact values ------------------------------


def random_mdp(rng, n_states, n_actions, n_absorbing=0, sparse=False):
    """P (S, A, S) with rows on the simplex, R (S, A); the last states may be absorbing."""
    P = rng.dirichlet(np.full(n_states, 0.6), size=(n_states, n_actions))
    if sparse:  # keep at most two successors per (s, a)
        keep = rng.random(P.shape) < 2.0 / n_states
        keep[..., 0] |= ~keep.any(axis=-1)
        P = np.where(keep, P + 1e-3, 0.0)
        P /= P.sum(axis=-1, keepdims=True)
    R = rng.normal(size=(n_states, n_actions))
    for s in range(n_states - n_absorbing, n_states):
        P[s] = 0.0
        P[s, :, s] = 1.0
        R[s] = 0.0
    return P, R


def maze(rng, rows, cols, slip):
    """A grid with a +1 exit and a -1 trap (both absorbing); moves slip sideways with prob `slip`."""
    n = rows * cols
    exit_cell, trap_cell = rng.choice(n, size=2, replace=False)
    steps = {0: (-1, 0), 1: (0, 1), 2: (1, 0), 3: (0, -1)}
    P = np.zeros((n, 4, n))
    for cell in range(n):
        if cell in (exit_cell, trap_cell):
            P[cell, :, cell] = 1.0
            continue
        r, c = divmod(cell, cols)
        for a in range(4):
            for d, p in ((a, 1.0 - slip), ((a + 1) % 4, slip / 2), ((a + 3) % 4, slip / 2)):
                rr = int(np.clip(r + steps[d][0], 0, rows - 1))
                cc = int(np.clip(c + steps[d][1], 0, cols - 1))
                P[cell, a, rr * cols + cc] += p
    entry = np.zeros(n)
    entry[exit_cell], entry[trap_cell] = 1.0, -1.0
    R = np.einsum("sat,t->sa", P, entry)
    R[[exit_cell, trap_cell]] = 0.0
    return P, R


def exact_policy_value(P, R, policy, gamma):
    """V^pi from (I - gamma P_pi) V = r_pi; `policy` is (S, A) probabilities."""
    n = R.shape[0]
    P_pi = np.einsum("sa,sat->st", policy, P)
    r_pi = np.einsum("sa,sa->s", policy, R)
    return np.linalg.solve(np.eye(n) - gamma * P_pi, r_pi)


def optimal_values(P, R, gamma):
    """V* by policy iteration with exact evaluation (a different method from value iteration)."""
    n, n_actions = R.shape
    actions = np.zeros(n, dtype=int)
    for _ in range(10_000):
        v = exact_policy_value(P, R, np.eye(n_actions)[actions], gamma)
        q = R + gamma * np.einsum("sat,t->sa", P, v)
        improve = q.max(axis=1) > q[np.arange(n), actions] + 1e-12
        if not improve.any():
            return v
        actions = np.where(improve, q.argmax(axis=1), actions)
    raise RuntimeError("policy iteration did not converge")


def mdp_cases(rng, count, with_mazes=True):
    cases = []
    for i in range(count):
        S, A = int(rng.integers(2, 9)), int(rng.integers(1, 5))
        P, R = random_mdp(rng, S, A, n_absorbing=int(rng.integers(0, 2)), sparse=bool(i % 2))
        gamma = float(rng.choice([0.0, 0.5, 0.8, 0.9, 0.95]))
        cases.append((P, R, gamma, f"a random MDP with {S} states, {A} actions, gamma = {gamma}"))
    if with_mazes:
        for slip, gamma in ((0.0, 0.9), (0.2, 0.95)):
            rows, cols = int(rng.integers(2, 5)), int(rng.integers(3, 6))
            P, R = maze(rng, rows, cols, slip)
            cases.append((P, R, gamma, f"a {rows}x{cols} grid world, slip {slip}, gamma = {gamma}"))
    P, R = random_mdp(rng, 1, 1)
    cases.append((P, R, 0.9, "a single state with a single action"))
    return cases


# -- 1. discounted returns --------------------------------------------------------------

def returns_cases(rng):
    cases = []
    for _ in range(10):
        T = int(rng.integers(1, 40))
        gamma = float(rng.choice([0.0, 0.5, 0.9, 0.99, 1.0, rng.uniform(0.1, 0.99)]))
        cases.append(Case((rng.normal(size=T), gamma)))
    cases.append(Case((np.zeros(0), 0.9), note="an empty episode"))
    cases.append(Case((np.ones(300), 0.99), note="300 rewards of 1, gamma = 0.99 (a CartPole episode)"))
    cases.append(Case((np.array([4.0]), 0.7), note="a single step"))
    return cases


def check_returns(case, got):
    rewards, gamma = case.args
    T = len(rewards)
    expected = np.array([sum(gamma ** k * rewards[t + k] for k in range(T - t)) for t in range(T)],
                        dtype=float)
    return mismatch(got, expected.reshape(T), atol=1e-8, rtol=1e-8, name="discounted_returns")


# -- 2. Bellman backup Q from V ---------------------------------------------------------

def backup_cases(rng):
    cases = []
    for P, R, gamma, note in mdp_cases(rng, 8):
        V = rng.normal(size=R.shape[0]) * 3
        cases.append(Case((P, R, V, gamma), note=note))
    return cases


def check_backup(case, got):
    P, R, V, gamma = case.args
    S, A = R.shape
    expected = np.array([[R[s, a] + gamma * sum(P[s, a, t] * V[t] for t in range(S)) for a in range(A)]
                         for s in range(S)])
    return mismatch(got, expected, atol=1e-9, rtol=1e-9, name="Q")


# -- 3. policy evaluation (reference: exact linear solve) -------------------------------

def evaluation_cases(rng):
    cases = []
    for i, (P, R, gamma, note) in enumerate(mdp_cases(rng, 8)):
        S, A = R.shape
        if i % 3 == 1:  # a deterministic policy
            policy = np.eye(A)[rng.integers(0, A, size=S)]
            note += ", deterministic policy"
        else:
            policy = rng.dirichlet(np.ones(A), size=S)
        cases.append(Case((P, R, policy, gamma), {"tol": 1e-10}, note=note))
    return cases


def check_evaluation(case, got):
    P, R, policy, gamma = case.args
    problem = mismatch(got, exact_policy_value(P, R, policy, gamma), atol=1e-6, rtol=1e-6, name="V")
    if problem:
        uniform = np.full(policy.shape, 1.0 / policy.shape[1])
        if mismatch(got, exact_policy_value(P, R, uniform, gamma), atol=1e-6, rtol=1e-6) is None:
            return f"{problem}: that is the value of the uniform policy; weight each action by policy[s, a]"
        if mismatch(got, optimal_values(P, R, gamma), atol=1e-6, rtol=1e-6) is None:
            return (f"{problem}: that is V*, the optimal value; evaluate the given policy, "
                    f"do not maximise over actions")
    return problem


# -- 4. value iteration (reference: policy iteration with exact solves) -----------------

def iteration_cases(rng):
    return [Case((P, R, gamma), {"tol": 1e-10}, note=note) for P, R, gamma, note in mdp_cases(rng, 8)]


def check_iteration(case, got):
    P, R, gamma = case.args
    S, A = R.shape
    V, policy = unpack(got, 2, "value_iteration")
    v_star = optimal_values(P, R, gamma)
    problem = mismatch(V, v_star, atol=1e-6, rtol=1e-6, name="V")
    if problem:
        return problem
    pol = as_array(policy, "policy")
    if pol.shape != (S,):
        return f"policy: expected shape ({S},), one action per state, got {pol.shape}"
    if not np.all(pol == np.round(pol)) or pol.min() < 0 or pol.max() >= A:
        return f"policy should hold integer action indices in 0..{A - 1}, got {pol}"
    v_pi = exact_policy_value(P, R, np.eye(A)[pol.astype(int)], gamma)
    bad = np.flatnonzero(np.abs(v_pi - v_star) > 1e-6)
    if bad.size:
        s = int(bad[0])
        return (f"policy is not optimal: following it from state {s} is worth {v_pi[s]:.6f}, "
                f"V*({s}) = {v_star[s]:.6f} (is it the argmax of q_from_v with the final V?)")
    return None


# -- 5. epsilon-greedy probabilities ----------------------------------------------------

def reference_eps_greedy(q, epsilon):
    q = np.asarray(q, dtype=float)
    best = q == q.max(axis=-1, keepdims=True)
    return epsilon / q.shape[-1] + (1 - epsilon) * best / best.sum(axis=-1, keepdims=True)


def eps_cases(rng):
    cases = []
    for _ in range(6):
        A = int(rng.integers(2, 7))
        cases.append(Case((rng.normal(size=A), float(rng.choice([0.0, 0.05, 0.3, 1.0, rng.uniform()])))))
    for _ in range(4):  # small integers: ties for the best value
        A = int(rng.integers(3, 7))
        q = rng.integers(0, 2, size=A).astype(float)
        q[rng.choice(A, size=2, replace=False)] = 2.0
        epsilon = float(rng.choice([0.0, 0.1, 0.5]))
        cases.append(Case((q, epsilon), note=f"q = {q.tolist()} (a tie for the best), epsilon = {epsilon}"))
    q = rng.integers(-1, 2, size=(6, 4)).astype(float)
    cases.append(Case((q, 0.2), note="a batch of 6 rows with ties, epsilon = 0.2"))
    cases.append(Case((rng.normal(size=(5, 3)), 0.0), note="a batch of 5 rows, epsilon = 0"))
    cases.append(Case((np.zeros(4), 0.0), note="an all-zero row (every action ties), epsilon = 0"))
    cases.append(Case((np.array([1.5]), 0.3), note="a single action"))
    return cases


def check_eps(case, got):
    q, epsilon = case.args
    return mismatch(got, reference_eps_greedy(q, epsilon), atol=1e-9, rtol=1e-9, name="probabilities")


# -- 6. Q-learning update ---------------------------------------------------------------

def qlearning_cases(rng):
    cases = []
    for i in range(12):
        S, A = int(rng.integers(1, 7)), int(rng.integers(1, 5))
        Q = rng.normal(size=(S, A))
        s, a, s2 = int(rng.integers(S)), int(rng.integers(A)), int(rng.integers(S))
        args = (Q, s, a, float(rng.normal()), s2, bool(i % 3 == 0))
        kwargs = {}
        if i % 2:
            kwargs = {"alpha": float(rng.choice([0.1, 0.5, 1.0])), "gamma": float(rng.choice([0.9, 0.99]))}
        cases.append(Case(args, kwargs))
    Q = rng.normal(size=(3, 2))
    cases.append(Case((Q, 1, 0, 0.5, 1, False), {"alpha": 0.7, "gamma": 0.9}, note="s_next == s"))
    Q = rng.normal(size=(4, 3))
    cases.append(Case((Q, 2, 1, -1.0, 3, True), {"alpha": 0.3, "gamma": 0.95},
                      note="done: the target is just r"))
    return cases


def check_qlearning(case, got):
    Q, s, a, r, s2, done = case.args
    alpha, gamma = case.kwargs.get("alpha", 0.1), case.kwargs.get("gamma", 0.99)
    expected = np.array(Q, dtype=float)
    target = r if done else r + gamma * Q[s2].max()
    expected[s, a] = Q[s, a] + alpha * (target - Q[s, a])
    return mismatch(got, expected, atol=1e-9, rtol=1e-9, name="the updated Q table")


# -- 7. REINFORCE loss with a baseline (reference: torch.autograd) ----------------------

def reinforce_cases(rng):
    cases = []
    for i in range(10):
        N, A = int(rng.integers(1, 30)), int(rng.integers(2, 6))
        scale = 40.0 if i == 9 else 1.5
        cases.append(Case((torch.tensor(rng.normal(size=(N, A)) * scale),
                           torch.tensor(rng.integers(0, A, size=N), dtype=torch.int64),
                           torch.tensor(rng.normal(size=N) * 20 + 10),
                           torch.tensor(rng.normal(size=N) * 20 + 10)),
                          note=f"N = {N} steps, A = {A} actions" + (", large logits" if scale > 10 else "")))
    returns = torch.tensor(rng.normal(size=6))
    cases.append(Case((torch.tensor(rng.normal(size=(6, 2))), torch.tensor(rng.integers(0, 2, size=6)),
                       returns, returns.clone()), note="baselines equal to the returns (zero advantages)"))
    return cases


def reference_reinforce(logits, actions, returns, baselines):
    z = logits.detach().clone().double().requires_grad_(True)
    logp = z - torch.logsumexp(z, dim=1, keepdim=True)
    chosen = logp[torch.arange(z.shape[0]), actions.long()]
    loss = -(chosen * (returns.double() - baselines.double())).sum() / z.shape[0]
    loss.backward()
    return loss.item(), z.grad.numpy()


def check_reinforce(case, got):
    loss, grad_logits, grad_baselines = unpack(got, 3, "reinforce_loss_and_grads")
    ref_loss, ref_grad = reference_reinforce(*case.args)
    problem = (mismatch(loss, ref_loss, atol=1e-6, rtol=1e-5, name="loss")
               or mismatch(grad_logits, ref_grad, atol=1e-6, rtol=1e-5, name="gradient w.r.t. the logits"))
    if problem:
        return problem
    gb = as_array(grad_baselines, "gradient w.r.t. the baselines")
    if gb.shape != tuple(case.args[3].shape) or np.abs(gb).max(initial=0.0) > 1e-9:
        return ("the loss sends gradients into the baselines: the advantage G - b must be a constant "
                "for this loss (the baselines detached from the graph; they are trained by their own loss)")
    return None


# -- 8. the trained CartPole agent ------------------------------------------------------

AGENT_EPISODES = 20
AGENT_THRESHOLD = 250.0
MAX_PARAMETERS = 200_000
MAX_LAYERS = 20


@dataclass
class AgentCase(Case):
    """No inputs for the student's function; the episode seeds stay in the grading process."""

    seeds: tuple = ()


def agent_cases(rng):
    seeds = tuple(int(s) for s in rng.integers(0, 2**31 - 1, size=AGENT_EPISODES))
    note = f"{AGENT_EPISODES} greedy CartPole-v1 episodes on the grader's seeds"
    return [AgentCase(note=note, seeds=seeds)]


def parse_mlp(weights):
    """The list of (W, b) as float arrays, W of shape (n_out, n_in) as nn.Linear stores it,
    from 4 observations to 2 action scores, or a message saying what is wrong."""
    return parse_layers(weights, n_in=4, n_out=2, max_layers=MAX_LAYERS, max_parameters=MAX_PARAMETERS,
                        name="agent_weights()")


def mlp_scores(layers, x):
    """The exported MLP on inputs x (n_in,) or (n, n_in): h W^T + b, ReLU between layers."""
    h = np.asarray(x, dtype=np.float64)
    for k, (W, b) in enumerate(layers):
        h = h @ W.T + b
        if k < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return h


def greedy_return(layers, seed):
    import gymnasium as gym

    env = gym.make("CartPole-v1")
    obs, _ = env.reset(seed=seed)
    total = 0.0
    while True:
        obs, reward, terminated, truncated, _ = env.step(int(np.argmax(mlp_scores(layers, obs))))
        total += float(reward)
        if terminated or truncated:
            env.close()
            return total


def check_agent(case, got):
    layers, problem = parse_mlp(got)
    if problem:
        return problem
    returns = [greedy_return(layers, seed) for seed in case.seeds]
    mean = float(np.mean(returns))
    if mean < AGENT_THRESHOLD:
        return (f"your greedy agent averaged {mean:.1f} over {len(returns)} CartPole-v1 episodes "
                f"(min {min(returns):.0f}, max {max(returns):.0f}); at least {AGENT_THRESHOLD:.0f} is needed")
    return None


EXERCISES = [
    Exercise("test_discounted_returns", check_returns, returns_cases),
    Exercise("test_q_from_v", check_backup, backup_cases),
    Exercise("test_policy_evaluation", check_evaluation, evaluation_cases),
    Exercise("test_q_bellman_optimality", choice(
        "b", "the maximum inside the equation already accounts for acting optimally afterwards, so the best "
             "action now is the one with the largest Q*(s, a): a one-step look-ahead suffices")),
    Exercise("test_value_iteration", check_iteration, iteration_cases),
    Exercise("test_q_slip_detour", choice(
        "b", "each step along the edge risks a slip into the cliff and its large penalty; one row higher a "
             "slip costs only a step, so the longer route has the higher expected return")),
    Exercise("test_q_chain_value", estimate(
        0.72, 0.74, "the reward is collected three transitions after state 0's first step, so it is "
                    "discounted three times: gamma^3")),
    Exercise("test_q_greedy_share", estimate(
        0.845, 0.855, "the best action gets the greedy share 1 - epsilon plus its share epsilon / A of the "
                      "uniform exploration: 0.8 + 0.2 / 4")),
    Exercise("test_epsilon_greedy_probs", check_eps, eps_cases),
    Exercise("test_q_learning_update", check_qlearning, qlearning_cases),
    Exercise("test_reinforce_loss", check_reinforce, reinforce_cases),
    Exercise("test_agent_weights", check_agent, agent_cases),
]
