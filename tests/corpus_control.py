"""Control-flow functions for the shared corpus: branches, loops, early exits, closures.

Same format as corpus.py. Domains straddle each branch's threshold so that hypothesis draws
inputs on both sides; the tests skip points next to a switch, where the derivative jumps.
"""
import math

import numpy as np

from adcompile import sigmoid
from corpus import A, S, helper_affine


def branches(x, y):
    if x > 0.5:
        z = x * y
    elif x < -0.5:
        z = math.sin(x) + y
    else:
        z = x * x - y
    return z * 2.0 + y


def early_return(x):
    if x < 0:
        return -x * 3.0
    y = x * x
    if y > 4.0:
        return y - 2 * x
    return y + 1.0


def conditional_expression(x, y):
    a = x * y if x > y else x + y
    return a * a


def conditions(x, y):
    if x > 0 and y > 0 or not x < -1.0:
        r = x * y
    else:
        r = x - y
    if -1.0 < y <= 1.0:
        r = r + y * y
    return r


def counted_loop(x):
    s = 0.0
    for i in range(5):
        s = s + math.sin(x * i) * x
    return s


def two_calls(x):
    s = 0.0
    for i in range(5):
        s = s + math.sin(x * i) * math.cos(x + i)
    return s


def data_bound_loop(xs, w):
    s = 0.0
    for t in range(xs.shape[0]):
        s = s + np.sum(xs[t] * w) ** 2
    return s


def rows_enumerate_zip(X, v):
    total = 0.0
    for i, row in enumerate(X):
        total = total + np.sum(row * v) * (i + 1)
    for a, b in zip(X, X[::-1]):
        total += np.sum(a * b)
    for c in (1.0, 2.0, 3.0):
        total = total + c * np.sum(v)
    return total


def nested_loops(x, y):
    s = 0.0
    for i in range(3):
        t = x
        for j in range(i + 1):
            t = t * y + j
        s = s + t
    return s


def while_loop(x):
    n = 0
    while x < 8.0 and n < 20:
        x = x * 1.7 + 0.1
        n += 1
    return x * x


def break_continue(x):
    s = 0.0
    for i in range(8):
        if i == 2:
            continue
        s = s + x * i
        if s > 10.0:
            break
        if i > 100:
            pass
    return s * x


def calls_in_loops(x, y):
    acc = 0.0
    for i in range(3):
        if i % 2 == 0:
            acc = acc + helper_affine(x, y)
        else:
            acc = acc * helper_affine(y, x, b=0.1)
    return acc


def closure(x, y):
    scale = y * 2.0

    def layer(v):
        return math.tanh(v * scale + x)
    h = x
    for i in range(3):
        h = layer(h)
    square = lambda u: u * u  # noqa: E731
    return square(h) + scale


def subscript_writes(x):
    out = np.zeros(4)
    for i in range(4):
        out[i] = x[i] * x[(i + 1) % 4] + out[i - 1]
    out[0] += x[0]
    return np.sum(out * out)


def augmented_in_loop(x, y):
    s = 1.0
    for i in range(4):
        s *= x
        s += y * i
        s /= 1.5
    return s


def rnn(W, h, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h * h)


def training_loop(w, b, lr):
    X = np.array([[0.5, -1.0], [1.5, 0.3], [-0.7, 0.8]])
    y = np.array([1.0, 0.0, 1.0])
    for step in range(5):
        p = sigmoid(X @ w + b)
        err = p - y
        w = w - lr * (X.T @ err) / 3.0
        b = b - lr * np.mean(err)
    p = sigmoid(X @ w + b)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def logistic_map(r, x):
    for i in range(6):
        x = r * x * (1.0 - x)
    return x


def return_in_loops(x, y):
    s = 0.0
    for i in range(6):
        for j in range(2):
            s = s + x * y * (i + j)
            if s > 3.0:
                return s * x, y
    k = 0
    while True:
        s = s * 1.3 + y
        k += 1
        if k > 2:
            return s, x


def sum_of_pair(x, y):
    a, b = return_in_loops(x, y)
    return a * b


def lists_in_loops(x, y):
    vals = []
    for i in range(4):
        vals.append(math.sin(x * i) * y)
    total = sum(vals)
    for v in vals:
        total = total + v * v
    return total + vals[2] * x


CONTROL = [
    (branches, [S(-1.5, 1.5), S(-2, 2)]),
    (early_return, [S(-3, 3)]),
    (conditional_expression, [S(-2, 2), S(-2, 2)]),
    (conditions, [S(-2, 2), S(-2, 2)]),
    (counted_loop, [S(-2, 2)]),
    (two_calls, [S(-2, 2)]),
    (data_bound_loop, [A((4, 3), -1, 1), A((3,), -1, 1)]),
    (rows_enumerate_zip, [A((3, 2), -1, 1), A((2,), -1, 1)]),
    (nested_loops, [S(-1.5, 1.5), S(-1.5, 1.5)]),
    (while_loop, [S(0.5, 3)]),
    (break_continue, [S(-1, 2)]),
    (calls_in_loops, [S(-1, 1), S(-1, 1)]),
    (closure, [S(-1, 1), S(-1, 1)]),
    (subscript_writes, [A((4,), -2, 2)]),
    (augmented_in_loop, [S(-1.5, 1.5), S(-1, 1)]),
    (rnn, [A((3, 3), -0.7, 0.7), A((3,), -1, 1), A((4, 3), -1, 1)]),
    (training_loop, [A((2,), -1, 1), S(-0.5, 0.5), S(0.1, 1.0)]),
    (logistic_map, [S(2.5, 3.9), S(0.1, 0.9)]),
    (lists_in_loops, [S(-2, 2), S(-2, 2)]),
    (sum_of_pair, [S(-1.5, 1.5), S(-1.5, 1.5)]),
]
