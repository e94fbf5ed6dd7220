"""Stage: flat code -> flat code, before it is differentiated: rewrites that make both sweeps
cheaper and keep the function's value.

  joined_lists   `a + b`, `a * 2`, `list(a)` of lists built at run time are list operations
  lists_as_arrays   a list given to a NumPy function is first the array NumPy makes of it
  idioms   in `np.log(np.sum(np.exp(z - m), ...)) + m` with m = np.max(z, ...), m has no adjoint
  hoist    loop-invariant elementwise operations move in front of a loop that surely runs
"""
from __future__ import annotations

from collections import Counter

from .analysis import each_assign, list_names
from .errors import UnsupportedSyntaxError
from .ir import Assign, Break, Const, For, Function, Namer, Op, Var, stmt_exprs, targets_of, \
    used_names, walk_stmts
from .optimize import assignments, blocks
from .primitives import EFFECTS, PRIMS, SHAPE_LIKE


# NumPy functions that make an array of a list operand first, as elementwise functions do:
# the reductions (np.choose, np.select, np.stack, ... take a list as a sequence of parts)
_REDUCTIONS = {"np.sum", "np.mean", "np.max", "np.min", "np.prod",
               "np.std", "np.var", "np.median", "np.average", "np.ptp", "np.cumsum",
               "np.cumprod", "np.nansum", "np.nanmean", "np.nanmax", "np.nanmin", "np.linalg.norm",
               "np.dot", "np.vdot", "np.inner", "np.outer", "np.trace", "np.diff",
               "np.sort", "np.quantile", "np.percentile", "np.logaddexp", "np.maximum",
               "np.minimum", "np.clip", "np.where"}


def joined_lists(fn: Function) -> Function:
    """`a + b`, `a * 2`, `a.copy()` where a is a list (or tuple) built at run time: lowering
    cannot tell it from a number or an array, the names that hold lists (analysis.list_names)
    can. They become list_concat, list_repeat and list_copy, whose rules split a gradient by
    each operand's length (an `add` would give each operand the whole list). list(a) and
    tuple(a) of anything else are its rows (rows_list: an array's, or a list's items), except
    of an argument whose structure is not known yet (compiled again at the call, knowing it)."""
    lists: set = set()

    def listy(a):
        return type(a) is Var and a.name in lists or \
            type(a) is Const and type(a.value) in (list, tuple)

    changed = True
    while changed:  # (a list joined is a list: `acc = acc + (v,)` in a loop)
        changed = False
        lists = list_names(fn, stacks=False) | {  # (what a tape pops may be a number)
            s.target for s in each_assign(fn.body) if type(s.target) is str and
            type(s.value) is Const and type(s.value.value) in (list, tuple)}
        for s in each_assign(fn.body):
            v = s.value
            if type(v) is not Op:
                continue
            args, new = v.args, None
            if v.prim == "add" and len(args) == 2 and all(listy(a) for a in args):
                new = _joined(args, fn)
            elif v.prim == "mul" and len(args) == 2 and listy(args[0]) != listy(args[1]):
                xs, n = args if listy(args[0]) else args[::-1]
                if type(n) is Const and type(n.value) is int:
                    new = Op("list_repeat", (xs, n))
            elif v.prim == "np.copy" and not v.kwargs and type(args[0]) is Var and \
                    listy(args[0]):  # xs.copy() of a list
                new = Op("list_copy", args)
            if new is not None:
                s.value, changed = new, True
    for block in blocks(fn):  # xs * n, n a name: NumPy's product where n is an array, refused
        for k in range(len(block) - 1, -1, -1):  # where it is a count (check_not_count)
            v = block[k].value if type(block[k]) is Assign else None
            if type(v) is Op and v.prim == "mul" and len(v.args) == 2 and \
                    listy(v.args[0]) != listy(v.args[1]):
                xs, n = v.args if listy(v.args[0]) else v.args[::-1]
                if type(n) is Var and type(xs) is Var:  # ([0.0] * n: constants)
                    block.insert(k, Assign(None, Op("check_not_count", (n, Const(
                        f"{xs.name} * {n.name}"))),
                        block[k].line))
    unknown = {name for name, tree, _ in fn.arguments if tree is None}  # (its structure)
    for s in each_assign(fn.body):
        v = s.value
        if type(v) is Op and v.prim in ("list_copy", "tuple_copy") and not listy(v.args[0]) \
                and not (type(v.args[0]) is Var and v.args[0].name in unknown):
            # list(a) of an array (or of a list the analysis does not see): its rows
            s.value = Op("rows_list" if v.prim == "list_copy" else "rows_tuple", v.args)
        elif type(v) is Op and v.prim in ("list_copy", "tuple_copy") and not listy(v.args[0]):
            error = UnsupportedSyntaxError(
                f"{PRIMS[v.prim].name}() of {v.args[0].name}, an argument, is compiled at the "
                "call, for what it is there (an array: its rows; a list: its items); call the "
                "derivative, or see its code with source(df, at=args)", fn.filename, s.line)
            # list(xs) of an argument: a list one, lowered as such once its structure is known
            error.maybe_container = type(v.args[0]) is Var
            raise error
    return fn


