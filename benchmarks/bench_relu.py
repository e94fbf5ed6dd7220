"""A ReLU network's gradient (np.maximum(h, 0)) against hand-written backprop, and the cost of
np.maximum's rule itself: the tie split as two np.where (its form before) against tie_split's one
product and the hand-written mask `g * (z > 0)`.

Run: python benchmarks/bench_relu.py   (ratios are measured in one run; the machine is noisy:
CPU time, the best of several repeats)
"""
import checkout  # noqa: F401  (first: this checkout's adcompile, one BLAS thread)

import sys
import time
import timeit

import numpy as np

from adcompile import grad
from adcompile.runtime_ufuncs import tie_split


def best(f, *args, repeat=7):
    timer = timeit.Timer(lambda: f(*args), timer=time.process_time)
    number, t = 1, 0.0
    while t < 0.1:
        number *= 2
        t = timer.timeit(number=number)
    return min(timer.repeat(number=number, repeat=repeat)) / number


def relu_mlp(W1, b1, W2, b2, W3, b3, x, t):
    h1 = np.maximum(x @ W1 + b1, 0)
    h2 = np.maximum(h1 @ W2 + b2, 0)
    return 0.5 * np.mean((h2 @ W3 + b3 - t) ** 2)


def relu_by_hand(W1, b1, W2, b2, W3, b3, x, t):
    z1 = x @ W1 + b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ W2 + b2
    h2 = np.maximum(z2, 0)
    d = h2 @ W3 + b3 - t
    loss = 0.5 * np.mean(d ** 2)  # noqa: F841
    g_y = d / d.size
    g_z2 = (g_y @ W3.T) * (z2 > 0)
    g_z1 = (g_z2 @ W2.T) * (z1 > 0)
    return x.T @ g_z1, g_z1.sum(0), h1.T @ g_z2, g_z2.sum(0), h2.T @ g_y, g_y.sum(0)


def two_wheres(g, z):  # np.maximum(z, 0)'s rule before tie_split
    return np.where(z > 0, g, np.where(z == 0, 0.5 * g, 0.0))


def one_product(g, z):
    return tie_split(g, z > 0, z == 0)


def masked(g, z):  # hand-written
    return g * (z > 0)


def main():
    print(f"{'case':44} {'generated':>12} {'reference':>12} {'ratio':>7}")
    for n, w in [(256, 512), (256, 64)]:
        rng = np.random.default_rng(0)
        args = (rng.normal(size=(w, w)) / 20, rng.normal(size=w) / 10,
                rng.normal(size=(w, w)) / 20, rng.normal(size=w) / 10,
                rng.normal(size=(w, 10)) / 20, rng.normal(size=10) / 10,
                rng.normal(size=(n, w)), rng.normal(size=(n, 10)))
        g = grad(relu_mlp, argnums=tuple(range(6)))
        for a, b in zip(g(*args), relu_by_hand(*args)):
            assert np.allclose(a, b)
        rows = [(f"ReLU MLP gradient, batch {n}, width {w}", best(g, *args),
                 best(relu_by_hand, *args))]
        z, v = args[6] @ args[0] + args[1], rng.normal(size=(n, w))
        assert np.array_equal(tie_split(v, z > 0, z == 0), two_wheres(v, z))
        mask = best(masked, v, z)
        rows.append(("  its rule: two np.where / g * (z > 0)", best(two_wheres, v, z), mask))
        rows.append(("  its rule: tie_split / g * (z > 0)",
                     best(one_product, v, z), mask))
        for name, a, b in rows:
            print(f"{name:44} {a * 1e6:10.1f}us {b * 1e6:10.1f}us {a / b:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
