"""NumPy's ufunc methods as primitives: np.add.reduce is np.sum along axis 0 (its default),
np.multiply.accumulate is np.cumprod along axis 0, np.maximum.accumulate a running maximum whose
derivative follows the entry where the maximum was attained (split evenly among ties, as
np.max's rule splits it), np.add.reduceat sums of segments; `ufunc.outer(a, b)` is lowered as
`ufunc(outer_left(a, b), b)` (lower/calls.py). Also the helpers of np.cross's axes
(lower/forms.py). Registered into the tables of rules.py; their helpers are in
runtime_ufuncs.py.

`POSITIONAL` (primitives.py) gets NumPy's order of the parameters after the operands, by
primitive or by the object called, where it differs from the order of the primitive's options:
np.var(x, 1, None, None, 1) passes axis, dtype, out and ddof (a dtype or out given is refused
by name).
"""
from __future__ import annotations

import numpy as np

from . import runtime_ufuncs
from .primitives import BY_OBJECT, NAMESPACE, OBJECT_OPTIONS, POSITIONAL, add
from .rules import DERIVATIVES, JVP, LINEAR, SEED, VJP

# --- reduce and accumulate: the reductions and scans that have rules, along axis 0 -----------
_REDUCE = ("axis", "dtype", "out", "keepdims", "initial", "where")
_ACCUMULATE = ("axis", "dtype", "out")
for _ufunc, _method, _prim in [(np.add, "reduce", "np.sum"), (np.multiply, "reduce", "np.prod"),
                               (np.maximum, "reduce", "np.max"),
                               (np.minimum, "reduce", "np.min"),
                               (np.logical_and, "reduce", "np.all"),
                               (np.logical_or, "reduce", "np.any"),
                               (np.add, "accumulate", "np.cumsum"),
                               (np.multiply, "accumulate", "np.cumprod")]:
    _obj = getattr(_ufunc, _method)
    BY_OBJECT[_obj] = _prim
    OBJECT_OPTIONS[_obj] = {"axis": 0}
    POSITIONAL[_obj] = _REDUCE if _method == "reduce" else _ACCUMULATE

# np.logaddexp.reduce: log-sum-exp along axis 0, computed as written (pairwise, not rounded as
# the package's logsumexp); its derivative is the softmax along the axis
add("np.logaddexp.reduce", np.logaddexp.reduce, kind="exact", axis=0, keepdims=False)
POSITIONAL[np.logaddexp.reduce] = _REDUCE
VJP["np.logaddexp.reduce"] = ("unreduce(g, x, axis, keepdims) * np.exp(x - unreduce(ans, x, "
                              "axis, keepdims))",)
JVP["np.logaddexp.reduce"] = ("np.sum(t * np.exp(x - unreduce(ans, x, axis, keepdims)), "
                              "axis=axis, keepdims=keepdims)",)

# the running maximum and minimum
for _ufunc in (np.maximum, np.minimum):
    add(f"np.{_ufunc.__name__}.accumulate", _ufunc.accumulate, kind="exact", axis=0)
    POSITIONAL[_ufunc.accumulate] = _ACCUMULATE
    VJP[f"np.{_ufunc.__name__}.accumulate"] = ("cumextreme_vjp(g, x, ans, axis)",)
    JVP[f"np.{_ufunc.__name__}.accumulate"] = ("cumextreme_jvp(t, x, ans, axis)",)
add("cumextreme_jvp", runtime_ufuncs.cumextreme_jvp, ("t", "x", "y", "axis"), "exact",
    zero=("x", "y"))
add("cumextreme_vjp", runtime_ufuncs.cumextreme_vjp, ("v", "x", "y", "axis"), "exact",
    zero=("x", "y"))
VJP["cumextreme_jvp"] = ("cumextreme_vjp(g, x, y, axis)", None, None, None)
VJP["cumextreme_vjp"] = ("cumextreme_jvp(g, x, y, axis)", None, None, None)

