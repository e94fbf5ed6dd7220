"""Polynomial normal form of arithmetic expressions (`+`, `-`, `*` and unary minus over names
and numbers), for the optimizer's `collect` pass: `g * (1.0 - x) * 4.0 - g * (4.0 * x)` is
`g * (4.0 - 8.0 * x)`, the logistic map's backward step as a person writes it.

A polynomial is a dict {monomial: coefficient}, a monomial the sorted tuple of the factors it
multiplies (a factor twice for its square): names, and whole expressions that are not
arithmetic (`math.cos(s0)`), taken as they are. Expressions whose polynomial grows past a few
terms, or that read constants other than Python numbers, have none.
"""
from __future__ import annotations

from .ir import Const, Op, Var, used_names
from .primitives import PRIMS

ARITHMETIC = {"add", "sub", "mul", "neg", "pos"}
MOST_TERMS, MOST_DEGREE = 8, 4


def of(e):
    """The polynomial of expression `e`, or None."""
    if type(e) is Var:
        return {(e.name,): 1}
    if type(e) is Const:
        v = e.value
        return {(): v} if type(v) in (int, float) else None
    if type(e) is not Op:
        return None
    if PRIMS[e.prim].form in ("compare", "boolop") or e.prim == "not":
        return None  # (a bool: True - False is 1, but NumPy refuses np.bool_ - np.bool_)
    if e.prim not in ARITHMETIC or e.kwargs:
        return {(e,): 1}  # a factor of its own
    parts = [of(a) for a in e.args]
    if any(p is None for p in parts):
        return None
    if e.prim == "pos":
        return parts[0]
    if e.prim == "neg":
        return {m: -c for m, c in parts[0].items()}
    a, b = parts
    out = dict(a)
    if e.prim in ("add", "sub"):
        for m, c in b.items():
            out[m] = out.get(m, 0) + (c if e.prim == "add" else -c)
    else:
        out = {}
        for ma, ca in a.items():
            for mb, cb in b.items():
                m = tuple(sorted(ma + mb, key=_order))
                out[m] = out.get(m, 0) + ca * cb
    if len(out) > MOST_TERMS or any(len(m) > MOST_DEGREE for m in out):
        return None
    return out


def operations(e) -> int:
    """How many arithmetic operations `e` computes."""
    if type(e) is not Op:
        return 0
    return (e.prim != "pos") + sum(operations(a) for a in e.args)


def names(p) -> set:
    """The names polynomial `p` reads (inside its expression factors too)."""
    return {n for m, c in p.items() if c for f in m
            for n in ((f,) if type(f) is str else used_names(f))}


def _order(factor):
    return (0, factor) if type(factor) is str else (1, repr(factor))


def expression(p):
    """An expression computing polynomial `p` (no zero terms): the factor every term shares
    first (`g * (...)`), then the constant, then the terms by degree and name."""
    terms = {m: c for m, c in p.items() if c}
    if not terms:
        return None
    common = list(min(terms, key=len))
    for m in terms:
        left = list(m)
        common = [n for n in common if n in left and not left.remove(n)]
    if common:
        inner: dict = {}
        for m, c in terms.items():  # (terms whose factors are equal: one, their sum)
            key = _without(m, common)
            inner[key] = inner.get(key, 0) + c
        factor = _product(common)
        rest = expression(inner)
        return factor if _is_one(rest) else Op("mul", (factor, rest))
    out = None
    for m, c in sorted(terms.items(), key=lambda mc: (len(mc[0]), [_order(f) for f in mc[0]])):
        negative = c < 0
        size = -c if negative else c
        term = Const(size) if not m else _product(m) if _is_one(Const(size)) else \
            Op("mul", (Const(size), _product(m)))
        if out is None:
            out = Op("neg", (term,)) if negative else term
        else:
            out = Op("sub" if negative else "add", (out, term))
    return out


def _without(m, common):
    left = list(m)
    for n in common:
        left.remove(n)
    return tuple(left)


def _product(m):
    out = _factor(m[0])
    for n in m[1:]:
        out = Op("mul", (out, _factor(n)))
    return out


def _factor(f):
    return Var(f) if type(f) is str else f


def _is_one(e):
    return type(e) is Const and e.value == 1 and type(e.value) is int
