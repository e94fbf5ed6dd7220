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
    form: str = "call"  # call | binop | unop | compare | boolop | attr | getitem | tuple
    op: type | None = None          # the ast operator class of binop/unop/compare forms
    barrier: bool = False


PRIMS: dict[str, Primitive] = {}
BY_OBJECT: dict[object, str] = {}


def add(name, fn, params=("x",), kind="unary", *, form="call", op=None, barrier=False,
        objects=(), **options):
    PRIMS[name] = Primitive(name, fn, tuple(params), options, kind, form, op, barrier)
    for obj in (fn, *objects) if form == "call" else objects:
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
              "arcsin", "arccos", "arctan", "log1p", "expm1", "log2", "log10", "cbrt",
              "reciprocal", "exp2"):
    add(f"np.{_name}", getattr(np, _name), objects=(np.absolute,) if _name == "abs" else ())
add("np.maximum", np.maximum, ("x", "y"), "broadcast")
add("np.minimum", np.minimum, ("x", "y"), "broadcast")
add("np.arctan2", np.arctan2, ("y", "x"), "broadcast")
add("np.hypot", np.hypot, ("x", "y"), "broadcast")
for _name in ("sign", "floor", "ceil", "round", "isnan", "isfinite", "greater", "less",
              "equal", "argmax", "argmin"):
    add(f"np.{_name}", getattr(np, _name), kind="nondiff")

# NumPy reductions, products and shapes.
add("np.sum", np.sum, kind="exact", axis=None, keepdims=False)
add("np.mean", np.mean, kind="exact", axis=None, keepdims=False)
add("np.dot", np.dot, ("x", "y"), "exact")
add("np.transpose", np.transpose, kind="exact", axes=None)
add("np.reshape", np.reshape, ("x", "shape"), "exact")
for _name in ("shape", "ndim", "size"):
    add(f"np.{_name}", getattr(np, _name), kind="nondiff")

# The stable primitives this package ships.
for _name in ("sigmoid", "softplus", "log_sigmoid", "relu"):
    add(_name, getattr(numerics, _name))
add("logsumexp", numerics.logsumexp, kind="exact", axis=None, keepdims=False)
add("softmax", numerics.softmax, kind="exact", axis=-1)
add("log_softmax", numerics.log_softmax, kind="exact", axis=-1)

# Helpers that derivative code calls (no derivative of their own yet).
for _name in ("unbroadcast", "expand_to", "unreduce", "matmul_grad_left", "matmul_grad_right",
              "dot_grad_left", "dot_grad_right", "getitem_grad", "check_scalar"):
    _fn = getattr(runtime, _name)
    add(_name, _fn, tuple(_fn.__code__.co_varnames[:_fn.__code__.co_argcount]), "nondiff")
add("zeros_like", runtime.zeros_like, kind="nondiff")
add("np.broadcast_to", np.broadcast_to, ("x", "shape"), "nondiff")
add("np.expand_dims", np.expand_dims, ("x", "axis"), "nondiff")
add("np.zeros_like", np.zeros_like, kind="nondiff")
add("np.ones_like", np.ones_like, kind="nondiff")

# Methods on arrays, lowered to the function form: x.sum(axis=0) is np.sum(x, axis=0).
METHODS = {"sum": "np.sum", "mean": "np.mean", "dot": "np.dot", "reshape": "np.reshape",
           "transpose": "np.transpose"}
# Attributes of arrays that are primitives of their own.
ATTRIBUTES = {"T", "shape", "ndim", "size", "dtype"}

# The names generated code may refer to, bound in its namespace.
NAMESPACE = {"np": np, "math": math}
NAMESPACE.update({name: p.fn for name, p in PRIMS.items()
                  if p.form == "call" and "." not in name and not hasattr(builtins, name)})
