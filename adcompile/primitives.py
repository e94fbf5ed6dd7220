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
primitive of form "seq" takes all its operands as one sequence (`np.stack((a, b), axis=0)`).
`barrier` marks primitives that may turn an array into a Python float (`math.sin`, `float`).
"""
from __future__ import annotations

import ast
import builtins
import math
import operator
from dataclasses import dataclass, field

import numpy as np

from . import numerics, runtime


@dataclass(slots=True)
class Primitive:
    name: str
    fn: object                      # what the primitive computes (used to fold constants)
    params: tuple = ("x",)          # positional operands
    options: dict = field(default_factory=dict)  # keyword parameters and their defaults
    kind: str = "unary"
    form: str = "call"  # call | seq | binop | unop | compare | boolop | attr | getitem | tuple
    op: type | None = None          # the ast operator class of binop/unop/compare forms
    barrier: bool = False


PRIMS: dict[str, Primitive] = {}
_TWO_OPERANDS = {"greater", "less", "greater_equal", "less_equal", "equal", "not_equal",
                 "logical_and", "logical_or", "heaviside"}
BY_OBJECT: dict[object, str] = {}


def add(name, fn, params=("x",), kind="unary", *, form="call", op=None, barrier=False,
        objects=(), **options):
    PRIMS[name] = Primitive(name, fn, tuple(params), options, kind, form, op, barrier)
    for obj in (fn, *objects) if form in ("call", "seq") else objects:
        BY_OBJECT.setdefault(obj, name)


def _binop(name, fn, op, kind="broadcast", objects=()):
    add(name, fn, ("x", "y"), kind, form="binop", op=op, objects=objects)


# Operators. NumPy's ufunc spellings (np.multiply, ...) lower to the same primitives.
_binop("add", operator.add, ast.Add, objects=(np.add,))
_binop("sub", operator.sub, ast.Sub, objects=(np.subtract,))
_binop("mul", operator.mul, ast.Mult, objects=(np.multiply,))
_binop("truediv", operator.truediv, ast.Div, objects=(np.divide, np.true_divide))
_binop("pow", operator.pow, ast.Pow, objects=(np.power, math.pow, builtins.pow))
_binop("floordiv", operator.floordiv, ast.FloorDiv, "nondiff", objects=(np.floor_divide,))
_binop("mod", operator.mod, ast.Mod, objects=(np.mod, np.remainder))
_binop("matmul", operator.matmul, ast.MatMult, "exact", objects=(np.matmul,))
add("neg", operator.neg, form="unop", op=ast.USub, objects=(np.negative,))
add("pos", operator.pos, form="unop", op=ast.UAdd, objects=(np.positive,))
add("not", operator.not_, kind="nondiff", form="unop", op=ast.Not)
for _name, _fn, _op in [("lt", operator.lt, ast.Lt), ("le", operator.le, ast.LtE),
                        ("gt", operator.gt, ast.Gt), ("ge", operator.ge, ast.GtE),
                        ("eq", operator.eq, ast.Eq), ("ne", operator.ne, ast.NotEq)]:
    add(_name, _fn, ("x", "y"), "nondiff", form="compare", op=_op)

add("is", operator.is_, ("x", "y"), "nondiff", form="compare", op=ast.Is)
add("isnot", operator.is_not, ("x", "y"), "nondiff", form="compare", op=ast.IsNot)
add("and", lambda x, y: x and y, ("x", "y"), "nondiff", form="boolop", op=ast.And)
add("or", lambda x, y: x or y, ("x", "y"), "nondiff", form="boolop", op=ast.Or)
add("type", builtins.type, kind="nondiff")

# Indexing, attributes and tuples.
add("getitem", operator.getitem, ("x", "index"), "exact", form="getitem")
add("T", lambda x: x.T, kind="exact", form="attr")
for _attr in ("shape", "ndim", "size", "dtype"):
    add(_attr, operator.attrgetter(_attr), kind="nondiff", form="attr")
add("tuple", lambda *xs: xs, params=(), kind="exact", form="tuple")
# The tape of reverse mode: a Python list.
add("list", list, params=(), kind="nondiff", form="list")
add("push", list.append, ("tape", "x"), "nondiff", form="method")
add("pop", list.pop, ("tape",), "nondiff", form="method")
add("scatter_add", runtime.scatter_add, ("buffer", "index", "v"), "exact")

# math: Python floats in, Python floats out.
for _name in ("sin", "cos", "tan", "exp", "log1p", "expm1", "sqrt", "tanh", "sinh", "cosh",
              "atan", "asin", "acos", "log2", "log10", "fabs", "erf"):
    add(f"math.{_name}", getattr(math, _name), barrier=True)
add("math.log", math.log, ("x", "base"), barrier=True)  # one- or two-argument form
add("math.atan2", math.atan2, ("y", "x"), "broadcast", barrier=True)
add("math.hypot", math.hypot, ("x", "y"), "broadcast", barrier=True)
for _name in ("floor", "ceil", "trunc", "isnan", "isinf", "isfinite"):
    add(f"math.{_name}", getattr(math, _name), kind="nondiff")

# Builtins.
add("abs", builtins.abs)
add("max", builtins.max, ("x", "y"), "broadcast", barrier=True)
add("min", builtins.min, ("x", "y"), "broadcast", barrier=True)
add("float", builtins.float, barrier=True)
add("int", builtins.int, kind="nondiff")
add("len", builtins.len, kind="nondiff")
add("round", builtins.round, ("x", "ndigits"), "nondiff")

# NumPy elementwise.
for _name in ("exp", "log", "sin", "cos", "tan", "tanh", "sqrt", "square", "abs", "sinh", "cosh",
              "arcsin", "arccos", "arctan", "arcsinh", "arctanh", "log1p", "expm1", "log2",
              "log10", "cbrt", "reciprocal", "exp2", "fabs"):
    add(f"np.{_name}", getattr(np, _name), objects=(np.absolute,) if _name == "abs" else ())
add("np.maximum", np.maximum, ("x", "y"), "broadcast")
add("np.minimum", np.minimum, ("x", "y"), "broadcast")
add("np.arctan2", np.arctan2, ("y", "x"), "broadcast")
add("np.hypot", np.hypot, ("x", "y"), "broadcast")
add("np.logaddexp", np.logaddexp, ("x", "y"), "broadcast")
add("np.clip", np.clip, ("x", "a_min", "a_max"), "broadcast")
add("np.where", np.where, ("condition", "x", "y"), "broadcast")
for _name in ("sign", "floor", "ceil", "isnan", "isinf", "isfinite", "greater", "less",
              "greater_equal", "less_equal", "equal", "not_equal", "logical_and", "logical_or",
              "logical_not", "heaviside"):
    add(f"np.{_name}", getattr(np, _name), ("x", "y") if _name in _TWO_OPERANDS else ("x",),
        "nondiff")
add("np.round", np.round, kind="nondiff", decimals=0, objects=(np.around,))
for _name in ("argmax", "argmin"):
    add(f"np.{_name}", getattr(np, _name), kind="nondiff", axis=None, keepdims=False)
add("np.argsort", np.argsort, kind="nondiff", axis=-1)
for _name in ("all", "any"):
    add(f"np.{_name}", getattr(np, _name), kind="nondiff", axis=None, keepdims=False)

# NumPy reductions (axis, keepdims as in NumPy). np.max routes the gradient to the maximum and
# splits it evenly among ties.
for _name in ("sum", "mean", "prod"):
    add(f"np.{_name}", getattr(np, _name), kind="exact", axis=None, keepdims=False)
add("np.max", np.max, kind="exact", axis=None, keepdims=False, objects=(np.amax,))
add("np.min", np.min, kind="exact", axis=None, keepdims=False, objects=(np.amin,))
add("np.var", np.var, kind="exact", axis=None, ddof=0, keepdims=False)
add("np.std", np.std, kind="exact", axis=None, ddof=0, keepdims=False)
add("np.cumsum", np.cumsum, kind="exact", axis=None)
add("np.linalg.norm", np.linalg.norm, kind="exact", ord=None, axis=None, keepdims=False)

# Products and linear algebra.
add("np.dot", np.dot, ("x", "y"), "exact")
add("np.outer", np.outer, ("x", "y"), "exact")
add("np.inner", np.inner, ("x", "y"), "exact")
add("np.tensordot", np.tensordot, ("x", "y"), "exact", axes=2)
add("np.einsum", np.einsum, ("subscripts", "*operands"), "exact")
add("np.trace", np.trace, kind="exact", offset=0, axis1=0, axis2=1)
add("np.linalg.inv", np.linalg.inv, kind="exact")
add("np.linalg.solve", np.linalg.solve, ("a", "b"), "exact")
add("np.linalg.det", np.linalg.det, kind="exact")
add("np.linalg.slogdet", np.linalg.slogdet, kind="exact")

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
add("np.copy", np.copy, kind="exact")
add("np.concatenate", np.concatenate, ("*xs",), "exact", form="seq", axis=0)
add("np.stack", np.stack, ("*xs",), "exact", form="seq", axis=0)
add("np.hstack", np.hstack, ("*xs",), "exact", form="seq")
add("np.vstack", np.vstack, ("*xs",), "exact", form="seq")
add("np.array", np.array, ("*xs",), "exact", form="seq", dtype=None)
for _name in ("shape", "ndim", "size"):
    add(f"np.{_name}", getattr(np, _name), kind="nondiff")

# Array creation: constants, whatever their arguments.
for _name in ("zeros", "ones", "empty"):
    add(f"np.{_name}", getattr(np, _name), ("shape",), "nondiff", dtype=float)
add("np.full", np.full, ("shape", "fill_value"), "nondiff", dtype=None)
for _name in ("zeros_like", "ones_like", "empty_like"):
    add(f"np.{_name}", getattr(np, _name), kind="nondiff", dtype=None, shape=None)
add("np.full_like", np.full_like, ("x", "fill_value"), "nondiff", dtype=None)
add("np.eye", np.eye, ("N",), "nondiff", M=None, k=0, dtype=float)
add("np.identity", np.identity, ("n",), "nondiff", dtype=float)
add("np.arange", np.arange, ("start",), "nondiff", stop=None, step=None, dtype=None)
add("np.linspace", np.linspace, ("start", "stop"), "nondiff", num=50, endpoint=True)

# The stable primitives this package ships.
for _name in ("sigmoid", "softplus", "log_sigmoid", "relu"):
    add(_name, getattr(numerics, _name))
add("logsumexp", numerics.logsumexp, kind="exact", axis=None, keepdims=False)
add("softmax", numerics.softmax, kind="exact", axis=-1)
add("log_softmax", numerics.log_softmax, kind="exact", axis=-1)
# SciPy's spellings, when SciPy is installed; its softmax and log_softmax default to axis=None.
OBJECT_OPTIONS: dict = {}  # object -> options it implies when the caller does not give them
try:
    import scipy.special as _special
except ImportError:  # SciPy is optional
    _special = None
if _special is not None:
    for _name, _obj in [("sigmoid", "expit"), ("log_sigmoid", "log_expit"),
                        ("logsumexp", "logsumexp"), ("softmax", "softmax"),
                        ("log_softmax", "log_softmax")]:
        if hasattr(_special, _obj):
            BY_OBJECT.setdefault(getattr(_special, _obj), _name)
    OBJECT_OPTIONS[_special.softmax] = OBJECT_OPTIONS[_special.log_softmax] = {"axis": None}

# Helpers that derivative code calls. Their operands are named for the rule templates: `v` is the
# gradient or tangent they are applied to.
for _name, _params in [("unbroadcast", ("v", "x")), ("expand_to", ("v", "x")),
                       ("unreduce", ("v", "x", "axis", "keepdims")),
                       ("matmul_grad_left", ("v", "x", "y")), ("matmul_grad_right", ("v", "x", "y")),
                       ("dot_grad_left", ("v", "x", "y")), ("dot_grad_right", ("v", "x", "y")),
                       ("tensordot_grad_left", ("v", "x", "y", "axes")),
                       ("tensordot_grad_right", ("v", "x", "y", "axes")),
                       ("getitem_grad", ("v", "x", "index")), ("mT", ("x",)),
                       ("cumsum_grad", ("v", "x", "axis")), ("untile", ("v", "x", "reps")),
                       ("unrepeat", ("v", "x", "repeats", "axis")),
                       ("trace_grad", ("v", "x", "offset", "axis1", "axis2")),
                       ("norm_grad", ("v", "x", "ans", "ord", "axis", "keepdims")),
                       ("hstack_part", ("v", "i", "*xs")), ("vstack_part", ("v", "i", "*xs")),
                       ("unsplit", ("v", "axis")), ("split_like", ("v", "pieces", "axis"))]:
    add(_name, getattr(runtime, _name), _params, "exact")
add("concatenate_part", runtime.concatenate_part, ("v", "i", "*xs"), "exact", axis=0)
add("max_weights", runtime.max_weights, ("x", "ans", "axis", "keepdims"), "nondiff")
add("prod_others", runtime.prod_others, ("x", "axis"), "exact")
add("check_scalar", runtime.check_scalar, ("out", "*inputs"), "nondiff")
add("zeros_like", runtime.zeros_like, kind="nondiff")
add("math.copysign", math.copysign, ("x", "y"), "nondiff")

# Methods on arrays, lowered to the function form: x.sum(axis=0) is np.sum(x, axis=0).
METHODS = {name: f"np.{name}" for name in (
    "sum", "mean", "prod", "max", "min", "var", "std", "cumsum", "dot", "reshape", "transpose",
    "ravel", "squeeze", "swapaxes", "clip", "repeat", "trace", "argmax", "argmin", "all", "any",
    "round", "copy")}
METHODS["flatten"] = "np.ravel"
# Attributes of arrays that are primitives of their own.
ATTRIBUTES = {"T", "shape", "ndim", "size", "dtype"}

# Lists a loop builds with append: `vals = vals + [v]` (a new list, so the tape can keep the old).
add("make_list", lambda *xs: list(xs), ("*xs",), "exact", form="listlit")
add("list_append", lambda xs, v: xs + [v], ("xs", "v"), "exact", form="listappend")
add("list_sum", builtins.sum, ("xs",), "exact", form="call")
PRIMS["list_sum"].name = "sum"
add("list_add", runtime.list_add, ("x", "y"), "exact")
add("sum_grad", runtime.sum_grad, ("v", "xs"), "exact")
add("in_dtype_of", runtime.in_dtype_of, ("v", "x"), "unary")
add("add_fitted", runtime.add_fitted, ("x", "*xs"), "exact")
LIST_PRIMS = {"make_list", "list_append", "np.split", "list_add", "split_like", "tuple"}

# `x[i] = v` in user code: a new array with one part replaced (lower.py), never a write in place.
add("setitem", runtime.setitem, ("x", "index", "v"), "exact")

# The names generated code may refer to, bound in its namespace.
NAMESPACE = {"np": np, "math": math}
NAMESPACE.update({name: p.fn for name, p in PRIMS.items()
                  if p.form == "call" and "." not in name and not hasattr(builtins, name)})

