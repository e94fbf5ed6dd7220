"""Derivative rules of NumPy's conversions, integer results and windows: np.asarray and its kin
and NumPy's scalar types (np.float32(x)) keep the values (a cast to an integer or boolean dtype
has derivative zero, as int(x)); index, count and order functions (np.nonzero, np.argwhere,
np.unravel_index, np.lexsort, ...) have derivative zero, so their results index differentiated
arrays; np.bincount is linear in its weights; np.kaiser is constant in M (its beta is refused).
Registered into the tables of rules.py (same template language) when the package is imported."""
from __future__ import annotations

import numpy as np

from .primitives import AS_ARRAY, BY_OBJECT, add
from .rules import DERIVATIVES, JVP, LINEAR, VJP, _float_cast

# Conversions: the values pass through (np.asarray([a, b]) lowers to np.array, primitives.py).
# Of an array the gradient is g; of a list a loop built, a list (stack_grad, as np.array's).
for _name, _options in [("asarray", {"order": None}), ("asanyarray", {"order": None}),
                        ("ascontiguousarray", {}), ("asfortranarray", {}),
                        ("asarray_chkfinite", {"order": None})]:
    add(f"np.{_name}", getattr(np, _name), ("x",), "exact", dtype=None, **_options)
LINEAR |= AS_ARRAY
VJP.update({name: _float_cast(("stack_grad(g, x, 0)",)) for name in AS_ARRAY})
if hasattr(np, "astype"):  # np.astype(x, dtype), NumPy 2.1: x.astype(dtype)'s rules
    BY_OBJECT.setdefault(np.astype, "astype")
# NumPy's scalar types called as functions (np.int64(x[0]), np.float32(x)) cast: to an integer
# or boolean type the result is piecewise constant, as int(x)'s is (derivative zero); to a
# floating type the values pass on.
for _type in {np.dtype(_code).type for _code in np.typecodes["AllInteger"] + "?efd"}:
    if getattr(np, _type.__name__, None) is _type:
        if np.dtype(_type).kind in "biu":
            add(f"np.{_type.__name__}", _type, kind="nondiff", zero="*")
        else:
            add(f"np.{_type.__name__}", _type)
            DERIVATIVES[f"np.{_type.__name__}"] = ("1",)
# complex types (np.complex128(x)): linear; a real x's gradient is the real part of g (unbroadcast)
for _type in {np.dtype(_code).type for _code in np.typecodes["Complex"]}:
    if getattr(np, _type.__name__, None) is _type:
        add(f"np.{_type.__name__}", _type, kind="exact")
        LINEAR.add(f"np.{_type.__name__}")
        VJP[f"np.{_type.__name__}"] = ("unbroadcast(g, x)",)
# np.real_if_close(a) is a, or its real part where its imaginary part is negligible
add("np.real_if_close", np.real_if_close, kind="exact", tol=100)
VJP["np.real_if_close"] = ("real_like(g, ans)",)
JVP["np.real_if_close"] = ("real_like(t, ans)",)

# Integer and boolean results: indices, counts and orders, derivative zero.
for _name in ("nonzero", "argwhere", "flatnonzero", "diag_indices_from"):
    add(f"np.{_name}", getattr(np, _name), kind="nondiff", zero="*")
for _name in ("tril_indices_from", "triu_indices_from"):
    add(f"np.{_name}", getattr(np, _name), kind="nondiff", k=0, zero="*")
for _name in ("nanargmax", "nanargmin"):
    add(f"np.{_name}", getattr(np, _name), kind="nondiff", axis=None, out=None, keepdims=False,
        zero="*")
add("np.unravel_index", np.unravel_index, ("indices", "shape"), "nondiff", order="C", zero="*")
add("np.ravel_multi_index", np.ravel_multi_index, ("multi_index", "dims"), "nondiff",
    mode="raise", order="C", zero="*")
add("np.lexsort", np.lexsort, ("keys",), "nondiff", axis=-1, zero="*")
# np.bincount(x) counts (zero); np.bincount(x, weights) sums the weights by bin: linear in them
add("np.bincount", np.bincount, ("x", "weights"), "exact", minlength=0, zero=("x",))
VJP["np.bincount"] = (None, "g[x]")
JVP["np.bincount"] = (None, "np.bincount(x, t, minlength=minlength)")

# Windows: constant in the length M (np.hanning, np.hamming, np.blackman and np.bartlett are
# inlined from NumPy's source, where M is a constant). np.kaiser's beta has no rule: refused.
add("np.kaiser", np.kaiser, ("M", "beta"), "nondiff")
