"""Analyses of flat code that forward and reverse mode share: the names a function assigns,
which of them carry derivatives (activity), which hold lists a loop builds, and which are known to
share a shape (so that a broadcast's reduction can be decided at transformation time)."""
from __future__ import annotations

from .ir import (Assign, Const, For, Function, If, Op, Var, stmt_exprs,
                 targets_of, used_names, uses_of, walk_stmts)
from .errors import NoDerivativeError
from .primitives import EFFECTS, LIST_PRIMS, PRIMS, TEXT_PRIMS
from .templates import check_operands, differentiable, located, unruled_operands

SCALAR = "<python scalar>"           # the shape class of Python numbers: broadcasts with anything
SCALAR_PRIMS = {"len", "int", "round", "ndim", "size", "np.ndim", "np.size", "math.floor",
                "math.ceil", "math.trunc", "floordiv"}


def all_names(fn: Function):
    names = set(fn.params) | set(fn.constants)
    for s in fn.body:
        names.update(targets_of(s))
    return names


def each_assign(stmts):
    """Every Assign in a statement list, nested blocks included, in program order."""
    for s in walk_stmts(stmts):
        if type(s) is Assign:
            yield s


# helpers of derivative code whose result is shaped like one operand (a list's adjoint is a list)
SHAPED_LIKE = {"zeros_like": 0, "scatter_add": 0, "getitem_grad": 1, "sum_grad": 1,
               "list_unrepeat": 1, "unbroadcast": 1, "zero_at": 0, "last_written": 0,
               "held_in": 0}
# the parts' gradients: a list where that operand is a list (of values or of rows), else an array
PARTS_OF = {"stack_grad": 1, "concatenate_grad": 1, "hstack_grad": 1, "vstack_grad": 1}


def list_names(fn: Function, stacks=True):
    """Names holding a list a loop builds (their tangents and adjoints are lists too), a slice
    of one, one with an item replaced, a list repeated n times, the adjoint of one (when a
    gradient is differentiated again), an item of a list of lists, and what is popped from a
    stack that holds such a list (which may be a number too: list_add adds numbers as well;
    `stacks=False`: only names that hold a list wherever they hold one known here)."""
    # how many levels of lists a name holds: 1 for a list of numbers, 2 for a list of rows, ...
    # An item of a list of rows is a list, and so is an item of its adjoint (zero_at,
    # getitem_grad, list_add of them) or of a stack holding one, which a gradient differentiated
    # again adds: with `+` two rows would be joined end to end
    depth: dict = {}

    def of(a):
        if type(a) is Var:
            return depth.get(a.name, 0)
        return _const_depth(a.value) if type(a) is Const else 0

    slices = {s.target for s in each_assign(fn.body)
              if type(s.value) is Op and s.value.prim == "slice" and type(s.target) is str}
    changed = True
    while changed:
        changed = False
        for s in each_assign(fn.body):
            v = s.value
            if not stacks and type(v) is Op and v.prim == "pop":
                continue
            if type(v) is Op and v.prim == "push" and type(v.args[1]) is Var and \
                    of(v.args[1]) > of(v.args[0]):
                depth[v.args[0].name] = of(v.args[1])  # a stack holding a list
                changed = True
            if type(s.target) is not str or type(v) not in (Op, Var):
                continue
            d = min(_list_depth(v, of, slices), MAX_DEPTH)
            if d > depth.get(s.target, 0):
                depth[s.target] = d
                changed = True
    return {name for name, d in depth.items() if d > 0}


MAX_DEPTH = 16  # (a list wrapped again on each pass of a loop: the fixpoint stops there)


def _const_depth(value):
    if type(value) not in (tuple, list):
        return 0
    return 1 + max((_const_depth(e) for e in value), default=0)


