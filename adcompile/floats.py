"""Python floats in reverse mode: what grad proves and tests of them. Plain floats stay plain
floats: where every value is a Python number the helpers that fit a gradient to an array's shape
are left out (`unfitted`), and the fast path's guard (`all_floats`) tests what the proof rests
on: the output, the parameters differentiated (`tested`), those the arithmetic takes beside them
(`operands`), and the values a math function or `.item()` turned into floats
(`python_numbers` proves the rest)."""
from __future__ import annotations

from .analysis import each_assign, may_hold_containers
from .ir import Assign, Const, For, If, Op, Var, While, blocks_of, stmt_exprs, targets_of, \
    used_names, walk_exprs, walk_stmts
from .primitives import PRIMS


def complex_numbers(fn):
    """Whether Python numbers may be complex in `fn`: a complex constant (`1j`), or a power to
    an exponent that is not a whole constant (Python's `(-2.0) ** 0.5` is complex). A real
    input's gradient is then the real part of its adjoint (unbroadcast takes it), even where
    the output is a float (`(x ** 0.5).imag`)."""
    return any(type(e) is Const and isinstance(e.value, complex) or
               type(e) is Op and e.prim == "pow" and not (
                   type(e.args[1]) is Const and type(e.args[1].value) in (int, float, bool) and
                   float(e.args[1].value).is_integer())
               for st in walk_stmts(fn.body) for x in stmt_exprs(st) for e in walk_exprs(x))


def all_floats(values, numbers=()):
    """`type(x) is float and ...`; `numbers` may be ints too (a trip count, an index)."""
    checks = tuple(Op("is", (Op("type", (v,)), Var("float"))) for v in values) + tuple(
        Op("or", (Op("is", (Op("type", (v,)), Var("int"))),
                  Op("is", (Op("type", (v,)), Var("float"))))) for v in numbers)
    return checks[0] if len(checks) == 1 else Op("and", checks)  # one `and` of all, flat


def tested(fn, wrt):
    """The parameters in `wrt` that grad's fast path tests for Python floats: all but those
    that may hold containers, which the caller passes as their leaves (boundary.py) or which
    the code takes as a tuple or list where it is called as it is (exported)."""
    held = may_hold_containers(fn)
    return [w for w in wrt if w not in held]


def operands(fn, wrt, active):
    """The parameters outside `wrt` that active arithmetic takes as an operand (`w * v`): the
    rules take them for numbers or arrays, and an object whose operators are written in Python
    (reading none of its fields, it is not compiled for its structure) is neither."""
    outside = set(fn.params) - set(wrt)
    found = {a.name for st in each_assign(fn.body) if st.target in active
             for e in walk_exprs(st.value) if type(e) is Op and PRIMS[e.prim].form in
             ("binop", "unop") for a in e.args if type(a) is Var and a.name in outside}
    return sorted(found, key=fn.params.index)


def zeroed(body):
    """Names whose adjoint the backward sweep starts as `zeros_like(name)`."""
    return {e.args[0].name for st in walk_stmts(body) if type(st) is Assign
            for e in walk_exprs(st.value) if type(e) is Op and e.prim == "zeros_like" and
            type(e.args[0]) is Var}


def read_in_structures(stmts, active):
    """Names that active statements inside a branch or loop read and that are assigned before
    it (outside it)."""
    out = set()
    for s in stmts:
        if type(s) in (If, For, While):
            inside = set(targets_of(s))
            out |= {n for a in each_assign([s]) if a.target in active
                    for n in used_names(a.value)} - inside
        for block in blocks_of(s):
            out |= read_in_structures(block, active)
    return out


ARITHMETIC = {"add", "sub", "mul", "truediv", "pow", "neg", "pos", "floordiv", "mod", "abs",
              "max", "min", "int", "len", "round", "float", "sign", "abs_vjp", "sigmoid",
              "softplus", "log_sigmoid", "relu"}  # (the last ones: floats for Python numbers)


# the helpers that only fit shapes
FITTING = {"unbroadcast", "add_fitted", "zeros_like", "in_dtype_of", "conj", "real_part"}


def unfitted(e, lists, numbers):
    """`e` for Python numbers: `unbroadcast(g, x)` is `g`, `add_fitted(x, a, b)` is `a + b`,
    `zeros_like(x)` is `0.0`, where x is one of the `numbers` (an array the function makes of
    them, np.array((x,)), and a list keep theirs)."""
    if type(e) is not Op:
        return e
    e = Op(e.prim, tuple(unfitted(a, lists, numbers) for a in e.args), e.kwargs)
    shaped = SHAPED_BY.get(e.prim)
    if shaped is not None and not _a_number(e.args[shaped], numbers, lists):
        return e
    if e.prim in ("unbroadcast", "in_dtype_of", "conj", "real_part"):
        return e.args[0]
    if e.prim == "zeros_like":
        return Const(0.0)
    if e.prim == "add_fitted":
        return _added(e.args[1:])
    return e


SHAPED_BY = {"unbroadcast": 1, "in_dtype_of": 1, "zeros_like": 0, "add_fitted": 0}


def _a_number(x, numbers, lists):
    """Whether `x` is known to be a Python number on the float path."""
    return type(x) is Const or type(x) is Var and x.name in numbers and x.name not in lists


def _added(terms):
    """The sum of the terms, added in pairs (no deep nesting for thousands of terms)."""
    if len(terms) > 2:
        return Op("add", (_added(terms[:len(terms) // 2]), _added(terms[len(terms) // 2:])))
    return terms[0] if len(terms) == 1 else Op("add", terms)


def python_numbers(fn, wrt):
    """Names that hold real Python numbers whenever the parameters `wrt` do: constants, loop
    indices, and operators, builtins and `math` functions of real Python numbers, on every
    assignment (a greatest fixpoint over loops and branches). A power only to a whole constant:
    Python's `(-1.0) ** 0.5` is complex."""
    values = {}
    for s in walk_stmts(fn.body):
        if type(s) is Assign and type(s.target) is str:
            values.setdefault(s.target, []).append(s.value)
        elif type(s) is For:
            values.setdefault(s.target, []).append(Const(0))
    known = set(values) - set(fn.params) - set(fn.constants)

    def number(e):
        if type(e) is Const:
            return type(e.value) in (int, float, bool)
        if type(e) is Var:
            return e.name in known or e.name in wrt
        if e.prim == "pow" and not (type(e.args[1]) is Const and
                                    float(e.args[1].value).is_integer()):
            return False
        return (e.prim in ARITHMETIC or e.prim.startswith("math.")) and all(
            number(a) for a in e.args) and not e.kwargs

    changed = True
    while changed:
        drop = {n for n in known if not all(number(v) for v in values[n])}
        known -= drop
        changed = bool(drop)
    return known
