"""Stage: the arrays a derivative returns are its own. Two results may be one array (`grad_tok =
grad_h`, `grad_pos = grad_h` of `tok + pos`), or a parameter itself (a pullback's cotangent
passed through `a + b`), or a view of one. NumPy code changes arrays in place (`g *= 0.1`, a
gradient clipped with `out=g`), and then the other result, or the caller's array, would change
with it, silently. Such a result is returned as `own(...)`: a copy of an array, a number as it
is. Only there: a result that some operation computed anew is returned as it is."""
from __future__ import annotations

from .ir import Assign, For, Function, If, Op, Return, Var, While, targets_of, walk_stmts
from .lower.scan import VIEWS

# operations that may give back an operand (at these positions) itself, or a view of it; any
# other operation makes a new array (arithmetic, ufuncs, reductions, products, ...)
PASSED = {"unbroadcast": (0,), "unreduce": (0,), "expand_to": (0,), "in_dtype_of": (0,),
          "stop_gradient": (0,), "real_part": (0,), "conj": (0,), "np.conj": (0,),
          "np.conjugate": (0,), "real_matrix": (0,), "last_written": (0,),
          "scatter_add": (0,), "list_add": (0, 1), **{view: (0,) for view in VIEWS}}


def own_results(fn: Function) -> Function:
    """Return through `own` each result that may be a parameter or share an array with a result
    before it (in every function of `fn`: a pullback's results too)."""
    values: dict = {}
    params = set(fn.params)
    for s in walk_stmts(fn.body):
        if type(s) is Function:
            params.update(s.params)
        elif type(s) is Assign:
            for t in targets_of(s):
                values.setdefault(t, []).append(s.value if t == s.target else None)
        elif type(s) is For:
            values.setdefault(s.target, []).append(None)
    for s in _returns(fn.body):
        taken: set = set()
        s.values = [_owned(v, values, params, taken) for v in s.values]
    return fn


def _returns(block):
    """The returns in `block`, nested ones too, but not those under the test that every value
    is a Python float (`if type(L) is float:`, reverse.py): numbers are never changed in place,
    and the lecture's listing stays as it is."""
    for s in block:
        if type(s) is Return:
            yield s
        elif type(s) is If:
            if not _on_floats(s.test):
                yield from _returns(s.body)
            yield from _returns(s.orelse)
        elif type(s) in (For, While, Function):
            yield from _returns(s.body)


def _on_floats(test):
    """Whether `test` is reverse mode's `type(x) is float and ...`."""
    first = test.args[0] if type(test) is Op and test.prim == "and" else test
    return type(first) is Op and first.prim == "is" and first.args[1] == Var("float") and \
        type(first.args[0]) is Op and first.args[0].prim == "type"


def _owned(v, values, params, taken):
    """`v`, a result (a tuple of results: each), through `own` where it may be a parameter or
    an array of a result before it (`taken`, the names of their arrays: updated)."""
    if type(v) is Op and v.prim == "tuple":
        return Op("tuple", tuple(_owned(a, values, params, taken) for a in v.args), v.kwargs)
    found = _bases(v, values, params, frozenset()) - {NEW}
    shared = found & (taken | params)
    taken |= found
    return Op("own", (v,)) if shared else v


def _bases(e, values, params, seen):
    """The names whose arrays `e` may be, or be a view of: a parameter, or a name assigned a new
    array (followed through copies and the operations in PASSED). NEW: an array `e` makes."""
    if type(e) is Op:
        at = PASSED.get(e.prim)
        if at is None:
            return {NEW}
        return set().union(*(_bases(e.args[i], values, params, seen) for i in at
                             if i < len(e.args)))
    if type(e) is not Var:
        return set()
    if e.name in params or e.name in seen or e.name not in values:
        return {e.name}
    out = set()
    for v in values[e.name]:  # (each assignment: in a loop or a branch, any may hold)
        out |= {e.name} if v is None else \
            {e.name if n is NEW else n for n in _bases(v, values, params, seen | {e.name})}
    return out


NEW = object()
