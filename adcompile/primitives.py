"""The primitive operations of flat code: how each is called, printed and grouped.

A primitive is named by how generated code spells it (`np.exp`, `math.sin`, `sigmoid`) or, for an
operator, by its `operator`-module name (`add`, `mul`, `matmul`). `BY_OBJECT` maps the Python
objects a user may call (`numpy.exp`, `math.sin`, `numpy.multiply`) to primitive names, so
`import numpy as jnp` or `from math import sin` resolve to the same primitive.

`kind` says how a primitive treats shapes, which reverse mode needs to undo broadcasting:
  broadcast  elementwise over operands that broadcast against each other (`x + y`, `np.maximum`)
  unary      elementwise in its one differentiable operand (`np.exp`, `x ** 2`)
  exact      anything else with a derivative (`np.sum`, `@`, `np.reshape`)
  nondiff    a derivative of zero (comparisons, shape queries, `int`)
A parameter named `*xs` takes every remaining positional operand (np.einsum's operands); a
primitive of form "seq" takes all its operands as one sequence (`np.stack((a, b), axis=0)`); one
of form "spread" takes one sequence and spreads it (`np.random.rand(*shape)`), one of form
"spread_method" a method's object and a sequence it spreads (`rs.rand(*shape)`).
`barrier` marks primitives that may turn an array into a Python float (`math.sin`, `float`).

Nothing unknown is a constant. An operand without a derivative rule (every operand of a
`nondiff` primitive, a `None` in the rule tables) that receives a differentiated value is refused
with a NoDerivativeError naming the user's line, unless the table declares that its derivative is
zero by design: `zero` names those parameters and options ("*" for all of them), on top of the
shape-like ones in `SHAPE_LIKE` (axes, shapes, counts, dtypes: integers or flags that say how,
never how much). So `np.full(3, x)` and `np.linspace(x, y)` get rules, `np.arange(x)` and
`np.r_[x, y]` are refused, and `x > y` or `np.argmax(x)` are simply zero.
"""
from __future__ import annotations

import ast
import builtins
import cmath
import math
import operator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import numerics, runtime, runtime_arrays, runtime_linalg, runtime_signal


@dataclass(slots=True)
class Primitive:
    name: str
    fn: object                      # what the primitive computes (used to fold constants)
    params: tuple = ("x",)          # positional operands
    options: dict = field(default_factory=dict)  # keyword parameters and their defaults
    kind: str = "unary"
    form: str = "call"  # call | seq | binop | unop | compare | boolop | attr | getitem | tuple
    #                     | callee (its first operand is the function called)
    op: type | None = None          # the ast operator class of binop/unop/compare forms
    barrier: bool = False
    zero: tuple | str = ()          # operands whose derivative is zero by design ("*": all)


# Parameters and options that say how, never how much: their derivative is zero wherever they are.
SHAPE_LIKE = frozenset({"shape", "axis", "axes", "axis1", "axis2", "keepdims", "dtype", "offset",
                        "decimals", "ndigits", "num", "endpoint", "N", "M", "k", "n", "reps",
                        "repeats", "indices_or_sections", "source", "destination", "subscripts",
                        "condition", "shift", "kth", "indices", "pad_width", "mode",
                        "window_shape"})


def hashable(obj) -> bool:
    """Whether `obj` can be looked up in BY_OBJECT (a NumPy array cannot)."""
    try:
        hash(obj)
        return True
    except TypeError:
        return False


def zero_by_design(p: "Primitive", param: str) -> bool:
    """Whether a differentiated value given to `param` of `p` has derivative zero by design."""
    return p.zero == "*" or param in p.zero or \
        param in SHAPE_LIKE and param not in AMOUNTS.get(p.name, ())


# Parameters named like SHAPE_LIKE's that are amounts (a random draw is not constant in them:
# rng.gamma(shape), rng.triangular(left, mode, right)), by primitive.
AMOUNTS: dict[str, frozenset] = {}


PRIMS: dict[str, Primitive] = {}
# Positional operands a call may leave out or name by keyword, and their defaults, by primitive:
# np.ediff1d(x, to_begin=v) passes None as to_end.
OPTIONAL: dict[str, dict] = {}  # operands that may be left out: their defaults
RENAMED = {("np.clip", "min"): "a_min", ("np.clip", "max"): "a_max"}  # keywords' other names
_TWO_OPERANDS = {"greater", "less", "greater_equal", "less_equal", "equal", "not_equal",
                 "logical_and", "logical_or", "heaviside"}
BY_OBJECT: dict[object, str] = {}


def add(name, fn, params=("x",), kind="unary", *, form="call", op=None, barrier=False,
        objects=(), zero=(), **options):
    PRIMS[name] = Primitive(name, fn, tuple(params), options, kind, form, op, barrier,
                            zero if zero == "*" else tuple(zero))
    for obj in (fn, *objects) if form in ("call", "seq") else objects:
        BY_OBJECT.setdefault(obj, name)


def _spread(draw):
    """draw(*shape) of a shape passed whole (form "spread" prints `np.random.rand(*shape)`)."""
    def spread(shape):
        return draw(*shape)
    spread.__name__ = spread.__qualname__ = f"{draw.__name__}_spread"
    return spread


def _spread_method(method):
    """rng.method(*shape) of a shape passed whole (form "spread_method" prints
    `rng.rand(*shape)`)."""
    def spread(rng, shape):
        return getattr(rng, method)(*shape)
    spread.__name__ = spread.__qualname__ = f"{method}_spread"
    return spread


def _binop(name, fn, op, kind="broadcast", objects=(), zero=()):
    add(name, fn, ("x", "y"), kind, form="binop", op=op, objects=objects, zero=zero)


# Operators. NumPy's ufunc spellings (np.multiply, ...) and operator's functions (operator.mul)
# lower to the same primitives.
_binop("add", operator.add, ast.Add, objects=(np.add, operator.add))
_binop("sub", operator.sub, ast.Sub, objects=(np.subtract, operator.sub))
_binop("mul", operator.mul, ast.Mult, objects=(np.multiply, operator.mul))
_binop("truediv", operator.truediv, ast.Div,
       objects=(np.divide, np.true_divide, operator.truediv))
_binop("pow", operator.pow, ast.Pow, objects=(np.power, builtins.pow, operator.pow),
       zero=("x", "y"))  # x ** 0 is constant in x, 0.0 ** y in y (y > 0): rules.py
_binop("floordiv", operator.floordiv, ast.FloorDiv, "nondiff", objects=(np.floor_divide,),
       zero="*")  # piecewise constant
_binop("mod", operator.mod, ast.Mod, objects=(np.mod, np.remainder))
_binop("matmul", operator.matmul, ast.MatMult, "exact", objects=(np.matmul, operator.matmul))
add("neg", operator.neg, form="unop", op=ast.USub, objects=(np.negative, operator.neg))
add("pos", operator.pos, form="unop", op=ast.UAdd, objects=(np.positive,))
add("not", operator.not_, kind="nondiff", form="unop", op=ast.Not, zero="*")
# Bitwise operators: on masks and integers, never on differentiated values (floats have none)
for _name, _fn, _op, _np in [("bitand", operator.and_, ast.BitAnd, np.bitwise_and),
                             ("bitor", operator.or_, ast.BitOr, np.bitwise_or),
                             ("bitxor", operator.xor, ast.BitXor, np.bitwise_xor),
                             ("lshift", operator.lshift, ast.LShift, np.left_shift),
                             ("rshift", operator.rshift, ast.RShift, np.right_shift)]:
    _binop(_name, _fn, _op, "nondiff", objects=(_np,), zero="*")
