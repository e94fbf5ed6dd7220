"""Derivative rules of NumPy's elementwise functions beyond those in rules.py: np.copysign,
np.fmod, np.ldexp, np.nextafter, np.modf and np.frexp (and math.ldexp, math.modf, math.frexp);
and those whose derivative is zero almost everywhere: rounding (np.trunc, np.fix, np.rint, as
np.floor), np.spacing, and the tests (np.signbit, np.isclose, np.isin, ...). Registered into the
tables of rules.py (same template language) when the package is imported."""
from __future__ import annotations

import math

import numpy as np

from .primitives import PRIMS, add
from .rules import DERIVATIVES, JVP, LINEAR, VJP

# np.copysign(x, y) is |x| with y's sign, which ans carries (a derivative in x as math.copysign's;
# zero in y); np.fmod(x, y) is x - trunc(x / y) * y (math.fmod's rule); np.ldexp(x, n) is
# x * 2 ** n, linear in x (n, an integer, is shape-like); np.nextafter(x, y) is x moved one step
# toward y.
add("np.copysign", np.copysign, ("x", "y"), "broadcast", zero=("y",))
add("np.fmod", np.fmod, ("x", "y"), "broadcast")
add("np.ldexp", np.ldexp, ("x", "n"), "broadcast")
add("np.nextafter", np.nextafter, ("x", "y"), "broadcast", zero=("y",))
DERIVATIVES.update({
    "np.copysign": ("np.copysign(1.0, x) * np.copysign(1.0, ans)", None),
    "np.fmod": ("1", "-np.trunc(x / y)"),
    "np.nextafter": ("1", None),
})
LINEAR.add("np.ldexp")
VJP["np.ldexp"] = ("np.ldexp(g, n)", None)
# np.modf(x) = (fractional part, integral part): derivative 1 and 0
add("np.modf", np.modf, kind="exact")
VJP["np.modf"] = ("g[0]",)
JVP["np.modf"] = ("(t, zeros_like(t))",)
# np.frexp(x) = (mantissa, exponent): the mantissa is x * 2 ** -exponent, the exponent an
# integer (np.divmod(x, y) is lowered as Python's divmod, (x // y, x % y): lower/calls.py)
add("np.frexp", np.frexp, kind="exact")
VJP["np.frexp"] = ("np.ldexp(g[0], -ans[1])",)
JVP["np.frexp"] = ("(np.ldexp(t, -ans[1]), zeros_like(t))",)
# the math module's: math.ldexp(x, n) = x * 2 ** n, math.modf(x) as np.modf
add("math.ldexp", math.ldexp, ("x", "n"), "broadcast", barrier=True)
LINEAR.add("math.ldexp")
VJP["math.ldexp"] = ("math.ldexp(g, n)", None)
add("math.frexp", math.frexp, kind="exact", barrier=True)  # (as np.frexp)
VJP["math.frexp"] = ("math.ldexp(g[0], -ans[1])",)
JVP["math.frexp"] = ("(math.ldexp(t, -ans[1]), 0.0 * t)",)
add("math.modf", math.modf, kind="exact", barrier=True)
VJP["math.modf"] = ("g[0]",)
JVP["math.modf"] = ("(t, 0.0 * t)",)

# Derivative zero: piecewise constant, or a test.
for _name in ("trunc", "fix", "rint", "spacing", "signbit", "isneginf", "isposinf", "isreal",
              "iscomplex"):
    add(f"np.{_name}", getattr(np, _name), kind="nondiff", zero="*")
for _name in ("isclose", "allclose"):
    add(f"np.{_name}", getattr(np, _name), ("a", "b"), "nondiff", rtol=1e-05, atol=1e-08,
        equal_nan=False, zero="*")
add("np.array_equal", np.array_equal, ("a1", "a2"), "nondiff", equal_nan=False, zero="*")
add("np.array_equiv", np.array_equiv, ("a1", "a2"), "nondiff", zero="*")
add("np.isin", np.isin, ("element", "test_elements"), "nondiff", assume_unique=False,
    invert=False, zero="*")
PRIMS["np.isin"].options["kind"] = None  # (an option named as add's own parameter)
