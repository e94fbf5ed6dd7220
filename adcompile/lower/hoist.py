"""Lists made in a loop of values made before it (`[p_w0, p_w1][i]`, d[k] of a dict known here
read by a run-time key, list(d.values())[i]): made once, before the loop, not at every step
(nor taped by reverse mode at every step). Run on the flat code once it is lowered."""
from __future__ import annotations

from collections import Counter

from ..ir import Assign, For, If, Op, While, targets_of, used_names, walk_stmts

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