add("invert", operator.invert, kind="nondiff", form="unop", op=ast.Invert, objects=(np.invert,),
    zero="*")
for _name, _fn, _op in [("lt", operator.lt, ast.Lt), ("le", operator.le, ast.LtE),
                        ("gt", operator.gt, ast.Gt), ("ge", operator.ge, ast.GtE),
                        ("eq", operator.eq, ast.Eq), ("ne", operator.ne, ast.NotEq)]:
    add(_name, _fn, ("x", "y"), "nondiff", form="compare", op=_op, zero="*")

add("in", lambda x, y: x in y, ("x", "y"), "nondiff", form="compare", op=ast.In, zero="*")
add("notin", lambda x, y: x not in y, ("x", "y"), "nondiff", form="compare", op=ast.NotIn,
    zero="*")
add("is", operator.is_, ("x", "y"), "nondiff", form="compare", op=ast.Is, zero="*")
add("isnot", operator.is_not, ("x", "y"), "nondiff", form="compare", op=ast.IsNot, zero="*")
# `and`/`or` appear only in generated code's type checks (user code lowers to branches)
add("and", lambda x, y: x and y, ("x", "y"), "nondiff", form="boolop", op=ast.And, zero="*")
add("or", lambda x, y: x or y, ("x", "y"), "nondiff", form="boolop", op=ast.Or, zero="*")
add("type", builtins.type, kind="nondiff", zero="*")

# Indexing, attributes and tuples.
add("getitem", operator.getitem, ("x", "index"), "exact", form="getitem")
add("slice", builtins.slice, ("start", "stop", "step"), "nondiff", zero="*")  # x[i:i + k]
add("T", lambda x: x.T, kind="exact", form="attr")
for _attr in ("shape", "ndim", "size", "dtype"):
    add(_attr, operator.attrgetter(_attr), kind="nondiff", form="attr", zero="*")
# a field of what a function without a rule returned (np.finfo(x.dtype).min): `x.name`
add("field", getattr, ("x", "name"), "nondiff", form="field", zero="*")
add("tuple", lambda *xs: xs, params=(), kind="exact", form="tuple")
# The tape of reverse mode: a Python list.
add("list", list, params=(), kind="nondiff", form="list", zero="*")
add("push", list.append, ("tape", "x"), "nondiff", form="method", zero="*")
add("pop", list.pop, ("tape",), "nondiff", form="method", zero="*")
add("dict.get", dict.get, ("d", "key", "default"), "nondiff", form="method", zero="*")
add("list.index", list.index, ("xs", "x"), "nondiff", form="method", zero="*")
add("list.count", list.count, ("xs", "x"), "nondiff", form="method", zero="*")
add("scatter_add", runtime.scatter_add, ("buffer", "index", "v"), "exact", zero=("index",))

# math: Python floats in, Python floats out.
for _name in ("sin", "cos", "tan", "exp", "log1p", "expm1", "sqrt", "tanh", "sinh", "cosh",
              "atan", "asin", "acos", "log2", "log10", "fabs", "erf", "erfc", "asinh", "acosh",
              "atanh", "degrees", "radians", "exp2", "cbrt"):
    if hasattr(math, _name):  # (exp2 and cbrt: Python 3.11)
        add(f"math.{_name}", getattr(math, _name), barrier=True)
add("math.log", math.log, ("x", "base"), barrier=True)  # one- or two-argument form
add("math.atan2", math.atan2, ("y", "x"), "broadcast", barrier=True)
add("math.hypot", math.hypot, ("x", "y"), "broadcast", barrier=True)  # (more: pairwise, calls.py)
add("math.fmod", math.fmod, ("x", "y"), "broadcast", barrier=True)
# cmath: numbers in, a Python complex out (of a real number too: cmath.sqrt(-1.0) is 1j)
for _name in ("exp", "sqrt", "sin", "cos", "tan", "sinh", "cosh", "tanh", "log10"):
    add(f"cmath.{_name}", getattr(cmath, _name), barrier=True)
add("cmath.log", cmath.log, ("x", "base"), barrier=True)  # one- or two-argument form
add("cmath.phase", cmath.phase, barrier=True)  # a float (cmath.polar: abs and phase, calls.py)
for _name in ("gamma", "lgamma"):  # (their derivatives: polygamma, which math lacks)
    add(f"math.{_name}", getattr(math, _name), barrier=True)
add("polygamma", numerics.polygamma, ("n", "x"), "broadcast", zero=("n",), barrier=True)
for _name in ("floor", "ceil", "trunc", "isnan", "isinf", "isfinite"):
    add(f"math.{_name}", getattr(math, _name), kind="nondiff", zero="*")
add("math.isclose", math.isclose, ("a", "b"), "nondiff", rel_tol=1e-09, abs_tol=0.0, zero="*")

# Builtins.
add("abs", builtins.abs)
add("max", builtins.max, ("x", "y"), "broadcast", barrier=True)
add("min", builtins.min, ("x", "y"), "broadcast", barrier=True)
add("float", builtins.float, barrier=True)
add("int", builtins.int, kind="nondiff", zero="*")
add("bool", builtins.bool, kind="nondiff", zero="*")
add("len", builtins.len, kind="nondiff", zero="*")
add("round", builtins.round, ("x", "ndigits"), "nondiff", zero="*")

# NumPy elementwise.
for _name in ("exp", "log", "sin", "cos", "tan", "tanh", "sqrt", "square", "abs", "sinh", "cosh",
              "arcsin", "arccos", "arctan", "arcsinh", "arctanh", "log1p", "expm1", "log2",
              "log10", "cbrt", "reciprocal", "exp2", "fabs", "arccosh", "deg2rad", "rad2deg",
              "radians", "degrees", "sinc", "nan_to_num"):
    add(f"np.{_name}", getattr(np, _name), objects=(np.absolute,) if _name == "abs" else ())
