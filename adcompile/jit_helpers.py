"""Numba implementations of the runtime helpers that generated code calls, for `adcompile.jit`.

Each entry of `helpers(numba)` maps a helper (the Python function the generated code names) to a
function of `numba.types` that returns a Numba `overload` typer: given the Numba types of the
arguments it returns an implementation, or None where the helper has none for those types
(jit then refuses with a JitError naming the user's line). An implementation decides by types
what the Python helper decides by values (`type(x) is float`, `x.ndim`), computes the same
numbers, and raises where the Python helper would fit a shape the Numba version does not.
"""
from __future__ import annotations

import math

import numpy as np

from . import (jit_along, jit_forms, jit_helpers_arrays, jit_helpers_copies, jit_helpers_gather,
               jit_helpers_linalg, jit_helpers_shapes, jit_helpers_stats, jit_lists, jit_refusals,
               jit_tuples, numerics, runtime, runtime_arrays, runtime_linalg, runtime_stats,
               runtime_ufuncs)
from .errors import ArgumentError, ComplexOutputError
from .jit_math import float_pow


def _array(x, t):
    return isinstance(x, t.Array)


def _kind(x, t):
    """The element type of `x`: its dtype for an array, its own type for a number."""
    return x.dtype if _array(x, t) else x


def _indexed_ndim(x, index, t):
    """The number of axes of `x[index]` for basic indexing (ints, slices, one `...`), else
    None."""
    parts = index.types if isinstance(index, t.BaseTuple) else (index,)
    dots = sum(isinstance(p, t.EllipsisType) for p in parts)
    if not all(isinstance(p, (t.Integer, t.SliceType, t.EllipsisType)) for p in parts) or \
            dots > 1 or len(parts) - dots > x.ndim:
        return None
    return x.ndim - sum(isinstance(p, t.Integer) for p in parts)


def _int_vector(index, t):
    """Whether `index` is a 1-D array of integers (fancy indexing along the first axis)."""
    return _array(index, t) and index.ndim == 1 and isinstance(index.dtype, t.Integer)


# -- fitting gradients to shapes -----------------------------------------------------------------

def _check_not_in_place(t):
    def typer(x, method, where, name, others, *values):
        if isinstance(x, t.Number) or isinstance(x, t.Array) and values and all(
                isinstance(v, (t.Number, t.Boolean)) for v in values):  # (no number is an
            return lambda x, method, where, name, others, *values: None  # array changed in
    return typer  # place, nor holds one; check_not_in_place's own: jit_refusals)


def _check_fits(t):
    def typer(x, out, name):
        kinds = (t.Boolean, t.Integer, t.Float, t.Complex)  # (NumPy's 'same_kind' order)
        rank = [next((k for k, c in enumerate(kinds) if isinstance(d, c)), 3)
                for d in (_kind(x, t), _kind(out, t))]
        if not _array(x, t) or not _array(out, t) and x.ndim == 0 and rank[1] <= rank[0]:
            return lambda x, out, name: None  # (a number: Python makes a new one)
        if not _array(out, t) or out.ndim != x.ndim or rank[1] > rank[0]:
            def never(x, out, name):
                raise ValueError("the result of an in-place operator does not fit the array "
                                 "it writes into (its shape or its dtype)")
            return never

        def check(x, out, name):
            if out.shape != x.shape:
                raise ValueError("non-broadcastable output operand: the result of an in-place "
                                 "operator has another shape than the array it writes into")
        return check
    return typer


def _check_bound(t):
    def typer(bound, name):
        def check(bound, name):
            if not bound:
                raise UnboundLocalError("cannot access a local variable where it is not "
                                        "associated with a value")
        return check
    return typer


def _check_unbound(t):
    """runtime.check_unbound: UNBOUND is a float under Numba too, a NaN known by its bits."""
    from numba.extending import intrinsic
    from llvmlite import ir

    @intrinsic
    def bits(typingctx, x):
        def codegen(context, builder, sig, args):
            return builder.bitcast(args[0], ir.IntType(64))
        return t.int64(t.float64), codegen
    placeholder = int(np.float64(runtime.UNBOUND).view(np.int64))

    def typer(value, name):
        message = runtime.unbound_message(name.literal_value) if isinstance(
            name, t.StringLiteral) else runtime.unbound_message("a").replace("'a'", "a")
        if value == t.int64:  # (a loop's target: UNBOUND_INT)
            def check_int(value, name):
                if value == runtime.UNBOUND_INT:
                    raise UnboundLocalError(message)
            return check_int
        if value != t.float64:  # (another kind of value never holds the placeholder)
            return lambda value, name: None

        def check(value, name):
            if bits(value) == placeholder:
                raise UnboundLocalError(message)
        return check
    return typer


