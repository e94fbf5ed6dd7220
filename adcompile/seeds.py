"""Stage helpers of reverse mode's last part: the seed of the output's adjoint and the gradients
returned (the checks of the output, the float path's plain return, each result fitted to its
argument)."""
from __future__ import annotations

from .floats import all_floats
from .ir import Assign, Const, If, Op, Return, Var, targets_of, walk_stmts
from .primitives import PRIMS


def kept_value(value, body, namer, line, base):
    """`value`, returned after the backward sweep: a copy made before it when the tape restores
    its name there."""
    if type(value) is Var and any(value.name in targets_of(st) for st in walk_stmts(body)):
        kept = namer.fresh(base)
        body.insert(0, Assign(kept, value, line))
        return Var(kept)
    return value


def checked_results(eqns, body, guard, raw, reduced, line, out, namer, wrt, taken):
    """The backward sweep and the returns of grad. When loops restore overwritten values from the
    tape, the output is checked and the fast-path test evaluated before the backward sweep.
    grad's check is skipped only where the output and the parameters in `wrt` are Python floats
    and those in `taken` (floats.operands) Python numbers: an object whose operators (written in
    Python) return floats makes a float output of what is no number, and the checks refuse it
    by name."""
    floats = all_floats([out] + [Var(w) for w in wrt], taken) if type(out) is Var else None
    if guard is None and raw == reduced:
        guard = floats
    restored = any(type(s) is Assign and type(s.value) is Op and s.value.prim == "pop"
                   for s in walk_stmts(body))
    if not restored:
        return body + _returns(guard, raw, reduced, line, out, floats, taken)
    first = []
    if guard is not None:
        flag = namer.fresh("floats_only")
        first.append(Assign(flag, guard, line))
        guard, floats = Var(flag), Var(flag) if guard == floats else floats
    if floats is not None:
        first.append(If(Op("not", (floats,)), _checks(out, taken, line), [], line))
    return first + body + _returns(guard, raw, reduced, line, None, None, ())


def label_of(v):
    return v.name if type(v) is Var else "out"


def seed_of_output(fn, out, active):
    """grad's seed: 1.0, or 1.0 in the shape of an output that a rule needs the shape of (a
    one-element array made by X[:1] @ w, np.sort, np.max(..., axis=1), ...: only elementwise
    operations, full reductions and an index (its gradient has its operand's shape) take the
    number 1.0 for it). Elementwise operations pass the seed on to their `active` operands as
    it is ((r.T @ r) / n hands 1.0 / n to the matmul)."""
    values = {}
    for s in walk_stmts(fn.body):
        if type(s) is Assign and type(s.target) is str:
            values.setdefault(s.target, []).append(s.value)
    seen, names = set(), [out.name]
    while names:
        name = names.pop()
        seen.add(name)
        for v in values.get(name, ()):
            if type(v) is Var:
                names += [] if v.name in seen else [v.name]
            elif type(v) is Op and PRIMS[v.prim].kind in ("unary", "broadcast"):
                names += [a.name for a in v.args
                          if type(a) is Var and a.name in active and a.name not in seen]
            elif type(v) is Op and PRIMS[v.prim].kind not in ELEMENTWISE and not _total(v):
                return Op("expand_to", (Op("in_dtype_of", (Const(1.0), out)), out))
    return Const(1.0)


def _total(op):
    """Whether the gradient of `op` takes its seed as a number: an index, or a reduction to one
    number."""
    kw = dict(op.kwargs)
    return op.prim == "getitem" or op.prim in TOTALS and kw.get("axis", Const(None)) == Const(
        None) and kw.get("keepdims", Const(False)) == Const(False)


ELEMENTWISE = ("unary", "broadcast", "compare", "nondiff")  # (nondiff: no adjoint to shape)
# reductions to one number without an axis
TOTALS = {"np.sum", "np.mean", "np.prod", "np.max", "np.min", "np.amax", "np.amin", "np.var",
          "np.std", "logsumexp", "max_initial", "min_initial"}


def seeds_of(outs, seed_of):
    """The adjoint each output starts with (an output returned twice gets both)."""
    seeds = {}
    for k, v in enumerate(outs):
        if type(v) is Var:
            seed = seed_of(k)
            seeds[v.name] = seed if v.name not in seeds else Op("add", (seeds[v.name], seed))
    return seeds


def _checks(out, taken, line):
    """grad's check of its output and inputs (api.py adds the parameters in argnums), and that
    the parameters the arithmetic takes beside them are numbers or arrays."""
    return [Assign(None, Op("check_scalar", (out,)), line)] + (
        [Assign(None, Op("check_numbers", tuple(taken)), line)] if taken else [])


def _returns(guard, raw, reduced, line, scalar_out, floats, taken):
    """Return the gradients. With deferred reductions, `guard` proves they can be skipped; grad
    also checks that its output is a scalar and its inputs floats, at no cost when `floats`
    (they are Python floats) holds."""
    check = _checks(scalar_out, taken, line) if type(scalar_out) in (Var, Const) else []
    if check and floats is None:  # (a constant output: its inputs checked at every call)
        return [*check, Return([reduced], False, line)]
    if guard is not None:
        return [If(guard, [Return([raw], False, line)], [], line), *check,
                Return([reduced], False, line)]
    if check:
        return [If(Op("not", (floats,)), check, [], line), Return([reduced], False, line)]
    return [Return([reduced], False, line)]