def _list_depth(v, of, _slices=frozenset()):
    """The levels of lists the value `v` (an Op or a Var) holds, as far as `of` knows its
    operands' (0: none known)."""
    if type(v) is Var:
        return of(v)
    args, prim = v.args, v.prim
    if prim == "make_list":
        return 1 + max((of(a) for a in args), default=0)
    if prim == "list_append":
        return max(of(args[0]), 1 + of(args[1]))
    if prim == "getitem" and args and of(args[0]):
        sliced = type(args[1]) is Const and type(args[1].value) is slice or \
            type(args[1]) is Var and args[1].name in _slices  # L[1:], L[:len(a)]: a list
        return of(args[0]) if sliced else of(args[0]) - 1  # a row of a list of lists
    if prim == "setitem" and of(args[0]):  # xs[i] = v of a list: a list
        return max(of(args[0]), 1 + of(args[2]))
    if prim == "pop":
        return of(args[0])
    if prim in ("list_add", "list_concat", "list_join", "list_repeat", "list_copy", "tuple_copy"):
        return max(1, *(of(a) for a in args))
    if prim in SHAPED_LIKE and len(args) > SHAPED_LIKE[prim]:  # the adjoint of a list
        return of(args[SHAPED_LIKE[prim]])
    if prim in PARTS_OF and len(args) > PARTS_OF[prim]:
        return min(of(args[PARTS_OF[prim]]), 1)
    if prim == "mul":  # [None] * n: a list
        return max((_const_depth(a.value) for a in args if type(a) is Const), default=0)
    return 1 if prim in LIST_PRIMS else 0


def add_op(name, lists):
    """How two tangents or adjoints of `name` are added: elementwise for lists."""
    return "list_add" if name in lists else "add"


def active_names(fn: Function, wrt, useful=None):
    """Names whose value depends on a differentiated input, through any path (a fixpoint over
    loops and branches). `useful` (has_aux): only these names, the ones the differentiated
    output carries a derivative to (reaching), may be active; the rest need no rules."""
    active = set(wrt)
    changed = True
    while changed:
        changed = False
        for s in each_assign(fn.body):
            if useful is not None and not useful.intersection(targets_of(s)) and not (
                    type(s.value) is Op and s.value.prim == "push" and
                    s.value.args[0].name in useful):
                continue
            v = s.value
            if type(v) is Op and v.prim == "push" and v.args[0].name not in active and \
                    type(v.args[1]) is Var and v.args[1].name in active:
                active.add(v.args[0].name)  # a stack holding a differentiated value (stacks.py)
                changed = True
            if s.target is None or type(s.target) is tuple or s.target in active:
                continue
            if any(type(a) is Var and a.name in active for a in _carrying(s, fn)):
                active.add(s.target)
                changed = True
    for s in each_assign(fn.body):  # nothing unknown is a constant: refuse what has no rule
        if type(s.value) is Op and (useful is None or useful.intersection(targets_of(s)) or
                                    s.value.prim == "push" and s.value.args[0].name in useful):
            check_operands(s.value, active, fn, s.line)  # (once, with every active name)
    text_not_read_back(fn, active, useful)
    return active


# Piecewise constant on real values, not on complex ones: given a differentiated value, the
# primitive is called in its checked form, which refuses a complex one at run time.
REAL_ONLY = {"np.sign": "real_sign"}


def _carrying(s: Assign, fn: Function):
    """The operands of an assignment whose derivative its value carries: not an index, a shape,
    a condition or any operand of a comparison."""
    v = s.value
    try:  # (a rule of options, np.pad's mode, may refuse: at the user's line)
        return [v] if type(v) is Var else v.args if type(v) is Op and v.prim == "pop" \
            else [v.args[i] for i in differentiable(v)] \
            if type(v) is Op and PRIMS[v.prim].kind != "nondiff" else ()
    except NoDerivativeError as e:
        raise located(e, fn.filename, s.line) from None


