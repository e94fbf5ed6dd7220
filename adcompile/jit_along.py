"""Reductions and sorts along one axis, for `adcompile.jit`. Numba's np.max, np.min, np.mean,
np.prod, np.std and np.var take no axis, its np.argsort and np.sort one axis of one array only:
the jit variant calls a helper instead (`np.max(x, axis=1)` -> `max_along(x, 1, False)`), whose
Python version is NumPy's and whose Numba version runs the 1-D function over each slice, the
array seen as (before, along, after). argsort is stable under jit (kind='mergesort'): NumPy's
default leaves the order of ties unspecified (it depends on the CPU), Numba's quicksort has
another. The gradients' helpers along an axis (max_weights, prod_others, logsumexp's) too."""
from __future__ import annotations

import numpy as np

from .ir import Const, Op
from .jit_helpers_shapes import _three
from . import numerics
from .primitives import NAMESPACE, add


def max_along(x, axis, keepdims):
    return np.max(x, axis=axis, keepdims=keepdims)


def min_along(x, axis, keepdims):
    return np.min(x, axis=axis, keepdims=keepdims)


def mean_along(x, axis, keepdims):
    return np.mean(x, axis=axis, keepdims=keepdims)


def prod_along(x, axis, keepdims):
    return np.prod(x, axis=axis, keepdims=keepdims)


def var_along(x, axis, keepdims, ddof):
    return np.var(x, axis=axis, keepdims=keepdims, ddof=ddof)


def std_along(x, axis, keepdims, ddof):
    return np.std(x, axis=axis, keepdims=keepdims, ddof=ddof)


def argsort_along(x, axis):
    return np.argsort(x, axis=axis, kind="stable")


def sort_along(x, axis):
    return np.sort(x, axis=axis)


# NumPy's function -> (the helper jit's code calls, NumPy's positional parameters, the keywords
# the helper takes and their defaults); any other argument: the call as written (Numba refuses)
ALONG = {
    "np.max": (max_along, ("x", "axis", "out", "keepdims"), {"keepdims": False}),
    "np.min": (min_along, ("x", "axis", "out", "keepdims"), {"keepdims": False}),
    "np.mean": (mean_along, ("x", "axis", "dtype", "out", "keepdims"), {"keepdims": False}),
    "np.prod": (prod_along, ("x", "axis", "dtype", "out", "keepdims"), {"keepdims": False}),
    "np.var": (var_along, ("x", "axis", "dtype", "out", "ddof", "keepdims"),
               {"keepdims": False, "ddof": 0}),
    "np.std": (std_along, ("x", "axis", "dtype", "out", "ddof", "keepdims"),
               {"keepdims": False, "ddof": 0}),
    "np.argsort": (argsort_along, ("x", "axis", "kind"), {}),
    "np.sort": (sort_along, ("x", "axis", "kind"), {}),
}
_SORTS = ("np.argsort", "np.sort")
for _helper in (max_along, min_along, mean_along, prod_along, var_along, std_along,
                argsort_along, sort_along):
    _code = _helper.__code__
    add(_helper.__name__, _helper, _code.co_varnames[:_code.co_argcount], "nondiff", zero="*")
    NAMESPACE[_helper.__name__] = _helper


def numba_form(e):
    """`e`, a call of a function of ALONG, as its helper's call where it reduces along one axis
    (sorts: any axis), its other arguments constants the helper takes; else `e`."""
    helper, names, taken = ALONG[e.prim]
    if len(e.args) > len(names):
        return e
    args = {**dict(zip(names, e.args)), **dict(e.kwargs)}
    axis = args.pop("axis", Const(-1) if e.prim in _SORTS else None)
    kind = args.pop("kind", Const(None))
    if e.prim in _SORTS and args.pop("stable", Const(None)) not in (Const(None), Const(True)):
        return e
    if axis is None or axis == Const(None) and e.prim not in _SORTS or \
            type(axis) is Const and type(axis.value) not in (int, type(None)) or \
            type(axis) is Op and axis.prim in ("tuple", "list") or type(kind) is not Const:
        return e  # (every entry, or several axes: NumPy's call, which Numba compiles or refuses)
    x = args.pop("x", None)
    if x is None or set(args) - set(taken) or not all(type(v) is Const for v in args.values()):
        return e
    return Op(helper.__name__, (x, axis, *(args.get(k, Const(d)) for k, d in taken.items())))


# -- Numba versions ------------------------------------------------------------------------------

