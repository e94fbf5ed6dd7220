"""Lists made in a loop of values made before it (`[p_w0, p_w1][i]`, d[k] of a dict known here
read by a run-time key, list(d.values())[i]): made once, before the loop, not at every step
(nor taped by reverse mode at every step). A check that a name an earlier loop binds first is
bound (check_unbound), read at every step of a later loop that does not bind it: once, before
that loop. Run on the flat code once it is lowered."""
from __future__ import annotations

from collections import Counter

from ..ir import Assign, Const, For, If, Op, Var, While, targets_of, used_names, walk_stmts
from ..primitives import EFFECTS

INVARIANT = frozenset({"make_list"})  # what is hoisted: a list of names, nothing computed


def hoist_lists(fn):
    """Move each loop's INVARIANT statements that read nothing the loop assigns, and whose
    target is assigned nowhere else, before the loop (the outermost loop they do not depend
    on)."""
    counts = Counter(t for s in walk_stmts(fn.body) if type(s) in (Assign, For)
                     for t in (targets_of(s) if type(s) is Assign else (s.target,)))
    _hoist(fn.body, counts)


def _hoist(stmts, counts):
    i = 0
    while i < len(stmts):
        s = stmts[i]
        if type(s) is If:
            _hoist(s.body, counts)
            _hoist(s.orelse, counts)
        elif type(s) in (For, While):
            _hoist(s.body, counts)
            assigned = set(targets_of(s))
            moved = [a for a in s.body if type(a) is Assign and type(a.value) is Op and
                     a.value.prim in INVARIANT and type(a.target) is str and
                     counts[a.target] == 1 and not used_names(a.value) & assigned]
            if moved:
                s.body[:] = [a for a in s.body if not any(a is m for m in moved)]
                stmts[i:i] = moved
                i += len(moved)
        i += 1


def hoist_checks(fn, namer):
    """A loop's `check_unbound(v, 'name')` of a value the loop does not change, which every step
    of it reaches (nothing before it in the body breaks, branches or has an effect): before the
    loop, under the test that the loop runs a step (a `while`'s test, `start < stop` of a
    range), so that it raises UnboundLocalError where Python does, once and not at every step.
    (Where the body first computes something that raises another error, Python's error would
    be that one: the function fails either way.)"""
    _checks(fn.body, namer)


def _checks(stmts, namer):
    i = 0
    while i < len(stmts):
        s = stmts[i]
        if type(s) is If:
            _checks(s.body, namer)
            _checks(s.orelse, namer)
        elif type(s) in (For, While):
            _checks(s.body, namer)
            moved, changed = [], set(targets_of(s))
            for a in s.body:
                if type(a) is not Assign or type(a.value) is Op and \
                        a.value.prim in EFFECTS and a.value.prim != "check_unbound":
                    break
                if type(a.value) is Op and a.value.prim == "check_unbound" and \
                        not used_names(a.value) & changed:
                    moved.append(a)
            runs = _runs(s, namer, stmts, i) if moved else None
            if runs is not None:
                i = runs[1]
                s.body[:] = [a for a in s.body if not any(a is m for m in moved)]
                stmts[i:i] = [If(runs[0], moved, [], s.line)] if type(runs[0]) is Var else moved
                i += 1
        i += 1


def _runs(loop, namer, stmts, i):
    """The atom that is true where `loop` runs a step (Const(True) where it surely does), and
    the index of the loop once the statements computing it stand before it; None where that is
    not known (a range's step known only at run time)."""
    found = runs_test(loop, namer)
    if found is None:
        return None
    stmts[i:i] = found[0]
    return found[1], i + len(found[0])


def runs_test(loop, namer):
    """(statements, atom): the atom they compute is true where `loop` runs a step (Const(True)
    where it surely does); None where that is not known (a range's step known only at run
    time) or where it surely runs none."""
    if type(loop) is While:
        return ([], loop.test) if type(loop.test) is Var or loop.test.value else None
    bounds = loop.bounds
    start, stop, step = (Const(0), bounds[0], Const(1)) if len(bounds) == 1 else \
        (bounds[0], bounds[1], Const(1)) if len(bounds) == 2 else bounds
    if type(step) is not Const or type(step.value) is not int or not step.value or \
            loop.count is not None:
        return None
    if type(start) is Const and type(stop) is Const:
        return ([], Const(True)) if (start.value < stop.value if step.value > 0 else
                                     start.value > stop.value) else None
    test = namer.temp()
    return [Assign(test, Op("lt" if step.value > 0 else "gt", (start, stop)), loop.line)], \
        Var(test)
