"""The constants that the Numba variant of a function reads, as Numba can freeze them, for
`adcompile.jit`: a function of the math module (math.factorial, math.comb) called on constants
is computed once, here; an int that Numba's int64 cannot hold is refused. (A global list or dict
is refused by jit_globals: grad's code reads it at each call, changed in place or not, and Numba
would freeze it.)
"""
from __future__ import annotations

import re
import types as pytypes

import numpy as np

from .ir import Const, Op, Var, targets_of, walk_stmts
from .jit_math import Refused, rewrite_statements

LOW, HIGH = -2 ** 63, 2 ** 63 - 1


def frozen(fn):
    """Rewrite `fn` (the Numba variant) and its constants as the module says."""
    taken = {t for s in walk_stmts(fn.body) for t in targets_of(s)} | set(fn.params)
    indices: dict = {}

    def rewrite(e, line):
        if type(e) is not Op:
            return e
        args = tuple(rewrite(a, line) for a in e.args)
        kwargs = tuple((k, rewrite(v, line)) for k, v in e.kwargs)
        head = args[0] if args else None
        value = fn.constants.get(head.name) if type(head) is Var else None
        if e.prim == "call" and _of_math(value) and not kwargs and \
                all(type(a) is Const for a in args[1:]):
            result = value(*(a.value for a in args[1:]))
            if type(result) is int and not LOW <= result <= HIGH:
                raise Refused(f"math.{value.__name__} of constants is {result}, which does not "
                              "fit in Numba's int64 (Python's int grows as needed); compute it "
                              "as a float (math.gamma(n + 1.0) for math.factorial(n)), or run "
                              "the function without jit", fn.filename, line)
            return _constant(fn, f"{value.__name__}_value", result, taken)
        if e.prim == "last_written" and type(args[2]) is Const and _distinct(args[2].value):
            return args[0]  # (no place written twice: nothing to zero)
        at = INDEXED.get(e.prim)
        if at is not None and len(args) > at and type(args[at]) is Const and \
                _as_arrays(args[at].value) is not args[at].value:
            key = repr(args[at].value)  # (one constant for each index written)
            if key not in indices:
                indices[key] = _constant(fn, f"index{len(indices)}", _as_arrays(
                    args[at].value), taken)
            args = args[:at] + (indices[key],) + args[at + 1:]
        return Op(e.prim, args, kwargs) if (args, kwargs) != (e.args, e.kwargs) else e

    rewrite_statements(fn, rewrite)


# the primitives that take an index, and its position: a constant list in it (x[[0, 0, 1]]),
# which Numba takes for no index, becomes an array of its numbers
INDEXED = {"getitem": 1, "setitem": 1, "getitem_grad": 2, "scatter_add": 1, "last_written": 2,
           "zero_at": 1}


def _as_arrays(index):
    """`index` with each list of ints or bools in it an array (itself where there is none)."""
    if type(index) is list and index and all(type(v) in (int, bool) for v in index) and \
            len({type(v) for v in index}) == 1:
        return np.array(index)
    if type(index) is tuple:
        parts = tuple(_as_arrays(p) for p in index)
        return parts if any(p is not q for p, q in zip(parts, index)) else index
    return index


def _distinct(index):
    """Whether the constant `index` names no place twice: one list in it, of distinct numbers
    not negative (-1 may be 2), beside ints and slices."""
    parts = index if type(index) is tuple else (index,)
    lists = [p for p in parts if type(p) is list]
    return len(lists) == 1 and all(type(p) in (int, slice, list) for p in parts) and all(
        type(v) is int and v >= 0 for v in lists[0]) and len(set(lists[0])) == len(lists[0])


def _of_math(f):
    return type(f) is pytypes.BuiltinFunctionType and getattr(f, "__module__", None) == "math"


def _constant(fn, name, value, taken):
    """`value` written in place (a number), or a new constant of `fn` holding it (named unlike
    any name in `taken` or a constant)."""
    if type(value) in (bool, int, float) and (type(value) is not int or LOW <= value <= HIGH):
        return Const(value)
    name = re.sub(r"\W", "_", name)
    while name in fn.constants or name in taken:
        name += "_"
    fn.constants[name] = value
    return Var(name)


def digest_part(v):
    """The text that stands for a tuple constant of numbers in jit's cache key, or None."""
    if type(v) is tuple and all(type(x) in (bool, int, float) or digest_part(x) is not None
                                for x in v):
        return f"tuple {v!r}"
    return None

