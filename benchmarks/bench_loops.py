"""Gradients through loops against the loops themselves (the cheap gradient principle: at most 3x),
and Hessian-vector products through a loop against the gradient (its columns: "function" is the
gradient there).

Run: python benchmarks/bench_loops.py   (ratios are measured in one run; the machine is noisy)
"""
import checkout  # noqa: F401  (first: this checkout's adcompile, one BLAS thread)
import math
import sys
import tracemalloc

import numpy as np

from adcompile import grad, jvp, vjp
from bench_core import best


def sine_sum(x):
    s = 0.0
    for i in range(100):
        s = s + math.sin(x * i) * x
    return s


def relaxation(x):
    for i in range(10000):
        x = x * 0.9999 + 0.0001 * math.sin(x)
    return x


def rnn(W, h, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h)


def sine_sum_by_hand(x):
    """The closed-form derivative of sine_sum, for reference."""
    g = 0.0
    for i in range(100):
        g = g + math.cos(x * i) * x * i + math.sin(x * i)
    return g


def rnn_by_hand(W, h, xs):
    """Hand-written backprop through time for rnn, for reference: push/pop of the states."""
    states = []
    for t in range(xs.shape[0]):
        states.append(h)
        h = np.tanh(W @ h + xs[t])
    g_h, g_W, g_xs = np.ones_like(h), np.zeros_like(W), np.zeros_like(xs)
    for t in reversed(range(xs.shape[0])):
        g_z = g_h * (1 - h * h)
        h = states.pop()
        g_xs[t] = g_z
        g_W += np.outer(g_z, h)
        g_h = W.T @ g_z
    return g_W, g_h, g_xs


def tape_bytes(f, *args):
    """Peak memory of one gradient call above the function's own (tracemalloc)."""
    tracemalloc.start()
    f(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(32, 32)) * 0.3
    h0 = rng.normal(size=32) * 0.1
    xs = rng.normal(size=(50, 32))
    cases = [("s = s + sin(x * i) * x, 100 iterations", sine_sum, (0.3,)),
             ("x = 0.9999 x + 0.0001 sin(x), 10,000 iterations", relaxation, (0.5,)),
             ("RNN h = tanh(W @ h + xs[t]), 50 steps, 32 units", rnn, (W, h0, xs))]
    print(f"{'case':52} {'function':>10} {'gradient':>10} {'ratio':>6}")
    for name, f, args in cases:
        df = grad(f, argnums=tuple(range(len(args))))
        t_f, t_g = best(f, *args), best(df, *args)
        print(f"{name:52} {t_f * 1e6:8.1f}us {t_g * 1e6:8.1f}us {t_g / t_f:6.2f}")
    for a, b in zip(grad(rnn, argnums=(0, 1, 2))(W, h0, xs), rnn_by_hand(W, h0, xs)):
        assert np.allclose(a, b)
    t_f, t_h = best(rnn, W, h0, xs), best(rnn_by_hand, W, h0, xs)
    print(f"{'hand-written backprop through time (reference)':52} {t_f * 1e6:8.1f}us "
          f"{t_h * 1e6:8.1f}us {t_h / t_f:6.2f}")
    t_f, t_h = best(sine_sum, 0.3), best(sine_sum_by_hand, 0.3)
    print(f"{'closed-form derivative of the sine sum (reference)':52} {t_f * 1e6:8.1f}us "
          f"{t_h * 1e6:8.1f}us {t_h / t_f:6.2f}")
    g = grad(rnn)  # second order through the loop: Hessian-vector products, both ways
    E, zeros = rng.normal(size=W.shape), (np.zeros_like(h0), np.zeros_like(xs))
    t_g = best(g, W, h0, xs)
    t_fr = best(lambda: jvp(g, (W, h0, xs), (E,) + zeros))
    t_rr = best(lambda: vjp(g, W, h0, xs)[1](E))
    print(f"{'RNN Hessian-vector product, forward over reverse':52} {t_g * 1e6:8.1f}us "
          f"{t_fr * 1e6:8.1f}us {t_fr / t_g:6.2f}")
    print(f"{'RNN Hessian-vector product, reverse over reverse':52} {t_g * 1e6:8.1f}us "
          f"{t_rr * 1e6:8.1f}us {t_rr / t_g:6.2f}")
    peak = tape_bytes(grad(relaxation), 0.5) - tape_bytes(relaxation, 0.5)
    print(f"tape of the 10,000-iteration relaxation: {peak / 10000:.0f} bytes per iteration")
    return 0


if __name__ == "__main__":
    sys.exit(main())
