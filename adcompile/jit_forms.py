"""What Numba compiles in another form, for `adcompile.jit`: np.linalg.norm of a matrix by name
('fro', 'nuc': Numba's norm takes numbers only, and raised at run time), np.linalg.matrix_power
(Numba's returns an optional array, which the helpers of its gradient cannot type), reductions
and sorts along an axis (`jit_along`), Numba versions of
adcompile's own softmax and log_softmax and of the helpers `x.astype(dtype)` and `x.item()`
become (typers as in jit_helpers), and the words for a failure inside Numba's compiler (an
AssertionError of its lowering, a 2-D boolean mask) and for a name first bound in a loop, at
the user's line."""
from __future__ import annotations

import linecache
import os
import re
import traceback

import numpy as np

from . import jit_along, numerics, runtime_arrays
from .ir import Assign, Const, Op, walk_stmts
from .jit_helpers_shapes import _three
from .primitives import NAMESPACE, add


def named_norm(x, ord):
    """np.linalg.norm(x, ord) for ord 'fro' or 'nuc' and no axis: jit's code calls it."""
    return np.linalg.norm(x, ord)


def kept_sum(x, axis):
    """np.sum(x, axis=axis, keepdims=True) (Numba's np.sum has no keepdims): jit's code calls it."""
    return np.sum(x, axis=axis, keepdims=True)


def kept_mean(x, axis):
    """np.mean(x, axis=axis, keepdims=True): jit's code calls it."""
    return np.mean(x, axis=axis, keepdims=True)


def reshape_like(g, y):
    """np.reshape(g, np.shape(y)) (Numba's np.reshape takes arrays only): jit's code calls it."""
    return np.reshape(g, np.shape(y))


def matrix_power(x, n):
    """np.linalg.matrix_power(x, n): jit's code calls it (Numba's returns an optional array)."""
    return np.linalg.matrix_power(x, n)


for _f in (named_norm, kept_sum, kept_mean, reshape_like, matrix_power):
    add(_f.__name__, _f, tuple(_f.__code__.co_varnames[:2]), "nondiff", zero="*")
    NAMESPACE[_f.__name__] = _f
FORMS = ("np.linalg.norm", "np.sum", "np.mean", "np.reshape", "np.linalg.matrix_power",
         *jit_along.ALONG)  # the calls numba_form rewrites


def numba_form(e):
    """`np.linalg.norm(x, 'fro')` (no axis, no keepdims) as `named_norm(x, 'fro')`,
    `np.sum(x, axis=k, keepdims=True)` as `kept_sum(x, k)` (np.mean: kept_mean),
    `np.reshape(g, np.shape(y))` as `reshape_like(g, y)`, np.linalg.matrix_power(x, n) as
    `matrix_power(x, n)`, a reduction or sort along an axis as jit_along's helper; else `e`."""
    if e.prim == "np.linalg.matrix_power" and len(e.args) == 2 and not e.kwargs:
        return Op("matrix_power", e.args)
    if e.prim == "np.reshape" and len(e.args) == 2 and type(e.args[1]) is Op and \
            e.args[1].prim == "np.shape" and len(e.args[1].args) == 1 and not e.kwargs:
        return Op("reshape_like", (e.args[0], e.args[1].args[0]))
    if e.prim in ("np.sum", "np.mean"):
        args = {**dict(zip(("x", "axis"), e.args)), **dict(e.kwargs)}
        axis = args.get("axis")
        if len(args) == 3 and args.get("keepdims") == Const(True) and type(axis) is Const and \
                type(axis.value) is int:
            return Op("kept_sum" if e.prim == "np.sum" else "kept_mean", (args["x"], axis))
    if e.prim in jit_along.ALONG:
        return jit_along.numba_form(e)
    if e.prim != "np.linalg.norm":
        return e
    args = {**dict(zip(("x", "ord", "axis", "keepdims"), e.args)), **dict(e.kwargs)}
    order = args.get("ord")
    if type(order) is Const and order.value in ("fro", "nuc") and \
            args.get("axis", Const(None)) == Const(None) and \
            args.get("keepdims", Const(False)) == Const(False):
        return Op("named_norm", (args["x"], order))
    return e


