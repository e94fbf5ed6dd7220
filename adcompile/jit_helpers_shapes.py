"""Numba implementations of the helpers of the rules that cut, join and accumulate arrays
(np.cumsum, np.diff, np.trace, np.concatenate, np.hstack, np.vstack, `x[:, None]`) and of the
builtin max, min and sum of a list, for `adcompile.jit`: typers as in jit_helpers. Along an
axis, an array is seen as (before, along, after), three axes, whatever its number of axes."""
from __future__ import annotations

import numpy as np

from . import runtime, runtime_arrays
from .ir import Const, Op
from .primitives import NAMESPACE, add


def _array(x, t):
    return isinstance(x, t.Array)


def _float_array(x, t):
    return _array(x, t) and isinstance(x.dtype, t.Float)


def _three(shape, axis):
    """(before, along, after): the sizes of the axes before `axis`, of it and after it."""
    before, after = 1, 1
    for k in range(len(shape)):
        if k < axis:
            before *= shape[k]
        elif k > axis:
            after *= shape[k]
    return before, shape[axis], after


def _cumsum_back(g, axis):
    """np.flip(np.cumsum(np.flip(g, axis), axis), axis): running sums from the end."""
    before, n, after = _three(g.shape, axis)
    gs = np.ascontiguousarray(g).reshape((before, n, after))
    out = np.empty((before, n, after), g.dtype)
    for a in range(before):
        for b in range(after):
            if n:  # (the last entry as it is, as np.cumsum starts)
                out[a, n - 1, b] = gs[a, n - 1, b]
            for j in range(n - 2, -1, -1):
                out[a, j, b] = out[a, j + 1, b] + gs[a, j, b]
    return out


def _cumsum_grad(t):
    def typer(g, x, axis):
        if not (_float_array(g, t) and _array(x, t)):
            return None
        if axis is None or isinstance(axis, (t.NoneType, t.Omitted)):
            return lambda g, x, axis: _cumsum_back(g.ravel(), 0).reshape(x.shape)
        if isinstance(axis, t.Integer):
            return lambda g, x, axis: _cumsum_back(g, axis % g.ndim).reshape(g.shape)
    return typer


def _diff_back(g, n, axis):
    """runtime_arrays.diff_grad: n times -np.diff(g, prepend=0, append=0) along `axis`."""
    before, m, after = _three(g.shape, axis)
    out = np.ascontiguousarray(g).reshape((before, m, after))
    for _ in range(n):
        gs, m = out, m + 1
        out = np.empty((before, m, after), g.dtype)
        for a in range(before):
            for b in range(after):
                for j in range(m):
                    high = gs[a, j, b] if j < m - 1 else 0.0
                    low = gs[a, j - 1, b] if j > 0 else 0.0
                    out[a, j, b] = -(high - low)
    return out


def _diff_grad(t):
    def typer(g, n, axis):
        if _float_array(g, t) and isinstance(n, t.Integer) and isinstance(axis, t.Integer):
            shape = ", ".join(f"m if ax == {k} else g.shape[{k}]" for k in range(g.ndim))
            scope = {"_diff_back": _diff_back}
            exec(f"def impl(g, n, axis):\n    ax = axis % g.ndim\n"
                 f"    out = _diff_back(g, n, ax)\n    m = out.shape[1]\n"
                 f"    return out.reshape(({shape},))", scope)
            return scope["impl"]
    return typer


def _trace_grad(t):
    def typer(g, x, offset, axis1, axis2):
        if _array(x, t) and x.ndim == 2 and isinstance(g, (t.Float, t.Integer)):
            def impl(g, x, offset, axis1, axis2):
                n, m = x.shape
                if axis1 % 2 == 1:  # (np.trace(x, 0, 1, 0): of x.T)
                    return np.ascontiguousarray((g * np.eye(m, n, offset)).T)
                return g * np.eye(n, m, offset)
            return impl
    return typer


# -- the pieces of a joined array ----------------------------------------------------------------

def concatenate_part_along(g, i, axis, xs):
    """runtime.concatenate_part(g, i, *xs, axis=axis), written for Numba (which drops a keyword
    given after *args): jit's code calls it in place of concatenate_part with an axis."""
    return runtime.concatenate_part(g, i, *xs, axis=axis)


