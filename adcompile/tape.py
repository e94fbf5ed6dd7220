"""Stage helper of reverse mode: the tape. What the backward sweep reads and the loops overwrite
is pushed in the forward sweep and popped in the backward sweep, once per iteration; cheap
arithmetic is recomputed instead where that costs less than a push and a pop: of loop-invariant
values (moved in front of the backward loop when it needs nothing the loop changes), and of a
carried value the tape keeps anyway or that replaces several entries.
"""
from __future__ import annotations

import copy
from collections import Counter

from .ir import Assign, Break, Const, For, If, Op, Var, While, blocks_of, targets_of, used_names, \
    uses_of, walk_stmts


class _LoopFacts:
    """What a forward loop assigns (a Counter of names) and whether it may break, worked out once
    per loop: asked again for each block of a loop, they made laying the tape quadratic in the
    number of branches a loop holds."""

    def __init__(self):
        self._assigned: dict = {}
        self._breaks: dict = {}

    def assigned(self, loop):
        if id(loop) not in self._assigned:
            self._assigned[id(loop)] = Counter(targets_of(loop))
        return self._assigned[id(loop)]

    def breaks(self, loop):
        if id(loop) not in self._breaks:
            self._breaks[id(loop)] = any(type(s) is Break for s in walk_stmts(loop.body))
        return self._breaks[id(loop)]

    def looped(self, mirrors):
        """The names some loop assigns (their counters included)."""
        return {t for loop in {id(lp): lp for _, _, lp in mirrors if lp is not None}.values()
                for t in self.assigned(loop)}


def lay(forward, backward_body, bw, epilogue_uses, tape):
    """Record on a tape what the backward sweep reads and the loops overwrite: pushes in the forward
    sweep, pops in the backward sweep; trip counts for loops that may stop early. A value a loop
    overwrites is taped only where the backward sweep reads it at or after that loop's backward
    loop: read before it (`grad_x = s` for `return s * x`), it still holds the loop's result."""
    counts = {c for _, c in bw.loops if c is not None}
    later = _read_from(backward_body, set(epilogue_uses))
    needed = set(epilogue_uses) | counts
    for s in backward_body:
        needed |= uses_of(s)
    forced = set()  # what recomputations in the backward loops read: needed wherever it is

    def needed_in(block):
        """The names the backward sweep reads from `block` on."""
        return forced | later[id(block)] if id(block) in later else needed
    for loop, count in bw.loops:
        if count is None:
            continue
        loop.body.insert(0, Assign(count, Op("add", (Var(count), Const(1))), loop.line))
    for block in _blocks_holding(forward, [loop for loop, c in bw.loops if c]):
        for loop, count in [(lp, c) for lp, c in bw.loops if c and any(lp is x for x in block)]:
            block.insert(index_of(block, loop), Assign(count, Const(0), loop.line))
    pushes = False
    facts = _LoopFacts()  # (from here on the forward loops gain only pushes)
    forced |= _reads_of_recomputed(bw.mirrors, needed_in, facts)
    needed |= forced
    # cheap arithmetic of a carried value is redone from it where that saves tape entries
    again_after = []  # (backward block, carried name, statements to redo after its restore)
    handled = set()
    for fwd, back, loop in bw.mirrors:
        marks = [m for m in bw.markers if m[0] is fwd and m[2] is back]
        plan, carried = _from_carried(fwd, back, loop, needed_in(back), marks, facts)
        forced |= carried
        for name, redo in plan.items():
            for a in redo:  # what the recomputation reads, an enclosing loop may have to tape
                forced |= uses_of(a)
            handled.update(a.target for a in redo)
            again_after.append((back, name, redo))
    forced |= _reads_of_recomputed(bw.mirrors, needed_in, facts)  # (what those just added
    # need)
    needed |= forced
    # restores of a loop-carried value overwritten by its own assignment
    restores = {}  # backward block id -> {name: its restore statement}
    for block, stmt, out, at in reversed(bw.markers):
        name = stmt.target
        if name in needed_in(out):
            restore = Assign(name, Op("pop", (Var(tape),)), stmt.line)
            restores.setdefault(id(out), {})[name] = restore
            out.insert(at, restore)
            block.insert(index_of(block, stmt), Assign(None, Op("push", (Var(tape), Var(name))),
                                                     stmt.line))
            pushes = True
    for back, name, redo in again_after:
        at = index_of(back, restores[id(back)][name]) + 1
        back[at:at] = [copy.copy(a) for a in redo]
    plans, looped = [], facts.looped(bw.mirrors)
    for fwd, back, loop in bw.mirrors:
        until = {n: index_of(back, r) for n, r in restores.get(id(back), {}).items()}
        names = [n for n in _defined_in(fwd) if n in needed_in(back) and n not in handled and (
            n not in until or any(n in uses_of(t) for t in back[:until[n]]))]
        again = _recomputable(fwd, names, loop, looped, facts)
        rebuilt, items = _rebuilt_indexes(fwd, names, loop, {a.target for a in again}, facts)
        again += rebuilt
        if again:  # cheap arithmetic on values the loop does not change: recompute, not tape
            names = [n for n in names if n not in {a.target for a in again}]
            names += [n for n in items if n not in names]
            back[0:0] = [copy.copy(a) for a in again]
            _hoist(backward_body, back, loop)
            for a in again:  # what the recomputation reads, an enclosing loop may have to tape
                forced |= uses_of(a)
        plans.append((fwd, back, loop, names))
    current = _already_current(plans, restores, backward_body, facts)
    for fwd, back, loop, names in plans:
        names = [n for n in names if (id(back), n) not in current]
        if not names:
            continue
        line = fwd[-1].line if fwd else None
        value = Var(names[0]) if len(names) == 1 else Op("tuple", tuple(Var(n) for n in names))
        push = Assign(None, Op("push", (Var(tape), value)), line)
        _before_exits(fwd, push)
        back.insert(0, Assign(names[0] if len(names) == 1 else tuple(names),
                              Op("pop", (Var(tape),)), line))
        pushes = True
    if pushes:
        forward.insert(0, Assign(tape, Op("list", ()), None))
    _prune(backward_body)