def _assert(t):
    """The user's `assert test, message` (and zip's length check): the message as given."""
    def typer(test, message=None):
        if isinstance(message, (t.NoneType, t.Omitted)) or message is None:
            def bare(test, message=None):
                if not test:
                    raise AssertionError()
            return bare

        def check(test, message=None):
            if not test:
                raise AssertionError(message)
        return check
    return typer


def _check_scalar(t):
    def typer(out, *inputs):
        if isinstance(_kind(out, t), t.Complex):
            def complex_out(out, *inputs):
                raise ComplexOutputError("grad requires a real-valued output, but the function "
                                         "returned a complex number")
            return complex_out
        for x in inputs:
            if isinstance(_kind(x, t), (t.Integer, t.Boolean)):
                def int_input(out, *inputs):
                    raise ArgumentError("grad differentiates with respect to floating-point "
                                        "arguments, but one of those in argnums is an integer "
                                        "or a boolean; pass floats")
                return int_input
        if _array(out, t):
            def array_out(out, *inputs):
                if out.size != 1:
                    raise ArgumentError("grad needs a scalar output, but the function returned "
                                        "an array; reduce it (e.g. with np.sum)")
            return array_out
        return lambda out, *inputs: None
    return typer


def _unbroadcast(t):
    def typer(g, x):
        if isinstance(_kind(g, t), t.Complex) and not isinstance(_kind(x, t), t.Complex):
            fit = runtime.unbroadcast  # a real value's adjoint is real (as in Python)
            return lambda g, x: fit(np.real(g), x)
        if not _array(g, t) and not _array(x, t):
            return lambda g, x: g
        if not _array(g, t):
            return lambda g, x: np.full_like(x, g)
        if not _array(x, t):
            return lambda g, x: g.sum()
        if g.ndim >= x.ndim:
            return _fit(g.ndim, x.ndim)

        def up(g, x):  # (g has fewer axes: broadcast up to x's shape, as the Python helper,
            out = np.zeros_like(x) + g  # then summed where x has length 1: (2,) for (3, 1))
            return out if out.shape == x.shape else runtime.unbroadcast(out, x)
        return up
    return typer


_FITS: dict = {}


def _fit(n, m):
    """unbroadcast(g, x) of an n-axis g and an m-axis x (n >= m), as the Python helper: g itself
    where the shapes are the same; the sum over g's leading n - m axes where x's shape is the
    rest of g's (a bias of shape (k,) under rows of k), one pass; else the sum over the axes
    where x has length 1 and g more, keeping them (a (1, k) bias), or g broadcast up where g has
    length 1 and x more. The loops are written for the ranks given."""
    if (n, m) in _FITS:
        return _FITS[n, m]
    d = n - m
    i = [f"i{k}" for k in range(n)]
    lines = ["def fit(g, x):",
             "    gs, xs = g.shape, x.shape"]
    lines += [f"    if {' and '.join(f'gs[{d + k}] == xs[{k}]' for k in range(m)) or 'True'}:",
              "        return g" if d == 0 else
              "        return np.ascontiguousarray(g).reshape((-1,) + xs).sum(axis=0)"]
    for k in range(m):  # (as NumPy: each pair of lengths the same, or one of them 1)
        lines += [f"    if gs[{d + k}] != xs[{k}] and gs[{d + k}] != 1 and xs[{k}] != 1:",
                  "        raise ValueError('adcompile.jit: a gradient of a shape that does not "
                  "broadcast to the shape of its value')"]
    full = [f"gs[{k}]" for k in range(d)] + [f"max(gs[{d + k}], xs[{k}])" for k in range(m)]
    lines += ["    out = np.zeros(xs, g.dtype)"]
    for k in range(n):
        lines.append("    " * (k + 1) + f"for {i[k]} in range({full[k]}):")
    gat = ", ".join(i[k] if k < d else f"{i[k]} if gs[{k}] != 1 else 0" for k in range(n))
    xat = ", ".join(f"{i[d + k]} if xs[{k}] != 1 else 0" for k in range(m))
    lines.append("    " * (n + 1) + f"out[{xat or '()'}{',' if m == 1 else ''}] += "
                 f"g[{gat or '()'}{',' if n == 1 else ''}]")
    lines.append("    return out")
    scope: dict = {"np": np}
    exec("\n".join(lines) + "\n", scope)
    _FITS[n, m] = scope["fit"]
    return scope["fit"]