# Complex numbers: the real part and the conjugate (real-linear, not holomorphic); `conj` is the
# helper derivative code calls, which costs nothing on real values.
add("np.real", np.real, kind="exact")
add("np.conj", np.conj, kind="exact", objects=(np.conjugate,))
add("conj", runtime.conj, kind="exact")
add("real_part", runtime.real_part, kind="exact")
add("phase", runtime.phase)  # np.sign, or z / |z| of a complex z (abs's rule)
add("phase_jvp", runtime.phase_jvp, ("v", "x", "w"), "exact")  # (abs's second derivatives;
add("phase_vjp", runtime.phase_vjp, ("v", "x", "w"), "exact")  # of complex values, no third)
add("real_phase_zero", runtime.real_phase_zero, kind="nondiff", zero="*")
add("np.imag", np.imag, kind="exact")
add("np.angle", np.angle, kind="exact")
add("real", lambda x: x.real, kind="exact", form="attr")  # x.real, x.imag
add("imag", lambda x: x.imag, kind="exact", form="attr")
add("np.maximum", np.maximum, ("x", "y"), "broadcast")
add("np.minimum", np.minimum, ("x", "y"), "broadcast")
add("np.arctan2", np.arctan2, ("y", "x"), "broadcast")
add("np.hypot", np.hypot, ("x", "y"), "broadcast")
add("np.logaddexp", np.logaddexp, ("x", "y"), "broadcast")
add("np.logaddexp2", np.logaddexp2, ("x", "y"), "broadcast")
add("np.fmax", np.fmax, ("x", "y"), "broadcast")
add("np.fmin", np.fmin, ("x", "y"), "broadcast")
add("np.clip", np.clip, ("x", "a_min", "a_max"), "broadcast")
OPTIONAL["np.clip"] = {"a_min": None, "a_max": None}
add("np.where", np.where, ("condition", "x", "y"), "broadcast")
for _name in ("sign", "floor", "ceil", "isnan", "isinf", "isfinite", "greater", "less",
              "greater_equal", "less_equal", "equal", "not_equal", "logical_and", "logical_or",
              "logical_not"):
    add(f"np.{_name}", getattr(np, _name), ("x", "y") if _name in _TWO_OPERANDS else ("x",),
        "nondiff", zero="*")
# np.heaviside(x, h0) is h0 where x == 0: a derivative in h0 there (rules.py), zero in x
add("np.heaviside", np.heaviside, ("x", "y"), "broadcast", zero=("x",))
add("np.round", np.round, kind="nondiff", decimals=0, objects=(np.around,), zero="*")
for _name in ("argmax", "argmin"):
    add(f"np.{_name}", getattr(np, _name), kind="nondiff", axis=None, keepdims=False, zero="*")
add("np.argsort", np.argsort, kind="nondiff", axis=-1, zero="*")
PRIMS["np.argsort"].options.update(kind=None, stable=None)  # (the algorithm: add's kind is ours)
for _name in ("all", "any"):
    add(f"np.{_name}", getattr(np, _name), kind="nondiff", axis=None, keepdims=False, zero="*")

PRIMS["np.nan_to_num"].options = {"nan": 0.0, "posinf": None, "neginf": None}

# NumPy reductions (axis, keepdims as in NumPy). np.max routes the gradient to the maximum and
# splits it evenly among ties.
for _name in ("sum", "mean", "prod"):
    add(f"np.{_name}", getattr(np, _name), kind="exact", axis=None, keepdims=False)
add("np.max", np.max, kind="exact", axis=None, keepdims=False, objects=(np.amax,))
add("np.min", np.min, kind="exact", axis=None, keepdims=False, objects=(np.amin,))
# the NaN-ignoring reductions: a NaN entry gets no gradient
for _name in ("nansum", "nanmean", "nanmax", "nanmin"):
    add(f"np.{_name}", getattr(np, _name), kind="exact", axis=None, keepdims=False)
add("np.var", np.var, kind="exact", axis=None, ddof=0, keepdims=False)
add("np.std", np.std, kind="exact", axis=None, ddof=0, keepdims=False)
add("np.cumsum", np.cumsum, kind="exact", axis=None)
add("np.linalg.norm", np.linalg.norm, kind="exact", ord=None, axis=None, keepdims=False)

# Products and linear algebra.
add("np.dot", np.dot, ("x", "y"), "exact")
add("np.outer", np.outer, ("x", "y"), "exact")
add("np.inner", np.inner, ("x", "y"), "exact")
add("np.tensordot", np.tensordot, ("x", "y"), "exact", axes=2)
add("np.einsum", np.einsum, ("subscripts", "*operands"), "exact", optimize=False)
add("np.trace", np.trace, kind="exact", offset=0, axis1=0, axis2=1)
add("np.linalg.inv", np.linalg.inv, kind="exact")
add("np.linalg.solve", np.linalg.solve, ("a", "b"), "exact")
add("np.linalg.det", np.linalg.det, kind="exact")
add("np.linalg.slogdet", np.linalg.slogdet, kind="exact")
add("np.linalg.cholesky", np.linalg.cholesky, kind="exact")
add("np.linalg.eigh", np.linalg.eigh, kind="exact", UPLO="L")
add("np.linalg.eigvalsh", np.linalg.eigvalsh, kind="exact", UPLO="L")
add("np.linalg.eig", np.linalg.eig, kind="exact")
add("np.linalg.eigvals", np.linalg.eigvals, kind="exact")
add("np.linalg.lstsq", np.linalg.lstsq, ("a", "b"), "exact", rcond=None)
add("np.linalg.svd", np.linalg.svd, kind="exact", full_matrices=True, compute_uv=True,
    hermitian=False)  # (hermitian: another SVD of the same matrix, by eigh)
add("np.linalg.qr", np.linalg.qr, kind="exact", mode="reduced")
add("np.linalg.pinv", np.linalg.pinv, kind="exact", rcond=None, hermitian=False)
add("np.linalg.matrix_power", np.linalg.matrix_power, ("x", "n"), "exact")
add("np.linalg.multi_dot", np.linalg.multi_dot, ("*xs",), "exact", form="seq")
add("np.convolve", np.convolve, ("x", "y"), "exact", mode="full")
add("np.correlate", np.correlate, ("x", "y"), "exact", mode="valid")
add("np.lib.stride_tricks.sliding_window_view", np.lib.stride_tricks.sliding_window_view,
    ("x", "window_shape"), "exact", axis=None, subok=False, writeable=False,
    zero=("window_shape",))
add("np.linalg.matrix_rank", np.linalg.matrix_rank, kind="nondiff", zero="*")
# helpers of their rules: linear, except inv_offdiag (1 / d off the diagonal) and over_gaps
for _name in ("sym", "phi", "skew_lower", "gaps", "diag_embed"):
    add(_name, getattr(runtime_linalg, _name), kind="exact")
add("inv_offdiag", runtime_linalg.inv_offdiag)
add("norm_divisor", runtime_linalg.norm_divisor)  # a norm, 1 where it is 0 (its rules divide)
add("norm_slope", runtime_linalg.norm_slope, kind="nondiff", zero="*")  # its derivative
add("over_gaps", runtime_linalg.over_gaps, ("m", "d"), "exact")
add("cofactor", runtime_linalg.cofactor, ("x", "d"), "exact")
add("square_r", runtime_linalg.square_r, kind="exact")
add("inner_axes", runtime_linalg.inner_axes, ("x", "y"), "nondiff", zero="*")
add("three_vectors", runtime_linalg.three_vectors, ("v", "x", "y"), "exact", zero=("x", "y"))
add("as3", runtime_linalg.as3, ("v",), "exact")
add("from3", runtime_linalg.from3, ("v", "x"), "exact", zero=("x",))
for _name in ("lift3", "drop3"):
    add(_name, getattr(runtime_linalg, _name), ("v", "x", "y"), "exact", zero=("x", "y"))
