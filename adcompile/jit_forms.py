"""What Numba compiles in another form, for `adcompile.jit`: np.linalg.norm of a matrix by name
('fro', 'nuc': Numba's norm takes numbers only, and raised at run time), np.linalg.matrix_power
(Numba's returns an optional array, which the helpers of its gradient cannot type), np.arange
with its arguments named (dtype=float), a range sliced or indexed (range(n)[::-1]), reductions
and sorts along an axis (`jit_along`), Numba versions of
adcompile's own softmax and log_softmax and of the helpers `x.astype(dtype)` and `x.item()`
become (typers as in jit_helpers), and the words for a failure inside Numba's compiler (an
AssertionError of its lowering, a 2-D boolean mask), for a name first bound in a loop, a list
that starts empty (a comprehension's), a tuple that grows, a function of SciPy's or
np.random's Numba has none of, and for a helper of adcompile's without a Numba version for its
arguments, at the user's line. Numba's advice on speed about generated lines is not shown."""
from __future__ import annotations

import linecache
import operator
import os
import re
import traceback
import warnings

import numpy as np

from . import jit_along, numerics, runtime_arrays
from .ir import (Assign, Const, For, If, Op, Return, Var, While, blocks_of, substitute,
                 targets_of, walk_stmts)
from .jit_helpers_shapes import _three
from .primitives import NAMESPACE, PRIMS, add
from .runtime import UNBOUND, UNBOUND_INT


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


def array_of(xs):
    """np.array(xs) of a tuple (of arrays: Numba's np.array takes numbers only, its np.stack
    arrays): jit's code calls it for a nested display (`np.array([[c, -s], [s, c]])`)."""
    return np.array(xs)


def stack_rows(xs):
    """np.stack(xs) (axis 0) or np.array(xs) of a list built at run time (Numba's np.stack takes
    a tuple, its np.array numbers): jit's code calls it."""
    return np.stack(xs)


def matrix_power(x, n):
    """np.linalg.matrix_power(x, n): jit's code calls it (Numba's returns an optional array)."""
    return np.linalg.matrix_power(x, n)


def float_arange(start, stop, step):
    """np.arange(start, stop, step, dtype=float) (Numba's np.arange takes no dtype by name):
    jit's code calls it."""
    return np.arange(start, stop, step, dtype=float)


for _f in (named_norm, kept_sum, kept_mean, reshape_like, array_of, stack_rows, matrix_power,
           float_arange):
    add(_f.__name__, _f, tuple(_f.__code__.co_varnames[:_f.__code__.co_argcount]), "nondiff",
        zero="*")
    NAMESPACE[_f.__name__] = _f
FORMS = ("np.linalg.norm", "np.sum", "np.mean", "np.reshape", "np.array", "np.linalg.matrix_power",
         "np.arange", "stack_list", "array_list", *jit_along.ALONG)  # the calls numba_form rewrites


def numba_form(e):
    """`np.linalg.norm(x, 'fro')` (no axis, no keepdims) as `named_norm(x, 'fro')`,
    `np.sum(x, axis=k, keepdims=True)` as `kept_sum(x, k)` (np.mean: kept_mean),
    `np.reshape(g, np.shape(y))` as `reshape_like(g, y)`, `np.array((a, b))` of a display as
    `array_of((a, b))`, np.linalg.matrix_power(x, n) as `matrix_power(x, n)`, a reduction or
    sort along an axis as jit_along's helper; else `e`."""
    if e.prim == "np.array":  # (its operands are the display's items)
        return _array_of(e.args) if e.args and \
            dict(e.kwargs).get("dtype", Const(None)) == Const(None) else e
    if e.prim == "np.arange" and e.kwargs:
        return _arange(e)
    if e.prim in ("stack_list", "array_list") and len(e.args) == 1 and \
            dict(e.kwargs).get("axis", Const(0)) == Const(0) and \
            dict(e.kwargs).get("dtype", Const(None)) == Const(None):
        return Op("stack_rows", e.args)
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