def _already_current(plans, restores, backward_body, facts):
    """The (backward block id, name) pairs whose end-of-step push is redundant: a carried value
    assigned once in a `for` loop that runs every step whole (no `break`), restored in the
    backward step (in a branch of it, too) and assigned nowhere else in the backward sweep.
    When the backward sweep reaches step k, the value holds what it held after step k (the
    restore in step k + 1 set it to its value before step k + 1, or the forward sweep left the
    loop's result there), so the backward step reads it there instead of popping it: the RNN's
    state goes on the tape once per step, not twice."""
    assigned: dict = {}
    for s in walk_stmts(backward_body):
        for n in targets_of(s) if type(s) is Assign else ():
            assigned[n] = assigned.get(n, 0) + 1
    for _, _, _, names in plans:
        for n in names:
            assigned[n] = assigned.get(n, 0) + 1
    found = set()
    restore_of = {id(a): n for r in restores.values() for n, a in r.items()}
    for fwd, back, loop, names in plans:
        if type(loop) is not For or loop.count is not None or facts.breaks(loop):
            continue
        once = facts.assigned(loop)
        restored = {restore_of[id(s)] for s in walk_stmts(back) if id(s) in restore_of}
        for n in names:
            if n in restored and once[n] == 1 and assigned[n] == 2:
                found.add((id(back), n))  # (its restore, and this push's pop)
    return found


def _reads_of_recomputed(mirrors, needed_in, facts):
    """What the recomputations below will read, which counts as needed from the start: a carried
    value read only there must be restored where it is overwritten, not taped at the loop's
    end. `needed_in(back)`: the names read from a backward block on."""
    looped, out = facts.looped(mirrors), set()
    for fwd, back, loop in mirrors:
        needed = needed_in(back) | out  # (what an earlier one reads too, as the plans will see)
        for a in _recomputable(fwd, [n for n in _defined_in(fwd) if n in needed], loop, looped,
                               facts):
            out |= uses_of(a)
    return out


def _read_from(stmts, tail):
    """{id of each block nested in the backward sweep `stmts`: the names read from that block on
    (in it: a loop runs it again; in every statement after the one holding it, and `tail`)}. A
    statement's own header is not among them: a loop reads its bounds (a trip count) once,
    before its body runs, and an if its test before its branch."""
    out, after = {}, set(tail)  # (grown in place: copied only where a block starts)
    for s in reversed(stmts):
        blocks = blocks_of(s)
        if blocks:
            inside = set().union(*(uses_of(t) for b in blocks for t in b))
            if type(s) is While:  # (its test is read again after each step)
                inside |= used_names(s.test)
            for b in blocks:
                out[id(b)] = after | inside
                out.update(_read_from(b, after | inside))
        after |= uses_of(s)
    return out