add("svd_reduced", runtime_linalg.svd_reduced, ("x", "s"), "exact", zero=("s",))
add("beyond_span", runtime_linalg.beyond_span, ("r", "d", "q"), "exact", zero=("q",))
add("column_of", runtime_linalg.column_of, ("v", "b"), "exact", zero=("b",))
add("uncolumn", runtime_linalg.uncolumn, ("v", "b"), "exact", zero=("b",))
add("real_matrix", runtime.real_matrix, kind="exact")
add("real_like", runtime_linalg.real_like, ("v", "x"), "exact", zero=("x",))
add("distinct_eig", runtime_linalg.distinct_eig, ("v", "w"), "exact", zero=("w",))
add("eig_pivots", runtime_linalg.eig_pivots, kind="nondiff", zero="*")
add("slogdet_tangent", runtime_linalg.slogdet_tangent, ("s", "tr"), "exact")
add("full_rank", runtime_linalg.full_rank, ("v", "rank", "a", "x"), "exact",
    zero=("rank", "a", "x"))
add("fit_residuals", runtime_linalg.fit_residuals, ("v", "res"), "exact", zero=("res",))
add("unfit_residuals", runtime_linalg.unfit_residuals, ("v", "x"), "exact", zero=("x",))

# Shapes. Sequence primitives (form "seq") take their operands as one tuple: np.stack((a, b)).
add("np.transpose", np.transpose, kind="exact", axes=None)
add("np.reshape", np.reshape, ("x", "shape"), "exact")
add("np.ravel", np.ravel, kind="exact")
add("np.squeeze", np.squeeze, kind="exact", axis=None)
add("np.expand_dims", np.expand_dims, ("x", "axis"), "exact")
add("np.swapaxes", np.swapaxes, ("x", "axis1", "axis2"), "exact")
add("np.moveaxis", np.moveaxis, ("x", "source", "destination"), "exact")
add("np.flip", np.flip, kind="exact", axis=None)
add("np.broadcast_to", np.broadcast_to, ("x", "shape"), "exact")
add("np.tile", np.tile, ("x", "reps"), "exact")
add("np.repeat", np.repeat, ("x", "repeats"), "exact", axis=None)
add("np.split", np.split, ("x", "indices_or_sections"), "exact", axis=0)
add("np.copy", np.copy, kind="exact", order="K")
add("np.concatenate", np.concatenate, ("*xs",), "exact", form="seq", axis=0)
add("np.stack", np.stack, ("*xs",), "exact", form="seq", axis=0)
add("np.hstack", np.hstack, ("*xs",), "exact", form="seq")
add("np.vstack", np.vstack, ("*xs",), "exact", form="seq")
add("np.array", np.array, ("*xs",), "exact", form="seq", dtype=None)
# np.asarray and its kin keep the values (rules_conversions.py): of a list or tuple written out in
# the function they lower to np.array (np.asarray([a, b]) is np.array([a, b])), of anything else
# to themselves
AS_ARRAY = frozenset({"np.asarray", "np.asanyarray", "np.ascontiguousarray", "np.asfortranarray",
                      "np.asarray_chkfinite"})
for _name in ("shape", "ndim", "size"):
    add(f"np.{_name}", getattr(np, _name), kind="nondiff", zero="*")
# Rearrangements: linear in x, each reverse rule is the rearrangement undone.
add("np.roll", np.roll, ("x", "shift"), "exact", axis=None)
add("np.diag", np.diag, kind="exact", k=0)
add("np.diagonal", np.diagonal, kind="exact", offset=0, axis1=0, axis2=1)
add("np.triu", np.triu, kind="exact", k=0)
add("np.tril", np.tril, kind="exact", k=0)
add("np.flipud", np.flipud, kind="exact")
add("np.fliplr", np.fliplr, kind="exact")
add("np.rot90", np.rot90, kind="exact", k=1, axes=(0, 1))
add("np.rollaxis", np.rollaxis, ("x", "axis"), "exact", start=0, zero=("start",))
for _name in ("atleast_1d", "atleast_2d", "atleast_3d"):
    add(f"np.{_name}", getattr(np, _name), kind="exact")
# np.pad in mode "constant" (with a constant fill) or a mode that copies entries of x
add("np.pad", np.pad, ("x", "pad_width"), "exact", mode="constant", constant_values=0)
add("np.append", np.append, ("x", "y"), "exact", axis=None)
add("np.kron", np.kron, ("x", "y"), "exact")
add("np.array_split", np.array_split, ("x", "indices_or_sections"), "exact", axis=0)
for _name in ("hsplit", "vsplit", "dsplit"):
    add(f"np.{_name}", getattr(np, _name), ("x", "indices_or_sections"), "exact")
add("np.column_stack", np.column_stack, ("*xs",), "exact", form="seq")
add("np.dstack", np.dstack, ("*xs",), "exact", form="seq")
BY_OBJECT.setdefault(getattr(np, "row_stack", np.vstack), "np.vstack")
add("np.take", np.take, ("x", "indices"), "exact", axis=None)
add("take_indices", runtime_arrays.take_indices, ("indices", "x", "axis", "mode"), "nondiff",
    zero="*")
add("np.take_along_axis", np.take_along_axis, ("x", "indices", "axis"), "exact")
add("np.diff", np.diff, kind="exact", n=1, axis=-1)
add("np.cumprod", np.cumprod, kind="exact", axis=None)
add("np.gradient", np.gradient, ("x", "*spacing"), "exact", axis=None, edge_order=1)
add("np.average", np.average, kind="exact", axis=None, weights=None, keepdims=False)
add("np.sort", np.sort, kind="exact", axis=-1)
PRIMS["np.sort"].options.update(kind=None, stable=None)  # (the algorithm: the same values;
#                                                         add's kind is ours)
add("np.partition", np.partition, ("x", "kth"), "exact", axis=-1)
add("np.argpartition", np.argpartition, ("x", "kth"), "nondiff", axis=-1, zero="*")
# integer and boolean results: counts, bins and indices (a tuple of index arrays for
# W[np.tril_indices(3)])
add("np.searchsorted", np.searchsorted, ("a", "v"), "nondiff", side="left", sorter=None, zero="*")
add("np.count_nonzero", np.count_nonzero, kind="nondiff", axis=None, keepdims=False, zero="*")
add("np.digitize", np.digitize, ("x", "bins"), "nondiff", right=False, zero="*")
for _name in ("tril_indices", "triu_indices"):
    add(f"np.{_name}", getattr(np, _name), ("n",), "nondiff", k=0, m=None, zero="*")
add("np.diag_indices", np.diag_indices, ("n",), "nondiff", ndim=2, zero="*")
add("np.indices", np.indices, ("dimensions",), "nondiff", dtype=int, sparse=False, zero="*")
add("np.cross", np.cross, ("x", "y"), "exact")
# np.float_power is x ** y computed in float64 (pow's rules); np.vdot flattens and conjugates x
add("np.float_power", np.float_power, ("x", "y"), "broadcast", zero=("x", "y"))
add("np.vdot", np.vdot, ("x", "y"), "exact")
add("np.ptp", np.ptp, kind="exact", axis=None, keepdims=False)  # max minus min
add("np.diagflat", np.diagflat, kind="exact", k=0)
add("np.select", np.select, ("condlist", "choicelist", "default"), "exact", zero=("condlist",))
# x.astype(dtype): a cast, with a derivative to a floating or complex dtype only
add("astype", runtime_arrays.astype, ("x", "dtype"), "exact")

# Array creation. Shapes and dtypes have no derivative; the values may: np.full and np.full_like
# are linear in fill_value, np.linspace in start and stop (rules.py). np.arange(start, stop, step)
# is start + k * step, whose count jumps with stop: a differentiated value there is refused.
for _name in ("zeros", "ones", "empty"):
    add(f"np.{_name}", getattr(np, _name), ("shape",), "nondiff", dtype=float, zero="*")