# np.maximum's and np.minimum's derivatives (rules.py): the seed where the operand wins, half
# of it at a tie, else 0; linear in the seed, piecewise constant in the masks
add("tie_split", runtime_ufuncs.tie_split, ("v", "win", "tie"), "broadcast", zero=("win", "tie"))
DERIVATIVES["tie_split"] = (f"tie_split({SEED}, win, tie)", None, None)
NAMESPACE["tie_split"] = runtime_ufuncs.tie_split

# np.add.reduceat: sums of segments along an axis, linear in x; its gradient repeats each
# segment's over the segment (runtime_ufuncs.reduceat_grad), whose transpose is reduceat again
add("np.add.reduceat", np.add.reduceat, ("x", "indices"), "exact", axis=0)
POSITIONAL[np.add.reduceat] = _ACCUMULATE
add("reduceat_grad", runtime_ufuncs.reduceat_grad, ("v", "x", "indices", "axis"), "exact",
    zero=("x",))
VJP["np.add.reduceat"] = ("reduceat_grad(g, x, indices, axis)", None)
VJP["reduceat_grad"] = ("np.add.reduceat(g, indices, axis=axis)", None, None, None)

# np.put_along_axis(a, indices, values, axis): the assignment a[along_index(a, indices, axis)]
# = values (lower/forms.py), as NumPy writes it
add("along_index", runtime_ufuncs.along_index, ("x", "indices", "axis"), "nondiff", zero="*")
NAMESPACE["along_index"] = runtime_ufuncs.along_index

# ufunc.outer(a, b): a with an axis of length 1 per axis of b
add("outer_left", runtime_ufuncs.outer_left, ("a", "b"), "exact", zero=("b",))
VJP["outer_left"] = ("np.reshape(g, np.shape(a))", None)

# np.cross(a, b, axisa=, axisb=, axisc=): of the vectors moved last, the result's moved to axisc
add("cross_out", runtime_ufuncs.cross_out, ("c", "a", "b", "axisc"), "exact",
    zero=("a", "b", "axisc"))
add("cross_in", runtime_ufuncs.cross_in, ("v", "a", "b", "axisc"), "exact",
    zero=("a", "b", "axisc"))
VJP["cross_out"] = ("cross_in(g, a, b, axisc)", None, None, None)
VJP["cross_in"] = ("cross_out(g, a, b, axisc)", None, None, None)

_HELPERS = ("cumextreme_jvp", "cumextreme_vjp", "outer_left", "cross_out", "cross_in",
            "reduceat_grad")
LINEAR |= {*_HELPERS, "np.add.reduceat"}
for _name in _HELPERS:
    NAMESPACE[_name] = getattr(runtime_ufuncs, _name)

# --- the order of positional parameters after the operands, where NumPy's differs -------------
_AXIS_DTYPE_OUT = ("axis", "dtype", "out")
POSITIONAL.update({
    **{name: _AXIS_DTYPE_OUT + ("keepdims", "initial", "where")
       for name in ("np.sum", "np.prod", "np.nansum")},
    **{name: _AXIS_DTYPE_OUT + ("keepdims",) for name in ("np.mean", "np.nanmean")},
    **{name: ("axis", "out", "keepdims", "initial", "where")
       for name in ("np.max", "np.min", "np.nanmax", "np.nanmin")},
    **{name: _AXIS_DTYPE_OUT + ("ddof", "keepdims") for name in ("np.var", "np.std")},
    **{name: _AXIS_DTYPE_OUT for name in ("np.cumsum", "np.cumprod")},
    **{name: ("axis", "out") for name in ("np.argmax", "np.argmin")},
    **{name: ("axis", "out", "keepdims") for name in ("np.all", "np.any", "np.ptp")},
    **{name: ("axis", "kind", "order") for name in ("np.sort", "np.argsort")},
    "np.round": ("decimals", "out"), "np.take": ("axis", "out", "mode"),
    "np.trace": ("offset", "axis1", "axis2", "dtype", "out"),
})
