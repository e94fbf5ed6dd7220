"""Stage: flat -> flat passes. Each pass returns whether it changed anything; `optimize` repeats
them until none does. The passes keep the code readable: gradients that are returned keep their
`grad_<name>` names, and outside the loops of the sweeps nothing is inlined into a larger
expression than a rule wrote.

  propagate   `grad_s2 = grad_s3` and `grad_L = 1.0` are substituted into their uses
  copies      a copy of a name that changes later is read as the name until it changes
  sums        `g = a` then `g = g + b` is `g = a + b`
  simplify    `1.0 * (1 - L) * L` -> `(1 - L) * L`, constant arithmetic folded
  dead_code   assignments whose values nothing reads (liveness over branches and loops) go
  common      a repeated expression is computed once (`np.cos(x)` in two rules)
  collect     in a loop of a sweep, single-use temporaries joined into the statement reading
              them; in a backward loop, arithmetic collected where that saves operations:
              `grad_x = grad_x * (4.0 - 8.0 * x)`
"""
from __future__ import annotations

import re

from .ir import (NESTING, Assign, Break, Const, For, Function, If, Op, Return, Var, While, blocks_of,
                 stmt_exprs, substitute, targets_of, used_names, uses_of, walk_stmts)
from . import polynomial
from .analysis import list_names
from .primitives import EFFECTS, PRIMS
from .templates import simplify as simplify_expr


def optimize(fn: Function) -> Function:
    """The passes in turn until none changes anything. A pass that found nothing to do is not run
    again until another pass has changed the code (each is a function of the code alone)."""
    passes = (propagate, copies, sums, simplify, dead_code, common, collect)
    memo: dict = {}
    idle: set = set()  # the passes that changed nothing since the last change
    while len(idle) < len(passes):
        for p in passes:
            if p in idle:
                continue
            if p(fn, memo) if p is simplify else p(fn):
                idle.clear()
            else:
                idle.add(p)
            if len(idle) == len(passes):
                break
    return fn


def blocks(fn):
    """Every statement list in `fn`, nested ones included."""
    stack = [fn.body]
    while stack:
        block = stack.pop()
        yield block
        for s in block:
            if type(s) in NESTING:
                stack += blocks_of(s)


def _rewrite(fn, f):
    """Apply `f` to every expression a statement reads."""
    for block in blocks(fn):
        for s in block:
            if type(s) is Assign:
                s.value = f(s.value)
            elif type(s) is Return:
                s.values = [f(v) for v in s.values]
            elif type(s) is For:
                s.bounds = tuple(f(b) for b in s.bounds)
                s.count = None if s.count is None else f(s.count)
            elif hasattr(s, "test"):
                s.test = f(s.test)


def assignments(fn):
    """How many times each name is assigned (loops and branches assign some names repeatedly;
    the passes only move names assigned once)."""
    counts = {p: 1 for p in fn.params}
    for block in blocks(fn):
        for s in block:
            names = targets_of(s) if type(s) is Assign else [s.target] if type(s) is For else \
                list(s.params) if type(s) is Function else []
            for n in names:
                counts[n] = counts.get(n, 0) + 1
    return counts


def _uses(fn):
    counts = {}
    for block in blocks(fn):
        for s in block:
            if type(s) is Function:
                continue
            if type(s) is Assign and type(s.target) is str and type(s.value) is Var and \
                    s.value.name == s.target:
                continue
            stack = stmt_exprs(s)
            while stack:  # (each read counted: the names of the expressions, nested ones too)
                e = stack.pop()
                if type(e) is Var:
                    counts[e.name] = counts.get(e.name, 0) + 1
                elif type(e) is Op:
                    stack.extend(e.args)
                    stack.extend(v for _, v in e.kwargs)
    return counts


def _names(e):
    """The names `e` reads, in order, once per read."""
    if type(e) is Var:
        yield e.name
        return
    stack = [e]
    while stack:
        e = stack.pop()
        if type(e) is Var:
            yield e.name
        elif type(e) is Op:
            stack.extend(v for _, v in reversed(e.kwargs))
            stack.extend(reversed(e.args))


