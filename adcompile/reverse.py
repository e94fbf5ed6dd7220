"""Stage: flat code -> reverse-mode flat code: the forward sweep, then the adjoint sweep.

The adjoint of `v` is `grad_v`. The sweep visits equations last to first and hands each operand of
an active equation its contribution from the rule table; `grad_v` is written as soon as every
contribution has arrived, that is right after the equation that uses `v` first, which is where
the lecture writes it (`grad_s3 = ...` then `grad_w2 = grad_s3`, `grad_s2 = grad_s3`).

Broadcasting: a contribution from `z = x + y` has `z`'s shape, which may be larger than `x`'s.
Summing it back (`unbroadcast`) commutes with the elementwise rules that follow, so it is put off
until the shape matters: where contributions are added, before a rule that needs exact shapes
(`@`, `np.sum`), and at the returned gradients. There the reductions are skipped at no cost when
the output and every value entering a `math` function are Python floats, which proves that no
array took part.
"""
from __future__ import annotations

from .errors import NoDerivativeError
from .forward import all_names
from .ir import Assign, Const, Function, If, Op, Return, Var
from .lower import Namer
from .primitives import PRIMS
from .templates import has_rule, vjp_term


def active_names(fn: Function, wrt):
    """Names whose value depends on a differentiated input."""
    active = set(wrt)
    for s in fn.body:
        if type(s) is Assign and PRIMS[s.value.prim].kind != "nondiff" and any(
                type(a) is Var and a.name in active for a in s.value.args):
            active.add(s.target)
    return active


def shape_classes(fn: Function):
    """Names known to share a shape: an elementwise result has its operands' shape when they all
    have the same one (`s0 = sigmoid(x)`, `s1 = x * s0`: x, s0 and s1 share a shape)."""
    cls = {}
    for s in fn.body:
        if type(s) is not Assign:
            continue
        p = PRIMS[s.value.prim]
        if p.kind in ("unary", "broadcast"):
            found = {cls.get(a.name, a.name) for a in s.value.args if type(a) is Var}
            if len(found) == 1 and all(type(a.value) in (int, float) for a in s.value.args
                                       if type(a) is Const):
                cls[s.target] = found.pop()
    return cls


def backward(fn: Function, wrt, seeds, namer: Namer, fit=False):
    """The adjoint sweep of `fn`'s equations.

    `seeds` maps output names to their adjoints. Returns the statements, the gradient expression of
    each name in `wrt` with and without the deferred reductions, and the guard that tells when the
    reductions may be skipped (None when nothing is deferred).
    """
    eqns = [s for s in fn.body if type(s) is Assign]
    active = active_names(fn, wrt)
    same = shape_classes(fn)
    first_use = {}
    for i, s in enumerate(eqns):
        for a in s.value.args:
            if type(a) is Var:
                first_use.setdefault(a.name, i)
    pending = {}        # name -> [(expr, deferred)], contributions not yet written
    adjoint = {}        # name -> (Var of its adjoint, deferred)
    body, barrier_inputs = [], []

    for name, seed in seeds.items():
        if name in active:
            pending.setdefault(name, []).append((seed, False))

    def write(name, line):
        terms = pending.pop(name)
        if len(terms) > 1:  # contributions of different broadcast shapes must be summed back first
            terms = [(Op("unbroadcast", (e, Var(name))) if d else e, False) for e, d in terms]
        elif terms[0][1] and name not in wrt and PRIMS[defining[name]].kind == "exact":
            terms = [(Op("unbroadcast", (terms[0][0], Var(name))), False)]
        total = terms[0][0]
        for e, _ in terms[1:]:
            total = Op("add", (total, e))
        g = namer.fresh(f"grad_{name}")
        body.append(Assign(g, total, line))
        adjoint[name] = (Var(g), terms[0][1])

    defining = {s.target: s.value.prim for s in eqns}
    for name in [n for n in pending if n not in first_use]:  # outputs used by no equation
        if len(pending[name]) == 1 and type(pending[name][0][0]) is Var:  # a pullback's argument
            adjoint[name] = (pending.pop(name)[0][0], False)
        else:
            write(name, fn.body[-1].line)
    for i in range(len(eqns) - 1, -1, -1):
        s = eqns[i]
        if s.target in adjoint:
            g, deferred = adjoint[s.target]
            op, p = s.value, PRIMS[s.value.prim]
            if p.kind != "nondiff":
                if not has_rule(op.prim):
                    raise NoDerivativeError(f"no reverse-mode rule for {op.prim}", fn.filename,
                                            s.line)
                for j, a in enumerate(op.args):
                    if type(a) is not Var or a.name not in active:
                        continue
                    term = vjp_term(op, s.target, j, g)
                    if term is None:
                        continue
                    if p.barrier:
                        barrier_inputs.append(a)
                    widened = p.kind == "broadcast" and s.target not in same

                    pending.setdefault(a.name, []).append((term, deferred or widened))
        for a in s.value.args:
            if type(a) is Var and first_use.get(a.name) == i and a.name in pending:
                write(a.name, s.line)

    raw, reduced = [], []
    for w in wrt:
        if w in adjoint:
            g, deferred = adjoint[w]
            raw.append(g)
            # a scalar seed (grad's 1.0) carries no shape: fit every gradient to its input
            reduced.append(Op("unbroadcast", (g, Var(w))) if deferred or fit else g)
        else:
            raw.append(Op("zeros_like", (Var(w),)))
            reduced.append(raw[-1])
    guard = None
    if raw != reduced:
        checks = list(dict.fromkeys([Var(n) for n in seeds if n in active] + barrier_inputs))
        guard = _all_floats(checks)
    return body, raw, reduced, guard


