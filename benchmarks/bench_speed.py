"""Speed of generated gradients where users feel it: plain-float simulations, scalar loops and
per-operation overhead on small arrays, each against its forward pass and hand-written code.

Run: python benchmarks/bench_speed.py   (about 40 s; ratios are measured in one run, interleaved,
best of several repeats, with one BLAS thread; the machine is noisy)
Targets (issue 11): building <= 4x its forward, scalar loops <= 3x their forward, the neuron
<= 1.05x hand-written, softmax cross-entropy <= 1.3x hand-written, RNN <= hand-written BPTT.
"""
import checkout  # noqa: F401  (first: this checkout's adcompile, one BLAS thread)
import sys

import math
import timeit

import numpy as np

from adcompile import grad, logsumexp
from bench_core import neuron, neuron_by_hand  # (the same workloads)
from bench_loops import rnn, rnn_by_hand


# --- a building's thermal simulation, in plain floats ------------------------------------------
def building(m_slab, c_slab, m_air, c_air, m_tank, c_tank, flow, c_fluid, ua_tube, ua_slab,
             ua_wall, t_out, power, solar, t_slab, t_air, t_tank, target):
    """Three coupled temperatures (a concrete slab heated by water in tubes, the room air, the
    hot-water tank), 20 one-minute steps; the loss is how far the air ends from the target."""
    for _ in range(20):
        q_tube = flow * c_fluid * (1.0 - math.exp(-ua_tube / (flow * c_fluid))) * (t_tank - t_slab)
        q_slab = ua_slab * (t_slab - t_air)
        q_wall = ua_wall * (t_air - t_out)
        t_slab = t_slab + 60.0 * (q_tube - q_slab) / (m_slab * c_slab)
        t_air = t_air + 60.0 * (q_slab - q_wall + solar) / (m_air * c_air)
        t_tank = t_tank + 60.0 * (power - q_tube) / (m_tank * c_tank)
    return abs(t_air - target)


BUILDING = (2000.0, 880.0, 60.0, 1005.0, 300.0, 4186.0, 0.1, 4186.0, 150.0, 400.0, 120.0, 5.0,
            3000.0, 200.0, 18.0, 19.0, 45.0, 21.0)


# --- scalar loops --------------------------------------------------------------------------------
def logistic(x):
    for _ in range(1000):
        x = 4.0 * x * (1.0 - x)
    return x


def logistic_by_hand(x):
    """Hand-written reverse mode: the values on a list, then the chain rule backwards."""
    xs = []
    for _ in range(1000):
        xs.append(x)
        x = 4.0 * x * (1.0 - x)
    g = 1.0
    for _ in range(1000):
        x = xs.pop()
        g = g * (4.0 - 8.0 * x)
    return g


def sine_sum(x):
    s = 0.0
    for i in range(100):
        s = s + math.sin(x * i) * x
    return s


def rnn_states(W, h0, xs):
    """The RNN keeping its states in a list (each step reads the last one): reverse mode used to
    be quadratic in the steps here."""
    hs = [h0]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(W @ hs[-1] + xs[t]))
    return np.sum(hs[-1] ** 2)


# --- softmax cross-entropy -----------------------------------------------------------------------
def softmax_xent(W, b, x, y):
    """Mean cross-entropy of a linear classifier, log-sum-exp stabilized by the row maximum;
    y is one-hot."""
    z = x @ W + b
    m = np.max(z, axis=1, keepdims=True)
    lse = np.log(np.sum(np.exp(z - m), axis=1, keepdims=True)) + m
    return -np.mean(np.sum(y * (z - lse), axis=1))


def softmax_xent_lse(W, b, x, y):
    """The same with the package's stable logsumexp primitive."""
    z = x @ W + b
    return -np.mean(np.sum(y * (z - logsumexp(z, axis=1, keepdims=True)), axis=1))


def softmax_by_hand(W, b, x, y):
    z = x @ W + b
    m = np.max(z, axis=1, keepdims=True)
    e = np.exp(z - m)
    s = np.sum(e, axis=1, keepdims=True)
    loss = -np.mean(np.sum(y * (z - np.log(s) - m), axis=1))  # noqa: F841
    g = (e / s - y) / x.shape[0]
    return x.T @ g, g.sum(axis=0)