def _var(v, ddof):
    """np.var of the 1-D v (a strided slice), as NumPy: sum of squared deviations / (n - ddof)."""
    n = v.size
    mean = 0.0
    for k in range(n):
        mean += v[k]
    mean /= n
    total = 0.0
    for k in range(n):
        total += (v[k] - mean) ** 2
    if n - ddof > 0:
        return total / (n - ddof)
    return np.nan if total == 0 else np.inf  # (NumPy divides by max(n - ddof, 0))


def _std(v, ddof):
    return np.sqrt(_var(v, ddof))


def _reduction(name, t, x, keepdims):
    """The implementation of the helper `name` for an array `x` of the Numba type given, its
    result's axes decided by keepdims (a literal): written for x's number of axes."""
    n = x.ndim
    if keepdims:
        shape = ", ".join(f"1 if ax == {k} else x.shape[{k}]" for k in range(n))
    else:
        shape = ", ".join(f"x.shape[{k} if {k} < ax else {k + 1}]" for k in range(n - 1))
    result = f"out.reshape(({shape},))" if shape else "out[0, 0]"
    kind = x.dtype if name in ("max_along", "min_along") or \
        name == "prod_along" and isinstance(x.dtype, t.Float) else \
        t.int64 if name == "prod_along" else t.float64
    reduce = {"max_along": "np.max(v)", "min_along": "np.min(v)", "mean_along": "np.mean(v)",
              "prod_along": "np.prod(v)", "var_along": "_var(v, ddof)",
              "std_along": "_std(v, ddof)"}[name]
    code = ["def impl(x, axis, keepdims, ddof=0):",
            "    xs, ax = _slices(x, axis), axis % x.ndim",
            "    out = np.empty((xs.shape[0], xs.shape[2]), kind)",
            "    for a in range(xs.shape[0]):",
            "        for b in range(xs.shape[2]):",
            "            v = xs[a, :, b]",
            f"            out[a, b] = {reduce}",
            f"    return {result}"]
    scope = {"np": np, "_slices": _slices, "_var": _var, "_std": _std,
             "kind": np.dtype(str(kind))}
    exec("\n".join(code), scope)
    return scope["impl"]


def _literal_bool(b, t):
    """True or False where `b` is a boolean literal (or left out: False), else None."""
    if isinstance(b, t.BooleanLiteral):
        return b.literal_value
    if isinstance(b, (t.Omitted, t.NoneType)) or b is False:
        return False
    return None


def _reduce(name):
    def make(t):
        def typer(x, axis, keepdims, ddof=0):
            kept = _literal_bool(keepdims, t)
            if not (isinstance(x, t.Array) and x.ndim >= 1 and isinstance(axis, t.Integer) and
                    isinstance(x.dtype, (t.Float, t.Integer, t.Boolean)) and kept is not None):
                return None
            return _reduction(name, t, x, kept)
        return typer
    return make


def _slices(x, axis):
    """x as (before, along, after), contiguous, and `axis` made positive (checked)."""
    if axis >= x.ndim or axis < -x.ndim:
        raise ValueError("axis is out of bounds for array")
    before, m, after = _three(x.shape, axis % x.ndim)
    return np.ascontiguousarray(x).reshape((before, m, after))


def _argsort_slices(x, axis):
    xs = _slices(x, axis)
    out = np.empty(xs.shape, np.int64)
    for a in range(xs.shape[0]):
        for b in range(xs.shape[2]):
            out[a, :, b] = np.argsort(np.ascontiguousarray(xs[a, :, b]), kind="mergesort")
    return out.reshape(x.shape)


def _sort_slices(x, axis):
    xs = _slices(x, axis)
    out = np.empty(xs.shape, x.dtype)
    for a in range(xs.shape[0]):
        for b in range(xs.shape[2]):
            out[a, :, b] = np.sort(np.ascontiguousarray(xs[a, :, b]))
    return out.reshape(x.shape)


def _sort(slices, native):
    def make(t):
        def typer(x, axis):
            if not (isinstance(x, t.Array) and x.ndim >= 1):
                return None
            if not isinstance(x.dtype, (t.Float, t.Integer, t.Boolean)):  # (complex: Numba's)
                return (lambda x, axis: native(x)) if x.ndim == 1 else None
            if isinstance(axis, (t.NoneType, t.Omitted)):  # (flattened, as NumPy)
                return lambda x, axis: slices(x.ravel(), 0)
            if isinstance(axis, t.Integer):
                return lambda x, axis: slices(x, axis)
        return typer
    return make


