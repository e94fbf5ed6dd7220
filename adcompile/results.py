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
    memo: dict = {}
    for s in _returns(fn.body):
        taken: set = set()
        s.values = [_owned(v, values, params, taken, memo) for v in s.values]
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


def _owned(v, values, params, taken, memo):
    """`v`, a result (a tuple of results: each), through `own` where it may be a parameter or
    an array of a result before it (`taken`, the names of their arrays: updated)."""
    if type(v) is Op and v.prim == "tuple":
        return Op("tuple", tuple(_owned(a, values, params, taken, memo) for a in v.args),
                  v.kwargs)
    found = set().union(*(_bases(n, values, params, memo) for n in _sources(v)[0]))
    shared = found & (taken | params)
    taken |= found
    return Op("own", (v,)) if shared else v


def _sources(e):
    """The names `e` may hand over the array of (through the operations in PASSED), and whether
    it may be an array some operation in it makes."""
    names, new, todo = set(), False, [e]
    while todo:
        x = todo.pop()
        if type(x) is Var:
            names.add(x.name)
        elif type(x) is Op:
            at = PASSED.get(x.prim)
            if at is None:
                new = True
            else:
                todo.extend(x.args[i] for i in at if i < len(x.args))
    return names, new


def _bases(name, values, params, memo):
    """The names whose arrays `name` may hold, or a view of: a parameter, or a name assigned a
    new array, followed through copies and the operations in PASSED (each assignment: in a loop
    or a branch, any may hold). Iterative (a chain of copies as long as the program: no
    recursion), `memo` keeping each name's; a name met again on its own chain is its own."""
    todo, active = [(name, False)], set()
    while todo:
        n, ready = todo.pop()
        if n in memo or n in active and not ready:
            continue
        if n in params or n not in values:
            memo[n] = frozenset({n})
            continue
        if not ready:
            active.add(n)
            todo.append((n, True))
            todo.extend((m, False) for v in values[n] if v is not None
                        for m in _sources(v)[0] if m not in memo and m not in active)
            continue
        out = set()
        for v in values[n]:
            names, new = _sources(v) if v is not None else ((), True)
            if new:
                out.add(n)  # (a new array, or one unpacked from a tuple)
            for m in names:
                out |= memo.get(m, {m})
        memo[n] = frozenset(out)
        active.discard(n)
    return memo[name]