add("np.full", np.full, ("shape", "fill_value"), "exact", dtype=None)
for _name in ("zeros_like", "ones_like", "empty_like"):
    add(f"np.{_name}", getattr(np, _name), kind="nondiff", dtype=None, shape=None, zero="*")
add("np.full_like", np.full_like, ("x", "fill_value"), "exact", dtype=None, zero=("x",))
add("np.eye", np.eye, ("N",), "nondiff", M=None, k=0, dtype=float, like=None,
    zero="*")
add("np.identity", np.identity, ("n",), "nondiff", dtype=float, zero="*")
add("np.arange", np.arange, ("start",), "nondiff", stop=None, step=None, dtype=None)
add("np.linspace", np.linspace, ("start", "stop"), "exact", num=50, endpoint=True)

# The stable primitives this package ships.
for _name in ("sigmoid", "softplus", "log_sigmoid", "relu"):
    add(_name, getattr(numerics, _name))
add("logsumexp", numerics.logsumexp, kind="exact", axis=None, keepdims=False)
add("max_shift", numerics.max_shift, kind="nondiff", zero="*", axis=None,  # (its stabilizer)
    keepdims=True)
add("softmax", numerics.softmax, kind="exact", axis=-1)
add("log_softmax", numerics.log_softmax, kind="exact", axis=-1)
add("stop_gradient", numerics.stop_gradient, kind="nondiff", zero="*")
# SciPy's spellings, when SciPy is installed; its softmax and log_softmax default to axis=None.
OBJECT_OPTIONS: dict = {}  # object -> options it implies when the caller does not give them
# a distribution's base class -> the class of the frozen objects calling one makes (stats.norm(mu,
# s), whose methods call the distribution's with the arguments stored: rules_scipy.py)
FROZEN: dict[type, type] = {}
# primitive or object -> NumPy's order of the parameters after its operands (rules_ufuncs.py)
POSITIONAL: dict[object, tuple] = {}
try:
    import scipy.special as _special
except ImportError:  # SciPy is optional
    _special = None
scipy_rules_wanted = _special is not None  # the package registers rules_scipy then
if _special is not None:
    for _name, _obj in [("sigmoid", "expit"), ("log_sigmoid", "log_expit"),
                        ("logsumexp", "logsumexp"), ("softmax", "softmax"),
                        ("log_softmax", "log_softmax")]:
        if hasattr(_special, _obj):
            BY_OBJECT.setdefault(getattr(_special, _obj), _name)
    OBJECT_OPTIONS[_special.softmax] = OBJECT_OPTIONS[_special.log_softmax] = {"axis": None}

# Helpers that derivative code calls. Their operands are named for the rule templates: `v` is the
# gradient or tangent they are applied to. The third entry names the operands that only give a
# shape (`x` of unbroadcast(v, x)): differentiating derivative code again, they have no derivative.
for _name, _params, _zero in [
        ("unbroadcast", ("v", "x"), ("x",)), ("expand_to", ("v", "x"), ("x",)),
        ("unreduce", ("v", "x", "axis", "keepdims"), ("x",)),
        ("matmul_grad_left", ("v", "x", "y"), ("x",)),
        ("matmul_grad_right", ("v", "x", "y"), ("y",)),
        ("dot_grad_left", ("v", "x", "y"), ("x",)), ("dot_grad_right", ("v", "x", "y"), ("y",)),
        ("tensordot_grad_left", ("v", "x", "y", "axes"), ("x",)),
        ("tensordot_grad_right", ("v", "x", "y", "axes"), ("y",)),
        ("getitem_grad", ("v", "x", "index"), ("x", "index")), ("mT", ("x",), ()),
        ("cumsum_grad", ("v", "x", "axis"), ("x",)), ("untile", ("v", "x", "reps"), ("x",)),
        ("unrepeat", ("v", "x", "repeats", "axis"), ("x",)),
        ("trace_grad", ("v", "x", "offset", "axis1", "axis2"), ("x",)),
        ("norm_grad", ("v", "x", "ans", "ord", "axis", "keepdims"), ()),
        ("hstack_part", ("v", "i", "*xs"), ("i", "*xs")),
        ("vstack_part", ("v", "i", "*xs"), ("i", "*xs")),
        ("unsplit", ("v", "axis"), ()), ("split_like", ("v", "pieces", "axis"), ("pieces",)),
        ("unroll", ("v", "shift", "axis"), ()), ("diag_grad", ("v", "x", "k"), ("x",)),
        ("diagonal_grad", ("v", "x", "offset", "axis1", "axis2"), ("x",)),
        ("unrollaxis", ("v", "axis", "start"), ("start",)), ("untranspose", ("v", "axes"), ()),
        ("unpad", ("v", "x", "pad_width", "mode"), ("x",)),
        ("padding", ("v", "x", "pad_width"), ("x",)),
        ("padding_grad", ("v", "c", "x", "pad_width"), ("c", "x")),
        ("kron_grad_left", ("v", "x", "y"), ("x",)), ("kron_grad_right", ("v", "x", "y"), ("y",)),
        ("column_stack_part", ("v", "i", "*xs"), ("i", "*xs")),
        ("dstack_part", ("v", "i", "*xs"), ("i", "*xs")),
        ("take_grad", ("v", "x", "indices", "axis"), ("x",)),
        ("take_along_axis_grad", ("v", "x", "indices", "axis"), ("x",)),
        ("diff_grad", ("v", "n", "axis"), ()),
        ("average_grad", ("v", "x", "axis", "weights", "keepdims"), ("x", "weights")),
        ("select_grad", ("v", "condlist", "choicelist"), ("condlist", "choicelist")),
        ("stack_grad", ("v", "xs", "axis"), ("xs",)), ("restack", ("v", "xs", "axis"), ("xs",)),
        ("imag_grad", ("v", "x"), ("x",)),
        ("convolve_grad_left", ("v", "x", "y", "mode"), ("x",)),
        ("convolve_grad_right", ("v", "x", "y", "mode"), ("y",)),
        ("correlate_full", ("v", "x", "y", "mode"), ("x", "y")),
        ("sliding_window_grad", ("v", "x", "window_shape", "axis"), ("x", "window_shape")),
        ("correlate_crop", ("v", "x", "y", "mode"), ("x", "y")),
        ("gradient_grad", ("v", "x", "axis", "edge_order", "*spacing"), ("x",)),  # (spacing: no)
        ("spacing_grad", ("v", "ans", "h"), ()),  # (ans, h: refused when differentiated again)
        ("spacing_jvp", ("v", "ans", "h"), ()),
        ("concatenate_grad", ("v", "xs", "axis"), ("xs",)),
        ("hstack_grad", ("v", "xs"), ("xs",)), ("vstack_grad", ("v", "xs"), ("xs",)),
        ("column_stack_grad", ("v", "xs"), ("xs",)), ("dstack_grad", ("v", "xs"), ("xs",))]:
    add(_name, getattr(runtime, _name, None) or getattr(runtime_arrays, _name, None) or
        getattr(runtime_signal, _name, None) or getattr(runtime_linalg, _name), _params, "exact",
        zero=_zero)
