"""Numba versions, for `adcompile.jit`, of the helpers that a list of lists of numbers (a
matrix of lists, `A = [[0.0] * n for _ in range(n)]`, written `A[i][j] = v` and read
`A[i][j]`) goes through: a list written as a new list (setitem), and its gradient, a list of
float vectors (one per row, as np.split's pieces' gradients, jit_helpers_gather), made, zeroed at
a row, added into at a row. `extended` adds these typers to those of jit_helpers: these first (they
take lists only), each helper's own where they have none."""
from __future__ import annotations

import inspect

import numpy as np

from . import runtime, runtime_arrays

def _numbers(x, t):
    """Whether `x` is a list (or tuple) of numbers."""
    return isinstance(x, (t.List, t.UniTuple)) and isinstance(x.dtype, (t.Float, t.Integer))


def _rows(x, t):
    """Whether `x` is a list of lists (or tuples) of numbers."""
    return isinstance(x, t.List) and _numbers(x.dtype, t)


def _vectors(x, t):
    """Whether `x` is a list of float vectors (a list of lists' gradient)."""
    return isinstance(x, t.List) and isinstance(x.dtype, t.Array) and x.dtype.ndim == 1 and \
        isinstance(x.dtype.dtype, t.Float)


def _zeros_like(t):
    def typer(x):
        if _rows(x, t):
            return lambda x: [np.zeros(len(row)) for row in x]
    return typer


def _setitem(t):
    """A list with one item written, as a new list (flat code's `x[i] = v` of a list)."""
    def typer(x, index, v):
        if isinstance(x, t.List) and isinstance(index, t.Integer) and (
                _numbers(x, t) and isinstance(v, (t.Float, t.Integer, t.Boolean)) or
                _rows(x, t) and isinstance(v, t.List) and v.dtype == x.dtype.dtype):
            def impl(x, index, v):
                out = list(x)
                out[index] = v
                return out
            return impl
    return typer


def _zero_at(t):
    def typer(x, index):
        if _vectors(x, t) and isinstance(index, t.Integer):
            def impl(x, index):
                out = list(x)
                out[index] = np.zeros_like(x[index])
                return out
            return impl
    return typer


def _last_written(t):
    def typer(x, like, index):  # (an int index names one place: nothing written twice)
        if isinstance(like, t.List) and isinstance(index, t.Integer):
            return lambda x, like, index: x
    return typer


def _held_in(t):
    def typer(v, x):  # (a list holds any number as it is)
        if isinstance(x, t.List) and (isinstance(v, (t.Float, t.Integer)) or
                                      isinstance(v, t.Array)):
            return lambda v, x: v
    return typer


def _unbroadcast(t):
    def typer(g, x):  # (a list of numbers' gradient: a vector of its length)
        if _numbers(x, t) and isinstance(g, t.Array) and g.ndim == 1:
            return lambda g, x: g
    return typer


def _getitem_grad(t):
    def typer(g, x, index):  # (a row of a list of lists)
        if _rows(x, t) and isinstance(g, t.Array) and g.ndim == 1 and \
                isinstance(index, t.Integer):
            def impl(g, x, index):
                out = [np.zeros(len(row)) for row in x]
                out[index] = out[index] + g
                return out
            return impl
    return typer


_EXTRA = {runtime.zeros_like: _zeros_like, runtime.setitem: _setitem,
          runtime_arrays.zero_at: _zero_at, runtime.last_written: _last_written,
          runtime_arrays.held_in: _held_in, runtime.unbroadcast: _unbroadcast,
          runtime.getitem_grad: _getitem_grad}


def extended(helpers):
    """`helpers` ({helper: overload typer}) with this module's typers before each helper's own
    (unbroadcast's own would fit a list's gradient to a number)."""
    out = dict(helpers)
    for helper, extra in _EXTRA.items():
        own = out.get(helper)
        out[helper] = extra if own is None else _either(extra, own)
    return out


def _either(one, other):
    """A typer of `one`'s parameters (Numba matches them with the implementation's) that
    returns `one`'s implementation, else `other`'s."""
    def make(t):
        first, second = one(t), other(t)
        params = list(inspect.signature(first).parameters.values())
        names = ", ".join(p.name for p in params)
        scope = {"first": first, "second": second}
        exec(f"def typer({', '.join(map(str, params))}):\n"
             f"    impl = first({names})\n"
             f"    return impl if impl is not None else second({names})\n", scope)
        return scope["typer"]
    return make