def propagate(fn: Function) -> bool:
    returned = set()
    for block in blocks(fn):
        for s in block:
            if type(s) is Return:
                for v in s.values:
                    returned |= used_names(v)
    mapping = {}
    once = assignments(fn)
    indexed = _indexed(fn)  # (a number indexed stays a name: `0.5[0]` is no Python)
    for block in blocks(fn):
        keep = []
        for s in block:
            if type(s) is Assign and type(s.target) is str and s.target not in returned and \
                    once.get(s.target) == 1 and (
                    type(s.value) is Var and once.get(s.value.name, 0) <= 1 or
                    type(s.value) is Const and type(s.value.value) in (int, float, bool) and
                    s.target not in indexed):
                mapping[s.target] = s.value
            else:
                keep.append(s)
        block[:] = keep
    if not mapping:
        return False
    for k, v in mapping.items():  # resolve chains: a = b, b = c
        while type(v) is Var and v.name in mapping:
            v = mapping[v.name]
        mapping[k] = v
    _rewrite(fn, lambda e: substitute(e, mapping))
    return True


def copies(fn: Function) -> bool:
    """`g2 = g` where `g` is assigned again later (a loop's adjoint kept before it is reset):
    the reads of `g2` before `g` changes read `g`, and `g = g2` (nothing changes) is dropped."""
    once, uses, changed = assignments(fn), _uses(fn), False
    for block in blocks(fn):
        k = 0
        while k < len(block):
            s = block[k]
            k += 1
            if not (type(s) is Assign and type(s.target) is str and type(s.value) is Var and
                    once.get(s.target) == 1 and once.get(s.value.name, 0) > 1):
                continue
            copy, name = s.target, s.value.name
            readers, back, seen = [], [], 0
            for st in block[k:]:
                if type(st) is Assign and st.target == name and st.value == Var(copy):
                    back.append(st)  # the name gets its own value back
                    seen += 1
                    continue
                reads = copy in uses_of(st)
                if reads:
                    readers.append(st)
                    seen += sum(1 for e in stmt_exprs(st) for n in _names(e) if n == copy)
                if name in targets_of(st):  # an assignment reads before it writes; a loop not
                    if reads and type(st) is not Assign:
                        seen = -1
                    break
            if seen != uses.get(copy, 0) or any(blocks_of(st) for st in readers):
                continue
            mapping = {copy: Var(name)}
            for st in readers:
                _rewrite_stmt(st, lambda e, m=mapping: substitute(e, m))
            block[:] = [x for x in block if x is not s and not any(x is b for b in back)]
            once[name] -= len(back)
            uses[name] = uses.get(name, 0) + seen - 2 * len(back)
            changed, k = True, k - 1
    return changed


def sums(fn: Function) -> bool:
    """`g = a` followed by `g = g + b` (contributions to an adjoint) is one statement."""
    changed = False
    for block in blocks(fn):
        k = 1
        while k < len(block):
            a, b = block[k - 1], block[k]
            if type(a) is Assign and type(b) is Assign and type(a.target) is str and \
                    a.target == b.target and type(b.value) is Op and b.value.prim == "add" and \
                    b.value.args[0] == Var(a.target) and \
                    a.target not in used_names(b.value.args[1]) and not _effect(a.value) and \
                    _terms(a.value) < 32:
                b.value = Op("add", (a.value, b.value.args[1]))
                del block[k - 1]
                changed = True
            else:
                k += 1
    return changed


JOINED = 12  # the most operations a statement of a backward loop computes after `collect`