# a loop's per-step matrix gradients as one product (batch.py): only in code that runs, never
# differentiated again (no rules: differentiating one is refused)
add("matmul_steps_left", runtime_arrays.matmul_steps_left, ("steps", "x"), "exact")
add("matmul_steps_right", runtime_arrays.matmul_steps_right, ("steps", "y"), "exact")
add("dsinc", runtime_arrays.dsinc)  # the derivatives of np.sinc
add("d2sinc", runtime_arrays.d2sinc)
add("sinc_derivative", runtime_arrays.sinc_derivative, ("n", "x"), "broadcast")
add("concatenate_part", runtime.concatenate_part, ("v", "i", "*xs"), "exact", axis=0,
    zero=("i", "*xs"))
# where x attains its maximum: piecewise constant
add("max_weights", runtime.max_weights, ("x", "ans", "axis", "keepdims"), "nondiff", zero="*")
add("prod_others", runtime_arrays.prod_others, ("x", "axis"), "exact")
add("prod_others_tangent", runtime_arrays.prod_others_tangent, ("x", "v", "axis"), "exact")
add("prod_others_tangents", runtime_arrays.prod_others_tangents, ("x", "axis", "*vs"), "exact")
add("cumprod_jvp", runtime_arrays.cumprod_jvp, ("x", "axis", "*vs"), "exact")  # (np.cumprod's,
add("cumprod_vjp", runtime_arrays.cumprod_vjp, ("v", "x", "axis", "*ts"), "exact")  # exact at 0)
# the partial derivatives of x ** y, safe where x == 0 or y == 0
add("times_pow", runtime_arrays.times_pow, ("t", "x", "e"), "broadcast")
add("pow_dy", runtime.pow_dy, ("a", "x"), "broadcast")
add("recip_or_zero", runtime_arrays.recip_or_zero)  # (1 / x, 0 at 0: pow_dy's derivative)
add("gap", runtime_arrays.gap, ("x", "y"), "broadcast")  # (x - y, 0 where x == y: logaddexp's)
add("xdivy", runtime_arrays.xdivy, ("x", "y"), "broadcast")  # (x / y, 0 where x == 0: xlogy's)
add("check_scalar", runtime.check_scalar, ("out", "*inputs"), "nondiff", zero="*")
add("check_numbers", runtime.check_numbers, ("*values",), "nondiff", zero="*")
add("check_fits", runtime_arrays.check_fits, ("x", "out", "name"), "nondiff", zero="*")
add("changed_in_place", runtime.changed_in_place, ("x",), "nondiff", zero="*")
add("check_not_in_place", runtime.check_not_in_place,
    ("x", "method", "where", "name", "others", "*values"), "nondiff", zero="*")
add("check_item_not_changed", runtime_arrays.check_item_not_changed,
    ("x", "method", "where", "name", "others", "advice", "*values"), "nondiff", zero="*")
add("check_unpacked", runtime.check_unpacked,
    ("x", "method", "where", "name", "others", "*values"), "nondiff", zero="*")
add("check_item_not_in_place", runtime.check_item_not_in_place,
    ("xs", "index", "method", "where", "name", "others", "*values"), "nondiff", zero="*")
add("check_view_index", runtime.check_view_index, ("index", "where", "item"), "nondiff",
    zero="*")
add("check_not_count", runtime_arrays.check_not_count, ("n", "where"), "nondiff", zero="*")
add("zeros_like", runtime.zeros_like, kind="nondiff", zero="*")
add("abs_vjp", runtime_arrays.abs_vjp, ("v", "x"), "exact")  # abs's reverse rule
add("sign", runtime.sign)  # the derivative of abs (conj(z / |z|) of a complex z turns with z)
add("sign_jvp", runtime_arrays.sign_jvp, ("v", "x", "w"), "exact")  # (its derivatives: 0 for
add("sign_vjp", runtime_arrays.sign_vjp, ("v", "x", "w"), "exact")  # a real x)
add("real_sign", runtime_arrays.real_sign, kind="nondiff", zero="*")  # np.sign(x) of an x
# differentiated, checked to be real (analysis.real_only)
# math.copysign(x, y) is |x| with y's sign: a derivative in x (rules.py), zero in y
add("math.copysign", math.copysign, ("x", "y"), "broadcast", barrier=True, zero=("y",))
# math.pow(x, y) is not x ** y: a Python float of the operands as floats (a NumPy float16 too)
add("math.pow", math.pow, ("x", "y"), "broadcast", zero=("x", "y"))

# Methods on arrays, lowered to the function form: x.sum(axis=0) is np.sum(x, axis=0).
METHODS = {name: f"np.{name}" for name in (
    "sum", "mean", "prod", "max", "min", "var", "std", "cumsum", "dot", "reshape", "transpose",
    "ravel", "squeeze", "swapaxes", "clip", "repeat", "trace", "argmax", "argmin", "all", "any",
    "round", "copy", "diagonal", "take", "cumprod", "argsort", "nonzero", "searchsorted")}
METHODS["astype"] = "astype"
METHODS["flatten"] = "flatten"  # np.ravel's values, but a copy, never a view
add("flatten", lambda x: np.ravel(x).copy(), kind="exact", form="method")
METHODS["conj"] = "conjugate"  # (x itself for a real x, as x.conjugate(): not np.conj)
METHODS["conjugate"] = "conjugate"  # x.conjugate() as written: a Python float stays a float
add("conjugate", lambda x: x.conjugate(), kind="exact", form="method")
METHODS["view"] = "view"  # a.view(): a new array of a's values (a view: written through, refused)
add("view", lambda x: x.view(), kind="exact", form="method")
METHODS["item"] = "item"  # (rules_arrays.py)
# Attributes of arrays that are primitives of their own.
ATTRIBUTES = {"T", "shape", "ndim", "size", "dtype", "real", "imag"}
# the fields of the named tuples NumPy 2's linalg returns (SlogdetResult, EighResult, EigResult,
# SVDResult, QRResult): `np.linalg.slogdet(a).logabsdet` reads item 1, checked a field there
RESULT_FIELDS = {"sign": 0, "logabsdet": 1, "eigenvalues": 0, "eigenvectors": 1, "U": 0, "S": 1,
                 "Vh": 2, "Q": 0, "R": 1}

