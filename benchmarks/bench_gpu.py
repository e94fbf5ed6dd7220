"""Generated gradients on a GPU (CuPy arrays) against hand-written CuPy gradients and against the
function itself (the forward pass): an MLP, logistic regression, an elementwise function and a
Python loop. The generated code is the one NumPy inputs get; CuPy runs it through NumPy's array
protocols.

Run: python benchmarks/bench_gpu.py [--dtype float32] [--n 4096]   (needs CuPy and a GPU)
Each time is the median of several runs, each ended by a device synchronize; it prints a table
and checks that each generated gradient equals the hand-written one.
"""
import checkout  # noqa: F401  (first: this checkout's adcompile)

import argparse
import time

import numpy as np

from adcompile import grad, sigmoid


def mlp(W1, W2, X, Y):
    H = np.tanh(X @ W1)
    return np.mean((H @ W2 - Y) ** 2)


def mlp_by_hand(W1, W2, X, Y):
    H = np.tanh(X @ W1)
    g_out = 2 * (H @ W2 - Y) / Y.size
    return X.T @ ((g_out @ W2.T) * (1 - H * H)), H.T @ g_out


def logistic(w, X, y):
    p = sigmoid(X @ w)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def logistic_by_hand(w, X, y):
    return X.T @ (sigmoid(X @ w) - y) / y.size


def elementwise(x):
    return np.sum(np.sin(x) * x + 2.0 * np.exp(-x ** 2))


def elementwise_by_hand(x):
    e = np.exp(-x ** 2)
    return np.sin(x) + x * np.cos(x) - 4.0 * x * e


def loop(x):
    s = x
    for i in range(10):
        s = np.tanh(s) * 0.5 + x
    return np.sum(s)


def loop_by_hand(x):
    s, saved = x, []
    for i in range(10):
        t = np.tanh(s)
        saved.append(t)
        s = t * 0.5 + x
    g_s, g_x = 1.0, 0.0
    for t in reversed(saved):
        g_x = g_x + g_s
        g_s = g_s * 0.5 * (1 - t * t)
    return g_x + g_s


def timed(cp, f, args, repeat=20):
    f(*args)  # warm-up: code generation, kernel compilation
    cp.cuda.Device().synchronize()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        f(*args)
        cp.cuda.Device().synchronize()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(n=4096, dtype="float64"):
    import cupy as cp
    rng = cp.random.default_rng(0)
    a = lambda *shape: rng.standard_normal(shape, dtype=dtype) / shape[0] ** 0.5  # noqa: E731
    labels = (rng.random(n * 16) > 0.5).astype(dtype)
    cases = [("mlp", mlp, mlp_by_hand, (a(n, n), a(n, n), a(n, n), a(n, n)), (0, 1)),
             ("logistic", logistic, logistic_by_hand, (a(256), a(n * 16, 256), labels), 0),
             ("elementwise", elementwise, elementwise_by_hand, (a(n * n),), 0),
             ("loop", loop, loop_by_hand, (a(n * n),), 0)]
    print(f"{cp.cuda.runtime.getDeviceProperties(0)['name'].decode()}, CuPy {cp.__version__}, "
          f"{dtype}")
    print(f"{'':12s}{'forward':>10s}{'generated':>11s}{'by hand':>10s}{'gen/hand':>10s}"
          f"{'gen/fwd':>9s}   (ms)")
    tol = 1e-3 if dtype == "float32" else 1e-9
    for name, f, by_hand, args, argnums in cases:
        g = grad(f, argnums=argnums)
        got, want = g(*args), by_hand(*args)
        for u, v in zip(got if type(got) is tuple else [got], want if type(want) is tuple
                        else [want]):
            assert type(u) is cp.ndarray and u.dtype == dtype, (name, type(u), u.dtype)
            assert cp.allclose(u, v, rtol=tol, atol=tol), name
        t_f, t_g, t_h = (timed(cp, h, args) for h in (f, g, by_hand))
        print(f"{name:12s}{t_f * 1e3:10.2f}{t_g * 1e3:11.2f}{t_h * 1e3:10.2f}"
              f"{t_g / t_h:9.2f}x{t_g / t_f:8.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    args = parser.parse_args()
    main(args.n, args.dtype)