def _add_fitted(t):
    def typer(x, *terms):
        body = " + ".join(f"unbroadcast(terms[{k}], x)" for k in range(len(terms))) or "0.0"
        scope = {"unbroadcast": runtime.unbroadcast}
        exec(f"def add_fitted(x, *terms):\n    return {body}\n", scope)
        return scope["add_fitted"]
    return typer


def _zeros_like(t):
    def typer(x):
        if _array(x, t):
            return lambda x: np.zeros_like(x)
        if isinstance(x, t.Number):
            return lambda x: 0.0
        if isinstance(x, (t.List, t.UniTuple)) and isinstance(x.dtype, (t.Float, t.Integer)):
            return lambda x: np.zeros(len(x))  # (a list of numbers' gradient: getitem_grad's)
        return jit_helpers_gather.pieces_zeros(x, t)  # (np.split's pieces)
    return typer


def _expand_to(t):
    """runtime.expand_to: a tangent or seed broadcast to x's shape (a number for a number)."""
    def typer(g, x):
        if not _array(x, t):
            return lambda g, x: g
        if not _array(g, t):
            return lambda g, x: np.full_like(x, g)
        return lambda g, x: g + np.zeros_like(x)
    return typer


def _held_in(t):
    def typer(v, x):
        if _array(x, t) and not isinstance(x.dtype, (t.Float, t.Complex)):
            return lambda v, x: v * 0.0  # (x[i] = v rounds v into integers: no derivative)
        return lambda v, x: v
    return typer


def _in_dtype_of(t):
    def typer(g, x):
        dtype = x.dtype if _array(x, t) else None
        if dtype is None or isinstance(dtype, t.Complex):
            return lambda g, x: g
        return lambda g, x: dtype(g)  # float32 stays float32
    return typer


def _own(t):
    def typer(x):
        return (lambda x: x.copy()) if _array(x, t) else (lambda x: x)
    return typer


def _size_of(t):
    def typer(x):
        if _array(x, t):
            return lambda x: x.size
        if isinstance(x, t.Number):
            return lambda x: 1
    return typer


def _reduced_size(t):
    """np.mean's, np.var's and np.std's count of entries, of all of x (axis=None) or along one
    axis."""
    def typer(x, axis):
        if _array(x, t) and isinstance(axis, t.Integer):
            def along(x, axis):
                n = x.shape[axis % x.ndim]
                return float(n) if n else np.inf
            return along
        if not isinstance(axis, (t.NoneType, t.Omitted)):
            return None
        if _array(x, t):
            return lambda x, axis: float(x.size) if x.size else np.inf
        if isinstance(x, t.Number):
            return lambda x, axis: 1.0
    return typer


def _unreduce(t):
    """The gradient of a reduction broadcast back to its input's shape. Which axes to put back
    follows from the types: a gradient with one axis fewer than x lost `axis`."""
    def typer(g, x, axis, keepdims):
        if not _array(x, t):
            return None
        if not _array(g, t) or g.ndim == x.ndim:
            return lambda g, x, axis, keepdims: np.zeros_like(x) + g
        if g.ndim == x.ndim - 1 and isinstance(axis, t.Integer):
            return lambda g, x, axis, keepdims: np.zeros_like(x) + np.expand_dims(g, axis)
    return typer


def _max_weights(t):
    def typer(x, ans, axis, keepdims):
        if not _array(x, t) or isinstance(x.dtype, t.Complex):
            return None
        if isinstance(axis, (t.NoneType, t.Omitted)):
            def everywhere(x, ans, axis, keepdims):
                hit = np.where(x == runtime.unreduce(ans, x, axis, keepdims), 1.0, 0.0)
                return hit / hit.sum()
            return everywhere
        if isinstance(axis, t.Integer):
            return lambda x, ans, axis, keepdims: jit_along.max_weights_along(x, ans, axis)
    return typer