def timings(pairs, repeat=25, budget=0.03):
    """Best time per call of each function, the repeats of all of them interleaved so that a
    slow moment of the machine hits every side of a ratio alike."""
    numbers = []
    for f, args in pairs:
        n, t = 1, 0.0
        while t < budget:
            n *= 2
            t = timeit.timeit(lambda f=f, args=args: f(*args), number=n)
        numbers.append(n)
    best = [math.inf] * len(pairs)
    for _ in range(repeat):
        for k, ((f, args), n) in enumerate(zip(pairs, numbers)):
            best[k] = min(best[k], timeit.timeit(lambda f=f, args=args: f(*args), number=n) / n)
    return best


def cases():
    rng = np.random.default_rng(0)
    N, D, C = 256, 100, 10
    W, b = rng.normal(size=(D, C)) * 0.1, np.zeros(C)
    x = rng.normal(size=(N, D))
    y = np.eye(C)[rng.integers(0, C, size=N)]
    Wr = rng.normal(size=(32, 32)) * 0.3
    h0, xs = rng.normal(size=32) * 0.1, rng.normal(size=(50, 32))
    xs200 = rng.normal(size=(200, 32))
    every = lambda f: tuple(range(f.__code__.co_argcount))  # noqa: E731
    # (case, target, the gradient, its reference, the arguments)
    return [
        ("building simulation, 20 steps, 18 parameters", 4.0, "its forward",
         grad(building, argnums=every(building)), building, BUILDING),
        ("logistic map x = 4x(1 - x), n = 1000", 3.0, "its forward",
         grad(logistic), logistic, (0.3,)),
        ("logistic map, n = 1000", None, "hand-written",
         grad(logistic), logistic_by_hand, (0.3,)),
        ("s = s + sin(x * i) * x, 100 iterations", 3.0, "its forward",
         grad(sine_sum), sine_sum, (0.3,)),
        ("lecture neuron", 1.05, "hand-written",
         grad(neuron, argnums=every(neuron)), neuron_by_hand, (2.0, -1.0, -3.0, -2.0, -3.0)),
        ("softmax cross-entropy, N=256 D=100 C=10", 1.3, "hand-written",
         grad(softmax_xent, argnums=(0, 1)), softmax_by_hand, (W, b, x, y)),
        ("softmax cross-entropy with logsumexp", 1.3, "hand-written",
         grad(softmax_xent_lse, argnums=(0, 1)), softmax_by_hand, (W, b, x, y)),
        ("RNN h = tanh(W @ h + xs[t]), 50 steps", 1.0, "hand-written BPTT",
         grad(rnn, argnums=(0, 1, 2)), rnn_by_hand, (Wr, h0, xs)),
        ("RNN over a list of states, 200 steps", None, "its forward",
         grad(rnn_states, argnums=(0, 1, 2)), rnn_states, (Wr, h0, xs200)),
    ]


def check(df, ref, args):
    """The gradient agrees with the hand-written one (where the reference is a gradient)."""
    if ref in (softmax_by_hand, rnn_by_hand, neuron_by_hand, logistic_by_hand):
        got, want = df(*args), ref(*args)
        for a, b in zip(got if isinstance(got, tuple) else (got,),
                        want if isinstance(want, tuple) else (want,)):
            assert np.allclose(a, b), (df.__name__, a, b)


def main():
    rows = cases()
    for _, _, _, df, ref, args in rows:
        check(df, ref, args)
    times = timings([p for _, _, _, df, ref, args in rows for p in ((df, args), (ref, args))])
    print(f"| {'case':46} | {'gradient':>10} | {'reference':>10} | {'ratio':>6} | target |")
    print(f"|{'-' * 48}|{'-' * 12}|{'-' * 12}|{'-' * 8}|--------|")
    for k, (name, target, against, *_) in enumerate(rows):
        t_g, t_r = times[2 * k], times[2 * k + 1]
        goal = f"<= {target:g}" if target else ""
        print(f"| {name:46} | {t_g * 1e6:8.2f}us | {t_r * 1e6:8.2f}us | {t_g / t_r:6.2f} | "
              f"{goal:6} | vs {against}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
