"""Stage: flat code -> flat code, before it is differentiated: rewrites that make both sweeps
cheaper and keep the function's value.

  idioms   `np.log(np.sum(np.exp(z - m), ...)) + m` with m = np.max(z, ...) is logsumexp(z, ...)
  hoist    loop-invariant elementwise operations move in front of a loop that surely runs
"""
from __future__ import annotations

from .ir import Assign, Break, Const, For, Function, Op, Var, targets_of, used_names, walk_stmts
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
    `m = np.max(z, axis=a, keepdims=True)` is `logsumexp(z, axis=a, keepdims=True)`, whose value
    does not depend on the stabilizer m: m's adjoint (exactly zero) is never computed."""
    once = assignments(fn)
    defs = {s.target: s.value for block in blocks(fn) for s in block
            if type(s) is Assign and type(s.target) is str and once.get(s.target) == 1 and
            type(s.value) is Op}

    def made(e, prim):
        return defs.get(e.name) if type(e) is Var and e.name in defs and \
            defs[e.name].prim == prim else None

    for block in blocks(fn):
        for s in block:
            if not (type(s) is Assign and type(s.value) is Op and s.value.prim == "add"):
                continue
            for log, m in (s.value.args, s.value.args[::-1]):
                lse = _logsumexp(made(log, "np.log"), m, made)
                if lse is not None:
                    s.value = lse
                    break
    return fn


def _logsumexp(log, m, made):
    """logsumexp(z, ...) when `log` is np.log(np.sum(np.exp(z - m), ...)) and m is z's max."""
    total = made(log.args[0], "np.sum") if log is not None and not log.kwargs else None
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
    return Op("logsumexp", (diff.args[0],), tuple(sorted(options.items())))


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