def _prod_others(t):
    def typer(x, axis):
        if _array(x, t) and isinstance(axis, t.Integer):
            return lambda x, axis: jit_along.prod_others_along(x, axis)
        if not _array(x, t) or not isinstance(axis, (t.NoneType, t.Omitted)):
            return None

        def impl(x, axis):  # products to the left times products to the right: no division
            flat = x.ravel()
            out = np.ones_like(flat)
            left = 1.0
            for k in range(flat.size):
                out[k] = left
                left = left * flat[k]
            right = 1.0
            for k in range(flat.size - 1, -1, -1):
                out[k] = out[k] * right
                right = right * flat[k]
            return out.reshape(x.shape)
        return impl
    return typer


# -- indexing ------------------------------------------------------------------------------------

def _mask(x, index, t):
    """Whether `index` is a boolean mask of x's shape with more than one axis (Numba's setitem
    takes masks of one axis): then x and the mask are written through their flat views."""
    return _array(x, t) and _array(index, t) and isinstance(index.dtype, t.Boolean) and \
        index.ndim == x.ndim > 1


def _masked_copy(x, index):
    if index.shape != x.shape:
        raise IndexError("boolean index did not match indexed array")
    return x.copy(), index.ravel()  # (a copy is C-contiguous: reshape(-1) is a view)


_READ_ONLY = ("assignment destination is read-only (NumPy's view: write into a copy, "
              "`x = x.copy()`)")  # (runtime.setitem's)


def _setitem(t):
    def typer(x, index, v):
        if _array(x, t) and not x.mutable:  # (np.broadcast_to's view: as NumPy, refused)
            def read_only(x, index, v):
                if x.size >= 0:  # (always; typed as returning an array)
                    raise ValueError(_READ_ONLY)
                return x.copy()
            return read_only
        if _mask(x, index, t):
            def masked(x, index, v):
                out, mask = _masked_copy(x, index)
                out.reshape(-1)[mask] = v
                return out
            return masked
        if _array(x, t):
            def impl(x, index, v):  # a new array: generated code never writes into a value
                out = x.copy()
                out[index] = v
                return out
            return impl
    return typer


def _zero_at(t):
    def typer(x, index):
        if _mask(x, index, t):
            def masked(x, index):
                out, mask = _masked_copy(x, index)
                out.reshape(-1)[mask] = 0.0
                return out
            return masked
        if _array(x, t):
            def impl(x, index):  # the adjoint of x in x[index] = v: zeros where v went
                out = x.copy()
                out[index] = 0.0
                return out
            return impl
    return typer


def _scatter_add(t):
    """`buffer[index] += g` into a gradient buffer the generated code owns: basic indexing
    (ints and slices) adds into the part, summing `g` over axes a later addition broadcast it
    to; an array of ints adds element by element, so repeated indices add up."""
    def typer(buffer, index, g):
        if not _array(buffer, t):  # (a list of pieces' gradients: a loop over np.split's)
            return jit_helpers_gather.pieces_scatter(buffer, index, g, t)
        ndim = _indexed_ndim(buffer, index, t)
        if ndim == 0:
            if _array(g, t):
                def number_summed(buffer, index, g):
                    buffer[index] += g.sum()
                    return buffer
                return number_summed

            def number(buffer, index, g):
                buffer[index] += g
                return buffer
            return number
        if ndim is not None:
            if _array(g, t) and g.ndim > ndim:
                def part_summed(buffer, index, g):
                    part = buffer[index]
                    part += runtime.unbroadcast(g, part)
                    return buffer
                return part_summed

            def part(buffer, index, g):
                view = buffer[index]
                view += g
                return buffer
            return part
        if _int_vector(index, t):
            if _array(g, t) and g.ndim == buffer.ndim:
                def each(buffer, index, g):
                    if g.shape[0] != index.size:
                        raise ValueError("adcompile.jit: a gradient broadcast along an "
                                         "indexed axis is not supported under Numba")
                    for k in range(index.size):
                        buffer[index[k]] += g[k]
                    return buffer
                return each
            if not _array(g, t) or g.ndim < buffer.ndim:
                def same(buffer, index, g):
                    for k in range(index.size):
                        buffer[index[k]] += g
                    return buffer
                return same
        if _array(index, t) and isinstance(index.dtype, t.Boolean) and \
                index.ndim == buffer.ndim:  # a mask: g holds the selected places in order
            if not _array(g, t):
                def masked_number(buffer, index, g):
                    flat, mask = buffer.reshape(-1), index.ravel()
                    for i in range(mask.size):
                        if mask[i]:
                            flat[i] += g
                    return buffer
                return masked_number

            def masked(buffer, index, g):
                flat, mask, part = buffer.reshape(-1), index.ravel(), g.ravel()
                k = 0
                for i in range(mask.size):
                    if mask[i]:
                        flat[i] += part[k]
                        k += 1
                return buffer
            return masked
        # (an index of arrays beside ints and slices: `logp[np.arange(N), y]`, `E[:, idx]`)
        return jit_helpers_gather.scatter(buffer, index, g, t)
    return typer


