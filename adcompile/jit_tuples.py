"""The gradient of a tuple of values of different kinds under `adcompile.jit`: the result of
np.linalg.eigh (w, v), svd (U, s, Vh), qr (Q, R) and lstsq (x, res, rank, sv), which the
reverse rule reads as `g[0]`, `g[1]`. In Python, getitem_grad makes a TupleGrad, whose `+` adds
item by item; Numba's tuples concatenate with `+`. So the flat code's additions of a gradient
(a getitem_grad, or a name holding one) become `grad_add` (`a + b` for numbers and arrays, item
by item for tuples), and getitem_grad of a tuple at a constant index builds the tuple (zeros of
each item's shape, `g` fitted to the indexed one): typers as in jit_helpers."""
from __future__ import annotations

import numpy as np

from . import runtime
from .ir import Op, Var, walk_stmts
from .primitives import NAMESPACE, add


def grad_add(a, b):
    """a + b of two gradients (jit's code calls it; Numba's tuples add item by item here)."""
    return a + b


add("grad_add", grad_add, ("a", "b"), "nondiff", zero="*")
NAMESPACE["grad_add"] = grad_add


def rewrite(fn):
    """Each addition in `fn` of a gradient a getitem_grad makes (or a name holding one, or such
    a sum) -> grad_add."""
    held: set = set()
    size = -1
    while size != len(held):  # (names of names: to a fixed point)
        size = len(held)
        for s in walk_stmts(fn.body):
            value = getattr(s, "value", None)
            if type(getattr(s, "target", None)) is str and _gradient(value, held):
                held.add(s.target)
    for s in walk_stmts(fn.body):
        if type(getattr(s, "value", None)) is Op:  # (an Assign's)
            s.value = _added(s.value, held)


def _gradient(e, held):
    if type(e) is Var:
        return e.name in held
    return type(e) is Op and (e.prim in ("getitem_grad", "grad_add") or
                              e.prim == "add" and any(_gradient(a, held) for a in e.args))


def _added(e, held):
    if type(e) is not Op:
        return e
    args = tuple(_added(a, held) for a in e.args)
    if e.prim == "add" and not e.kwargs and any(_gradient(a, held) for a in args):
        return Op("grad_add", args)
    return Op(e.prim, args, e.kwargs) if args != e.args else e


def _grad_add(t):
    def typer(a, b):
        if isinstance(a, t.BaseTuple) and isinstance(b, t.BaseTuple):
            if len(a) != len(b):
                return None
            items = ", ".join(f"a[{k}] + b[{k}]" for k in range(len(a)))
            return _made(f"def impl(a, b):\n    return ({items},)\n")
        if not isinstance(a, t.BaseTuple) and not isinstance(b, t.BaseTuple):
            return lambda a, b: a + b
    return typer


def part_grad(g, x, index, t):
    """getitem_grad(g, x, index) of a tuple x and a constant index (Numba types it as a literal):
    the tuple of each item's zeros, `g` fitted to the indexed item's shape."""
    if not (isinstance(x, t.BaseTuple) and isinstance(index, t.IntegerLiteral)) or \
            all(isinstance(v, (t.Float, t.Integer)) for v in x):  # (numbers: an array, jit_helpers)
        return None
    k = index.literal_value
    if not -len(x) <= k < len(x):
        return None
    k %= len(x)
    items = ", ".join("unbroadcast(g, x[%d])" % j if j == k else
                      ("np.zeros_like(x[%d])" % j if isinstance(x[j], t.Array) else "0.0")
                      for j in range(len(x)))
    return _made(f"def impl(g, x, index):\n    return ({items},)\n")


def _made(source):
    scope = {"np": np, "unbroadcast": runtime.unbroadcast}
    exec(source, scope)
    return scope["impl"]


def helpers(numba):
    """{helper: overload typer} of this module's helpers."""
    return {grad_add: _grad_add}
