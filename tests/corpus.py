"""A shared corpus of small functions, run through every mode by the tests.

Each entry is `(function, domains)`: one domain per parameter, either `S(lo, hi)` for a Python
float or `A(shape, lo, hi)` for a float64 array. Inputs are drawn inside the domains, away from
the points where a derivative is undefined.
"""
import math
from collections import namedtuple

import numpy as np

from adcompile import log_sigmoid, log_softmax, logsumexp, sigmoid, softplus

S = namedtuple("S", "lo hi")
A = namedtuple("A", "shape lo hi")

SCALE = 2.5  # a global constant read by a function


# --- scalar functions (math and operators) ---------------------------------------------------
def neuron(w0, x0, w1, x1, w2):
    L = sigmoid(w0 * x0 + w1 * x1 + w2)
    return L


def lecture_q(x, y, z):
    return (x + y) * z


def swish(x):
    return x * sigmoid(x)


def poly(x, y):
    return 3 * x ** 3 - 2 * x * y + y ** 2 / 4 + 1


def trig(x, y):
    return math.sin(x) * math.cos(y) + math.tan(x / 4) - math.atan(y)


def exps(x, y):
    return math.exp(x) / (1 + math.exp(y)) + math.log(x * x + 1) + math.log1p(y * y)


def roots(x):
    return math.sqrt(x) + x ** 0.5 - math.expm1(-x) + math.pow(x, 1.5)


def hyperbolic(x):
    return math.tanh(x) + math.sinh(x) * math.cosh(x)


def inverse_hyperbolic(x):
    return math.asinh(x) + math.acosh(x + 3.5) + math.atanh(x / 3)


def special_math(x, y):
    cube_root = math.cbrt(x) if hasattr(math, "cbrt") else x ** (1 / 3)  # (math.cbrt: 3.11)
    exp2 = math.exp2(y) if hasattr(math, "exp2") else 2.0 ** y
    return math.erfc(x) * math.degrees(y) + math.radians(x * y) + exp2 + cube_root


def remainders(x, y):
    return math.fmod(x * 3.0, y) * x  # (x * 3 / y between 1.2 and 1.92: no jump)


def hypot_of_three(x, y):
    return math.hypot(x, y, x * y) + math.hypot(x) + math.hypot(y, 2.0)


def products_and_distances(x, y):
    return math.prod([x, y, x + y]) + math.dist((x, y), (3.0, x * y)) + math.prod((2.0, x))


def log_likelihood(x, y):
    """Plain-float statistics: a gamma function and its logarithm (their derivatives need the
    digamma function, which math lacks)."""
    return math.lgamma(x) * y + math.gamma(y) - math.lgamma(x + y)


def log_base(x, y):
    return math.log(x, 2) + math.log(x, y)


def divisions(x, y):
    a = x / y
    b = 1 / x
    return a - b + y / 2.0


def unary_ops(x):
    return -x + (+x) * 2 - (-x) ** 2


def reassign(x, y):
    z = x * y
    z = z + x
    z = z * z
    x = z - y
    return x


def augmented(x, y):
    s = x
    s += y
    s *= x
    s -= 1.0
    s /= y
    s **= 2
    return s


def tuples(x, y):
    a, b = x * y, x + y
    b, a = a, b
    return a * b


def max_min(x, y):
    return max(x, y) * 2 + min(x, y) + abs(x - 0.3)


def uses_global(x):
    return SCALE * x * x


def helper_square(v):
    return v * v


def helper_affine(v, w, b=0.5):
    h = helper_square(v)
    return h * w + b


def calls_helpers(x, y):
    a = helper_affine(x, y)
    b = helper_affine(y, x, b=1.0)
    return a * b


def stable(x):
    return softplus(x) + log_sigmoid(x) * 2 + sigmoid(-x)


def same_value_twice(x):
    y = x
    return y * x + x