# Lists a loop builds with append: `vals = vals + [v]` (a new list, so the tape can keep the old).
add("make_list", lambda *xs: list(xs), ("*xs",), "exact", form="listlit")
add("list_append", lambda xs, v: xs + [v], ("xs", "v"), "exact", form="listappend")
add("list_sum", builtins.sum, ("xs", "start"), "exact", form="call")  # (start: optional)
PRIMS["list_sum"].name = "sum"
add("math.fsum", math.fsum, ("xs",), "exact", barrier=True)  # sum, exactly rounded: a float
add("sorted_order", runtime_arrays.sorted_order, ("xs", "reverse"), "nondiff", zero="*")
add("best_place", runtime_arrays.best_place, ("xs", "largest"), "nondiff", zero="*")
add("list_max", builtins.max, ("xs",), "exact", form="call")  # max(xs) of a list built at run time
PRIMS["list_max"].name = "max"
add("list_min", builtins.min, ("xs",), "exact", form="call")
PRIMS["list_min"].name = "min"
add("index_of", runtime.index_of, ("xs", "x"), "nondiff", zero="*")  # where max(xs) was found
add("list_add", runtime.list_add, ("x", "y"), "exact")
# Lists joined or repeated at run time (`a + b`, `a * 2` of lists a loop builds: rewrite.py):
# printed as the operator, their rules split a gradient by each operand's length.
add("list_concat", operator.add, ("x", "y"), "exact", form="binop", op=ast.Add)
add("list_repeat", operator.mul, ("xs", "n"), "exact", form="binop", op=ast.Mult, zero=("n",))
add("list_join", runtime_arrays.list_join, ("x", "y"), "exact")  # (their tangents, joined)
add("list_unrepeat", runtime_arrays.list_unrepeat, ("v", "xs", "n"), "exact", zero=("xs", "n"))
# list(xs), tuple(xs), xs.copy() of a list built at run time: a new list (or tuple) of its items
add("list_copy", builtins.list, ("x",), "exact", form="call")
PRIMS["list_copy"].name = "list"
add("tuple_copy", builtins.tuple, ("x",), "exact", form="call")
PRIMS["tuple_copy"].name = "tuple"
# list(a), tuple(a) of an array: its rows (of a list, its items), printed as written
add("rows_list", builtins.list, ("x",), "exact", form="call")
PRIMS["rows_list"].name = "list"
add("rows_tuple", builtins.tuple, ("x",), "exact", form="call")
PRIMS["rows_tuple"].name = "tuple"
add("check_sortable", runtime_arrays.check_sortable, ("x",), "nondiff", zero="*")
add("check_list_sort", runtime_arrays.check_list_sort, ("x",), "nondiff", zero="*")
add("rows_grad", runtime_arrays.rows_grad, ("g", "x"), "exact", zero=("x",))
add("sum_grad", runtime.sum_grad, ("v", "xs"), "exact", zero=("xs",))
add("in_dtype_of", runtime.in_dtype_of, ("v", "x"), "unary", zero=("x",))
# the number of entries, read from the shape (np.size would compute a Dask array to count them)
add("size_of", runtime.size_of, kind="nondiff", zero="*")
add("own", runtime.own, ("x",), "exact")  # (a copy of a result that may be another's array)
add("add_fitted", runtime.add_fitted, ("x", "*xs"), "exact", zero=("x",))
# np.stack and friends of a list that is not written out ([a, b]) but built by a loop or passed
# in: one operand, the list (lower.py); they print as the NumPy call they are.
for _name, _fn, _options in [("stack", np.stack, {"axis": 0}),
                             ("concatenate", np.concatenate, {"axis": 0}),
                             ("hstack", np.hstack, {}), ("vstack", np.vstack, {}),
                             ("column_stack", np.column_stack, {}), ("dstack", np.dstack, {}),
                             ("array", np.array, {"dtype": None})]:
    add(f"{_name}_list", _fn, ("xs",), "exact", form="call", **_options)
    PRIMS[f"{_name}_list"].name = f"np.{_name}"
# Random draws: constants with respect to the inputs, drawn anew at each call (in the forward
# sweep, where the function draws them), never merged or dropped by the optimizer (EFFECTS).
for _name in ("randn", "rand"):
    add(f"np.random.{_name}", getattr(np.random, _name), ("*shape",), "nondiff", zero="*")
# rand(*shape) of a shape known only at run time: the shape passed whole, spread where it is
# drawn (`np.random.rand(*s0)`; random_sample(shape) would draw the same numbers, but a 0-d array
# for shape (), where NumPy's rand() gives a float).
SPREAD_DRAWS = {}  # {np.random.rand: the function of the whole shape that lowering calls}
for _name in ("randn", "rand"):
    SPREAD_DRAWS[getattr(np.random, _name)] = _spread(getattr(np.random, _name))
    add(f"np.random.{_name}_spread", SPREAD_DRAWS[getattr(np.random, _name)], ("shape",),
        "nondiff", form="spread", objects=(SPREAD_DRAWS[getattr(np.random, _name)],), zero="*")
    PRIMS[f"np.random.{_name}_spread"].name = f"np.random.{_name}"
for _name in ("standard_normal", "random", "random_sample"):
    add(f"np.random.{_name}", getattr(np.random, _name), (), "nondiff", zero="*", size=None)
# A RandomState's own (rs = np.random.RandomState(seed)): rs.rand(2, 3), rs.randn(*x.shape) (its
# shape passed whole, spread where it is drawn: `rs.rand(*s0)`), rs.random_sample(size),
# rs.randint(low, high, size); its other draws are the Generator's (rs.normal, rs.uniform, ...)
METHOD_WHOLE_SHAPE = {}  # {"rand": the function of (rs, the whole shape) that lowering calls}
for _name in ("randn", "rand"):
    add(f"RandomState.{_name}", getattr(np.random.RandomState, _name), ("rng", "*shape"),
        "nondiff", form="method", zero="*")
    METHOD_WHOLE_SHAPE[_name] = _spread_method(_name)
    add(f"RandomState.{_name}_spread", METHOD_WHOLE_SHAPE[_name], ("rng", "shape"), "nondiff",
        form="spread_method", objects=(METHOD_WHOLE_SHAPE[_name],), zero="*")
    PRIMS[f"RandomState.{_name}_spread"].name = f"RandomState.{_name}"
add("RandomState.random_sample", np.random.RandomState.random_sample, ("rng",), "nondiff",
    form="method", zero="*", size=None)
add("RandomState.randint", np.random.RandomState.randint, ("rng", "low"), "nondiff",
    form="method", zero="*", high=None, size=None, dtype=int)
# A Generator (rng = np.random.default_rng(seed), passed in or made inside f) draws the same
# way: its methods, printed as they are called (rng.normal(0.0, 2.0, size=3)). Making a Generator
# is kept in place too (two made from one seed are two streams, never merged into one).
add("np.random.default_rng", np.random.default_rng, ("seed",), "nondiff", zero="*")
for _name, _options in [("standard_normal", {"size": None, "dtype": np.float64}),
                        ("random", {"size": None, "dtype": np.float64})]:
    add(f"Generator.{_name}", getattr(np.random.Generator, _name), ("rng",), "nondiff",
        form="method", zero=("rng", "size"), **_options)
# Draws that NumPy makes from one standard draw per element by a formula in their parameters
# (normal: loc + scale * z, lognormal: exp(mean + sigma * z), exponential: scale * e, uniform:
# low + (high - low) * u; the Generator's and the legacy functions' alike): differentiable in
# them for a fixed stream, by rules that read the standard draws (rules_stats.py, pathwise.py).
# Their parameters are operands, defaulted as NumPy defaults them.
PATHWISE = {"normal": {"loc": 0.0, "scale": 1.0}, "lognormal": {"mean": 0.0, "sigma": 1.0},
            "exponential": {"scale": 1.0}, "uniform": {"low": 0.0, "high": 1.0}}
# Their option `drawn` names the standard draws (pathwise.py), for the rules: hidden, an option
# the derivative reads and the call does not take (HIDDEN, never printed).
for _name, _params in PATHWISE.items():
    add(f"Generator.{_name}", getattr(np.random.Generator, _name), ("rng", *_params), "exact",
        form="method", zero=("rng", "size", "drawn"), size=None, drawn=None)
    add(f"np.random.{_name}", getattr(np.random, _name), tuple(_params), "exact",
        zero=("size", "drawn"), size=None, drawn=None)
    OPTIONAL[f"Generator.{_name}"] = OPTIONAL[f"np.random.{_name}"] = _params
