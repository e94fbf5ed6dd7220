"""The four kinds of function the array-backend tests run on Dask, CuPy and a strict stand-in:
a logistic loss, an MLP, an elementwise function, a Python loop; with NumPy inputs for each."""
import numpy as np

from adcompile import sigmoid


def logistic_loss(w, X, y):
    p = sigmoid(X @ w)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def mlp_loss(W1, W2, X, Y):
    H = np.tanh(X @ W1)
    out = H @ W2
    return np.mean((out - Y) ** 2)


def elementwise(x):
    return np.sum(np.sin(x) * x + 2.0 * np.exp(-x ** 2))


def loop(x):
    s = x
    for i in range(3):
        s = np.tanh(s) * 0.5 + x
    return np.sum(s)


def cases(n=40, d=5, h=6, o=3, dtype=np.float64, seed=0):
    """(name, function, NumPy arguments, argnums) for each kind, `n` rows of data."""
    rng = np.random.default_rng(seed)

    def a(*shape):
        return rng.standard_normal(shape).astype(dtype)

    labels = (rng.random(n) > 0.5).astype(dtype)
    return [("logistic", logistic_loss, (a(d), a(n, d), labels), 0),
            ("mlp", mlp_loss, (a(d, h) / 2, a(h, o) / 2, a(n, d), a(n, o)), (0, 1)),
            ("elementwise", elementwise, (a(n),), 0),
            ("loop", loop, (a(n),), 0)]