def _hoist(stmts, back, loop):
    """Move the recomputed values that depend on nothing the loop changes (not even its index)
    from the start of the backward loop's body `back` to just before that loop."""
    for block in [stmts] + [b for st in walk_stmts(stmts) for b in blocks_of(st)]:
        for k, st in enumerate(block):
            if type(st) in (For, While) and st.body is back:
                varying = set(targets_of(loop)) | ({loop.target} if type(loop) is For else set())
                moved = []
                for a in list(back):
                    if not (type(a) is Assign and type(a.target) is str and
                            type(a.value) is Op and a.value.prim in CHEAP):
                        break
                    if used_names(a.value) & varying:
                        varying.add(a.target)
                        continue
                    moved.append(a)
                for a in moved:
                    back.remove(a)
                block[k:k] = moved
                return


def _prune(block):
    """Drop the ifs of the backward sweep left with no code in either branch."""
    for s in block:
        for b in blocks_of(s):
            _prune(b)
    block[:] = [s for s in block if not (type(s) is If and not s.body and not s.orelse)]


# ("tuple": an index such as (i, 0), rebuilt for less than a push and a pop of the tuple)
CHEAP = {"add", "sub", "mul", "neg", "pos", "tuple"}
# one-argument math functions: floats in, floats out
CALLS = {f"math.{n}" for n in ("sin", "cos", "tan", "exp", "log", "log1p", "expm1", "sqrt",
                               "tanh", "sinh", "cosh", "atan", "asin", "acos", "log2", "log10",
                               "erf")}


def _recomputable(block, names, loop, looped, facts):
    """The assignments among `names` that the backward sweep can redo for less than a push and a
    pop cost: one arithmetic operation on values that are loop-invariant, the loop index, or redone
    too. A math call (`math.sin(x * i)`) costs more to redo than to tape (benchmarks/
    bench_loops.py) when other values share the push, and less when it is all the loop would
    tape: then one is redone, and the loop needs no tape (the sine sum, 6% faster). That only
    from values no loop assigns (`looped`), the loop index, and what is redone with it: the
    decision is taken where the restores of carried values are already laid."""
    if loop is None:
        return []
    again = _redo(block, names, loop, CHEAP, facts)
    if len(again) < len(names):
        more = _redo(block, names, loop, CHEAP | CALLS, facts)
        own = {a.target for a in more} | ({loop.target} if type(loop) is For else set())
        if len(more) == len(names) and sum(a.value.prim in CALLS for a in more) == 1 and \
                all(len(a.value.args) == 1 for a in more if a.value.prim in CALLS) and \
                not set().union(*(uses_of(a) for a in more)) - own & looped:
            return more
    return again


def _rebuilt_indexes(block, names, loop, redone, facts):
    """The tuples among `names` (an index such as (i, j)) with items the loop assigns, each on
    every path through the body and only before the tuple, in a `for` loop that runs every step
    whole: the backward step rebuilds them from those items, which the tape keeps instead (as
    of the end of the step, which is their value at the tuple). Returns the tuples'
    assignments and the items."""
    candidates = [(k, s) for k, s in enumerate(block) if
                  type(s) is Assign and s.target in names and s.target not in redone and
                  type(s.value) is Op and s.value.prim == "tuple"]
    if not candidates or type(loop) is not For or loop.count is not None or facts.breaks(loop):
        return [], []
    times = facts.assigned(loop)
    candidates = [(k, s) for k, s in candidates if times[s.target] == 1]
    varying, defined = set(times) - {loop.target}, set(_defined_in(block))
    last = {n: k for k, t in enumerate(block) for n in targets_of(t)}  # a name's last assignment
    tuples, items = [], []
    for k, s in candidates:
        mine = [a.name for a in s.value.args
                if type(a) is Var and a.name in varying and a.name not in redone]
        if all(n in defined and last[n] < k for n in mine):
            tuples.append(s)
            items += mine
    return tuples, list(dict.fromkeys(items))


