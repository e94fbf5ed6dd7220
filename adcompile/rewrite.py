"""Stage: flat code -> flat code, before it is differentiated: rewrites that make both sweeps
cheaper and keep the function's value.

  idioms   in `np.log(np.sum(np.exp(z - m), ...)) + m` with m = np.max(z, ...), m has no adjoint
  hoist    loop-invariant elementwise operations move in front of a loop that surely runs
"""
from __future__ import annotations

from collections import Counter

from .ir import Assign, Break, Const, For, Function, Namer, Op, Var, stmt_exprs, targets_of, \
    used_names, walk_stmts
from .optimize import assignments, blocks
from .primitives import EFFECTS, PRIMS


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
    return fn


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