_LIST_MADE = ("make_list", "list_append", "list_concat", "list_repeat", "list_copy",
              "rows_list")
_TUPLE_MADE = ("tuple", "tuple_copy", "rows_tuple")


def _joined(args, fn):
    """`a + b` of two lists (or tuples). Lowering knows `[]` and `()` as one object (the empty
    tuple), so `[] + list(x)` would print as `() + s0`, which Python refuses. With an empty
    operand known here the sum is a copy of the other, of its kind: `list(b)` where b surely
    holds a list, `() + b` where it surely holds a tuple, `b[:]` where it may hold either
    (chosen at run time). (`() + list(x)`, which Python refuses, is so taken too.)"""
    empty = [type(a) is Const and type(a.value) is tuple and a.value == () for a in args]
    if not any(empty) or all(empty) or type(args[empty.index(False)]) is not Var:
        return Op("list_concat", args)
    other = args[empty.index(False)]
    if other.name in _surely_lists(fn, _LIST_MADE):
        return Op("list_copy", (other,))  # (Numba cannot type `[]`: list(b) it can)
    if other.name in _surely_lists(fn, _TUPLE_MADE):
        return Op("list_concat", args)
    return Op("getitem", (other, Const(slice(None))))


def lists_as_arrays(fn: Function) -> Function:
    """A list a loop builds given to a NumPy function (`np.mean(losses)`, `np.sum(xs)`): NumPy
    makes an array of it first, and so does flat code (`s = np.asarray(losses)`), whose rules
    take arrays (they fitted the gradient to the list as if it were one). Only names that hold a
    list on every assignment (made by [...] or append, or copied from such a name)."""
    lists = _surely_lists(fn)
    tuples = _surely_lists(fn, ("tuple",))  # np.mean((x, y)): a tuple display, as NumPy takes it
    if not lists and not tuples:
        return fn
    namer = Namer({n for s in walk_stmts(fn.body) for n in targets_of(s)} | set(fn.params))
    for block in blocks(fn):
        for k in range(len(block) - 1, -1, -1):
            s = block[k]
            v = s.value if type(s) is Assign else None
            if type(v) is not Op or not (v.prim in _REDUCTIONS or v.prim.startswith("np.") and
                                         PRIMS[v.prim].kind == "unary"):
                continue
            args, params = list(v.args), PRIMS[v.prim].params
            for i, a in enumerate(args):
                if type(a) is Var and (a.name in lists or a.name in tuples and i < len(params)
                                       and params[i] not in SHAPE_LIKE):
                    made = namer.fresh(f"{a.name}_array")
                    block.insert(k, Assign(made, Op("np.asarray", (a,)), s.line))
                    args[i] = Var(made)
            s.value = Op(v.prim, tuple(args), v.kwargs)
    return fn


def _surely_lists(fn, made=("make_list", "list_append", "list_concat", "list_repeat",
                             "list_copy")):
    """Names every assignment of which is a list: [...] or an append made it (or one of the
    primitives `made`), or it is a copy of such a name."""
    values: dict = {}
    for s in walk_stmts(fn.body):
        if type(s) is Assign and type(s.target) is str:
            values.setdefault(s.target, []).append(s.value)
    lists = {n for n, vs in values.items() if all(
        type(v) is Op and v.prim in made or type(v) is Var for v in vs)}
    changed = True
    while changed:  # a copy of a name that is not surely a list is not one either
        changed = False
        for n in sorted(lists):
            if any(type(v) is Var and v.name not in lists for v in values[n]):
                lists.discard(n)
                changed = True
    return lists


def hoist(fn: Function) -> Function:
    """Loop-invariant code motion, on flat code before it is differentiated: an elementwise
    operation of values a `for` loop does not change moves in front of the loop, so both sweeps
    compute it (and its adjoint) once. Only out of a loop that surely runs (constant bounds, no
    `break`), so that nothing is computed, or raises, that the function would not."""
    once = assignments(fn)
    for block in list(blocks(fn)):
        k = 0
        while k < len(block):
            loop = block[k]
            if type(loop) is For and _runs(loop):
                varying = set(targets_of(loop)) | {loop.target}
                moved = [s for s in loop.body if _invariant(s, varying, once)]
                loop.body[:] = [s for s in loop.body if not any(s is m for m in moved)]
                block[k:k] = moved
                k += len(moved)
            k += 1
    return fn


