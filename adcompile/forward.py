"""Stage: flat code -> forward-mode flat code. Each value is followed by its tangent `d_<name>`.

Only values that depend on a differentiated input are active and get a tangent; every other
tangent is a symbolic zero and never appears. A tangent of a broadcast value may be smaller than
the value (`d_z = d_x` for `z = x + Y` with a constant array `Y`); such tangents are expanded to
the value's shape where shape matters: before a reduction or product, and at the output.
"""
from __future__ import annotations

from .errors import NoDerivativeError
from .ir import Assign, Const, Function, Op, Return, Var
from .lower import Namer
from .primitives import PRIMS
from .templates import has_rule, jvp_term


def shape_classes(fn):
    from .reverse import shape_classes as classes
    return classes(fn)


def all_names(fn: Function):
    names = set(fn.params) | set(fn.constants)
    names |= {s.target for s in fn.body if type(s) is Assign}
    return names


def forward(fn: Function, wrt, name=None) -> Function:
    """The JVP function: `name(*params, *d_params)` returns `(out, d_out)`."""
    namer = Namer(all_names(fn), all_names(fn))
    tangent = {p: namer.fresh(f"d_{p}") for p in wrt}   # value name -> tangent name
    short = set()                                        # tangents possibly smaller than values
    same = shape_classes(fn)
    body = []

    def exact(v: Var, line):
        """The tangent of `v` at `v`'s own shape."""
        t = tangent[v.name]
        if t in short:
            full = namer.fresh(t)
            body.append(Assign(full, Op("expand_to", (Var(t), v)), line))
            tangent[v.name] = t = full
        return Var(t)

    for s in fn.body:
        if type(s) is Return:
            outs = [exact(v, s.line) if type(v) is Var and v.name in tangent
                    else Op("zeros_like", (v,)) for v in s.values]
            body.append(Return([_pack(s.values, s.as_tuple), _pack(outs, s.as_tuple)], True, s.line))
            break
        body.append(s)
        op, p = s.value, PRIMS[s.value.prim]
        active = [i for i, a in enumerate(op.args) if type(a) is Var and a.name in tangent]
        if not active or p.kind == "nondiff":
            continue
        if not has_rule(op.prim):
            raise NoDerivativeError(f"no forward-mode rule for {op.prim}", fn.filename, s.line)
        terms = []
        for i in active:
            t = exact(op.args[i], s.line) if p.kind == "exact" else Var(tangent[op.args[i].name])
            term = jvp_term(op, s.target, i, t)
            if term is not None:
                terms.append(term)
        if not terms:
            continue
        total = terms[0]
        for term in terms[1:]:
            total = Op("add", (total, term))
        tangent[s.target] = namer.fresh(f"d_{s.target}")
        body.append(Assign(tangent[s.target], total, s.line))
        if any(tangent[op.args[i].name] in short for i in active) or \
                p.kind == "broadcast" and s.target not in same and any(
                    type(a) is Var and a.name not in tangent for a in op.args):
            short.add(tangent[s.target])
    params = list(fn.params) + [tangent[p] for p in wrt]
    return Function(name or f"jvp_{fn.name}", params, body, fn.filename, fn.source_lines,
                    dict(fn.constants))


def _pack(values, as_tuple):
    return Op("tuple", tuple(values)) if as_tuple else values[0]
