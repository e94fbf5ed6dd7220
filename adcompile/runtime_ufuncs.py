"""Helpers of the rules of ufunc methods and np.cross's axes (rules_ufuncs.py): the running
maximum's and minimum's derivatives, np.ufunc.outer's left operand, the vector axis of np.cross's
result, np.add.reduceat's gradient, np.put_along_axis's index, and np.maximum's tie split. They
need nothing but NumPy (export copies them)."""
from __future__ import annotations

import numpy as np


def _runs(x, y, axis):
    """Along the last axis (after moving `axis` there): count, how many entries of x attain the
    running extreme y from the start of the run of y's current value up to here (ties split the
    derivative evenly, as np.max's rule splits it), and for k = 1, 2, ... the position of the
    run's k-th such entry, where it is at or before here (a mask says where). Positions, not
    differences of running sums: a large derivative in one run cannot swallow a small one in
    the next. (Ties are rare: usually k = 1 alone, one gather.)"""
    x, y = np.moveaxis(x, axis, -1), np.moveaxis(y, axis, -1)
    at = np.arange(np.shape(y)[-1])
    first = np.concatenate([np.ones_like(y[..., :1], dtype=bool), y[..., 1:] != y[..., :-1]],
                           axis=-1)
    start = np.maximum.accumulate(np.where(first, at, 0), axis=-1)
    e = x == y
    c = np.cumsum(e, axis=-1)
    rank = np.where(e, c - np.take_along_axis(c - e, start, axis=-1), 0)  # 1, 2, ... in a run
    count = np.maximum(c - np.take_along_axis(c - e, start, axis=-1), 1)
    picks = []
    for k in range(1, int(np.max(rank, initial=1)) + 1):
        p = np.maximum.accumulate(np.where(rank == k, at, -1), axis=-1)
        picks.append((np.maximum(p, 0), p >= start))
    return count, picks


def cumextreme_jvp(t, x, y, axis):
    """The tangent of y = np.maximum.accumulate(x, axis) (or minimum's): each entry's tangent
    is that of the entry of x where the running extreme was attained (the mean over ties)."""
    count, picks = _runs(x, y, axis)
    t = np.moveaxis(t, axis, -1)
    total = sum(np.where(ok, np.take_along_axis(t, p, axis=-1), 0) for p, ok in picks)
    return np.moveaxis(total / count, -1, axis)


def cumextreme_vjp(v, x, y, axis):
    """cumextreme_jvp's transpose: each entry of the run of the extreme it attains gives it its
    gradient (divided among ties)."""
    count, picks = _runs(x, y, axis)
    h = np.moveaxis(v, axis, -1) / count
    out = np.zeros((int(np.prod(h.shape[:-1])), h.shape[-1]), h.dtype)  # (rows of the axis)
    rows = np.broadcast_to(np.arange(out.shape[0])[:, None], out.shape)
    flat = h.reshape(out.shape)
    for p, ok in picks:
        ok = ok.reshape(out.shape)
        np.add.at(out, (rows[ok], p.reshape(out.shape)[ok]), flat[ok])
    return np.moveaxis(out.reshape(h.shape), -1, axis)


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


def _segments(indices, n):
    """np.add.reduceat's segments of an axis of length n: [indices[i], indices[i + 1]), but the
    one entry indices[i] where indices[i] >= indices[i + 1] (NumPy's rule), and the last to
    the end. Returns (the segment of each position listed, the positions)."""
    starts = np.reshape(np.asarray(indices), (-1,))
    ends = np.concatenate([starts[1:], [n]])
    ends = np.where(ends > starts, ends, starts + 1)
    lengths = ends - starts
    segment = np.repeat(np.arange(len(starts)), lengths)
    first = np.cumsum(lengths) - lengths  # (where each segment's positions begin in the list)
    return segment, np.arange(len(segment)) - np.repeat(first - starts, lengths)


def reduceat_grad(v, x, indices, axis):
    """The gradient of np.add.reduceat(x, indices, axis): each segment's gradient repeated over
    the entries the segment sums (entries in two segments get both). Positions, not differences
    of running sums: a large gradient of one segment cannot swallow a small one of the next."""
    axis = axis % np.ndim(x)
    n = np.shape(x)[axis]
    segment, position = _segments(indices, n)
    h = np.moveaxis(v, axis, 0)
    out = np.zeros((n,) + tuple(np.shape(h)[1:]), dtype=np.result_type(v, x, 1.0))
    np.add.at(out, position, h[segment])
    return np.moveaxis(out, 0, axis)


def along_index(x, indices, axis):
    """The index np.put_along_axis(x, indices, values, axis) writes at (and
    np.take_along_axis reads), as NumPy builds it: `indices` along `axis`, each other axis's
    positions (its arange) along it."""
    shape = np.shape(x)
    if np.ndim(indices) != len(shape):
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    if getattr(indices, "dtype", None) is None or indices.dtype.kind not in "iu":
        raise IndexError("`indices` must be an integer array")
    axis = axis % len(shape)
    return tuple(indices if k == axis else np.reshape(
        np.arange(n), (1,) * k + (n,) + (1,) * (len(shape) - k - 1)) for k, n in enumerate(shape))


def tie_split(v, win, tie):
    """v where `win`, half of it where `tie`, 0 elsewhere: the derivative of np.maximum and
    np.minimum (np.fmax, np.fmin) in one operand, a tie split evenly. Selected, not masked: a
    non-finite v (the adjoint of np.sqrt at 0) gives 0 where the operand loses, not 0 * inf.
    For NumPy arrays it costs one product and no np.where (a branch per entry, 5x a product):
    ties and non-finite values, rare, are looked for first; other arrays (Dask, CuPy) and
    numbers take the np.where form."""
    if not (type(win) is np.ndarray and type(tie) is np.ndarray and
            (type(v) is np.ndarray or type(v) is float)):
        return np.where(win, v, np.where(tie, 0.5 * v, 0.0))
    if not np.isfinite(v).all():
        return np.where(win, v, np.where(tie, 0.5 * v, 0.0))
    out = v * win
    return np.where(tie, 0.5 * v, out) if tie.any() else out