def reaching(fn: Function, outs):
    """The names whose derivative reaches the values named `outs` (the dual of activity): through
    the operands that carry one, those without a rule (where a differentiated value is refused)
    and the values pushed on a stack they pop from. A name read only by a branch's or a loop's
    test (a solver's `err` in `while err > tol`) decides which code runs, not what it computes:
    its adjoint is zero, so it needs none (and no rule)."""
    statements = list(each_assign(fn.body))[::-1]  # (last first: one pass for straight code)
    carried: dict = {}  # a statement's operand names, found once its target reaches (a rule
    reach = set(outs)   # of options may refuse: only where the derivative is needed)
    changed = True
    while changed:
        size = len(reach)
        for k, s in enumerate(statements):
            v = s.value
            if type(v) is Op and v.prim == "push" and v.args[0].name in reach and \
                    type(v.args[1]) is Var:
                reach.add(v.args[1].name)
            if type(s.target) is str and s.target in reach:
                if k not in carried:
                    carried[k] = _reached_through(s, fn)
                reach.update(carried[k])
        changed = len(reach) != size
    return reach


def _reached_through(s: Assign, fn: Function):
    """The names a derivative of `s`'s target reaches: the operands that carry one, and those
    that have no rule (refused there, check_operands) or are checked real (np.sign's)."""
    v = s.value
    names = [a.name for a in _carrying(s, fn) if type(a) is Var]
    if type(v) is Op and v.prim in REAL_ONLY:
        names += [a.name for a in v.args if type(a) is Var]
    elif type(v) is Op:
        names += [a.name for _, a in unruled_operands(v, fn.constants)]
    return names


def real_only(s, active):
    """Assignment `s`, calling the checked form of a REAL_ONLY primitive given an active name."""
    v = s.value
    if type(v) is Op and v.prim in REAL_ONLY and any(type(a) is Var and a.name in active
                                                     for a in v.args):
        return Assign(s.target, Op(REAL_ONLY[v.prim], v.args, v.kwargs), s.line)
    return s


# what text passes through as text: joined, sliced, %-formatted, kept in a list or on a tape
TEXT_KEEPING = {"add", "getitem", "slice", "push", "pop"} | TEXT_PRIMS | LIST_PRIMS


def text_not_read_back(fn: Function, active, useful=None):
    """Text of a differentiated value (str(x), repr(x), f"{x}", "%g" % x) has no derivative: read
    back as a number (float(s), np.float64(s), eval(s) * y) it would pass for a constant, so that
    is refused at its line. Printed, logged, asserted or raised with, it stays as written."""
    stmts = [s for s in each_assign(fn.body) if type(s.value) is Op and
             (useful is None or useful.intersection(targets_of(s)))]
    text = {s.target: s.line for s in stmts if s.value.prim in TEXT_PRIMS and type(s.target)
            is str and any(type(a) is Var and a.name in active for a in s.value.args)}
    made: dict = {}  # what a library call made of such text (of any type: eval(s))
    changed = bool(text)
    while changed:
        changed = False
        for s in stmts:
            v, names = s.value, [a.name for a in s.value.args if type(a) is Var]
            origin = next((k for k in names if k in text or k in made), None)
            if origin is None:
                continue
            line = text.get(origin) or made[origin]
            if v.prim in TEXT_KEEPING and not any(k in made for k in names):
                into = text
            elif v.prim == "call" or v.prim in TEXT_KEEPING:
                into = made
            elif PRIMS[v.prim].kind == "nondiff":
                continue  # compared, tested, printed: constants by design
            else:
                p = PRIMS[v.prim]
                what = f"{p.name}(...)" if p.form in ("call", "seq") else "arithmetic"
                raise NoDerivativeError(
                    f"{what} on text made from a differentiated value (str, repr, format or an "
                    f"f-string of it, line {line}) has no derivative: text is a constant, and the "
                    "number read back from it would pass for one; compute with the value itself "
                    "(np.round(x, 3) to round it) and keep text for printing", fn.filename, s.line)
            target = v.args[0].name if v.prim == "push" else s.target
            if type(target) is str and target not in into:
                into[target] = line
                changed = True