def _arange(e):
    """np.arange with its stop, step or dtype named (`np.arange(1, n + 1, dtype=float)`) with
    them in place: Numba's np.arange takes them by position, and a dtype as a NumPy type, so
    dtype=float (or 'float64') is float_arange; else `e`."""
    args = {**dict(zip(("start", "stop", "step", "dtype"), e.args)), **dict(e.kwargs)}
    if set(args) - {"start", "stop", "step", "dtype"} or "start" not in args:
        return e
    if "stop" not in args:  # (np.arange(n, dtype=float): from 0 to n)
        args["start"], args["stop"] = Const(0), args["start"]
    dtype = args.pop("dtype", Const(None))
    step = args.get("step", Const(1))
    if type(dtype) is Const and dtype.value in (float, "float64", np.float64, "float", "f8"):
        return Op("float_arange", (args["start"], args["stop"], step))
    if dtype == Const(None):
        return Op("np.arange", (args["start"], args["stop"], step))
    return e


def _float_arange(t):
    def typer(start, stop, step):
        if all(isinstance(a, (t.Integer, t.Float)) for a in (start, stop, step)):
            return lambda start, stop, step: np.arange(start * 1.0, stop, step)
    return typer


def _range_slice(t):
    """range(n)[::-1] (each slice of a range) and range(n)[i]: Numba's range has no getitem."""
    def typer(r, index):
        if isinstance(r, t.RangeType) and isinstance(index, t.Integer):
            def item(r, index):
                k = index + len(r) if index < 0 else index
                if k < 0 or k >= len(r):
                    raise IndexError("range object index out of range")
                return r.start + k * r.step
            return item
        if isinstance(r, t.RangeType) and isinstance(index, t.SliceType):
            def impl(r, index):
                start, stop, step = index.indices(len(r))
                return range(r.start + start * r.step, r.start + stop * r.step, r.step * step)
            return impl
    return typer


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


def _array_of(items):
    """array_of((a, b)) of a display's items; a constant row ([0.0, 0.0, 1.0]) one too."""
    return Op("array_of", (Op("tuple", tuple(
        _array_of(tuple(Const(v) for v in a.value)) if type(a) is Const and
        type(a.value) in (list, tuple) and a.value else a for a in items)),))


def _array_typer(t):
    def typer(xs):
        if isinstance(xs, t.BaseTuple) and xs.types and \
                all(isinstance(x, t.Array) for x in xs.types):
            return lambda xs: np.stack(xs)  # (rows of one shape, as np.array requires)
        return lambda xs: np.array(xs)
    return typer


def _stack_rows(t):
    def typer(xs):
        if isinstance(xs, t.List) and isinstance(xs.dtype, t.Array):
            def rows(xs):  # (each array a row of the result, all of one shape)
                if len(xs) == 0:
                    raise ValueError("need at least one array to stack")
                out = np.empty((len(xs),) + xs[0].shape, xs[0].dtype)
                for i in range(len(xs)):
                    if xs[i].shape != xs[0].shape:
                        raise ValueError("all input arrays must have the same shape")
                    out[i] = xs[i]
                return out
            return rows
        if isinstance(xs, (t.List, t.Array)):  # (numbers: Numba's own np.array)
            return lambda xs: np.array(xs)
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


def _truth(want):
    """any (want True) or all (want False) of a list, a tuple or a 1-D array of numbers (Numba
    has neither): the first item whose truth is `want` decides, as Python's."""
    def maker(t):
        def typer(iterable):
            if isinstance(iterable, (t.List, t.UniTuple, t.Array)) and isinstance(
                    iterable.dtype, (t.Boolean, t.Number)) and getattr(iterable, "ndim", 1) == 1:
                # (of numbers only: the truth of an array raises in Python)
                def impl(iterable):
                    for v in iterable:
                        if bool(v) == want:
                            return want
                    return not want
                return impl
        return typer
    return maker