add("concatenate_part_along", concatenate_part_along, ("g", "i", "axis", "xs"), "nondiff",
    zero="*")
NAMESPACE["concatenate_part_along"] = concatenate_part_along
POSITIONAL = {"concatenate_part": ("concatenate_part_along", "axis", 0)}


def positional(e):
    """`concatenate_part(g, i, *xs, axis=a)` as `concatenate_part_along(g, i, a, xs)`."""
    name, key, default = POSITIONAL[e.prim]
    axis = dict(e.kwargs).get(key, Const(default))
    return Op(name, (*e.args[:2], axis, Op("tuple", e.args[2:])))


def _slab(g, axis, start, size):
    """g's entries start:start + size along `axis`, contiguous."""
    before, total, after = _three(g.shape, axis)
    gs = np.ascontiguousarray(g).reshape((before, total, after))
    return np.ascontiguousarray(gs[:, start:start + size, :])


def _pieces(head, axis_of, size_of):
    """An overload typer of a helper `head` (its parameters: g, i and the joined xs) that
    returns the piece of g taken from xs[i], of xs[i]'s shape: `axis_of(ndim)` is the axis
    joined (code), `size_of(x, ndim)` the size of one x along it (code)."""
    def make(t):
        def impl_of(g, i, xs):
            xs = xs.types if isinstance(xs, t.BaseTuple) else xs
            if not (_float_array(g, t) and isinstance(i, t.Integer) and len(xs) and
                    all(_array(x, t) and x.ndim == xs[0].ndim for x in xs)):
                return None
            n = xs[0].ndim
            code = [f"def impl({head}):", f"    ax = {axis_of(n)}",
                    "    start, size, shape = 0, 0, xs[0].shape"]
            for k in range(len(xs)):
                size = size_of(f"xs[{k}]", n)
                code += [f"    if {k} < i:", f"        start += {size}", f"    if {k} == i:",
                         f"        size, shape = {size}, xs[{k}].shape"]
            code.append("    return _slab(g, ax, start, size).reshape(shape)")
            scope = {"_slab": _slab}
            exec("\n".join(code), scope)
            return scope["impl"]
        if head == "g, i, *xs":
            def typer(g, i, *xs):
                return impl_of(g, i, xs)
            return typer

        def along(g, i, axis, xs):
            return impl_of(g, i, xs) if isinstance(axis, t.Integer) else None
        return along
    return make


def without_new_axes(parts, ndim, xdim, t):
    """getitem_grad(g, x, index) where basic `index` (ints, slices, one `...`, None) has None in
    it: the axes of length 1 that None made summed out of g (a later addition may have
    broadcast them, and leading axes beyond x[index]'s: `x[:, None] * y` of shapes (3,) and
    (2,)), the rest of the index as it is."""
    if not all(isinstance(p, (t.Integer, t.SliceType, t.NoneType, t.EllipsisType))
               for p in parts) or sum(isinstance(p, t.EllipsisType) for p in parts) > 1:
        return None
    used = sum(isinstance(p, (t.Integer, t.SliceType)) for p in parts)
    rest = xdim - used  # (the axes `...` stands for, or the ones after the index)
    made = sum(isinstance(p, (t.SliceType, t.NoneType)) for p in parts) + rest  # x[index]'s
    lead = ndim - made
    if lead < 0 or rest < 0:
        return None
    new, axis = [], lead  # (the axes of g that the parts make: each but an int's)
    for p in parts:
        if isinstance(p, t.NoneType):
            new.append(axis)
        axis += rest if isinstance(p, t.EllipsisType) else not isinstance(p, t.Integer)
    summed = new[::-1] + [0] * lead  # (the last first: the axes before keep their numbers)
    lines = ["def impl(g, x, index):", "    g0 = g"]
    lines += [f"    g{k + 1} = g{k}.sum(axis={a})" for k, a in enumerate(summed)]
    kept = "".join(f"index[{k}], " for k, p in enumerate(parts)
                   if not isinstance(p, t.NoneType))
    lines.append(f"    return getitem_grad(g{len(summed)}, x, ({kept or '..., '}))")  # (x[None])
    scope = {"np": np, "getitem_grad": runtime.getitem_grad}
    exec("\n".join(lines), scope)
    return scope["impl"]