def shape_classes(fn: Function, covering=False):
    """Names known to share a shape: an elementwise result has its operands' shape when they all
    have the same one (`s0 = sigmoid(x)`, `s1 = x * s0`: x, s0 and s1 share a shape). Python
    numbers (constants, loop indices, lengths) take any shape. A reduction over a constant axis
    that keeps its dimensions has the class ("kept", its operand's class, the axis): it
    broadcasts against that class, and equals another such reduction. With `covering`, an
    elementwise result of class K and such reductions of K has class K too (`z - lse`): the
    class of its shape, though not of every operand's. A name assigned several times (in
    branches, in a loop) has a class only if every assignment agrees; a constant that starts a
    loop's accumulator is left out, since its own adjoint is never used."""
    scalars = set()
    for s in walk_stmts(fn.body):
        if type(s) is For:
            scalars.add(s.target)
    for s in each_assign(fn.body):
        if type(s.value) is Op and s.value.prim in SCALAR_PRIMS and type(s.target) is str:
            scalars.add(s.target)
    cls: dict = {}

    memo: dict = {}

    def klass(a):
        if type(a) is Const:
            return SCALAR if type(a.value) in (int, float, bool) else None
        return SCALAR if a.name in scalars else resolve(a.name, cls, memo)

    for _ in range(3):
        candidates: dict = {}
        memo.clear()
        for s in each_assign(fn.body):
            if type(s.target) is not str:
                continue
            v = s.value
            if type(v) is not Op:
                found = {klass(v)}
            elif v.prim == "stop_gradient":
                found = {klass(v.args[0])}
            elif (axis := _kept_axis(v)) is not None:  # a reduction keeping its dimensions
                found = {("kept", klass(v.args[0]), axis)}
            elif PRIMS[v.prim].kind in ("unary", "broadcast"):
                found = {klass(a) for a in v.args
                         if type(a) is not Var or a.name != s.target} - {SCALAR}
                found = found or {SCALAR}
                bases = {c[1] if type(c) is tuple else c for c in found}
                if covering and len(found) > 1 and len(bases) == 1 and bases <= found:
                    found = bases
            else:
                found = {None}
            candidates.setdefault(s.target, []).append(found.pop() if len(found) == 1 else None)
        new = {}
        for name, cands in candidates.items():
            real = [c for c in cands if c not in (SCALAR, name)] or \
                [c for c in cands if c != name] or cands
            if None not in real and len(set(real)) == 1 and real[0] != name:
                new[name] = real[0]
        if new == cls:
            break
        cls = new
    memo.clear()
    return {n: resolve(n, cls, memo) for n in cls}


def resolve(c, cls, memo):
    """A class through the chain of names it points to (s2 -> s1 -> z), inside a reduction's
    class too; `memo` keeps what it found for each name on the way."""
    path: dict = {}  # (a dict: in order, and a chain of n names is walked in n steps)
    while type(c) is str and c in cls and c not in memo and c not in path:
        path[c] = None
        c = cls[c]
    if type(c) is str and c in memo:
        c = memo[c]
    elif type(c) is tuple and c[0] == "kept":
        c = ("kept", resolve(c[1], cls, memo), c[2])
    for n in path:
        memo[n] = c
    return c


KEPT_REDUCTIONS = {"np.sum", "np.mean", "np.max", "np.amax", "np.min", "np.amin", "logsumexp",
                   "max_shift", "max_initial", "min_initial"}


def keeps_dimensions(fn: Function) -> bool:
    """Whether `fn` has a reduction that keeps its dimensions (else covering classes are the
    plain ones)."""
    return any(type(s.value) is Op and _kept_axis(s.value) is not None
               for s in each_assign(fn.body))


def _kept_axis(v):
    """The axis of a reduction with keepdims=True over a constant axis (its `repr`), or None."""
    kw = dict(v.kwargs)
    axis = kw.get("axis", Const(None))
    if v.prim not in KEPT_REDUCTIONS or kw.get("keepdims") != Const(True) or \
            type(axis) is not Const or set(kw) - {"axis", "keepdims"}:
        return None
    return repr(axis.value)


