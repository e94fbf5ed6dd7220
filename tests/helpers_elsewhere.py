"""Helpers in a file of their own, inlined into functions of test_messages_found.py: a refusal
raised inside one names this file and its line."""
import numpy as np


def scale_middle(x):
    y = x.copy()
    v = y[1:3]
    v *= 3.0
    return y


def bessel(x):
    return np.i0(x) * 2.0


def as_tuple(x):
    return np.sum(np.array(sorted(x.reshape(2, 2))))


def wide_qr(a):
    return np.linalg.qr(a)[1]


def late_ellipsis(a):
    return np.einsum("i...->...", a)