def _all_floats(values):
    test = None
    for v in values:
        check = Op("is", (Op("type", (v,)), Var("float")))
        test = check if test is None else Op("and", (test, check))
    return test


def reverse(fn: Function, wrt, *, kind="grad", as_tuple=True, name=None) -> Function:
    """The reverse-mode function of `fn` with respect to the parameters `wrt`.

    kind "grad": returns the gradients (the scalar output is seeded with 1.0); "value_and_grad":
    returns (value, gradients); "vjp": returns (value, pullback), `pullback(cotangent)` returning
    the gradients. `as_tuple=False` returns the one gradient itself instead of a 1-tuple.
    """
    ret = fn.body[-1]
    eqns = [s for s in fn.body if type(s) is Assign]
    namer = Namer(all_names(fn), all_names(fn))
    outs, line = ret.values, ret.line
    if kind == "vjp":
        ct = namer.fresh("cotangent" if ret.as_tuple else f"grad_{_label(outs[0])}")
        seeds = _seeds(outs, lambda k: Op("getitem", (Var(ct), Const(k))) if ret.as_tuple
                       else Var(ct))
    else:
        seeds = _seeds(outs, lambda k: Const(1.0))
    body, raw, reduced, guard = backward(fn, wrt, seeds, namer, fit=kind != "vjp")
    pack = (lambda gs: Op("tuple", tuple(gs))) if as_tuple else (lambda gs: gs[0])  # noqa: E731
    raw, reduced = pack(raw), pack(reduced)
    if kind == "vjp":
        pull = Function("pullback", [ct], body + _returns(guard, raw, reduced, line, None),
                        fn.filename, fn.source_lines)
        value = Op("tuple", tuple(outs)) if ret.as_tuple else outs[0]
        return Function(name or f"vjp_{fn.name}", list(fn.params),
                        eqns + [pull, Return([value, Var("pullback")], True, line)],
                        fn.filename, fn.source_lines, dict(fn.constants))
    if kind == "value_and_grad":
        raw, reduced = Op("tuple", (outs[0], raw)), Op("tuple", (outs[0], reduced))
    return Function(name or f"{kind}_{fn.name}", list(fn.params),
                    eqns + body + _returns(guard, raw, reduced, line, outs[0]),
                    fn.filename, fn.source_lines, dict(fn.constants))


def _label(v):
    return v.name if type(v) is Var else "out"


def _seeds(outs, seed_of):
    """The adjoint each output starts with (an output returned twice gets both)."""
    seeds = {}
    for k, v in enumerate(outs):
        if type(v) is Var:
            seed = seed_of(k)
            seeds[v.name] = seed if v.name not in seeds else Op("add", (seeds[v.name], seed))
    return seeds


def _returns(guard, raw, reduced, line, scalar_out):
    """Return the gradients. With deferred reductions, `guard` proves they can be skipped; grad
    also checks that its output is a scalar, at no cost when it is a Python float."""
    check = [Assign(None, Op("check_scalar", (scalar_out,)), line)] \
        if type(scalar_out) is Var else []
    if guard is not None:
        return [If(guard, [Return([raw], False, line)], [], line), *check,
                Return([reduced], False, line)]
    if check:
        return [If(Op("isnot", (Op("type", (scalar_out,)), Var("float"))), check, [], line),
                Return([reduced], False, line)]
    return [Return([reduced], False, line)]