def _index_of(t):
    def typer(xs, x):
        if isinstance(xs, (t.List, t.UniTuple)) and isinstance(x, (t.Float, t.Integer)):
            def impl(xs, x):  # (max and min return the first of equal items)
                for i in range(len(xs)):
                    if xs[i] == x:
                        return i
                raise ValueError("index_of: the value is not in the list")
            return impl
    return typer


def _sum_grad(t):
    def typer(g, xs):
        if isinstance(xs, (t.List, t.UniTuple)) and isinstance(g, (t.Float, t.Integer)):
            return lambda g, xs: np.full(len(xs), float(g))  # (a list's gradient: an array)
    return typer


def _numbers_among(xs, t):
    """Whether the pieces `xs` (Numba types) are numbers and vectors with a number among them."""
    number = (t.Float, t.Integer, t.Boolean)
    return any(isinstance(x, number) for x in xs) and \
        all(isinstance(x, number) or _array(x, t) and x.ndim == 1 for x in xs)


def _hstack(t):
    """np.hstack of numbers and vectors (Trefethen's `np.hstack([2.0, np.ones(N - 1), 2.0])`):
    Numba's takes arrays only. Each piece in the result's dtype, joined."""
    def typer(tup, dtype=None, casting="same_kind"):
        if not (isinstance(tup, t.BaseTuple) and _numbers_among(tup.types, t)) or \
                not isinstance(dtype, (t.NoneType, t.Omitted)) and dtype is not None:
            return None
        from numba.np.numpy_support import as_dtype
        kind = np.result_type(*(as_dtype(getattr(x, "dtype", x)) for x in tup.types))
        pieces = ", ".join(f"np.full(1, tup[{k}], kind)" if not _array(x, t) else
                           f"tup[{k}].astype(kind)" for k, x in enumerate(tup.types))
        scope = {"np": np, "kind": kind}
        exec(f"def impl(tup, dtype=None, casting='same_kind'):\n"
             f"    return np.concatenate(({pieces},))\n", scope)
        return scope["impl"]
    return typer


def _hstack_part(t, of_arrays):
    """runtime.hstack_part: of arrays, `of_arrays`'s; of numbers and vectors, at a constant
    index (typed as a literal): the entry of g a number took (a number, as Python's is one),
    the entries a vector took."""
    def typer(g, i, *xs):
        if not _numbers_among(xs, t):
            return of_arrays(g, i, *xs) if not isinstance(i, t.Literal) else None
        if not (_float_array(g, t) and g.ndim == 1 and isinstance(i, t.IntegerLiteral)) or \
                not 0 <= i.literal_value < len(xs):
            return None
        k = i.literal_value
        start = " + ".join(["0"] + [f"xs[{j}].size" if _array(x, t) else "1"
                                    for j, x in enumerate(xs[:k])])
        piece = f"g[{start}]" if not _array(xs[k], t) else \
            f"np.ascontiguousarray(g[{start}:{start} + xs[{k}].size])"
        scope = {"np": np}
        exec(f"def impl(g, i, *xs):\n    return {piece}\n", scope)
        return scope["impl"]
    return typer


def helpers(numba):
    """{helper: overload typer} of this module's helpers."""
    def joined(x, n):
        return f"{x}.shape[ax]"
    hstack_arrays = _pieces("g, i, *xs", lambda n: 1 if n >= 2 else 0,
                            lambda x, n: f"{x}.shape[1]" if n >= 2 else f"{x}.size")
    return {
        np.hstack: _hstack,
        runtime.cumsum_grad: _cumsum_grad,
        runtime_arrays.diff_grad: _diff_grad,
        runtime.trace_grad: _trace_grad,
        concatenate_part_along: _pieces("g, i, axis, xs", lambda n: "axis % g.ndim", joined),
        runtime.hstack_part: lambda t: _hstack_part(t, hstack_arrays(t)),
        runtime.vstack_part: _pieces("g, i, *xs", lambda n: 0,
                                     lambda x, n: f"{x}.shape[0]" if n >= 2 else "1"),
        runtime.index_of: _index_of,
        runtime.sum_grad: _sum_grad,
        _three: lambda t: lambda shape, axis: _three,
        _cumsum_back: lambda t: lambda g, axis: _cumsum_back,
        _diff_back: lambda t: lambda g, n, axis: _diff_back,
        _slab: lambda t: lambda g, axis, start, size: _slab,
    }
