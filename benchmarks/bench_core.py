"""Generated gradients against hand-written code: the lecture neuron and a NumPy MLP.

Run: python benchmarks/bench_core.py   (ratios are measured in one run; the machine is noisy)
"""
import checkout  # noqa: F401  (first: this checkout's adcompile, one BLAS thread)

import sys
import time
import timeit

import numpy as np

from adcompile import grad, sigmoid
from adcompile.cache import COMPILED


def best(f, *args, number=None, repeat=7):
    if number is None:
        number, t = 1, 0.0
        while t < 0.05:
            number *= 2
            t = timeit.timeit(lambda: f(*args), number=number)
    return min(timeit.repeat(lambda: f(*args), number=number, repeat=repeat)) / number


# --- the lecture neuron ----------------------------------------------------------------------
def neuron(w0, x0, w1, x1, w2):
    L = sigmoid(w0 * x0 + w1 * x1 + w2)
    return L


def neuron_by_hand(w0, x0, w1, x1, w2):
    s0 = w0 * x0
    s1 = w1 * x1
    s2 = s0 + s1
    s3 = s2 + w2
    L = sigmoid(s3)
    grad_s3 = (1 - L) * L
    return (grad_s3 * x0, grad_s3 * w0, grad_s3 * x1, grad_s3 * w1, grad_s3)


# --- the MLP ---------------------------------------------------------------------------------
def mlp_loss(W1, b1, W2, b2, x, t):
    return 0.5 * np.mean((np.tanh(x @ W1 + b1) @ W2 + b2 - t) ** 2)


def mlp_by_hand(W1, b1, W2, b2, x, t):
    h = np.tanh(x @ W1 + b1)
    d = h @ W2 + b2 - t
    g_out = d / d.size
    g_h = g_out @ W2.T
    g_z = g_h * (1 - h * h)
    return x.T @ g_z, g_z.sum(axis=0), h.T @ g_out, g_out.sum(axis=0)


def mlp_by_hand_with_loss(W1, b1, W2, b2, x, t):
    """The same backprop, computing the loss as well (as a training step logging it would,
    and as grad must, to check that the output is a scalar)."""
    h = np.tanh(x @ W1 + b1)
    d = h @ W2 + b2 - t
    loss = 0.5 * np.mean(d ** 2)  # noqa: F841
    g_out = d / d.size
    g_h = g_out @ W2.T
    g_z = g_h * (1 - h * h)
    return x.T @ g_z, g_z.sum(axis=0), h.T @ g_out, g_out.sum(axis=0)


def main():
    rows = []
    args = (2.0, -1.0, -3.0, -2.0, -3.0)
    df = grad(neuron, argnums=(0, 1, 2, 3, 4))
    assert np.allclose(df(*args), neuron_by_hand(*args))
    t_gen, t_hand = best(df, *args), best(neuron_by_hand, *args)
    rows.append(("neuron gradient", t_gen, t_hand))

    rng = np.random.default_rng(0)
    N, D, H, C = 64, 100, 100, 10
    W1, b1 = rng.normal(size=(D, H)) * 0.1, np.zeros(H)
    W2, b2 = rng.normal(size=(H, C)) * 0.1, np.zeros(C)
    x, t = rng.normal(size=(N, D)), rng.normal(size=(N, C))
    margs = (W1, b1, W2, b2, x, t)
    dmlp = grad(mlp_loss, argnums=(0, 1, 2, 3))
    for a, b in zip(dmlp(*margs), mlp_by_hand(*margs)):
        assert np.allclose(a, b)
    t_gen, t_hand, t_fwd = best(dmlp, *margs), best(mlp_by_hand, *margs), best(mlp_loss, *margs)
    rows.append(("MLP gradient", t_gen, t_hand))
    rows.append(("MLP gradient (reference computes the loss)", t_gen,
                 best(mlp_by_hand_with_loss, *margs)))
    rows.append(("MLP gradient / MLP forward", t_gen, t_fwd))

    print(f"{'case':44} {'generated':>12} {'reference':>12} {'ratio':>7}")
    for name, a, b in rows:
        print(f"{name:44} {a * 1e6:10.2f}us {b * 1e6:10.2f}us {a / b:7.2f}")

    # Transformation time: first time (cache cleared), then asking again.
    COMPILED.clear()
    start = time.perf_counter()
    grad(neuron, argnums=(0, 1, 2, 3, 4))
    first = time.perf_counter() - start
    again = best(lambda: grad(neuron, argnums=(0, 1, 2, 3, 4)))
    print(f"first transformation of the neuron: {first * 1e3:.1f} ms; asking again: "
          f"{again * 1e6:.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
