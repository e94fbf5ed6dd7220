"""Numba implementations of the helpers of batched indexing's gradients, for `adcompile.jit`:
typers as in jit_helpers. The gather `x[index]` of an index holding integer arrays (the
cross-entropy `logp[np.arange(N), y]`, the embedding lookups `E[idx]`, `E[idx, :]`, `E[:, idx]`)
is undone by one mechanism, whatever the ranks: the flat positions of x that `x[index]` reads,
`np.arange(x.size).reshape(x.shape)[index]` (Numba's own indexing, with NumPy's rules), each
given its entry of the gradient, in order, so that a place read twice gets both (np.add.at's
semantics). np.add.at itself, the last of several writes to one place (`x[i] = v`), the
unsplit of np.split and np.array_split, np.repeat's sums and sliding_window_view's overlap-add
are written on the same flat positions, for arrays of any number of axes."""
from __future__ import annotations

import operator

import numpy as np

from . import runtime, runtime_arrays, runtime_signal


def _array(x, t):
    return isinstance(x, t.Array)


def _none(x, t):
    return x is None or isinstance(x, (t.NoneType, t.Omitted))


def _positions_type(x, index, t):
    """The Numba type of `positions(x, index)` where Numba's indexing takes `index` (an array of
    x[index]'s shape, or a number for one place), else None."""
    from numba.core.registry import cpu_target
    try:
        sig = cpu_target.typing_context.resolve_function_type(
            operator.getitem, (t.Array(t.intp, x.ndim, "C"), index), {})
    except Exception:  # (Numba's TypingError: an index Numba cannot take)
        return None
    return None if sig is None else sig.return_type


def _gathers(index, t):
    """Whether `index` holds an array (of ints or a mask) beside ints and slices: a place of x
    may be read more than once."""
    parts = index.types if isinstance(index, t.BaseTuple) else (index,)
    return any(_array(p, t) for p in parts)


def positions(x, index):
    """The flat positions of x that x[index] reads, in the order it reads them."""
    return np.arange(x.size).reshape(x.shape)[index]


def _add_flat(buffer, where, values):
    """buffer.flat[where[k]] += values[k] for each k in order (repeated places add up)."""
    if buffer.flags.c_contiguous:
        flat = buffer.reshape(-1)
        for k in range(where.size):
            flat[where[k]] += values[k]
        return buffer
    work = buffer.copy()  # (a view with strides: added in a copy, written back)
    flat = work.reshape(-1)
    for k in range(where.size):
        flat[where[k]] += values[k]
    buffer[...] = work
    return buffer


def scatter(buffer, index, g, t):
    """runtime.scatter_add's implementation for an `index` holding arrays, or None: g (summed
    to the shape of buffer[index] where it carries axes a later addition broadcast it to, or
    spread to it) added at each place buffer[index] reads, repeated places again."""
    if not _array(buffer, t) or not _gathers(index, t):
        return None
    read = _positions_type(buffer, index, t)
    if read is None or not _array(read, t):
        return None
    real = not isinstance(buffer.dtype, t.Complex)
    if isinstance(g, t.Number):
        if isinstance(g, t.Complex) and real:  # (a real value's adjoint: the real part)
            def number_real(buffer, index, g):
                where = positions(buffer, index).ravel()
                return _add_flat(buffer, where, np.full(where.size, g.real))
            return number_real

        def number(buffer, index, g):
            where = positions(buffer, index).ravel()
            return _add_flat(buffer, where, np.full(where.size, g))
        return number
    if not _array(g, t) or isinstance(g.dtype, t.Complex) and real:
        return None  # (a complex adjoint of a real array: not compiled)
    if g.ndim > read.ndim:
        def summed(buffer, index, g):
            where = positions(buffer, index)
            part = runtime.unbroadcast(g, np.empty(where.shape, g.dtype))
            return _add_flat(buffer, where.ravel(),
                             np.ascontiguousarray(np.broadcast_to(part, where.shape)).ravel())
        return summed

    def spread(buffer, index, g):
        where = positions(buffer, index)
        return _add_flat(buffer, where.ravel(),
                         np.ascontiguousarray(np.broadcast_to(g, where.shape)).ravel())
    return spread


def last_written(x, like, index, t):
    """runtime.last_written's implementation for an `index` holding arrays, or None: x (the
    part like[index] of an adjoint) with zeros where a later entry of the index names the same
    place (only the last write to a place keeps it)."""
    if not (_array(x, t) and _array(like, t) and _gathers(index, t)):
        return None
    read = _positions_type(like, index, t)
    if read is None or not _array(read, t) or read.ndim != x.ndim:
        return None

    def impl(x, like, index):
        where = positions(like, index)
        if where.shape != x.shape:
            raise ValueError("adcompile.jit: the gradient of an indexed write has another "
                             "shape than the places written")
        flat = where.ravel()
        owner = np.full(like.size, -1)
        for k in range(flat.size):
            owner[flat[k]] = k
        out = np.ascontiguousarray(x).copy()
        values = out.reshape(-1)
        for k in range(flat.size):
            if owner[flat[k]] != k:
                values[k] = 0.0 * values[k]
        return out
    return impl