def _named_norm(t):
    def typer(x, ord):
        if not isinstance(x, t.Array):
            return None
        if x.ndim != 2:
            def other(x, ord):  # (as NumPy: 'fro' and 'nuc' are matrix norms)
                raise ValueError("Invalid norm order for vectors, or improper number of "
                                 "dimensions to norm")
            return other

        def matrix(x, ord):
            if ord == "fro":
                return np.linalg.norm(x)
            return np.linalg.svd(x)[1].sum()  # (the nuclear norm: the sum of singular values)
        return matrix
    return typer


def _kept(mean):
    def make(t):
        def typer(x, axis):
            if not (isinstance(x, t.Array) and isinstance(axis, t.Integer)):
                return None
            if x.ndim == 1:  # (Numba's sum over the one axis is a number)
                return lambda x, axis: np.full(1, np.sum(x) / (x.size if mean else 1))

            def kept(x, axis):
                a = axis % x.ndim
                return np.expand_dims(np.sum(x, axis=a) / (x.shape[a] if mean else 1), a)
            return kept
        return typer
    return make


def _matrix_power(t):
    def typer(x, n):
        if isinstance(x, t.Array) and x.ndim == 2 and isinstance(x.dtype, (t.Float, t.Complex)) \
                and isinstance(n, t.Integer):
            return _power
    return typer


def _power(x, n):
    """x ** n by squaring, as NumPy's matrix_power multiplies (x ** 3 is (x @ x) @ x)."""
    if x.shape[0] != x.shape[1]:
        raise np.linalg.LinAlgError("Last 2 dimensions of the array must be square")
    if n == 0:
        return np.eye(x.shape[0], dtype=x.dtype)
    base = np.ascontiguousarray(np.linalg.inv(x) if n < 0 else x)
    k, z, out, squared, held = abs(n), base, base, False, False
    while k > 0:
        if squared:  # (z: x to the power 2 ** j)
            z = z @ z
        squared = True
        k, bit = k // 2, k % 2
        if bit:
            out = out @ z if held else z
            held = True
    return out.copy() if n == 1 else out


def _reshape_like(t):
    def typer(g, y):
        if isinstance(y, t.Array) and isinstance(g, t.Array):
            return lambda g, y: np.ascontiguousarray(g).reshape(y.shape)
        if isinstance(y, t.Array) and isinstance(g, t.Number):
            return lambda g, y: np.full(y.shape, g)
        if isinstance(y, t.Number) and isinstance(g, t.Number):
            return lambda g, y: g
    return typer


def _along(x, axis, log):
    """numerics.softmax (log_softmax where `log`) over `axis`, slice by slice, shifted by the
    slice's max where it is finite."""
    before, n, after = _three(x.shape, axis % x.ndim)
    xs = np.ascontiguousarray(x).reshape((before, n, after))
    out = np.empty((before, n, after), x.dtype)
    for a in range(before):
        for b in range(after):
            m = -np.inf
            for k in range(n):
                if xs[a, k, b] > m or np.isnan(xs[a, k, b]):
                    m = xs[a, k, b]
            shift = m if np.isfinite(m) else 0.0
            total = 0.0
            for k in range(n):
                out[a, k, b] = np.exp(xs[a, k, b] - shift)
                total += out[a, k, b]
            for k in range(n):
                out[a, k, b] = xs[a, k, b] - shift - np.log(total) if log else \
                    out[a, k, b] / total
    return out.reshape(x.shape)


def _softmax(log):
    def make(t):
        def typer(x, axis=-1):
            if isinstance(x, t.Array) and isinstance(x.dtype, t.Float) and x.ndim >= 1 and \
                    isinstance(axis, (t.Integer, t.Omitted, int)):
                return lambda x, axis=-1: _along(x, axis, log)
        return typer
    return make


def _astype(t):
    def typer(x, dtype):
        if isinstance(x, t.Array) and isinstance(dtype, t.StringLiteral):
            kind = np.dtype(dtype.literal_value)  # (asked again with the literal: 'float64')
            return lambda x, dtype: x.astype(kind)
    return typer


def _astype_like(t):
    def typer(v, like):
        if not isinstance(like, t.Array):
            return lambda v, like: v
        if isinstance(v, t.Array):
            if isinstance(v.dtype, t.Complex) and not isinstance(like.dtype, t.Complex):
                return lambda v, like: v.real.astype(like.dtype)
            return lambda v, like: v.astype(like.dtype)
        if isinstance(v, t.Number) and isinstance(like.dtype, t.Float):  # (float64: the same)
            return lambda v, like: v
    return typer


