"""Logistic regression on a Dask array, trained by gradient descent with the gradient `grad`
generates for NumPy code: the same function, the same generated code, run lazily chunk by chunk.

X is drawn lazily, chunk by chunk, where it is used, so it never exists whole: with --rows large
enough it is larger than memory and nothing has to be downloaded. Each step builds the gradient's
graph (nothing is computed while it is built) and computes it on a local Dask cluster; the time
per step is compared with a gradient written by hand with Dask.

    python examples/dask_logistic.py                   # 200,000 x 20, a few seconds
    python examples/dask_logistic.py --rows 200000000  # 32 GB of float64, out of core
    python examples/dask_logistic.py --gpu             # the same code on CuPy arrays (a GPU)
"""
import argparse
import time

import numpy as np

from adcompile import grad, log_sigmoid, sigmoid


def loss(w, b, X, y):
    z = X @ w + b
    # -log p(y | x) with p = sigmoid(z), written with the stable log_sigmoid
    nll = -(y * log_sigmoid(z) + (1 - y) * log_sigmoid(-z))
    return np.mean(nll)


def hand_grad(w, b, X, y):
    """The gradient written by hand: X^T (p - y) / n and mean(p - y)."""
    r = sigmoid(X @ w + b) - y
    return X.T @ r / X.shape[0], np.mean(r)


def make_data(xp, rows, d, chunk_rows, seed=0):
    """X (rows x d) and labels y from a known w; lazy (Dask) or on the GPU (CuPy)."""
    w_true = np.linspace(-1.0, 1.0, d)
    if xp == "dask":
        import dask.array as da
        X = da.random.default_rng(seed).standard_normal((rows, d), chunks=(chunk_rows, d))
    else:
        X = xp.random.default_rng(seed).standard_normal((rows, d))
        w_true = xp.asarray(w_true)
    y = (X @ w_true > 0).astype(X.dtype)
    return X, y


def train(X, y, d, steps, lr, compute, gradients):
    """Gradient descent with the first of `gradients`; each step computes every one of them at
    the same weights (so a busy machine slows them alike), checks that they agree and times them."""
    w, b, times = np.zeros(d), 0.0, {name: [] for name in gradients}
    for _ in range(steps):
        results = {}
        for name, gradient in gradients.items():
            start = time.perf_counter()
            gw, gb = compute(*gradient(w, b, X, y))
            times[name].append(time.perf_counter() - start)
            results[name] = gw, float(gb)
        (gw, gb), (hw, hb) = results.values()
        assert np.allclose(gw, hw, rtol=1e-8, atol=1e-12) and np.isclose(gb, hb, atol=1e-12)
        w, b = w - lr * gw, b - lr * gb
    return w, b, times


def main(rows=200_000, d=20, chunk_rows=50_000, steps=5, lr=2.0, workers=2, gpu=False):
    dloss = grad(loss, argnums=(0, 1))
    if gpu:
        import cupy as cp

        def compute(gw, gb):
            cp.cuda.Device().synchronize()
            return cp.asnumpy(gw), float(gb)

        X, y = make_data(cp, rows, d, chunk_rows)
        where = "CuPy arrays on the GPU"
        gradients = {"generated": lambda w, b, X, y: dloss(cp.asarray(w), b, X, y),
                     "by hand": lambda w, b, X, y: hand_grad(cp.asarray(w), b, X, y)}
        w, b, times = train(X, y, d, steps, lr, compute, gradients)
    else:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            print("this example needs Dask: pip install 'dask[array]' distributed")
            return
        X, y = make_data("dask", rows, d, chunk_rows)
        where = f"a Dask array in chunks of {chunk_rows:,} rows, {workers} workers"
        # in-process workers for a small run; processes (one per core) for a large one
        with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=":0",
                          processes=rows > 10_000_000) as cluster, Client(cluster):
            w, b, times = train(X, y, d, steps, lr, dask.compute,
                                {"generated": dloss, "by hand": hand_grad})
    print(f"logistic regression, X {rows:,} x {d} float64 ({rows * d * 8 / 1e9:.2f} GB) as "
          f"{where}")
    # the first step is warm-up (code generation, the cluster's start); the rest are timed
    per_step = {name: np.median(t[1:] if len(t) > 1 else t) for name, t in times.items()}
    for name, t in per_step.items():
        print(f"  {name:9s} gradient: {t * 1000:9.1f} ms per step")
    print(f"  generated / by hand: {per_step['generated'] / per_step['by hand']:.2f}x")
    print(f"  w after {steps} steps: {np.round(w[:4], 3)} ... (the two gradients agreed)")
    assert w[-1] > w[0]  # the labels come from w_true, increasing from -1 to 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--chunk-rows", type=int, default=None,
                        help="rows per chunk (default: 50,000, or 1,000,000 for 10M rows or more)")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--gpu", action="store_true", help="CuPy arrays instead of Dask's")
    a = parser.parse_args()
    chunk = a.chunk_rows or (1_000_000 if a.rows >= 10_000_000 else 50_000)
    main(a.rows, chunk_rows=chunk, steps=a.steps, workers=a.workers, gpu=a.gpu)