def collect(fn: Function) -> bool:
    """In the body of a loop of a sweep, where each statement costs once per iteration: a
    statement takes in the single-use temporaries it reads (recomputed values, adjoint terms;
    nothing with an effect, nothing a statement between them changes, nothing across a print
    or a raise). In a backward loop an arithmetic statement then becomes its polynomial normal
    form, common factor first, when that computes fewer operations and reads the same names:
    the logistic map's `grad_x_1 = grad_x_1 * (4.0 - 8.0 * x_1)`. A forward loop's values are
    the function's bit for bit (the same operations in the same order): its step is
    `x_1 = 4.0 * x_1 * (1.0 - x_1)`. Straight-line code, and so every lecture listing, is left
    as the rules wrote it."""
    loops = [s for block in blocks(fn) for s in block if type(s) is For and s.sweep]
    if not loops:
        return False
    named = {n[5:] for n in assignments(fn) if n.startswith("grad_")}
    lists, changed = list_names(fn), False
    # (a value whose adjoint keeps its name keeps its own: the listing shows what grad_s4 is of)
    local = {k: v for k, v in _local_temporaries(fn).items() if k[1] not in named}
    for loop in loops:
        changed |= _collect(loop.body, local, lists, loop.sweep == "backward")
    return changed


def _collect(block, local, lists, rearrange):
    gone, changed = set(), False
    for j, s in enumerate(block):
        if not (type(s) is Assign and type(s.target) is str and type(s.value) is Op and
                s.value.prim not in EFFECTS):
            continue
        taken = []  # the statements joined in
        room = [JOINED - polynomial.operations(s.value)]
        value = _join(s.value, block, j, local, taken, gone, room)
        if used_names(value) & lists or any(o.prim in EFFECTS for o in _ops(value)):
            continue
        if not rearrange or s.value.prim not in polynomial.ARITHMETIC:
            # (a forward sweep computes its values as the function does, bit for bit)
            if taken:
                s.value = value
                gone.update(taken)
                changed = True
            continue
        p = polynomial.of(value)
        new = polynomial.expression(p) if p is not None and \
            polynomial.names(p) == used_names(value) else None
        floats = any(type(e.value) is float for e in _consts(value))
        if new is None or floats and not any(type(c) is float for c in p.values()) or \
                polynomial.operations(new) >= polynomial.operations(value):
            new = value if taken else None  # (joined, one assignment less per temporary)
        if new is None:
            continue
        s.value = new
        gone.update(taken)
        changed = True
    block[:] = [s for k, s in enumerate(block) if k not in gone]
    return changed


def _join(e, block, j, local, taken, gone, room):
    """`e` (read by block[j]) with the single-use temporaries it reads put in, as long as the
    whole computes at most JOINED operations (`room` holds how many more it may)."""
    if type(e) is Var:
        k = local.get((id(block), e.name, j))
        if k is None or k in gone or type(block[k].value) is not Op or \
                polynomial.operations(block[k].value) > room[0] or \
                any(o.prim in EFFECTS for o in _ops(block[k].value)) or \
                any(set(targets_of(t)) & used_names(block[k].value) or _seen(t)
                    for t in block[k + 1:j]):
            return e
        taken.append(k)
        room[0] -= polynomial.operations(block[k].value)
        return _join(block[k].value, block, k, local, taken, gone, room)
    if type(e) is Op and e.prim not in EFFECTS:
        return Op(e.prim, tuple(_join(a, block, j, local, taken, gone, room) for a in e.args),
                  e.kwargs)
    return e


def _seen(s):
    """Whether `s` does something a user sees (prints, fails), nested blocks included: nothing
    moves across it."""
    return any(type(t) is Assign and type(t.value) is Op and t.value.prim in SEEN
               for t in walk_stmts([s]))


SEEN = {"print", "assert_", "throw", "check_bound", "check_unbound"}


def _local_temporaries(fn):
    """{(block id, name, index of its one read): index of its assignment} for names each of
    whose assignments is read exactly once, by a statement of the same block before the next
    assignment, and never anywhere else (not in a nested block, not in the next iteration)."""
    reads, found, bad = _uses(fn), {}, set()
    local_reads = {}
    for block in blocks(fn):
        last = {}  # name -> index of its latest assignment in this block, still unread
        for k, s in enumerate(block):
            if type(s) is Assign:
                for n in _names(s.value):
                    if n in last:
                        found[(id(block), n, k)] = last.pop(n)
                        local_reads[n] = local_reads.get(n, 0) + 1
            for n in targets_of(s) if type(s) is Assign else ():
                if n in last:
                    bad.add(n)  # assigned again unread
                last[n] = k
            if type(s) is not Assign:
                for n in targets_of(s):
                    last.pop(n, None)
    return {key: k for key, k in found.items()
            if key[1] not in bad and local_reads.get(key[1]) == reads.get(key[1])}