def _getitem_grad(t):
    def typer(g, x, index):
        if any(isinstance(a, t.Literal) for a in (g, x, index)):  # (a tuple's part: else as
            return jit_tuples.part_grad(g, x, index, t)            # if typed not as literals)
        if _array(x, t) and _array(g, t) and isinstance(index, t.BaseTuple) and \
                any(isinstance(p, t.NoneType) for p in index.types):
            return jit_helpers_shapes.without_new_axes(index.types, g.ndim, x.ndim, t)
        if _array(x, t) and _array(g, t) and isinstance(index, t.NoneType):  # (x[None])
            return lambda g, x, index: runtime.getitem_grad(g, x, (index,))
        if _array(x, t) and isinstance(_kind(g, t), t.Complex) and \
                not isinstance(x.dtype, t.Complex):  # (zeros of both dtypes, as in Python)
            wide = np.complex64 if _kind(g, t).bitwidth == 64 else np.complex128

            def into_complex(g, x, index):
                return runtime.scatter_add(np.zeros(x.shape, wide), index, g)
            return into_complex
        if _array(x, t):
            def impl(g, x, index):
                return runtime.scatter_add(np.zeros_like(x), index, g)
            return impl
        if isinstance(x, (t.List, t.UniTuple)) and isinstance(x.dtype, (t.Float, t.Integer)) \
                and isinstance(g, (t.Float, t.Integer)) and isinstance(index, t.Integer):
            def of_numbers(g, x, index):  # a list of numbers indexed at run time: an entry each
                out = np.zeros(len(x))
                out[index] += g
                return out
            return of_numbers
        if isinstance(x, (t.List, t.UniTuple)) and isinstance(x.dtype, (t.Float, t.Integer)) \
                and _array(g, t) and g.ndim == 1 and isinstance(index, t.SliceType):
            def of_slice(g, x, index):  # (a list sliced: a tape popped, `stack[:-1]`)
                out = np.zeros(len(x))
                out[index] += g
                return out
            return of_slice
        return jit_helpers_gather.pieces_grad(g, x, index, t)  # (np.split's pieces)
    return typer


def _last_written(t):
    """Only the last value written to a place gets its gradient: with an array of ints, a place
    named twice keeps the gradient of its last write, zeros for the others."""
    def typer(x, like, index):
        if _indexed_ndim(like, index, t) is not None if _array(like, t) else False:
            return lambda x, like, index: x
        if _array(index, t) and isinstance(index.dtype, t.Boolean):  # (names a place once)
            return lambda x, like, index: x
        if _array(like, t) and _int_vector(index, t) and _array(x, t):
            def impl(x, like, index):
                owner = np.full(like.shape[0], -1)
                for k in range(index.size):
                    owner[index[k]] = k
                out = x.copy()
                for k in range(index.size):
                    if owner[index[k]] != k:
                        out[k] = 0.0
                return out
            return impl
        return jit_helpers_gather.last_written(x, like, index, t)  # (a tuple of arrays)
    return typer


# -- products ------------------------------------------------------------------------------------

# (x.ndim, y.ndim): the shape of x @ y, the gradients with respect to x and y of the gradient
# {g} of that shape
_PRODUCTS = {(2, 2): ("(x.shape[0], y.shape[1])", "{g} @ y.T", "x.T @ {g}"),
             (2, 1): ("(x.shape[0],)", "np.outer({g}, y)", "x.T @ {g}"),
             (1, 2): ("(y.shape[1],)", "y @ {g}", "np.outer(x, {g})")}


