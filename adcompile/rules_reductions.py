"""Derivative rules of the reductions and scans that ignore NaN (np.nansum, np.nanmean, np.nanmax,
np.nanmin, np.nanvar, np.nanstd, np.nanprod, np.nancumsum, np.nancumprod, np.nanmedian,
np.nanpercentile, np.nanquantile) and of NumPy 2's cumulative_sum and cumulative_prod (np.cumprod's
exact rules). A NaN entry gets no
gradient and no tangent: the rules read x with its NaNs replaced (by 0 where they are summed, by
1 where they are multiplied) so that no NaN reaches a product in derivative code, which stays
differentiable again.
Registered into the tables of rules.py (same template language) when the package is imported."""
from __future__ import annotations

import numpy as np

from . import runtime_arrays, runtime_stats
from .primitives import NAMESPACE, add
from .rules import JVP, LINEAR, VJP
from .rules_stats import _QUANTILE, _quantile_rule

# Options in NumPy's positional order (np.nanvar(x, 0, None, None, 1) is ddof=1).
add("np.nanvar", np.nanvar, kind="exact", axis=None, dtype=None, out=None, ddof=0, keepdims=False)
add("np.nanstd", np.nanstd, kind="exact", axis=None, dtype=None, out=None, ddof=0, keepdims=False)
add("np.nanprod", np.nanprod, kind="exact", axis=None, dtype=None, out=None, keepdims=False)
add("np.nancumsum", np.nancumsum, kind="exact", axis=None, dtype=None, out=None)
add("np.nancumprod", np.nancumprod, kind="exact", axis=None, dtype=None, out=None)
add("np.nanquantile", np.nanquantile, ("x", "q"), "exact", **_QUANTILE)
add("np.nanpercentile", np.nanpercentile, ("x", "q"), "exact", **_QUANTILE)
add("np.nanmedian", np.nanmedian, ("x",), "exact", axis=None, out=None, overwrite_input=False,
    keepdims=False)
for _name in ("nanquantile_weights",):  # (helpers: named in generated code)
    add(_name, getattr(runtime_stats, _name), ("x", "q", "axis"), "nondiff", zero="*")
    NAMESPACE[_name] = getattr(runtime_stats, _name)

_ZERO = "np.where(np.isnan(x), 0.0, t)"  # the tangent, 0 at the NaNs (where it may be NaN: 2 x t)
_ONE = "np.where(np.isnan(x), 1.0, x)"  # x with its NaNs as 1, which a product ignores
_DEV = "np.where(np.isnan(x), 0.0, x - np.nanmean(x, axis=axis, keepdims=True))"
_COUNT = "(np.sum(np.where(np.isnan(x), 0.0, np.ones_like(x)), axis=axis, keepdims=True) - ddof)"
_STD = "np.where(ans == 0, 1.0, ans)"  # (np.std's rule: derivative 0 where the deviation is 0)
VJP.update({
    "np.nanvar": (f"unreduce(g, x, axis, keepdims) * conj({_DEV}) * (2 / {_COUNT})",),
    "np.nanstd": (f"unreduce(g / {_STD}, x, axis, keepdims) * conj({_DEV}) / {_COUNT}",),
    "np.nanprod": (f"np.where(np.isnan(x), 0.0, unreduce(g, x, axis, keepdims) * "
                   f"prod_others({_ONE}, axis))",),
    "np.nancumsum": ("np.where(np.isnan(x), 0.0, cumsum_grad(g, x, axis))",),
    "np.nancumprod": (f"np.where(np.isnan(x), 0.0, cumprod_vjp(g, {_ONE}, axis))",),
})
JVP.update({
    "np.nanvar": (f"np.sum(np.real({_ZERO} * conj({_DEV})) * (2 / {_COUNT}), axis=axis, "
                  "keepdims=keepdims)",),
    "np.nanstd": (f"np.sum(np.real({_ZERO} * conj({_DEV})) / {_COUNT}, axis=axis, "
                  f"keepdims=keepdims) / {_STD}",),
    "np.nanprod": (f"np.sum({_ZERO} * prod_others({_ONE}, axis), axis=axis, keepdims=keepdims)",),
    "np.nancumsum": (f"np.cumsum({_ZERO}, axis=axis)",),
    "np.nancumprod": (f"cumprod_jvp({_ONE}, axis, {_ZERO})",),
})
# the quantiles of the entries that are not NaN (np.quantile's rule, method "linear" only)
for _name in ("np.nanquantile", "np.nanpercentile", "np.nanmedian"):
    VJP[_name] = _quantile_rule("quantile_spread(g, {w}, x, axis, keepdims)")
    JVP[_name] = _quantile_rule(f"quantile_gather({_ZERO}, {{w}}, x, axis, keepdims)")