# Primitives through which flat code reads a parameter as a container rather than as an array:
# an argument that is a list, tuple or dict would change their meaning (boundary.py).
READS_AS_CONTAINER = {"getitem", "len", "list_sum", "list_append", "tuple"}


def may_hold_containers(fn: Function) -> tuple:
    """The parameters that flat code indexes, measures or uses as a list, directly or through
    what it computes from them (`s = p + q; s[0]`: for tuples p + q joins them, max(p, q)
    compares them item by item), which an argument may be: a tuple or list passed for one is
    then lowered as one (boundary.py). So are those an array method is called on (`v.sum()`),
    which an object of the user's class with a method of that name may be; those a copy
    (`xs_1 = xs`, a loop's) reads as one; and those the code never reads, whose gradient is
    zeros in the structure of whatever is passed."""
    read: set = set(fn.receivers)
    made: dict = {}
    for s in each_assign(fn.body):
        v = s.value
        if type(v) is Var:
            names = {v.name}
        elif type(v) is Op:
            names = {a.name for a in v.args if type(a) is Var}
        else:
            continue
        if type(v) is Op and (v.prim in READS_AS_CONTAINER or v.prim.endswith("_list") or
                              v.prim in LIST_PRIMS):
            read |= names
        for t in targets_of(s):
            made.setdefault(t, set()).update(names)
    todo = list(read)
    while todo:
        for name in made.get(todo.pop(), ()):
            if name not in read:
                read.add(name)
                todo.append(name)
    used = {n for s in walk_stmts(fn.body) for e in stmt_exprs(s) for n in used_names(e)}
    return tuple(p for p in fn.params if p in read or p not in used)


class Readers:
    """Who reads and who assigns each name among the statements of one block (nested blocks
    counted as their statement's): worked out once per block, for `one_branch`."""

    def __init__(self, stmts):
        self.stmts = stmts
        self.users: dict = {}
        self.assigns: dict = {}
        for k, st in enumerate(stmts):
            for n in uses_of(st):
                self.users.setdefault(n, []).append(k)
            for n in targets_of(st):
                self.assigns.setdefault(n, []).append(k)


def one_branch(readers: Readers, i, movable, inert=lambda st: False):
    """For the `if` at index i of a block: the statements before it whose value only one of its
    branches reads (directly, or through statements moved there too), as two lists of indices in
    program order, (into its body, into its orelse). Code that only derivatives need (a tangent,
    an adjoint's rule) moves there: run on the other path, it gets a zero derivative, and its
    slope may be infinite where that branch's value is singular (`np.sqrt(x)` at 0 guarded by
    `if x <= 0`), and 0 * inf is NaN (on Python floats, a ZeroDivisionError). `movable(stmt)`
    picks the candidates: assignments of one name, read nowhere outside the block (but maybe in
    the same branch of a later `if` on the same test: a derivative's backward sweep); `inert(stmt)`:
    a statement whose reading a value does not count (a comparison has no derivative)."""
    stmts, s = readers.stmts, readers.stmts[i]
    reads = [set().union(*map(uses_of, b)) if b else set() for b in (s.body, s.orelse)]
    out = []
    for k in (0, 1):
        mine = reads[k] - reads[1 - k] - used_names(s.test)  # (what only branch k reads)
        moved: set = set()
        heap = sorted({readers.assigns[n][0] for n in mine if len(readers.assigns.get(n, ())) == 1
                       and readers.assigns[n][0] < i}, reverse=True)
        while heap:  # (the last first: a statement is decided after those that read its value)
            j = heap.pop(0)
            st = stmts[j]
            if type(st) is not Assign or type(st.target) is not str or not movable(st) or \
                    readers.assigns.get(st.target) != [j]:
                continue
            if any(not (u in moved or u == i and st.target in mine or inert(stmts[u]) or
                        _same_branch(readers, i, u, k, st.target))
                   for u in readers.users.get(st.target, ())):
                continue
            if any(j < a <= i for n in used_names(st.value) for a in readers.assigns.get(n, ())):
                continue  # (an operand changes before the branch)
            _take(readers, j, st, moved, heap)
        out.append(sorted(moved))
    return out