def _add_at(t):
    """runtime_arrays.add_at: np.add.at on a copy of `a` (scatter_add's, any index Numba's
    indexing takes; ints and slices add into the part)."""
    def typer(a, index, b):
        if _array(a, t):
            def impl(a, index, b):
                return runtime.scatter_add(a.copy(), index, b)
            return impl
    return typer


def _concatenated(pieces, axis):
    """The arrays of the list `pieces` (of one number of axes) put side by side along `axis`."""
    first = pieces[0]
    ax = axis % first.ndim
    before, after, total = 1, 1, 0
    for k in range(first.ndim):
        if k < ax:
            before *= first.shape[k]
        elif k > ax:
            after *= first.shape[k]
    for p in pieces:
        for k in range(first.ndim):
            if k != ax and p.shape[k] != first.shape[k]:
                raise ValueError("all the input array dimensions except for the concatenation "
                                 "axis must match exactly")
        total += p.shape[ax]
    out = np.empty((before, total, after), first.dtype)
    start = 0
    for p in pieces:
        n = p.shape[ax]
        out[:, start:start + n, :] = np.ascontiguousarray(p).reshape((before, n, after))
        start += n
    return out, ax, total


_JOINED: dict = {}


def _joined(n, params="pieces, axis"):
    """An implementation of _concatenated's join for pieces of `n` axes with the parameters
    `params` (the first the list, the second the axis), its result reshaped (Numba needs the
    length of a shape when it compiles)."""
    if (n, params) not in _JOINED:
        shape = ", ".join(f"total if ax == {k} else first.shape[{k}]" for k in range(n))
        pieces, axis = [p.split("=")[0].strip() for p in params.split(",")[:2]]
        scope = {"_concatenated": _concatenated}
        exec(f"def joined({params}):\n    first = {pieces}[0]\n"
             f"    out, ax, total = _concatenated({pieces}, {axis})\n"
             f"    return out.reshape(({shape},))\n", scope)
        _JOINED[n, params] = scope["joined"]
    return _JOINED[n, params]


def _pieces_list(xs, t):
    """Whether `xs` is a list of float arrays (np.split's pieces, or their gradients)."""
    return isinstance(xs, t.List) and _array(xs.dtype, t) and isinstance(xs.dtype.dtype, t.Float)


def _unsplit(t):
    """runtime.unsplit of a list of pieces' gradients: the pieces side by side along `axis`."""
    def typer(g, axis):
        if _pieces_list(g, t) and isinstance(axis, t.Integer):
            return _joined(g.dtype.ndim, "g, axis")
    return typer