def _redo(block, names, loop, prims, facts):
    assigned = facts.assigned(loop)
    varying = set(assigned) - ({loop.target} if type(loop) is For else set())
    again, known = [], set()
    for s in block:
        if type(s) is Assign and s.target in names and assigned[s.target] == 1 and \
                type(s.value) is Op and \
                s.value.prim in prims and all(
                    type(a) is Const or a.name not in varying or a.name in known
                    for a in s.value.args):
            again.append(s)
            known.add(s.target)
    return again


def _from_carried(fwd, back, loop, needed, marks, facts):
    """Values the backward loop reads that are cheap arithmetic (CHEAP) of a carried value as it
    was before the body overwrote it (and of constants, loop-invariant values and the index):
    the tape keeps the carried value instead, restored where the body assigns it, and the
    backward body redoes the arithmetic right after the restore (the logistic map's
    `s0 = 4.0 * x; s1 = 1.0 - x` from x alone), provided no backward code before that point
    reads them. Done only where it takes fewer pushes than the values it replaces, and only in
    a `for` loop without `break` (every iteration runs whole).
    Returns {carried name: the assignments to redo after its restore} and the carried names
    they read, which the tape must restore."""
    if type(loop) is not For or loop.count is not None or facts.breaks(loop):
        return {}, set()
    assigned = facts.assigned(loop)  # a name assigned once in the loop: its value is the same
    once = {n for n, c in assigned.items() if c == 1}  # wherever the body reads it
    at = {m[1].target: index_of(fwd, m[1]) for m in marks
          if type(m[1].target) is str and m[1].target in once}
    restored_at = {m[1].target: m[3] for m in marks if m[1].target in at}
    varying = set(assigned) - {loop.target}
    redo, base = {}, {}  # name -> its assignment; name -> the carried names it reads
    for k, s in enumerate(fwd):
        if not (type(s) is Assign and type(s.target) is str and s.target in needed and
                s.target in once and s.target not in at and type(s.value) is Op and
                s.value.prim in CHEAP):
            continue
        reads, ok = set(), True
        for a in s.value.args:
            if type(a) is Const or a.name not in varying:
                continue
            if a.name in redo:
                reads |= base[a.name]
            elif a.name in at and at[a.name] > k:
                reads.add(a.name)
            else:
                ok = False
        if ok and reads and not any(
                s.target in uses_of(t) for t in back[:restored_at[min(reads, key=at.get)]]):
            redo[s.target], base[s.target] = s, reads
    plan = {}
    for n, s in redo.items():  # after the restore of the carried name assigned first
        plan.setdefault(min(base[n], key=at.get), []).append(s)
    carried = set().union(*base.values()) if base else set()  # each restored, so each needed
    return (plan, carried) if len(carried - needed) < len(redo) else ({}, set())


def index_of(block, stmt):
    return next(i for i, s in enumerate(block) if s is stmt)


def _blocks_holding(stmts, loops):
    found = []

    def visit(block):
        if any(s is lp for s in block for lp in loops):
            found.append(block)
        for s in block:
            for b in blocks_of(s):
                visit(b)
    visit(stmts)
    return found


def _defined_in(block):
    """Names a block defines for what follows it, on every path: its own assignments, the names
    each path through an `if` assigns, and what a nested loop carries out."""
    out = []
    before = set()
    for s in block:
        if type(s) is Assign and type(s.target) is str:
            out.append(s.target)
        elif type(s) is If:
            both = set(_defined_in(s.body)) & set(_defined_in(s.orelse))
            out += [n for n in targets_of(s) if n in both or n in before]
        elif type(s) in (For, While):
            out += [n for n in targets_of(s) if n in before]
        before |= set(targets_of(s))
    return list(dict.fromkeys(out))


def _before_exits(block, push):
    """Put `push` at the end of `block`, and before every `break` that leaves through it."""
    if block and type(block[-1]) is Break:
        block.insert(len(block) - 1, push)
    else:
        block.append(push)
    for s in block:
        if type(s) is If:
            for branch in (s.body, s.orelse):
                _before_breaks(branch, push)


def _before_breaks(block, push):
    if block and type(block[-1]) is Break:
        block.insert(len(block) - 1, copy.copy(push))
    for s in block:
        if type(s) is If:
            for branch in (s.body, s.orelse):
                _before_breaks(branch, push)