def helpers(numba):
    """{helper: overload typer} of this module's helpers."""
    return {
        any: _truth(True),
        all: _truth(False),
        named_norm: _named_norm,
        kept_sum: _kept(False),
        kept_mean: _kept(True),
        reshape_like: _reshape_like,
        array_of: _array_typer,
        stack_rows: _stack_rows,
        matrix_power: _matrix_power,
        float_arange: _float_arange,
        operator.getitem: _range_slice,
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


def quiet_compiles(dispatcher, numba):
    """Numba's advice on speed (NumbaPerformanceWarning: '@' of a non-contiguous array) is about
    generated lines the user did not write and cannot change: not shown when `dispatcher`
    compiles (for new argument types; a call that finds its compiled code costs nothing more)."""
    compile_for_args = getattr(dispatcher, "_compile_for_args", None)
    if compile_for_args is None:  # (a private method of Numba's dispatcher: a release may drop it)
        return

    def quiet(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=numba.core.errors.NumbaPerformanceWarning)
            return compile_for_args(*args, **kwargs)
    dispatcher._compile_for_args = quiet


def internal(err, fn):
    """(message, file, line) of `err`, raised inside Numba's compiler while it compiled the
    generated function `fn` (not by the compiled code), or None."""
    frames = traceback.extract_tb(err.__traceback__)
    if not any(f"{os.sep}numba{os.sep}core{os.sep}" in f.filename for f in frames):
        return None
    generated = None  # the generated line Numba was lowering or typing: from its `inst` (a
    tb = err.__traceback__  # numba.ir node) or the `loc` of a typing constraint
    while tb is not None:
        names = tb.tb_frame.f_code.co_varnames
        try:
            loc = tb.tb_frame.f_locals["inst"].loc if "inst" in names else \
                tb.tb_frame.f_locals.get("loc") if "loc" in names else None
        except (KeyError, AttributeError):  # (an object of Numba's without one)
            loc = None
        path = getattr(loc, "filename", "") or ""
        path = path if isinstance(path, str) else ""
        if os.path.basename(path).startswith(fn.name + "-numba-") or \
                path.startswith("<adcompile"):
            generated = linecache.getline(path, loc.line).strip() or generated
        tb = tb.tb_next
    located = re.search(r"  # (\S+):(\d+)$", generated or "")
    text = "".join(traceback.format_tb(err.__traceback__))
    advice = next((w for p, w in _INTERNAL if re.search(p, text)), None) or \
        f"Numba failed inside its compiler ({type(err).__name__}: {err} at " \
        f"{frames[-1].filename.rpartition(os.sep + 'numba' + os.sep)[2]}:{frames[-1].lineno})"
    if located is None:  # (no line of the user's found: the function named)
        return (f"Numba cannot compile {fn.name}: {advice}; or run the function without jit.",
                fn.filename, None)
    filename, line = located.group(1), int(located.group(2))
    filename = fn.filename if filename == os.path.basename(fn.filename) else filename
    code = linecache.getline(filename, line).strip()
    return (f"Numba cannot compile the code that `{code}` becomes: {advice}; or run the "
            "function without jit.", filename, line)


def first_bound_in_loop(fn, name, kinds):
    """(message, file, line) where Numba could not unify the types `kinds` (in words) of `name`
    because one is the number adcompile binds before a loop to a name the loop binds first (read
    after the loop, which may run zero times), or None."""
    made = next((s for s in walk_stmts(fn.body) if type(s) is Assign and s.target == name and
                 type(s.value) is Const and type(s.value.value) in (int, float) and
                 s.value.value in (0, UNBOUND, UNBOUND_INT) and
                 re.match(r"(async\s+)?(for|while)\b", fn.source_lines.get(s.line, "").strip())),
                None)
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


_COMPREHENSION = re.compile(r"\[.*\bfor\b.*\bin\b.*\]")
_STACKED = re.compile(r"np\.(stack|array|concatenate|vstack|hstack|column_stack)\(\s*\[.*\bfor\b")


def empty_named(first, text):
    """The name of the list of the generated code `text` that Numba could not type (its message's
    first line `first`) because it starts empty, else None: Numba names it, or names a value
    read from it, which a list `L = []` grown by `L = L + [v]` is, or which the call Numba could
    not type reads (a comprehension of two loops grows a copy of its list, `items_1 = items`)."""
    named = re.search(r"Cannot infer the type of variable '(\w+?)(?:\.\d+)?', have imprecise "
                      r"type: list\(undefined\)", first)
    if named:
        return named.group(1)
    if not re.search(r"Type of variable '[\w.]+' cannot be determined", first):
        return None
    grown = re.search(r"^\s*(\w+) = \[\].*\n(?:.*\n)*?\s*\w+ = \1 \+ \[", text, re.M)
    if grown:
        return grown.group(1)
    return next((name for name in re.findall(r"Var\((\w+?)(?:\.\d+)?,", first)
                 if re.search(rf"^\s*{name} = \[\]", text, re.M)), None)


def empty_list(fn, name, text, line, where):
    """(message, file, line) of the list `name` (of the generated code `text`) that Numba cannot
    type because it starts empty: the user's name for it, or the comprehension that builds it,
    or the user's `L = []` it comes from (an `if` that appends to it makes a branch where it
    stays empty), read at the user's `line`."""
    users = "\n".join(fn.source_lines.values())
    made = re.search(rf"^\s*{name} = \[\]\s*# (\S+):(\d+)$", text, re.M)
    origin = fn.source_lines.get(int(made.group(2)), "").strip() if made and \
        made.group(1) == os.path.basename(fn.filename) else ""
    starts = sorted(set(re.findall(r"^\s*(\w+)\s*=\s*\[\]", users, re.M)))
    array = ""
    if _COMPREHENSION.search(origin):
        read = "" if line == origin else f" (read in `{line}`)"
        named = f" `{name}`" if re.search(rf"\b{name}\b", users) else ""
        what = f"the list{named}{read}: it starts empty and grows item by item in the list " \
            f"comprehension `{origin}`"
        array = " compute the values as an array (the expression of an array such as " \
            "np.arange(n), with np.maximum for max; or np.empty(n) filled in a loop),"
        if _STACKED.search(origin):  # (np.stack([... for ...]): the rows of an array)
            array = " fill the rows of an array in a loop instead of stacking a list (cols = " \
                "np.empty((n, m)), then cols[k] = ... for each row k),"
    elif re.search(rf"\b{name}\b", users):
        what = f"the list `{name}` (read in `{line}`): it starts empty and grows item by item " \
            "(append, +=)"
    elif starts:
        listed = ", ".join(f"`{s} = []`" for s in starts)
        what = f"the list that starts empty ({listed}, read in `{line}`): on some path " \
            "nothing is added to it (an append under an `if`) or it grows item by item"
    else:
        what = f"a list of the generated code (`{name}`, read in `{line}`): it starts empty " \
            "and grows item by item"
    truth = re.search(rf"\b(any|all)_?\({name}\)", text)  # (any(v > 0 for v in x))
    if truth:
        return (f"Numba cannot type {what}, so Numba cannot tell what it holds."
                f"{instead(any if truth.group(1) == 'any' else all)} Or run the function "
                "without jit.", *where)
    return (f"Numba cannot type {what}, so Numba cannot tell what it holds. Compute what is "
            "read from it in the loop itself (a sum: s = 0.0, then s = s + ... per item; "
            f"sum(f(x) for x in xs) is such a loop),{array or ' use an array,'} or run the "
            "function without jit.", *where)


# what to write instead of a function Numba has no version of (the longest name that the
# user's call ends in first)
_INSTEAD = {
    "norm.cdf": "0.5 * (1.0 + math.erf(x / math.sqrt(2.0))) (scaled: (x - loc) / scale)",
    "ndtr": "0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))",
    "norm.sf": "0.5 * math.erfc(x / math.sqrt(2.0))",
    "norm.pdf": "math.exp(-x * x / 2.0) / math.sqrt(2.0 * math.pi)",
    "norm.logpdf": "-x * x / 2.0 - 0.5 * math.log(2.0 * math.pi)",
    "norm.logcdf": "math.log(0.5 * math.erfc(-x / math.sqrt(2.0)))",
    "erf": "math.erf", "erfc": "math.erfc", "gammaln": "math.lgamma", "gamma": "math.gamma",
    "expit": "adcompile.sigmoid", "logsumexp": "adcompile.logsumexp",
    "softmax": "adcompile.softmax", "log_softmax": "adcompile.log_softmax",
    "xlogy": "x * np.log(y) where x != 0", "log1p": "np.log1p",
    "default_rng": "draw the random numbers outside the function and pass them as an "
                   "argument (the derivative treats them as constants anyway)",
}


def instead(called):
    """What to write instead of the function `called` Numba cannot compile: words after a
    sentence, or ''."""
    if called in (any, all):  # (of a list display, a tuple or an array: compiled, _truth)
        return (f" {called.__name__}(...) of a generator collects its items in a list, which "
                "Numba cannot type as it starts empty: write the test as a loop with a flag "
                f"(found = {called is all}, then found = found {'and' if called is all else 'or'}"
                f" ... per item), or as np.{called.__name__}(...) of an array.")
    return ""


def no_numba_module_function(module, attribute, line, where):
    """(message, file, line) of `module.attribute...` (scipy.stats.norm.cdf,
    np.random.default_rng) in the user's `line`, which Numba has no version of."""
    called = re.search(rf"\b{attribute}(?:\.\w+)*", line)
    name = f"{module}.{called.group(0) if called else attribute}"
    instead = next((w for k, w in sorted(_INSTEAD.items(), key=lambda kw: -len(kw[0]))
                    if name.endswith("." + k)), None)
    if instead and instead.startswith("draw"):
        hint = f" Instead, {instead}."
    else:
        hint = f" Numba compiles {instead} instead." if instead else ""
    return (f"adcompile.jit compiles with Numba, which has no version of {name} (in "
            f"`{line}`).{hint} {'Or run' if hint else 'Run'} the function without jit.", *where)


def helper_missing(helper, message, generated, line, where):
    """(message, file, line) of a helper of adcompile's that Numba has no version of (at all, or
    for the argument types in Numba's `>>> helper(types)` line), named with the generated line
    calling it and the user's line it comes from."""
    called = re.search(rf">>> {helper}\((.*)\)\s*$", message, re.M)
    kinds = [kind_in_words(re.sub(r"^\w+=", "", a))  # (a keyword's name left out: axis=int64)
             for a in numba_types(called.group(1))] if called else []
    what = (f"has no Numba version for {', '.join(dict.fromkeys(kinds))}" if kinds else
            "has no Numba version")
    params = PRIMS[helper].params if helper in PRIMS else ()
    if any(p == "index" and k == "a list" for p, k in zip(params, kinds)):
        advice = " Numba takes no list as an index: write it as an array (np.array([0, 2]))."
    elif helper == "getitem_grad" and kinds[1:2] == ["a tuple"]:  # (x, not the index)
        advice = " The gradient of a tuple compiles where the tuple is read at constant " \
            "places (t[0], or a, b = t); read it so, or hold the values in an array."
    else:
        advice = " A list the derivative reads item by item is not compiled: hold the values " \
            "in an array (np.array([...])) instead." if "a list" in kinds or not kinds and any(
                k.startswith(("list(", "reflected list(")) for k in re.findall(
                    r"[\w ]*list\([^)]*\)", message)) else ""
    import adcompile  # (its public functions, log_softmax, the user called)
    named = f"`{helper}`" if helper in getattr(adcompile, "__all__", ()) else f"helper `{helper}`"
    return (f"adcompile's {named} (called by `{generated}`, part of the code that `{line}` "
            f"becomes) {what}.{advice} Run the function without jit, or write the line another "
            "way.", *where)


def numba_types(text):
    """The types of Numba's comma-separated list `text`, split where no bracket is open
    (`list(int64)<iv=[0, 1]>` is one type)."""
    parts, depth, start = [], 0, 0
    for k, c in enumerate(text):
        depth = max(depth + (c in "([{<") - (c in ")]}>"), 0)
        if c == "," and depth == 0:
            parts.append(text[start:k])
            start = k + 1
    return [p.strip() for p in parts + [text[start:]] if p.strip()]


def kind_in_words(numba_type):
    """A Numba type in words: `array(float64, 1d, C)` -> an array, `float64` -> a number."""
    t = numba_type.strip()
    if t.startswith("array("):  # (`array(float64, 0d, C)`: its number of axes, as Numba's)
        axes = re.match(r"array\(\w+, (\d+)d", t)
        n = axes.group(1) if axes else None
        return f"an array of {n} {'axis' if n == '1' else 'axes'}" if n else "an array"
    if t.startswith(("list(", "reflected list(")):
        return "a list"
    if t.startswith(("UniTuple(", "Tuple(", "(")):
        return "a tuple"
    if re.match(r"(float|int|uint|complex|bool|Literal)", t):
        return "a number"
    return f"a {t}"


def tuple_length(numba_type):
    """The number of items of a Numba tuple type (`UniTuple(float64 x 2)`, `Tuple(float64,
    int64)`, `Tuple()`), else None."""
    t = numba_type.strip()
    uni = re.fullmatch(r"UniTuple\(.* x (\d+)\)", t)
    if uni:
        return int(uni.group(1))
    mixed = re.fullmatch(r"Tuple\((.*)\)", t) or re.fullmatch(r"\((.*)\)", t)
    return len(numba_types(mixed.group(1))) if mixed else None


def one_type(what, first, second, line):
    """The words of a name `what` that holds values of the Numba types `first` and `second`
    (near the user's `line`): Numba needs one type per name."""
    kinds = [kind_in_words(first), kind_in_words(second)]
    sizes = [tuple_length(first), tuple_length(second)]
    if None not in sizes and sizes[0] != sizes[1]:
        return (f"Numba needs one type per name, and {what} is a tuple of {sizes[0]} and of "
                f"{sizes[1]} items (near `{line}`): a tuple of another length is another type "
                "under Numba, so a tuple that grows (t += (v,)) cannot be compiled. Collect the "
                "values in an array (np.empty(n), filled in the loop) or sum them as they come, "
                "or run the function without jit.")
    return (f"Numba needs one type per name, and {what} is {kinds[0]} at one point and "
            f"{kinds[1]} at another (near `{line}`). Give it one type from the start (an array "
            "of the same shape, or a float throughout), or run the function without jit.")


def numba_names(fn):
    """Rename in place each name `p_1` of `fn` (not a parameter) where `p` is assigned more than
    once, to `p1`: Numba names its versions of `p` `p.1`, and its pass that fuses array
    expressions writes `.` as `_` and takes `p.1.1` and `p_1.1` for one name (an AssertionError
    at np/ufunc/array_exprs.py)."""
    counts: dict = {}
    for s in walk_stmts(fn.body):  # (each statement's own targets, not its blocks')
        for t in targets_of(s) if type(s) is Assign else [s.target] if type(s) is For else ():
            counts[t] = counts.get(t, 0) + 1
    for p in fn.params:
        counts[p] = counts.get(p, 0) + 1
    names = {n: n for n in counts if n not in fn.params}  # each name -> its name now
    taken, changed = set(counts) | set(fn.constants), True
    while changed:
        changed = False
        many = {names.get(n, n) for n, k in counts.items() if k > 1}
        for old, now in sorted(names.items()):
            versioned = re.fullmatch(r"(\w+)_(\d+)", now)
            if versioned and versioned.group(1) in many:
                new = versioned.group(1) + versioned.group(2)
                while new in taken:
                    new += "_"
                taken.add(new)
                names[old], changed = new, True
    mapping = {k: v for k, v in names.items() if k != v}
    if not mapping:
        return
    renames = {k: Var(v) for k, v in mapping.items()}
    for s in walk_stmts(fn.body):
        if type(s) is Assign:
            s.value = substitute(s.value, renames)
            if type(s.target) is str or type(s.target) is tuple:
                s.target = mapping.get(s.target, s.target) if type(s.target) is str else \
                    tuple(mapping.get(t, t) for t in s.target)
        elif type(s) is Return:
            s.values = [substitute(v, renames) for v in s.values]
        elif type(s) is For:
            s.target = mapping.get(s.target, s.target)
            s.bounds = tuple(substitute(b, renames) for b in s.bounds)
            s.count = None if s.count is None else substitute(s.count, renames)
        elif type(s) in (If, While):
            s.test = substitute(s.test, renames)


# the operations that read a list without keeping it: what they return is a new object (so do
# NumPy's functions, and the rules' helpers named *_grad)
_LEAVE_LIST = frozenset({"list_sum", "list_max", "list_min", "len", "getitem", "list_concat",
                         "list_copy", "tuple_copy", "list_repeat", "array_list", "zeros_like"})


def appends_in_place(fn):
    """`L = L + [v]` (flat code's append: a new list each time, as a list is a value there) ->
    `L.append(v)`, where no other name, container or tape can hold one of L's lists: every
    assignment of L makes a list or appends to L, and L is read only by operations that return
    a new object. Numba types a list that grows by append; it cannot unify `[]` with the new
    list of `L + [v]`."""
    made: dict = {}  # name -> whether each of its assignments makes a list or appends to it
    for s in walk_stmts(fn.body):
        for t in targets_of(s) if type(s) is Assign else [s.target] if type(s) is For else ():
            v = s.value if type(s) is Assign and type(s.target) is str else None
            made[t] = made.get(t, True) and type(v) is Op and (
                v.prim == "make_list" or v.prim == "list_append" and v.args[0] == Var(t))
    lists = {t for t, ok in made.items() if ok and t not in fn.params}
    kept: set = set()

    def reads(e, prim=None, own=None):
        if type(e) is Var:
            if e.name in lists and not (prim in _LEAVE_LIST or prim is not None and (
                    str(getattr(PRIMS.get(prim), "name", prim)).startswith("np.") or
                    prim.startswith("np.") or prim.endswith("_grad")) or own):
                kept.add(e.name)
        elif type(e) is Op:
            for k, a in enumerate((*e.args, *(v for _, v in e.kwargs))):
                reads(a, e.prim, e.prim == "list_append" and k == 0)
    for s in walk_stmts(fn.body):
        for e in (s.value,) if type(s) is Assign else s.values if type(s) is Return else \
                (s.test,) if type(s) in (If, While) else (*s.bounds, s.count) \
                if type(s) is For else ():
            reads(e)
    grows = lists - kept
    for block in [fn.body, *(b for s in walk_stmts(fn.body) for b in blocks_of(s))]:
        for k, s in enumerate(block):
            if type(s) is Assign and s.target in grows and type(s.value) is Op and \
                    s.value.prim == "list_append" and len(s.value.args) == 2:
                block[k] = Assign(None, Op("push", (Var(s.target), s.value.args[1])), s.line)