def _ops(e):
    if type(e) is Op:
        yield e
        for a in e.args:
            yield from _ops(a)
        for _, v in e.kwargs:
            yield from _ops(v)


def _consts(e):
    if type(e) is Const:
        yield e
    elif type(e) is Op:
        for a in e.args:
            yield from _consts(a)


def _terms(e):
    """How many terms a left-nested sum `a + b + c` adds (the passes recurse into expressions:
    one statement adds a bounded number)."""
    n = 1
    while type(e) is Op and e.prim == "add":
        e, n = e.args[0], n + 1
    return n


def _indexed(fn):
    """The names read as the base of an index (`x` of `x[0]`)."""
    found = set()
    for block in blocks(fn):
        stack = [e for s in block for e in stmt_exprs(s)]
        while stack:
            e = stack.pop()
            if type(e) is Op:
                if e.prim == "getitem" and type(e.args[0]) is Var:
                    found.add(e.args[0].name)
                stack += list(e.args) + [v for _, v in e.kwargs]
    return found


def _rewrite_stmt(s, f):
    if type(s) is Assign:
        s.value = f(s.value)
    elif type(s) is Return:
        s.values = [f(v) for v in s.values]


def _simplify(e, floats=frozenset()):
    e = simplify_expr(e, ones=False)
    if type(e) is Op:
        args = tuple(_simplify(a, floats) for a in e.args)
        for k in (0, 1) if e.prim == "mul" else (1,) if e.prim in ("truediv", "pow") else ():
            other = args[1 - k]  # x * 1.0, 1.0 * x, x / 1, x ** 1 and x * -1 of a float x
            if type(args[k]) is Const and type(args[k].value) in (int, float) and \
                    type(other) is not Const and _floating(other, floats):
                if args[k].value == 1:
                    return other
                if args[k].value == -1 and e.prim == "mul":
                    return simplify_expr(Op("neg", (other,)))
        if e.prim == "add" and type(args[0]) is Const and type(args[0].value) in (int, float) \
                and args[0].value == 0 and type(args[1]) is not Const and \
                _floating(args[1], floats):  # sum's start: 0 + x of a float x
            return args[1]
        e = Op(e.prim, args, e.kwargs)
    return e


# Primitives of one operand whose result has its operand's type (an integer stays one); the
# other "unary" primitives (np.exp, math.sin, sigmoid, ...) give floats whatever they are given.
SAME_TYPE = frozenset({"neg", "pos", "abs", "np.abs", "np.square", "relu", "np.nan_to_num",
                       "in_dtype_of", "sign", "np.sign"})


def _floating(e, floats):
    """Whether `e` surely holds floats (a float, a float array): `x * 1.0` is `x` then. Not a
    comparison, an integer (`np.arange(3) * 1.0`, `n / 1`), a cast (`np.full_like(ints, x)`), or
    anything not known: the 1.0 stays. `floats`: the names known to hold floats."""
    if type(e) is Var:
        return e.name in floats
    if type(e) is Const:
        return isinstance(e.value, (float, complex)) and not isinstance(e.value, bool)
    if type(e) is not Op or any(k == "dtype" for k, _ in e.kwargs):
        return False
    p = PRIMS.get(e.prim)
    if p is None or e.prim in ("truediv",):
        return p is not None
    if e.prim in SAME_TYPE:  # (the sign of a float is a float)
        return _floating(e.args[0], floats)
    if p.kind == "unary":
        return True
    if p.kind == "broadcast":  # an integer and a float make a float
        return e.prim not in ("mod", "max", "min") and any(_floating(a, floats) for a in e.args)
    if p.kind == "exact" and p.form in ("call", "getitem", "binop", "method", "attr") and \
            e.prim not in ("astype", "np.full", "np.full_like", "held_in") and e.args:
        return _floating(e.args[0], floats)  # x[i], np.sum(x), unbroadcast(g, x), x @ W
    return False