def _item(t):
    def typer(x):
        if isinstance(x, t.Array):
            def one(x):
                if x.size != 1:
                    raise ValueError("can only convert an array of size 1 to a Python scalar")
                return x.ravel()[0]
            return one
        if isinstance(x, t.Number):
            return lambda x: x
    return typer


def helpers(numba):
    """{helper: overload typer} of this module's helpers."""
    return {
        named_norm: _named_norm,
        kept_sum: _kept(False),
        kept_mean: _kept(True),
        reshape_like: _reshape_like,
        matrix_power: _matrix_power,
        _power: lambda t: lambda x, n: _power,
        numerics.softmax: _softmax(False),
        numerics.log_softmax: _softmax(True),
        _along: lambda t: lambda x, axis, log: _along,
        runtime_arrays.astype: _astype,
        runtime_arrays.astype_like: _astype_like,
        runtime_arrays.item: _item,
    }


# -- a failure inside Numba's compiler -----------------------------------------------------------

_INTERNAL = [  # (what the traceback shows, what to write instead)
    (r"BooleanArrayIndexer", "Numba indexes by a boolean mask of one axis only: index the flat "
     "array by the flat mask (`x.ravel()[mask.ravel()]`), or write `np.where(mask, v, x)`"),
]


def internal(err, fn):
    """(message, file, line) of `err`, raised inside Numba's compiler while it compiled the
    generated function `fn` (not by the compiled code), or None."""
    frames = traceback.extract_tb(err.__traceback__)
    if not any(f"{os.sep}numba{os.sep}core{os.sep}" in f.filename for f in frames):
        return None
    generated = None  # the generated line Numba was lowering: from its `inst` (a numba.ir node)
    tb = err.__traceback__
    while tb is not None:
        try:
            loc = tb.tb_frame.f_locals["inst"].loc if \
                "inst" in tb.tb_frame.f_code.co_varnames else None
        except (KeyError, AttributeError):  # (an object of Numba's without one)
            loc = None
        path = getattr(loc, "filename", "") or ""
        if os.path.basename(path).startswith(fn.name + "-numba-") or \
                path.startswith("<adcompile"):
            generated = linecache.getline(path, loc.line).strip() or generated
        tb = tb.tb_next
    located = re.search(r"  # (\S+):(\d+)$", generated or "")
    if located is None:
        return None
    filename, line = located.group(1), int(located.group(2))
    filename = fn.filename if filename == os.path.basename(fn.filename) else filename
    code = linecache.getline(filename, line).strip()
    text = "".join(traceback.format_tb(err.__traceback__))
    advice = next((w for p, w in _INTERNAL if re.search(p, text)), None) or \
        f"Numba failed inside its compiler ({type(err).__name__} at " \
        f"{frames[-1].filename.rpartition(os.sep + 'numba' + os.sep)[2]}:{frames[-1].lineno})"
    return (f"Numba cannot compile the code that `{code}` becomes: {advice}; or run the "
            "function without jit.", filename, line)


def first_bound_in_loop(fn, name, kinds):
    """(message, file, line) where Numba could not unify the types `kinds` (in words) of `name`
    because one is the number adcompile binds before a loop to a name the loop binds first (read
    after the loop, which may run zero times), or None."""
    made = next((s for s in walk_stmts(fn.body) if type(s) is Assign and s.target == name and
                 type(s.value) is Const and type(s.value.value) in (int, float) and
                 s.value.value == 0 and re.match(r"(async\s+)?(for|while)\b",
                                                 fn.source_lines.get(s.line, "").strip())), None)
    other = [k for k in kinds if k != "a number"]
    if made is None or not other or not any(re.search(rf"\b{name}\b", text)
                                            for text in fn.source_lines.values()):
        return None
    loop = fn.source_lines[made.line].strip()
    return (f"`{name}` is first bound inside the loop `{loop}` and read after it, where the "
            f"loop may have run zero times: adcompile binds `{name}` to a number before the "
            f"loop for that case, and the loop makes it {other[0]}, but Numba needs one type "
            f"per name. Bind `{name}` before the loop to a value of that kind ({name} = "
            "np.zeros(n), say), or run the function without jit.", fn.filename, made.line)