HIDDEN = frozenset({"drawn"})
# Draws from the other distributions, constant parameters only (as above): each method's required
# parameters, then its options with NumPy's defaults; np.random's own functions take the same.
_DRAWS = {
    "gamma": (("shape",), {"scale": 1.0}),
    "beta": (("a", "b"), {}), "poisson": ((), {"lam": 1.0}), "binomial": (("n", "p"), {}),
    "chisquare": (("df",), {}), "standard_t": (("df",), {}), "standard_cauchy": ((), {}),
    "laplace": ((), {"loc": 0.0, "scale": 1.0}), "logistic": ((), {"loc": 0.0, "scale": 1.0}),
    "gumbel": ((), {"loc": 0.0, "scale": 1.0}), "rayleigh": ((), {"scale": 1.0}),
    "weibull": (("a",), {}), "pareto": (("a",), {}), "power": (("a",), {}),
    "triangular": (("left", "mode", "right"), {}), "geometric": (("p",), {}),
    "negative_binomial": (("n", "p"), {}), "vonmises": (("mu", "kappa"), {}),
    "wald": (("mean", "scale"), {}), "dirichlet": (("alpha",), {}),
    "multinomial": (("n", "pvals"), {}),
    "multivariate_normal": (("mean", "cov"), {"size": None, "check_valid": "warn", "tol": 1e-8}),
}
for _name, (_required, _options) in _DRAWS.items():
    AMOUNTS[f"Generator.{_name}"] = AMOUNTS[f"np.random.{_name}"] = frozenset(_required)
    add(f"Generator.{_name}", getattr(np.random.Generator, _name), ("rng",) + _required,
        "nondiff", form="method", zero=("rng", "size"), **{**_options, "size": None})
    add(f"np.random.{_name}", getattr(np.random, _name), _required, "nondiff",
        zero=("size",), **{**_options, "size": None})
add("Generator.standard_exponential", np.random.Generator.standard_exponential, ("rng",),
    "nondiff", form="method", zero=("rng", "size"), size=None, dtype=np.float64, method="zig")
AMOUNTS["Generator.standard_gamma"] = frozenset({"shape"})
add("Generator.standard_gamma", np.random.Generator.standard_gamma, ("rng", "shape"), "nondiff",
    form="method", zero=("rng", "size"), size=None, dtype=np.float64)
# Draws of integers: rng.permutation(n), rng.integers(10, size=3), rng.choice(n, 2) (a
# differentiated array to shuffle or choose from is refused: the result is not constant in it)
add("Generator.permutation", np.random.Generator.permutation, ("rng", "x"), "nondiff",
    form="method", zero=("rng",))
add("Generator.integers", np.random.Generator.integers, ("rng", "low"), "nondiff",
    form="method", zero="*", high=None, size=None, endpoint=False)
add("Generator.choice", np.random.Generator.choice, ("rng", "a"), "nondiff", form="method",
    zero=("rng", "size", "replace"), size=None, replace=True)
GENERATOR_METHODS = {name.split(".")[1]: name for name in PRIMS
                     if name.startswith(("Generator.", "RandomState.")) and
                     PRIMS[name].form == "method"}
# The Python around the user's model code: it runs in the forward sweep as written and has no
# derivative (print, assert, raise, isinstance; f-strings format with `format`).
add("print", builtins.print, ("*args",), "nondiff", zero="*", sep=" ", end="\n", file=None,
    flush=False)
add("assert_", runtime.assert_, ("test", "message"), "nondiff", zero="*")
add("throw", runtime.throw, ("error", "*args"), "nondiff", zero="*")
add("check_unpack", runtime.check_unpack, ("xs", "least"), "nondiff", zero="*")
add("check_bound", runtime.check_bound, ("bound", "name"), "nondiff", zero="*")
add("check_unbound", runtime.check_unbound, ("value", "name"), "nondiff", zero="*")
add("check_field", runtime_linalg.check_field, ("x", "name"), "nondiff", zero="*")
add("isinstance", builtins.isinstance, ("x", "types"), "nondiff", zero="*")
add("format", builtins.format, ("x", "spec"), "nondiff", zero="*")
add("repr", builtins.repr, kind="nondiff", zero="*")
add("str", builtins.str, kind="nondiff", zero="*")
add("text_mod", operator.mod, ("x", "y"), "nondiff", form="binop", op=ast.Mod, zero="*")  # "%g" % x
# Text of a differentiated value read back as a number (float(str(x))) is refused (analysis.py).
TEXT_PRIMS = frozenset({"str", "repr", "format", "text_mod"})
# A function without a rule or Python source, called on values that are not differentiated
# (math.factorial(k), np.float64(2.0)): run as written, a constant of the derivative; a
# differentiated value reaching it is refused (templates.check_operands). `f` is the function.
add("call", lambda f, *args, **kwargs: f(*args, **kwargs), ("f", "*args"), "nondiff",
    form="callee")
# Statements kept in place whatever the optimizer finds: the tape, the checks, the draws, the
# calls of functions adcompile knows nothing of (they may draw or keep state).
EFFECTS = frozenset({"pop", "push", "check_scalar", "check_numbers", "check_fits", "check_weights",
                     "check_not_in_place", "check_item_not_changed", "check_view_index",
                     "check_unpacked", "check_item_not_in_place", "check_bound",
                     "check_unbound", "check_not_count", "check_sortable", "check_list_sort",
                     "check_field",
                     "check_unpack", "print", "assert_",
                     "throw", "call", "lost_standard_draws"} |
                    {name for name in PRIMS
                     if name.startswith(("np.random.", "Generator.", "RandomState."))})

LIST_PRIMS = {"np.linalg.lstsq", "make_list", "list_append", "np.split", "list_add", "split_like", "tuple",
              "list_concat", "list_join", "list_repeat", "list_unrepeat", "list_copy", "tuple_copy",
              "rows_list", "rows_tuple", "np.array_split", "np.hsplit", "np.vsplit", "np.dsplit", "stack_grad",
              "concatenate_grad", "hstack_grad", "vstack_grad", "column_stack_grad",
              "dstack_grad", "slogdet_tangent"}

# `x[i] = v` in user code: a new array with one part replaced (lower.py), never a write in place.
add("setitem", runtime.setitem, ("x", "index", "v"), "exact")  # a computed index is refused
add("last_written", runtime.last_written, ("x", "like", "index"), "exact", zero=("like",))
add("zero_at", runtime_arrays.zero_at, ("x", "index"), "exact")
add("held_in", runtime_arrays.held_in, ("v", "x"), "exact", zero=("x",))

# The names generated code may refer to, bound in its namespace.
NAMESPACE: dict[str, Any] = {"np": np, "math": math, "cmath": cmath}
NAMESPACE.update({name: p.fn for name, p in PRIMS.items()
                  if p.form == "call" and "." not in name and not hasattr(builtins, name)})
NAMESPACE["UNBOUND"] = runtime.UNBOUND  # (a loop's placeholder, printed by its name: unparse)
NAMESPACE["UNBOUND_INT"] = runtime.UNBOUND_INT