def _floats(fn):
    """The names that surely hold floats (and, second, every name assigned or a parameter): the
    parameters differentiated (with an adjoint `grad_<name>` or a tangent `d_<name>`), seeds of
    adjoints and tangents, and names whose every assignment is a float (the greatest such set:
    `g = g * x` in a loop keeps one)."""
    assigned: dict = {}
    for b in blocks(fn):
        for s in b:
            if type(s) is For:
                assigned.setdefault(s.target, []).append(None)  # (a range's integers)
            elif type(s) is Assign:  # (a tuple unpacked: not known)
                for t in targets_of(s):
                    assigned.setdefault(t, []).append(s.value if t == s.target else None)
    params = {p for p in fn.params if p.startswith(("grad_", "d_")) or f"grad_{p}" in assigned or
              f"d_{p}" in fn.params}
    floats = {t for t in assigned if t not in fn.params} | params
    changed = True
    while changed:
        changed = False
        for t in [t for t in assigned if t in floats and t not in params]:  # (in order)
            if not all(v is not None and _floating(v, floats) for v in assigned[t]):
                floats.discard(t)
                changed = True
    return frozenset(floats), assigned.keys() | set(fn.params)


def simplify(fn: Function, memo=None) -> bool:
    """`memo` (kept across the rounds of `optimize`): expressions already simplified, by
    identity, so a round visits only what the other passes rewrote."""
    changed = False
    floats, names = _floats(fn)
    memo = {} if memo is None else memo
    if any(n in names for n in floats ^ memo.get("floats", floats)):  # (not a name gone)
        memo.clear()
    memo["floats"] = floats

    def f(e):
        nonlocal changed
        seen = memo.get(id(e))
        if seen is not None and seen[0] is e:
            return e
        new = _simplify(e, floats)
        if new != e:
            changed = True
        memo[id(new)] = (new,)
        return new
    _rewrite(fn, f)
    return changed


def dead_code(fn: Function) -> bool:
    """Remove the assignments whose values nothing reads before they are assigned again, by
    liveness over the branches and loops (so a sum a loop carries that only the check of the
    output reads goes where there is no check; a `math.log` stays, FAILS). A `for` loop left with
    nothing to do goes too, unless its counter is read after it, where range surely has nothing
    to raise: its bounds are ints (constants, counters, int arithmetic of them: _int_names).
    Names a nested function (a pullback) reads or assigns are kept."""
    kept = set()
    for block in blocks(fn):
        for s in block:
            if type(s) is Function:
                kept |= {n for b in blocks(s) for st in b for n in
                         set(targets_of(st)) | uses_of(st)}
                kept |= {w for p in s.params for w in re.findall(r"\w+", p)}
    dead: set = set()
    _live(fn.body, set(), set(), kept, dead, {}, _int_names(fn))
    changed = False
    for block in blocks(fn):
        keep = [s for s in block if id(s) not in dead and not _idle(s)]
        changed |= len(keep) != len(block)
        block[:] = keep
    return changed


# math functions that fail where their derivatives (1 / x) do not: a value nothing reads is
# still computed, so that the gradient fails where the function does
FAILS = {"math.log", "math.log1p", "math.log2", "math.log10"}


def _idle(s):
    """An `if` with nothing in either branch."""
    return type(s) is If and not s.body and not s.orelse


# operations of Python ints whose result is a Python int (range takes it as it is)
_INT_OPS = frozenset({"add", "sub", "mul", "floordiv", "mod", "neg", "pos"})