def max_weights_along(x, ans, axis):
    """runtime.max_weights along the integer `axis`: 1 / (number of ties) where x is its slice's
    maximum (or minimum) `ans`, else 0."""
    xs = _slices(x, axis)
    out = np.zeros(xs.shape)
    best = np.zeros((xs.shape[0], xs.shape[2])) + np.ascontiguousarray(
        ans).reshape((xs.shape[0], xs.shape[2]))
    for a in range(xs.shape[0]):
        for b in range(xs.shape[2]):
            hits = 0
            for k in range(xs.shape[1]):
                hits += xs[a, k, b] == best[a, b]
            for k in range(xs.shape[1]):  # (a NaN maximum: no hit, 0 / 0 as NumPy's)
                out[a, k, b] = np.nan if hits == 0 else \
                    1.0 / hits if xs[a, k, b] == best[a, b] else 0.0
    return out.reshape(x.shape)


def prod_others_along(x, axis):
    """runtime_arrays.prod_others along the integer `axis`: products to the left times products
    to the right in each slice (no division)."""
    xs = _slices(x, axis)
    out = np.ones(xs.shape, x.dtype)
    for a in range(xs.shape[0]):
        for b in range(xs.shape[2]):
            left = 1.0
            for k in range(xs.shape[1]):
                out[a, k, b] = left
                left = left * xs[a, k, b]
            right = 1.0
            for k in range(xs.shape[1] - 1, -1, -1):
                out[a, k, b] = out[a, k, b] * right
                right = right * xs[a, k, b]
    return out.reshape(x.shape)


def logsumexp_along(x, axis, keepdims):
    """numerics.logsumexp along the integer `axis`: each slice shifted by its max where finite
    (all -inf: -inf; any +inf: +inf; NaN propagates)."""
    xs = _slices(x, axis)
    out = np.empty((xs.shape[0], 1, xs.shape[2]))
    for a in range(xs.shape[0]):
        for b in range(xs.shape[2]):
            m = -np.inf
            for k in range(xs.shape[1]):
                if xs[a, k, b] > m or np.isnan(xs[a, k, b]):
                    m = xs[a, k, b]
            shift = m if np.isfinite(m) else 0.0
            total = 0.0
            for k in range(xs.shape[1]):
                total += np.exp(xs[a, k, b] - shift)
            out[a, 0, b] = np.log(total) + shift
    return out


def _logsumexp_along(t, x, kept):
    """numerics.logsumexp(x, axis, keepdims) for an integer axis: its result's shape written
    for x's number of axes."""
    n = x.ndim
    if kept:
        shape = ", ".join(f"1 if ax == {k} else x.shape[{k}]" for k in range(n))
    else:
        shape = ", ".join(f"x.shape[{k} if {k} < ax else {k + 1}]" for k in range(n - 1))
    result = f"out.reshape(({shape},))" if shape else "out[0, 0, 0]"
    scope = {"logsumexp_along": logsumexp_along}
    exec(f"def impl(x, axis=None, keepdims=False):\n"
         f"    out = logsumexp_along(x, axis, keepdims)\n    ax = axis % x.ndim\n"
         f"    return {result}\n", scope)
    return scope["impl"]


def _max_shift(t):
    """numerics.max_shift (logsumexp written out with keepdims): the max over `axis`, kept, 0
    where it is not finite."""
    def typer(x, axis=None, keepdims=True):
        if not (isinstance(x, t.Array) and isinstance(x.dtype, t.Float)):
            return None
        if isinstance(axis, t.Integer):
            def along(x, axis=None, keepdims=True):
                m = max_along(x, axis, True)
                return np.where(np.isfinite(m), m, 0.0)
            return along
        if isinstance(axis, (t.NoneType, t.Omitted)) or axis is None:
            ones = (1,) * x.ndim

            def whole(x, axis=None, keepdims=True):
                m = np.max(x)
                return np.full(ones, m if np.isfinite(m) else 0.0)
            return whole
    return typer


def helpers(numba):
    """{helper: overload typer} of this module's helpers."""
    return {
        **{f: _reduce(f.__name__) for f in (max_along, min_along, mean_along, prod_along,
                                            var_along, std_along)},
        argsort_along: _sort(_argsort_slices, np.argsort),
        sort_along: _sort(_sort_slices, np.sort),
        _var: lambda t: lambda v, ddof: _var,
        _std: lambda t: lambda v, ddof: _std,
        _slices: lambda t: lambda x, axis: _slices,
        _argsort_slices: lambda t: lambda x, axis: _argsort_slices,
        _sort_slices: lambda t: lambda x, axis: _sort_slices,
        max_weights_along: lambda t: lambda x, ans, axis: max_weights_along,
        prod_others_along: lambda t: lambda x, axis: prod_others_along,
        logsumexp_along: lambda t: lambda x, axis, keepdims: logsumexp_along,
        numerics.max_shift: _max_shift,
    }