def _product_grad(side):
    """matmul_grad_left (side 1) and matmul_grad_right (2) of 1-D and 2-D operands. A gradient
    that an addition after the product broadcast (`X @ w - y` of shapes (n, 1) and (n,)) is
    summed to the product's shape first, as the Python helper does."""
    def make(t):
        def typer(g, x, y):
            if not (_array(x, t) and _array(y, t)):
                return None
            if x.ndim == 1 and y.ndim == 1:
                if isinstance(g, t.Number):
                    return (lambda g, x, y: g * y) if side == 1 else (lambda g, x, y: g * x)
                if _array(g, t):
                    return (lambda g, x, y: g.sum() * y) if side == 1 else \
                        (lambda g, x, y: g.sum() * x)
                return None
            entry = _PRODUCTS.get((x.ndim, y.ndim))
            ndim = 2 if x.ndim == y.ndim == 2 else 1
            if entry is None or not _array(g, t) or g.ndim < ndim:
                return None
            src = f"def impl(g, x, y):\n    want = {entry[0]}\n"
            if g.ndim == ndim:
                src += f"    if g.shape == want:\n        return {entry[side].format(g='g')}\n"
            src += "    fitted = unbroadcast(g, np.empty(want, g.dtype))\n"
            src += f"    return {entry[side].format(g='fitted')}\n"
            scope = {"np": np, "unbroadcast": runtime.unbroadcast}
            exec(src, scope)
            return scope["impl"]
        return typer
    return make


def _dot_grad(matmul, other):
    """np.dot's gradient: a number times the other operand when one is a number, else matmul's
    (np.dot is `x @ y` up to 2-D)."""
    def make(t):
        def typer(g, x, y):
            if not _array(x, t) or not _array(y, t):
                if other == "y":
                    return lambda g, x, y: runtime.unbroadcast(g * y, x)
                return lambda g, x, y: runtime.unbroadcast(g * x, y)
            if x.ndim <= 2 and y.ndim <= 2:
                return lambda g, x, y: matmul(g, x, y)
        return typer
    return make


# -- complex numbers and abs ---------------------------------------------------------------------

def _conj(t):
    def typer(x):
        complex_ = isinstance(_kind(x, t), t.Complex)
        return (lambda x: np.conj(x)) if complex_ else (lambda x: x)
    return typer


def _real_part(t):
    def typer(g):
        complex_ = isinstance(_kind(g, t), t.Complex)
        return (lambda g: np.real(g)) if complex_ else (lambda g: g)
    return typer


def _phase(t):
    def typer(x):
        if not isinstance(_kind(x, t), t.Complex):
            return lambda x: np.sign(x)
    return typer


def _sign(t):
    def typer(x):
        if isinstance(_kind(x, t), t.Complex):
            return lambda x: np.conj(np.sign(x))
        return lambda x: np.sign(x)  # abs's derivative on floats and real arrays
    return typer


def _abs_vjp(t):  # runtime_arrays.abs_vjp: g * sign(x); Re(g) * conj(sign(x)) of a complex x
    def typer(g, x):
        if not isinstance(_kind(x, t), t.Complex):
            return lambda g, x: g * np.sign(x)
        if isinstance(_kind(g, t), t.Complex):
            return lambda g, x: g.real * np.conj(np.sign(x))
        return lambda g, x: g * np.conj(np.sign(x))
    return typer


def _real_sign(t):  # runtime_arrays.real_sign: np.sign of a real value (complex: not compiled)
    def typer(x):
        if not isinstance(_kind(x, t), t.Complex):
            return lambda x: np.sign(x)
    return typer


def _sign_zero(t):  # runtime_arrays.sign_vjp, sign_jvp: 0 for a real x (complex: not compiled)
    def typer(v, x, w):
        if isinstance(_kind(x, t), t.Complex):
            return None
        if _array(x, t):
            return lambda v, x, w: np.zeros_like(x)
        return lambda v, x, w: 0.0
    return typer


def _times_pow(t):
    def typer(v, x, e):
        if all(isinstance(a, t.Number) for a in (v, x, e)):
            def impl(v, x, e):  # (runtime_arrays.times_pow for numbers: 0 where v == 0)
                if v == 0:
                    return 0.0
                return v * float_pow(x, e)  # (Python's pow: CPython's number)
            return impl
        return lambda v, x, e: v * np.where(v == 0, 1.0, x) ** e
    return typer


def _tie_split(t):  # runtime_ufuncs.tie_split: v where win, half where tie, else 0
    def typer(v, win, tie):
        if not any(_array(a, t) for a in (v, win, tie)):
            return lambda v, win, tie: v if win else 0.5 * v if tie else 0.0
        return lambda v, win, tie: np.where(win, v, np.where(tie, 0.5 * v, 0.0))
    return typer