def _int_names(fn):
    """The names that surely hold Python ints wherever they are read: loop counters, and names
    each of whose assignments is an int constant, `len(...)`, or int arithmetic of such names
    (the greatest such set: a count a loop carries, `k = k + 1` from `k = 0`, is one)."""
    values: dict = {}
    counters, others = set(), set(fn.params) | set(fn.constants)
    for block in blocks(fn):
        for s in block:
            if type(s) is Assign:
                if type(s.target) is str:
                    values.setdefault(s.target, []).append(s.value)
                else:
                    others.update(targets_of(s))
            elif type(s) is For:
                counters.add(s.target)
            elif type(s) is Function:
                others.update(re.findall(r"\w+", " ".join(s.params)))
    ints = (set(values) | counters) - others
    changed = True
    while changed:
        changed = False
        for name in sorted(ints):
            if not all(_int_valued(v, ints) for v in values.get(name, ())):
                ints.discard(name)
                changed = True
    return ints


def _int_valued(e, ints):
    if type(e) is Const:
        return type(e.value) is int
    if type(e) is Var:
        return e.name in ints
    return type(e) is Op and not e.kwargs and (e.prim == "len" or e.prim in _INT_OPS and all(
        _int_valued(a, ints) for a in e.args))


def _live(block, live, leaving, kept, dead, starts, ints=frozenset()):
    """The names live before `block` given those live after it (`live`, updated in place) and
    those live where a `break` leaves the loop (`leaving`); dead assignments go into `dead`.
    `starts` keeps what each loop's body needs at its start: the sets only grow, so a loop
    inside another starts from what the outer loop's last pass found (not exponential in the
    depth of the nesting)."""
    for s in reversed(block):
        t = type(s)
        if t is Assign:
            if type(s.target) is str and not _effect(s.value) and s.target not in live and \
                    s.target not in kept and not any(o.prim in FAILS for o in _ops(s.value)):
                dead.add(id(s))
                continue
            dead.discard(id(s))
            live.difference_update(targets_of(s))
            live.update(_names(s.value))
        elif t is Return:
            live.clear()
            live.update(n for e in s.values for n in _names(e))
        elif t is Break:
            live.clear()
            live.update(leaving)
        elif t is If:
            other = set(live)
            _live(s.body, live, leaving, kept, dead, starts, ints)
            _live(s.orelse, other, leaving, kept, dead, starts, ints)
            live |= other
            live.update(_names(s.test))
        elif t is For and not s.body and s.target not in live and s.target not in kept and (
                s.sweep == "backward" or s.count is None and all(
                    _int_valued(b, ints) for b in s.bounds)):
            dead.add(id(s))  # nothing to do, over a range of ints (range raises for nothing
            # else) or one the forward loop took already, its counter not read after
        elif t in (For, While):
            dead.discard(id(s))
            after = set(live)
            start = starts.setdefault(id(s), set())
            while True:  # what the body needs at its start, to a fixpoint over the iterations
                inside = after | start | (set(_names(s.test)) if t is While else set())
                _live(s.body, inside, after, kept, dead, starts, ints)
                if inside <= start:
                    break
                start |= inside
            live |= start - {s.target} if t is For else start  # (each step sets the counter)
            live.update(n for e in stmt_exprs(s) for n in _names(e))
    return live


def _effect(e):
    """Pops from the tape must stay (the pushes and pops are paired), and so must the checks
    and the random draws (each draws anew)."""
    return type(e) is Op and e.prim in EFFECTS


def common(fn: Function) -> bool:
    """Reuse the first assignment of an expression wherever the same expression is assigned again
    (but every `[]` is a list of its own: a tape and the stack of its adjoints are two)."""
    seen, mapping = {}, {}
    once = assignments(fn)
    for s in fn.body:  # the top-level block only: names there are visible everywhere after
        if type(s) is Assign and type(s.target) is str and type(s.value) is Op and \
                once.get(s.target) == 1 and not _effect(s.value) and \
                s.value.prim != "list" and \
                all(once.get(n, 0) <= 1 for n in used_names(s.value)):
            try:  # (hashed once: an expression's hash is its operands' again)
                first = seen.setdefault(s.value, s.target)
            except TypeError:  # an unhashable constant inside
                continue
            if first != s.target:
                mapping[s.target] = Var(first)
    if not mapping:
        return False
    fn.body[:] = [s for s in fn.body if not (type(s) is Assign and s.target in mapping)]
    _rewrite(fn, lambda e: substitute(e, mapping))
    return True