# NumPy 2.1's cumulative_sum and cumulative_prod: np.cumsum and np.cumprod, along an axis that a
# 1-D x may leave out, with the empty sum (0) or product (1) first where include_initial.
if hasattr(np, "cumulative_sum"):
    for _name in ("cumulative_sum", "cumulative_prod"):
        add(f"np.{_name}", getattr(np, _name), kind="exact", axis=None, dtype=None,
            include_initial=False, zero=("include_initial",))
    for _name in ("cumulative_sum_grad",):
        add(_name, getattr(runtime_arrays, _name), ("v", "x", "axis", "include_initial"),
            "exact", zero=("x", "include_initial"))
        NAMESPACE[_name] = getattr(runtime_arrays, _name)
    for _name in ("initial_dropped", "initial_padded"):  # (the leading 1 of include_initial)
        add(_name, getattr(runtime_arrays, _name), ("v", "axis", "include_initial"), "exact",
            zero=("include_initial",))
        NAMESPACE[_name] = getattr(runtime_arrays, _name)
    LINEAR |= {"np.cumulative_sum", "cumulative_sum_grad", "initial_dropped", "initial_padded"}
    VJP.update({
        "np.cumulative_sum": ("cumulative_sum_grad(g, x, axis, include_initial)",),
        # np.cumprod's exact rules (no division by x: a zero entry is fine)
        "np.cumulative_prod": ("cumprod_vjp(initial_dropped(g, axis, include_initial), x, "
                               "axis)",),
        "cumulative_sum_grad": ("np.cumulative_sum(g, axis=axis, include_initial="
                                "include_initial)", None, None, None),
        "initial_dropped": ("initial_padded(g, axis, include_initial)", None, None),
        "initial_padded": ("initial_dropped(g, axis, include_initial)", None, None),
    })
    JVP["np.cumulative_prod"] = ("initial_padded(cumprod_jvp(x, axis, t), axis, "
                                 "include_initial)",)

# np.max(x, initial=c) (np.min): one reduction, which an empty x (or axis) leaves at c; the
# gradient goes to the entries that attain it, else (the initial value won) to c
for _name in ("max_initial", "min_initial"):
    add(_name, getattr(runtime_arrays, _name), ("x", "initial"), "exact", axis=None,
        keepdims=False)
    VJP[_name] = ("unreduce(g, x, axis, keepdims) * initial_weights(x, ans, axis, keepdims)",
                  "np.sum(g * initial_won(x, ans, axis, keepdims))")
    JVP[_name] = ("np.sum(t * initial_weights(x, ans, axis, keepdims), axis=axis, "
                  "keepdims=keepdims)", "t * initial_won(x, ans, axis, keepdims)")
for _name in ("max_initial", "min_initial", "initial_weights", "initial_won"):
    NAMESPACE[_name] = getattr(runtime_arrays, _name)
for _name in ("initial_weights", "initial_won"):
    add(_name, getattr(runtime_arrays, _name), ("x", "ans", "axis", "keepdims"), "nondiff",
        zero="*")


# --- reductions that ignore NaN: a NaN entry gets no gradient -------------------------------------
# (np.where(np.isnan(x), x, t) is t with x's NaNs, which the reduction then ignores)
_NAN_T = "np.where(np.isnan(x), x, t)"
VJP.update({
    "np.nansum": ("np.where(np.isnan(x), 0.0, unreduce(g, x, axis, keepdims))",),
    "np.nanmean": ("np.where(np.isnan(x), 0.0, unreduce(g, x, axis, keepdims) / unreduce("
                   "np.sum(np.logical_not(np.isnan(x)), axis=axis, keepdims=keepdims), x, axis, "
                   "keepdims))",),
    "np.nanmax": ("unreduce(g, x, axis, keepdims) * max_weights(x, ans, axis, keepdims)",),
    "np.nanmin": ("unreduce(g, x, axis, keepdims) * max_weights(x, ans, axis, keepdims)",),
})
JVP.update({
    "np.nansum": (f"np.nansum({_NAN_T}, axis=axis, keepdims=keepdims)",),
    "np.nanmean": (f"np.nanmean({_NAN_T}, axis=axis, keepdims=keepdims)",),
    "np.nanmax": ("np.sum(np.where(np.isnan(x), 0.0, t) * max_weights(x, ans, axis, keepdims), "
                  "axis=axis, keepdims=keepdims)",),
    "np.nanmin": ("np.sum(np.where(np.isnan(x), 0.0, t) * max_weights(x, ans, axis, keepdims), "
                  "axis=axis, keepdims=keepdims)",),
})
