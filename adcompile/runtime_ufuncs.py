"""Helpers of the rules of ufunc methods and np.cross's axes (rules_ufuncs.py): the running
maximum's and minimum's derivatives, np.ufunc.outer's left operand, the vector axis of np.cross's
result. They need nothing but NumPy (export copies them)."""
from __future__ import annotations

import numpy as np


def _runs(x, y, axis):
    """Along the last axis (after moving `axis` there): e, where x attains the running extreme
    y; start and end, where the run of y's current value starts and ends; count, how many
    entries of x attain it from the run's start up to here (ties split the derivative evenly,
    as np.max's rule splits it)."""
    x, y = np.moveaxis(x, axis, -1), np.moveaxis(y, axis, -1)
    n = np.shape(y)[-1]
    at = np.arange(n)
    changes = y[..., 1:] != y[..., :-1]
    first = np.concatenate([np.ones_like(y[..., :1], dtype=bool), changes], axis=-1)
    last = np.concatenate([changes, np.ones_like(y[..., :1], dtype=bool)], axis=-1)
    start = np.maximum.accumulate(np.where(first, at, 0), axis=-1)
    end = np.flip(np.minimum.accumulate(np.flip(np.where(last, at, n - 1), -1), axis=-1), -1)
    e = x == y
    c = np.cumsum(e, axis=-1)
    count = np.maximum(c - np.take_along_axis(c - e, start, axis=-1), 1)
    return e, start, end, count


def cumextreme_jvp(t, x, y, axis):
    """The tangent of y = np.maximum.accumulate(x, axis) (or minimum's): each entry's tangent
    is that of the entry of x where the running extreme was attained (the mean over ties)."""
    e, start, _, count = _runs(x, y, axis)
    et = np.where(e, np.moveaxis(t, axis, -1), 0)
    s = np.cumsum(et, axis=-1)
    return np.moveaxis((s - np.take_along_axis(s - et, start, axis=-1)) / count, -1, axis)


def cumextreme_vjp(v, x, y, axis):
    """cumextreme_jvp's transpose: each entry of the run of the extreme it attains gives it its
    gradient (divided among ties)."""
    e, _, end, count = _runs(x, y, axis)
    h = np.moveaxis(v, axis, -1) / count
    r = np.flip(np.cumsum(np.flip(h, -1), axis=-1), -1)  # sum of h from here to the end
    return np.moveaxis(np.where(e, r - np.take_along_axis(r - h, end, axis=-1), 0), -1, axis)


def outer_left(a, b):
    """`a` with an axis of length 1 after its own for each axis of `b`: ufunc.outer(a, b) is
    ufunc(outer_left(a, b), b)."""
    return np.reshape(a, np.shape(a) + (1,) * np.ndim(b))


def _vectors_out(a, b):
    """Whether np.cross of a and b (vectors along their last axes) returns vectors (3-vectors
    in either; two 2-vectors give the z-component alone, without a vector axis)."""
    return 3 in (np.shape(a)[-1], np.shape(b)[-1])


def cross_out(c, a, b, axisc):
    """np.cross's result `c` of vectors along the last axes of a and b, its vectors moved to
    axisc."""
    return np.moveaxis(c, -1, axisc) if _vectors_out(a, b) else c


def cross_in(v, a, b, axisc):
    """cross_out undone: the vectors of v moved from axisc to the last axis."""
    return np.moveaxis(v, axisc, -1) if _vectors_out(a, b) else v