def _pow_dy(t):
    def typer(ans, x):
        if isinstance(ans, t.Number) and isinstance(x, t.Number):
            def impl(ans, x):  # (runtime.pow_dy for numbers: 0 where ans == 0 or x == 0)
                if ans == 0 or x == 0:
                    return 0.0
                if x > 0:
                    return ans * math.log(x)
                return math.nan
            return impl
        return lambda ans, x: ans * np.log(np.where(np.logical_or(x == 0, ans == 0), 1.0, x))
    return typer


def _gap(t):
    def typer(x, y):
        if isinstance(x, t.Number) and isinstance(y, t.Number):
            return lambda x, y: 0.0 if x == y else x - y  # (runtime_arrays.gap)
        return lambda x, y: np.where(x == y, 0.0, x) - np.where(x == y, 0.0, y)
    return typer


# -- the package's activations (numerics.py), elementwise --------------------------------------

def _elementwise(scalar):
    """An overload for a function of one real number `scalar`, on numbers and on real arrays
    (element by element, into an array of the input's float dtype)."""
    def make(t):
        def typer(x):
            if isinstance(x, (t.Float, t.Integer, t.Boolean)):
                return lambda x: scalar(float(x))
            if _array(x, t) and isinstance(x.dtype, t.Float):
                def each(x):
                    flat = x.ravel()
                    out = np.empty_like(flat)
                    for k in range(flat.size):
                        out[k] = scalar(flat[k])
                    return out.reshape(x.shape)
                return each
        return typer
    return make


def _sigmoid(x):  # numerics.sigmoid: exp of a number <= 0 only
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus(x):  # numerics.softplus
    if x > 0:
        return x + math.log1p(math.exp(-x))
    return math.log1p(math.exp(x))


def _log_sigmoid(x):  # numerics.log_sigmoid
    if x < 0:
        return x - math.log1p(math.exp(x))
    return -math.log1p(math.exp(-x))


def _relu(x):  # numerics.relu: NaN propagates
    return 0.0 if x <= 0 else x


def _norm_divisor(r):  # runtime_linalg.norm_divisor: 1 where the norm is 0
    return 1.0 if r == 0 else r


def _norm_slope(r):  # runtime_linalg.norm_slope: NaN where the norm is 0
    return math.nan if r == 0 else 1.0


def _recip_or_zero(x):  # runtime_arrays.recip_or_zero: 0 where x == 0
    return 0.0 if x == 0 else 1.0 / x


def _polygamma(n, x):  # numerics.polygamma, its factorials as products
    if x <= 0 and x == math.floor(x):
        return math.nan
    fact = 1.0
    for k in range(2, n + 1):
        fact *= k
    sign = -1.0 if n % 2 else 1.0
    shift = 0.0
    while x < 20.0 + n:
        shift += sign * fact / x ** (n + 1)
        x += 1.0
    r = 1.0 / x
    if n == 0:
        series = math.log(x) - 0.5 * r
        for k in range(1, len(numerics._BERNOULLI) + 1):
            series -= numerics._BERNOULLI[k - 1] * r ** (2 * k) / (2 * k)
        return series - shift
    series = fact / n * r ** n + fact * r ** (n + 1) / 2
    for k in range(1, len(numerics._BERNOULLI) + 1):
        rising = 1.0  # (2k + n - 1)! / (2k)!
        for j in range(2 * k + 1, 2 * k + n):
            rising *= j
        series += numerics._BERNOULLI[k - 1] * rising * r ** (2 * k + n)
    return -sign * series - shift


def _polygamma_of(scalar):
    def make(t):
        def typer(n, x):
            if isinstance(n, t.Integer) and isinstance(x, (t.Float, t.Integer)):
                return lambda n, x: scalar(n, float(x))
        return typer
    return make


def _left_out(arg, t):
    """Whether an argument with a default (None or False) was left out, or given as None."""
    return arg is None or arg is False or isinstance(arg, (t.Omitted, t.NoneType))


def _logsumexp(t):
    def typer(x, axis=None, keepdims=False):
        if _array(x, t) and isinstance(x.dtype, t.Float) and _left_out(axis, t) and \
                _left_out(keepdims, t):
            def whole(x, axis=None, keepdims=False):  # numerics.logsumexp over every entry
                m = np.max(x)
                shift = m if np.isfinite(m) else 0.0
                return np.log(np.sum(np.exp(x - shift))) + shift
            return whole
        kept = jit_along._literal_bool(keepdims, t)
        if _array(x, t) and isinstance(x.dtype, t.Float) and isinstance(axis, t.Integer) and \
                kept is not None:
            return jit_along._logsumexp_along(t, x, kept)
    return typer