def _same_branch(readers: Readers, i, u, k, name):
    """Whether statement u is an `if` on the same test as the one at i (the test unchanged
    between them, or the same comparison of the same values: `_same_test`) that reads `name` in
    its branch k only."""
    s, later = readers.stmts[i], readers.stmts[u]
    if u < i or type(later) is not If or name in used_names(later.test):
        return False
    if later.test != s.test and not _same_test(readers, s.test, later.test, u):
        return False
    if any(i < a < u for n in used_names(s.test) for a in readers.assigns.get(n, ())):
        return False
    other = later.orelse if k == 0 else later.body
    return not any(name in uses_of(st) for st in other)


def into_loop(readers: Readers, i, movable):
    """For the loop at index i of a block: the statements before it whose value only the loop's
    body reads (directly, or through statements moved there too), and whose operands neither the
    loop nor anything between them and it changes, as indices in program order. Code that only
    derivatives need (a tangent) moves into the body, where `one_branch` may take it further into
    a branch: computed before, it would run when the loop runs no step or never takes the branch
    that reads it, and its slope may be infinite where the value is never read (`math.sqrt(x)` at
    0: a ZeroDivisionError on Python floats). The caller computes it once there (under a flag).
    `movable(stmt)`: as for `one_branch`."""
    stmts, loop = readers.stmts, readers.stmts[i]
    header = {n for e in stmt_exprs(loop) for n in used_names(e)}
    moved: set = set()
    heap = sorted({readers.assigns[n][0] for n in uses_of(loop) - header
                   if len(readers.assigns.get(n, ())) == 1 and readers.assigns[n][0] < i},
                  reverse=True)
    while heap:  # (the last first: a statement is decided after those that read its value)
        j = heap.pop(0)
        st = stmts[j]
        if type(st) is not Assign or type(st.target) is not str or not movable(st) or \
                readers.assigns.get(st.target) != [j] or st.target in header:
            continue
        if any(not (u in moved or u == i) for u in readers.users.get(st.target, ())):
            continue
        if any(j < a <= i for n in used_names(st.value) for a in readers.assigns.get(n, ())):
            continue  # (an operand changes before the loop, or in it)
        _take(readers, j, st, moved, heap)
    return sorted(moved)


def _take(readers: Readers, j, st, moved, heap):
    """Statement j (`st`) moves: the statements before it that assign its operands (once) are
    considered next (one_branch, into_loop), the last first."""
    moved.add(j)
    for n in used_names(st.value):
        a = readers.assigns.get(n, ())
        if len(a) == 1 and a[0] < j and a[0] not in heap:
            heap.append(a[0])
    heap.sort(reverse=True)


def _same_test(readers: Readers, a, b, u):
    """Whether tests `a` and `b` (of `if`s before statement u) are names this block assigns once
    each, from the same comparison of operands that do not change between the first and u (the
    user's `if x > 0:` written twice)."""
    if type(a) is not Var or type(b) is not Var:
        return False
    where = [readers.assigns.get(t.name, ()) for t in (a, b)]
    if any(len(w) != 1 for w in where):
        return False
    first, second = (readers.stmts[w[0]] for w in where)
    if type(first) is not Assign or type(second) is not Assign or first.value != second.value \
            or type(first.value) is not Op or first.value.prim in EFFECTS or \
            PRIMS[first.value.prim].kind != "nondiff":
        return False
    start = min(where[0][0], where[1][0])
    return not any(start < k < u for n in used_names(first.value)
                   for k in readers.assigns.get(n, ()))