def idioms(fn: Function) -> Function:
    """Idioms with a cheaper, stable derivative, recognized in flat code before it is
    differentiated: `np.log(np.sum(np.exp(z - m), axis=a, keepdims=True)) + m` with
    `m = np.max(z, axis=a, keepdims=True)` does not depend on the stabilizer m, so m's adjoint
    (exactly zero) is never computed. Where nothing else reads m or the steps between, m gets
    a `stop_gradient` and the sweeps keep the user's own steps (the adjoint of exp reuses
    exp(z - m)); otherwise the sum is `logsumexp(z, axis=a, keepdims=True)`."""
    once = assignments(fn)
    defs = {s.target: s.value for block in blocks(fn) for s in block
            if type(s) is Assign and type(s.target) is str and once.get(s.target) == 1 and
            type(s.value) is Op}
    reads = Counter(n for s in walk_stmts(fn.body) for e in stmt_exprs(s) for n in used_names(e))

    def made(e, prim):
        return defs.get(e.name) if type(e) is Var and e.name in defs and \
            defs[e.name].prim == prim else None

    namer = Namer(set(reads) | set(fn.params) | set(once))
    for block in blocks(fn):
        for s in list(block):
            if not (type(s) is Assign and type(s.value) is Op and s.value.prim == "add"):
                continue
            for log, m in (s.value.args, s.value.args[::-1]):
                found = _logsumexp(log, m, made)
                if found is None:
                    continue
                lse, steps = found
                if not (reads[m.name] == 2 and all(reads[v.name] == 1 for v in steps) and
                        _stop(block, m.name, namer)):
                    s.value = lse
                break
    for block in blocks(fn):
        block[:] = [t for s in block for t in _steps_of_logsumexp(s, namer)]
    return fn


def _steps_of_logsumexp(s, namer):
    """`y = logsumexp(z, axis=a, keepdims=True)` as the steps it computes: m = max_shift(z, a)
    (the stabilizer, without a derivative), e = np.exp(z - m), s = np.sum(e, axis=a,
    keepdims=True), y = np.log(s) + m: the same operations, so the same value, and the adjoint
    of z reads e and s instead of computing np.exp(z - y) again."""
    v = s.value if type(s) is Assign and type(s.target) is str else None
    options = dict(v.kwargs) if type(v) is Op and v.prim == "logsumexp" else {}
    if options.get("keepdims") != Const(True):
        return [s]
    axis = options.get("axis", Const(None))
    m, t, e, total, log = (namer.temp() for _ in range(5))
    kept = (("axis", axis), ("keepdims", Const(True)))
    return [Assign(m, Op("max_shift", (v.args[0],), kept), s.line),
            Assign(t, Op("sub", (v.args[0], Var(m))), s.line),
            Assign(e, Op("np.exp", (Var(t),)), s.line),
            Assign(total, Op("np.sum", (Var(e),), kept), s.line),
            Assign(log, Op("np.log", (Var(total),)), s.line),
            Assign(s.target, Op("add", (Var(log), Var(m))), s.line)]


def _logsumexp(log, m, made):
    """logsumexp(z, ...) and the steps from m to `log` (z - m, its exp, their sum, `log`) when
    `log` is np.log(np.sum(np.exp(z - m), ...)) and m is z's max."""
    of_log = made(log, "np.log")
    total = made(of_log.args[0], "np.sum") if of_log is not None and not of_log.kwargs else None
    exp = made(total.args[0], "np.exp") if total is not None else None
    diff = made(exp.args[0], "sub") if exp is not None and not exp.kwargs else None
    if diff is None or diff.args[1] != m:
        return None
    top = made(m, "np.max") or made(m, "np.amax")
    options = dict(total.kwargs)
    keep = options.get("keepdims", Const(False))
    if top is None or top.args[0] != diff.args[0] or dict(top.kwargs) != options or \
            set(options) - {"axis", "keepdims"} or \
            not (keep == Const(True) or options.get("axis", Const(None)) == Const(None)):
        return None
    steps = [exp.args[0], total.args[0], of_log.args[0], log]
    return Op("logsumexp", (diff.args[0],), tuple(sorted(options.items()))), steps


def _stop(block, m, namer):
    """Give the stabilizer m, assigned in `block`, a derivative of zero: `m = np.max(...)`
    becomes `s = np.max(...); m = stop_gradient(s)`, s a name of its own."""
    k = next((i for i, s in enumerate(block) if type(s) is Assign and s.target == m), None)
    if k is None:
        return False
    top, name = block[k], namer.temp()
    block[k:k + 1] = [Assign(name, top.value, top.line),
                      Assign(m, Op("stop_gradient", (Var(name),)), top.line)]
    return True


def _runs(loop):
    """A `for` loop over constant bounds that runs at least once and has no `break`."""
    return loop.count is None and all(type(b) is Const and type(b.value) is int
                                      for b in loop.bounds) and \
        len(range(*(b.value for b in loop.bounds))) > 0 and \
        not any(type(s) is Break for s in walk_stmts(loop.body))


def _invariant(s, varying, once):
    """An elementwise operation on values the loop does not change (`varying`: what the loop
    assigns, less what moves out)."""
    ok = type(s) is Assign and type(s.target) is str and once.get(s.target) == 1 and \
        type(s.value) is Op and not s.value.kwargs and s.value.prim not in EFFECTS and \
        s.value.prim not in ("max", "min", "float") and \
        PRIMS[s.value.prim].kind in ("unary", "broadcast") and \
        not used_names(s.value) & varying
    if ok:
        varying.discard(s.target)
    return ok
