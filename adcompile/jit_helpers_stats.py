"""Numba implementations of the helpers that the rules of np.interp and np.trapezoid
(runtime_stats.py) call, for `adcompile.jit`: typers as in jit_helpers. They cover a 1-D table
(xp, fp) read at a number or an array x, and np.trapezoid of a 1-D y (dx, or 1-D sample
points); other types get no implementation (jit's JitError names the helper and the user's
line)."""
from __future__ import annotations

import numpy as np

from . import runtime_stats


def _array(x, t):
    return isinstance(x, t.Array)


def _vector(x, t):
    return _array(x, t) and x.ndim == 1 and isinstance(x.dtype, (t.Float, t.Integer))


def _real(x, t):
    return isinstance(x, (t.Float, t.Integer)) or _array(x, t) and isinstance(
        x.dtype, (t.Float, t.Integer))


def _given(arg, t):
    return not (arg is None or isinstance(arg, (t.NoneType, t.Omitted)))


def _place(x, xp):
    """runtime_stats._interval at one number x: (j, h, inside)."""
    j = min(max(np.searchsorted(xp, x, side="right") - 1, 0), xp.size - 2)
    return j, xp[j + 1] - xp[j], x >= xp[0] and x <= xp[-1]


def _flat(x):
    return np.asarray(x, dtype=np.float64).ravel()


# -- np.interp -------------------------------------------------------------------------------------

def _slopes(v, xs, xp):
    out = np.empty(xs.size)
    for k in range(xs.size):
        j, h, inside = _place(xs[k], xp)
        out[k] = (v[j + 1] - v[j]) / h if inside else 0.0
    return out


def _spread(v, xs, xp, left, right, slopes):
    """interp_spread (slopes False) or interp_slope_spread (True) of v broadcast to xs."""
    out = np.zeros(xp.size)
    for k in range(xs.size):
        x, vk = xs[k], v[k % v.size]
        j, h, inside = _place(x, xp)
        if slopes:
            share = vk / h if inside else 0.0
            out[j + 1] += share
            out[j] -= share
            continue
        if left and x < xp[0] or right and x > xp[-1]:
            continue
        w = min(max((x - xp[j]) / h, 0.0), 1.0)
        out[j] += vk * (1 - w)
        out[j + 1] += vk * w
    return out


def _interp_slope(t):
    def typer(v, x, xp):
        if not (_vector(v, t) and _vector(xp, t) and _real(x, t)):
            return None
        if not _array(x, t):
            return lambda v, x, xp: _slopes(v, _flat(x), xp)[0]
        return lambda v, x, xp: _slopes(v, _flat(x), xp).reshape(x.shape)
    return typer


def _interp_spread(t):
    def typer(v, x, xp, left, right):
        if not (_real(v, t) and _real(x, t) and _vector(xp, t)):
            return None
        ends = (_given(left, t), _given(right, t))

        def spread(v, x, xp, left, right):
            return _spread(_flat(v), _flat(x), xp, ends[0], ends[1], False)
        return spread
    return typer


def _interp_slope_spread(t):
    def typer(v, x, xp):
        if _real(v, t) and _real(x, t) and _vector(xp, t):
            return lambda v, x, xp: _spread(_flat(v), _flat(x), xp, False, False, True)
    return typer


def _interp_gather(t):
    def typer(v, x, xp, left, right):
        if not (_vector(v, t) and _real(x, t) and _vector(xp, t)):
            return None
        ends = (_given(left, t), _given(right, t))

        def gather(xs, v, xp):
            out = np.interp(xs, xp, v)
            for k in range(xs.size):
                if ends[0] and xs[k] < xp[0] or ends[1] and xs[k] > xp[-1]:
                    out[k] = 0.0
            return out
        if not _array(x, t):
            return lambda v, x, xp, left, right: gather(_flat(x), v, xp)[0]
        return lambda v, x, xp, left, right: gather(_flat(x), v, xp).reshape(x.shape)
    return typer


# -- np.trapezoid ----------------------------------------------------------------------------------

def _trapezoid_weights(t):
    def typer(y, x, dx, axis):
        if not (_array(y, t) and y.ndim == 1):
            return None
        if not _given(x, t):
            def of_dx(y, x, dx, axis):
                ends = np.ones(y.size)
                ends[0] = ends[-1] = 0.5
                return ends * dx
            return of_dx
        if _vector(x, t):
            def of_points(y, x, dx, axis):
                if x.size != y.size:
                    raise ValueError("np.trapezoid: x and y have other lengths")
                steps = x[1:] - x[:-1]
                out = np.zeros(x.size)
                out[1:] += steps / 2
                out[:-1] += steps / 2
                return out
            return of_points
    return typer


def _trapezoid_weights_grad(t):
    def typer(v, y, x, axis):
        if _array(v, t) and v.ndim == 1 and _vector(x, t) and _array(y, t) and y.ndim == 1:
            def grad(v, y, x, axis):
                shares = (v[:-1] + v[1:]) / 2  # the gradient of each step x[k + 1] - x[k]
                out = np.zeros(v.size)
                out[1:] += shares
                out[:-1] -= shares
                return out
            return grad
    return typer


def helpers(numba):
    """{helper: overload typer} of this module's helpers."""
    return {
        runtime_stats.interp_slope: _interp_slope,
        runtime_stats.interp_spread: _interp_spread,
        runtime_stats.interp_slope_spread: _interp_slope_spread,
        runtime_stats.interp_gather: _interp_gather,
        runtime_stats.trapezoid_weights: _trapezoid_weights,
        runtime_stats.trapezoid_weights_grad: _trapezoid_weights_grad,
        _place: lambda t: lambda x, xp: _place,
        _flat: lambda t: lambda x: _flat,
        _slopes: lambda t: lambda v, xs, xp: _slopes,
        _spread: lambda t: lambda v, xs, xp, left, right, slopes: _spread,
    }