def helpers(numba):
    """{helper: overload typer}, the scalar functions compiled for the elementwise ones."""
    scalar = {f: numba.njit(f) for f in (_sigmoid, _softplus, _log_sigmoid, _relu, _norm_divisor,
                                         _norm_slope, _recip_or_zero, _polygamma)}
    return jit_lists.extended({
        runtime.check_scalar: _check_scalar,
        runtime.check_numbers: lambda t: lambda *values: _nothing,
        runtime_arrays.check_fits: _check_fits,
        runtime.check_bound: _check_bound,
        runtime.check_unbound: _check_unbound,
        runtime.assert_: _assert,
        runtime.check_not_in_place: jit_refusals.check_not_in_place,
        runtime.changed_in_place: lambda t: lambda x: (
            (lambda x: True) if _array(x, t) else (lambda x: False)),  # (an array's u /= v)
        runtime.check_unpacked: _check_not_in_place,
        runtime_arrays.check_item_not_changed: _check_not_in_place,
        runtime.unbroadcast: _unbroadcast,
        runtime.add_fitted: _add_fitted,
        runtime.zeros_like: _zeros_like,
        runtime.in_dtype_of: _in_dtype_of,
        runtime.own: _own,
        runtime_arrays.held_in: _held_in,
        runtime.expand_to: _expand_to,
        runtime.size_of: _size_of,
        runtime_stats.reduced_size: _reduced_size,
        runtime.unreduce: _unreduce,
        runtime.max_weights: _max_weights,
        runtime_arrays.prod_others: _prod_others,
        runtime.setitem: _setitem,
        runtime_arrays.zero_at: _zero_at,
        runtime.scatter_add: _scatter_add,
        runtime.getitem_grad: _getitem_grad,
        runtime.last_written: _last_written,
        runtime.matmul_grad_left: _product_grad(1),
        runtime.matmul_grad_right: _product_grad(2),
        runtime_linalg.dot_grad_left: _dot_grad(runtime.matmul_grad_left, "y"),
        runtime_linalg.dot_grad_right: _dot_grad(runtime.matmul_grad_right, "x"),
        runtime.conj: _conj,
        runtime.real_part: _real_part,
        runtime.phase: _phase,
        runtime.sign: _sign,
        runtime_arrays.abs_vjp: _abs_vjp,
        runtime_arrays.real_sign: _real_sign,
        runtime_arrays.sign_vjp: _sign_zero,
        runtime_arrays.sign_jvp: _sign_zero,
        runtime_arrays.times_pow: _times_pow,
        runtime.pow_dy: _pow_dy,
        runtime_ufuncs.tie_split: _tie_split,
        runtime_arrays.gap: _gap,
        numerics.sigmoid: _elementwise(scalar[_sigmoid]),
        numerics.softplus: _elementwise(scalar[_softplus]),
        numerics.log_sigmoid: _elementwise(scalar[_log_sigmoid]),
        numerics.relu: _elementwise(scalar[_relu]),
        runtime_linalg.norm_divisor: _elementwise(scalar[_norm_divisor]),
        runtime_linalg.norm_slope: _elementwise(scalar[_norm_slope]),
        runtime_arrays.recip_or_zero: _elementwise(scalar[_recip_or_zero]),
        numerics.logsumexp: _logsumexp,
        numerics.polygamma: _polygamma_of(scalar[_polygamma]),
        numerics.stop_gradient: lambda t: lambda x: _identity,
        _masked_copy: lambda t: lambda x, index: _masked_copy,
        **jit_helpers_arrays.helpers(numba, _elementwise),
        **jit_helpers_linalg.helpers(numba),
        **jit_helpers_stats.helpers(numba),
        **jit_helpers_shapes.helpers(numba),
        **jit_helpers_gather.helpers(numba),
        **jit_helpers_copies.helpers(numba),
        **jit_forms.helpers(numba),
        **jit_along.helpers(numba),
        **jit_tuples.helpers(numba),
    })


def _nothing(*values):  # runtime.check_numbers: Numba takes no object of Python's
    return None


def _identity(x):  # numerics.stop_gradient: its value is x
    return x
