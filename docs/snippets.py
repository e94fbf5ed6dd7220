"""Small functions whose generated code the docs show (python docs/generate.py runs them)."""
import math

import numpy as np

from adcompile import sigmoid


def dense(W, b, x):
    h = sigmoid(W @ x + b)
    return np.sum(h)


def scaled(x, y):
    z = x * y + 2.0
    return z * z


def relu_sum(x, n):
    total = 0.0
    for i in range(n):
        if x > i:
            total = total + (x - i) * x
    return total


def sine_sum(x):
    s = 0.0
    for i in range(100):
        s = s + math.sin(x * i) * x
    return s


def not_yet(x):
    with open("log.txt"):
        y = x
    return y


def rnn(W, U, h, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U * xs[t])
    return np.sum(h)


def pool(X, w):
    m = np.max(X, axis=1)
    return np.mean(m * w) + X[0, 1]