# --- NumPy functions --------------------------------------------------------------------------
def np_elementwise(x):
    return np.sum(np.exp(x) * np.sin(x) + np.tanh(x) - np.sqrt(np.abs(x) + 1) + np.square(x))


def np_log_cos(x):
    return np.mean(np.log(x) * np.cos(x) + np.tan(x / 4))


def np_broadcast(x, b):
    return np.sum((x + b) * b - x / (b + 3))


def np_broadcast_scalar(x, s):
    return np.sum(x * s + s)


def np_keepdims(x, b):
    return np.sum(x * b, axis=0).sum() + np.mean(x, axis=1, keepdims=True).sum()


def np_matmul(W, x):
    return np.sum(np.tanh(W @ x))


def np_matmul_2d(A_, B_):
    return np.sum((A_ @ B_) ** 2) + np.dot(A_, B_).mean()


def np_vector_dot(u, v):
    return u @ v + np.dot(u, u)


def np_transpose_reshape(x):
    y = x.T @ x
    z = np.reshape(x, (6,)) * np.transpose(x).reshape(6)
    return np.sum(y) + np.sum(z * z) + x.reshape(3, 2).sum()


def np_methods(x, y):
    return x.dot(y).sum() + (x * y).mean() + x.transpose().dot(y).sum()


def np_max_min(x, y):
    return np.sum(np.maximum(x, y) * 2 + np.minimum(x, 0.1) - np.power(np.abs(y) + 1, 1.5))


def np_stable(x):
    return np.sum(sigmoid(x) + softplus(x) * 2 + log_sigmoid(x))


def mlp_loss(W1, b1, W2, b2, x, t):
    return 0.5 * np.mean((np.tanh(x @ W1 + b1) @ W2 + b2 - t) ** 2)


def logistic_regression(w, b, X, y):
    p = sigmoid(X @ w + b)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


CORPUS = [
    (neuron, [S(-3, 3)] * 5),
    (lecture_q, [S(-5, 5)] * 3),
    (swish, [S(-4, 4)]),
    (poly, [S(-2, 2)] * 2),
    (trig, [S(-1.5, 1.5)] * 2),
    (exps, [S(0.1, 2)] * 2),
    (roots, [S(0.1, 4)]),
    (hyperbolic, [S(-2, 2)]),
    (log_base, [S(0.5, 4), S(1.5, 4)]),
    (inverse_hyperbolic, [S(-2, 2)]),
    (log_likelihood, [S(0.2, 30), S(0.2, 5)]),
    (log_likelihood, [S(-2.9, -2.1), S(0.2, 1.5)]),  # (between the poles at -3 and -2)
    (special_math, [S(0.5, 3), S(-2, 2)]),
    (remainders, [S(0.24, 0.32), S(0.5, 0.6)]),
    (hypot_of_three, [S(0.5, 2), S(0.5, 2)]),
    (products_and_distances, [S(-2, 2), S(-2, 2)]),
    (divisions, [S(0.5, 3), S(0.5, 3)]),
    (unary_ops, [S(-3, 3)]),
    (reassign, [S(-2, 2)] * 2),
    (augmented, [S(0.5, 2)] * 2),
    (tuples, [S(-2, 2)] * 2),
    (max_min, [S(-2, 2)] * 2),
    (uses_global, [S(-2, 2)]),
    (calls_helpers, [S(-2, 2)] * 2),
    (stable, [S(-5, 5)]),
    (same_value_twice, [S(-3, 3)]),
    (np_elementwise, [A((3, 4), -2, 2)]),
    (np_log_cos, [A((5,), 0.2, 3)]),
    (np_broadcast, [A((4, 3), -2, 2), A((3,), -1, 1)]),
    (np_broadcast_scalar, [A((2, 3), -2, 2), S(-2, 2)]),
    (np_keepdims, [A((3, 4), -2, 2), A((1, 4), -1, 1)]),
    (np_matmul, [A((3, 4), -1, 1), A((4,), -1, 1)]),
    (np_matmul_2d, [A((3, 4), -1, 1), A((4, 2), -1, 1)]),
    (np_vector_dot, [A((4,), -1, 1), A((4,), -1, 1)]),
    (np_transpose_reshape, [A((2, 3), -1, 1)]),
    (np_methods, [A((3, 3), -1, 1), A((3, 3), -1, 1)]),
    (np_max_min, [A((4,), -2, 2), A((4,), -2, 2)]),
    (np_stable, [A((5,), -6, 6)]),
    (mlp_loss, [A((4, 5), -1, 1), A((5,), -1, 1), A((5, 3), -1, 1), A((3,), -1, 1),
                A((6, 4), -1, 1), A((6, 3), -1, 1)]),
    (logistic_regression, [A((3,), -1, 1), S(-1, 1), A((8, 3), -2, 2), A((8,), 0, 1)]),
]