def _concatenate(t):
    """np.concatenate of a list (np.array_split's gradient; Numba's own takes tuples)."""
    def typer(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
        if _pieces_list(arrays, t) and (isinstance(axis, (t.Integer, int)) or _none(axis, t)) \
                and _none(out, t) and _none(dtype, t):
            if _none(axis, t):
                def flat(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
                    return _concatenated([np.ascontiguousarray(a).ravel() for a in arrays],
                                         0)[0].ravel()
                return flat
            return _joined(arrays.dtype.ndim,
                           'arrays, axis=0, out=None, dtype=None, casting="same_kind"')
    return typer


def pieces_grad(g, x, index, t):
    """getitem_grad(g, x, index) of a list x of arrays (np.split's pieces) and an int index:
    a list of zeros shaped as the pieces, the indexed one holding g (fitted to its shape)."""
    if _pieces_list(x, t) and isinstance(index, t.SliceType) and (
            isinstance(g, (t.Float, t.Integer)) or _pieces_list(g, t)):
        return _sliced_pieces_grad(isinstance(g, t.List))
    if not (_pieces_list(x, t) and isinstance(index, t.Integer) and
            (isinstance(g, (t.Float, t.Integer)) or _array(g, t))):
        return None

    def impl(g, x, index):
        out = [np.zeros(x[0].shape)]
        for k in range(1, len(x)):
            out.append(np.zeros(x[k].shape))
        out[index] = out[index] + runtime.unbroadcast(g, x[index])
        return out
    return impl


def _sliced_pieces_grad(listed):
    """getitem_grad(g, x, index) of a list x of arrays and a slice (a tape of arrays popped,
    `stack[:-1]`): zeros shaped as the pieces, g's items added at the places the slice reads;
    g a number is the zero gradient of a list not built."""
    def impl(g, x, index):
        out = [np.zeros(x[0].shape)]
        for k in range(1, len(x)):
            out.append(np.zeros(x[k].shape))
        if listed:
            places = np.arange(len(x))[index]
            if len(g) != places.size:
                raise ValueError("adcompile.jit: the gradient of a slice of a list has another "
                                 "length than the slice")
            for k in range(places.size):
                out[places[k]] = out[places[k]] + g[k]
        elif g != 0:
            raise ValueError("adcompile's generated code gave a list's slice a gradient that is "
                             "a number; this is a defect of adcompile's: please report the "
                             "function")
        return out
    return impl


def pieces_zeros(x, t):
    """zeros_like(x) of a list x of arrays (np.split's pieces): a list of zeros of their shapes."""
    if not _pieces_list(x, t):
        return None

    empty = (0,) * x.dtype.ndim  # (an empty list: a tape popped to its end)

    def impl(x):
        out = [np.zeros(x[0].shape if len(x) else empty)]
        for k in range(1, len(x)):
            out.append(np.zeros(x[k].shape))
        if not len(x):
            out.pop()
        return out
    return impl


def pieces_scatter(buffer, index, g, t):
    """scatter_add(buffer, index, g) into a list of pieces' gradients at an int index (a loop
    over np.split's pieces): the piece's gradient plus g, fitted to its shape (a new list)."""
    if not (_pieces_list(buffer, t) and isinstance(index, t.Integer) and
            (isinstance(g, (t.Float, t.Integer)) or _array(g, t) and
             isinstance(g.dtype, (t.Float, t.Integer)))):
        return None

    def impl(buffer, index, g):
        out = [np.zeros(buffer[0].shape)]
        for k in range(1, len(buffer)):
            out.append(np.zeros(buffer[k].shape))
        for k in range(len(buffer)):
            out[k] = out[k] + buffer[k]
        out[index] = out[index] + runtime.unbroadcast(g, buffer[index])
        return out
    return impl


def _segment_sums(g, x_shape, repeats, axis):
    """runtime.unrepeat along `axis` (an int, >= 0): each entry of x gets the sum of its
    `repeats` (an array, one count per entry of the axis) copies in g."""
    before, after, n = 1, 1, x_shape[axis]
    for k in range(len(x_shape)):
        if k < axis:
            before *= x_shape[k]
        elif k > axis:
            after *= x_shape[k]
    total = 0
    for k in range(n):
        if repeats[k] < 0:
            raise ValueError("negative dimensions are not allowed")
        total += repeats[k]
    gs = np.ascontiguousarray(g).reshape((before, total, after))
    out = np.zeros((before, n, after), g.dtype)
    for a in range(before):
        start = 0
        for j in range(n):
            for r in range(start, start + repeats[j]):
                for b in range(after):
                    out[a, j, b] += gs[a, r, b]
            start += repeats[j]
    return out


def _counts(repeats, n):
    """np.repeat's `repeats` (an int, or an array of one count or of n) as n counts."""
    counts = np.empty(n, np.intp)
    flat = np.asarray(repeats).ravel()
    if flat.size != 1 and flat.size != n:
        raise ValueError("operands could not be broadcast together (np.repeat's repeats)")
    for k in range(n):
        counts[k] = flat[0] if flat.size == 1 else flat[k]
    return counts


def _unrepeat(t):
    """runtime.unrepeat(g, x, repeats, axis): the repeated entries' gradients summed, for x of
    any number of axes, an axis or none (np.repeat flattens x first)."""
    def typer(g, x, repeats, axis):
        if not (_array(g, t) and isinstance(g.dtype, (t.Float, t.Complex))):
            return None
        if not (isinstance(repeats, t.Integer) or _array(repeats, t) and
                isinstance(repeats.dtype, t.Integer) and repeats.ndim <= 1):
            return None
        if _none(axis, t):
            if _array(x, t):
                def flat(g, x, repeats, axis):
                    return _segment_sums(g, (x.size,), _counts(repeats, x.size),
                                         0).reshape(x.shape)
                return flat
            if isinstance(x, t.Number):
                return lambda g, x, repeats, axis: _segment_sums(
                    g, (1,), _counts(repeats, 1), 0)[0, 0, 0]
            return None
        if isinstance(axis, t.Integer) and _array(x, t) and x.ndim >= 1:
            def along(g, x, repeats, axis):
                ax = axis % x.ndim
                return _segment_sums(g, x.shape, _counts(repeats, x.shape[ax]),
                                     ax).reshape(x.shape)
            return along
    return typer


def _overlap_add(g, x_shape, axes, dtype):
    """runtime_signal.sliding_window_grad: g's leading len(x_shape) axes are the windows'
    places, its last len(axes) the offsets in a window along `axes`; each entry goes to the
    place of x it came from, offsets in the outer loop (the order of the Python helper's
    additions)."""
    n, m = len(x_shape), axes.size
    gshape = np.array(g.shape)
    gs = np.ascontiguousarray(g).ravel()
    size = 1
    for d in range(n):
        size *= x_shape[d]
    out = np.zeros(size, dtype)
    if gs.size == 0:
        return out
    strides = np.ones(n + m, np.intp)
    for d in range(n + m - 2, -1, -1):
        strides[d] = strides[d + 1] * gshape[d + 1]
    order = np.concatenate((np.arange(n, n + m), np.arange(n)))  # (offsets first)
    at = np.zeros(n + m, np.intp)
    for _ in range(gs.size):
        flat, source = 0, 0
        for d in range(n):
            place = at[d]
            for k in range(m):
                if axes[k] == d:
                    place += at[n + k]
            flat = flat * x_shape[d] + place
        for d in range(n + m):
            source += at[d] * strides[d]
        out[flat] += gs[source]
        for j in range(n + m - 1, -1, -1):  # (the next index, the last of `order` fastest)
            d = order[j]
            at[d] += 1
            if at[d] < gshape[d]:
                break
            at[d] = 0
    return out


def _sliding_window_grad(t):
    def typer(g, x, window_shape, axis):
        if not (_array(g, t) and _array(x, t) and isinstance(g.dtype, t.Float)):
            return None
        windows = 1 if isinstance(window_shape, t.Integer) else len(window_shape) if \
            isinstance(window_shape, t.UniTuple) and \
            isinstance(window_shape.dtype, t.Integer) else None
        if _none(axis, t):
            if windows != x.ndim:
                return None

            def every(g, x, window_shape, axis):
                return _overlap_add(g, x.shape, np.arange(x.ndim), g.dtype).reshape(x.shape)
            return every
        if isinstance(axis, t.Integer) and windows == 1:
            def one(g, x, window_shape, axis):
                return _overlap_add(g, x.shape, np.array([axis % x.ndim]),
                                    g.dtype).reshape(x.shape)
            return one
        if isinstance(axis, t.UniTuple) and isinstance(axis.dtype, t.Integer) and \
                len(axis) == windows:
            def some(g, x, window_shape, axis):
                return _overlap_add(g, x.shape, np.array(axis) % x.ndim,
                                    g.dtype).reshape(x.shape)
            return some
    return typer


def helpers(numba):
    """{helper: overload typer} of this module's helpers."""
    return {
        runtime_arrays.add_at: _add_at,
        runtime.unsplit: _unsplit,
        np.concatenate: _concatenate,  # (a list only: Numba's own takes the tuples)
        runtime.unrepeat: _unrepeat,
        runtime_signal.sliding_window_grad: _sliding_window_grad,
        positions: lambda t: lambda x, index: positions,
        _add_flat: lambda t: lambda buffer, where, values: _add_flat,
        _concatenated: lambda t: lambda pieces, axis: _concatenated,
        _segment_sums: lambda t: lambda g, x_shape, repeats, axis: _segment_sums,
        _counts: lambda t: lambda repeats, n: _counts,
        _overlap_add: lambda t: lambda g, x_shape, axes, dtype: _overlap_add,
    }


_VIEWING = ("getitem", "np.transpose", "transpose", "np.reshape", "reshape", "np.ravel")


def read_only_writes(fn, refused):
    """Raise `refused` (message, file, line) at a write (`w[i] = v`) into the read-only view
    sliding_window_view makes (NumPy raises ValueError; Numba's view takes the write), or into a
    part of it. (np.broadcast_to's view is read-only under Numba too: setitem raises.)"""
    from .ir import Assign, Op, Var, walk_stmts
    views: set = set()
    for s in walk_stmts(fn.body):
        if type(s) is not Assign or type(s.target) is not str:
            continue
        v = s.value
        if type(v) is Op and v.prim == "np.lib.stride_tricks.sliding_window_view" and \
                not any(k == "writeable" for k, _ in v.kwargs) and len(v.args) < 5:
            views.add(s.target)
        elif type(v) is Var and v.name in views or type(v) is Op and v.prim in _VIEWING and \
                v.args and type(v.args[0]) is Var and v.args[0].name in views:
            views.add(s.target)
        elif type(v) is Op and v.prim == "setitem" and type(v.args[0]) is Var and \
                v.args[0].name in views:
            place = getattr(s.line, "place", None) or (fn.filename, s.line)
            code = fn.source_lines.get(place[1], "").strip() if place[0] == fn.filename else ""
            where = f" (`{code}`)" if code else ""
            raise refused("a write into the view sliding_window_view makes" + where + ": the "
                          "view is read-only (NumPy raises ValueError: assignment destination "
                          "is read-only), and Numba's would take the write. Write into a copy "
                          "(w = sliding_window_view(x, n).copy()), or run the function without "
                          "jit.", *place)