# --- NumPy breadth (issue 4): indexing, shapes, reductions, linear algebra ----------------------
ROWS = np.array([2, 0, 2])
KEEP = np.array([True, False, True, True])


def np_indexing(x):
    return np.sum(x[1:, ::2] ** 2) + x[ROWS, 1] @ x[ROWS, 3] + np.sum(x[:, KEEP] * x[-1, KEEP]) \
        + np.sum(np.sin(x[x > 0.5]))


def np_shapes(x, y):
    z = np.concatenate([x, y.T], axis=0)
    w = np.stack([x[0], y[:, 1]], axis=1)
    return np.sum(z @ np.tile(w, (1, 2))) + np.sum(np.swapaxes(np.expand_dims(x, 0), 1, 2) ** 2) \
        + np.sum(np.vstack([x, x]) * np.hstack([x, x])[:, :4].sum())


def np_array_of_scalars(a, b):
    v = np.array([a * b, a - b, 1.0])
    return v @ v + np.array([[a, b], [b, a]]).prod()


def np_reductions(x):
    return np.max(x, axis=1) @ np.min(x, axis=0)[:3] + np.var(x) + x.std(axis=0).sum() \
        + np.prod(x[0]) + np.sum(np.cumsum(x, axis=1) ** 2) + np.linalg.norm(x)


def np_cross_entropy(W, x):
    logits = x @ W
    return -np.mean(log_softmax(logits, axis=1)[:, 0]) + np.sum(logsumexp(logits, axis=0) ** 2)


def np_linalg(M, b):
    A_ = M + 2.0 * np.eye(3)
    x = np.linalg.solve(A_, b)
    return x @ x + np.linalg.slogdet(A_)[1] + np.trace(np.linalg.inv(A_)) * np.linalg.det(A_)


def np_einsum(A_, B_):
    return np.einsum("ij,jk->", A_, B_) + np.sum(np.einsum("ij,kj->ik", A_, A_) ** 2) \
        + np.tensordot(A_, B_.T, axes=2) + np.sum(np.outer(A_[0], B_[:, 0]) ** 2)


def np_clip_where(x, lo):
    return np.sum(np.where(x > lo, np.clip(x, -1.0, 1.0) ** 2, x * lo) + np.abs(np.cbrt(x)))


CORPUS += [
    (np_indexing, [A((3, 4), -1, 1)]),
    (np_shapes, [A((2, 3), -1, 1), A((3, 2), -1, 1)]),
    (np_array_of_scalars, [S(-2, 2), S(-2, 2)]),
    (np_reductions, [A((3, 4), -2, 2)]),
    (np_cross_entropy, [A((3, 4), -1, 1), A((5, 3), -2, 2)]),
    (np_linalg, [A((3, 3), -0.3, 0.3), A((3,), -1, 1)]),
    (np_einsum, [A((2, 3), -1, 1), A((3, 2), -1, 1)]),
    (np_clip_where, [A((6,), 0.2, 2), S(0.5, 1.5)]),
]
