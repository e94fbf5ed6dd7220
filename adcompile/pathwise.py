"""The standard draws of random draws differentiated in their parameters, exact.

NumPy draws normal(loc, scale) as loc + scale * z, lognormal(mean, sigma) as
exp(mean + sigma * z), exponential(scale) as scale * e and uniform(low, high) as
low + (high - low) * u (primitives.PATHWISE); the derivative in scale is z, and so on
(rules_stats.py). Read back from the drawn value, z is lost where the value lost it: a lognormal
that underflowed to 0, a scale of 0, a loc of 1e8 with a scale of 1e-3 (x keeps 5 digits of z).
So before each such draw whose derivative needs them, the derivative decides from the
parameters whether reading them back is exact (runtime_stats.lost_standard_draws): where it is,
the helper gives None and the rules read them back (standard_of), copying nothing; where not, it
draws them again from a copy of the generator as it stands (runtime_stats.standard_draws). The
draw names the helper's answer in its hidden option `drawn` for the rules to read:

    s3 = lost_standard_draws(rng, 'normal', loc, scale, size=3)
    x = rng.normal(loc, scale, size=3)

The user's draw is made as written, once, and the stream moves as the function moves it. Run by
forward and reverse mode on the function they differentiate (only what is differentiated needs
them: a draw differentiated in loc alone, or not at all, is left as it is)."""
from __future__ import annotations

from dataclasses import replace

from .analysis import active_names
from .ir import Assign, Const, Function, Namer, Op, Var, blocks_of, copy_block, targets_of, \
    walk_stmts
from .primitives import PATHWISE, PRIMS

# the parameters whose derivative is the standard draw (the rest: 1 for loc, the value for mean)
NEEDS_DRAWS = {"normal": ("scale",), "lognormal": ("sigma",), "exponential": ("scale",),
               "uniform": ("low", "high")}
DRAWS = {f"{source}.{kind}": kind for source in ("Generator", "np.random") for kind in PATHWISE}


def with_standard_draws(fn: Function, wrt, useful=None) -> Function:
    """fn with the standard draws named before each draw differentiated in a parameter that
    needs them (the function itself when there is none)."""
    active = active_names(fn, wrt, useful)
    if not any(_needs(s, active) for s in walk_stmts(fn.body)):
        return fn
    names = set(fn.params) | set(fn.constants)
    for s in walk_stmts(fn.body):
        names.update(targets_of(s))
    body = copy_block(fn.body)
    _name_draws(body, active, Namer(names, names))
    return replace(fn, body=body)


def _needs(s, active):
    v = s.value if type(s) is Assign else None
    if type(v) is not Op or v.prim not in DRAWS or "drawn" in dict(v.kwargs):
        return False
    operands = dict(zip(PRIMS[v.prim].params, v.args))
    return any(type(operands.get(p)) is Var and operands[p].name in active
               for p in NEEDS_DRAWS[DRAWS[v.prim]])


def _name_draws(stmts, active, namer):
    k = 0
    while k < len(stmts):
        s = stmts[k]
        for inner in blocks_of(s):
            _name_draws(inner, active, namer)
        if _needs(s, active):
            v, kind = s.value, DRAWS[s.value.prim]
            rng = v.args[0] if v.prim.startswith("Generator.") else Const(None)
            params = v.args[1:] if v.prim.startswith("Generator.") else v.args
            size = dict(v.kwargs).get("size", Const(None))
            drawn = namer.temp()
            stmts.insert(k, Assign(drawn, Op("lost_standard_draws",
                                             (rng, Const(kind), *params), (("size", size),)),
                                   s.line))
            s.value = Op(v.prim, v.args, v.kwargs + (("drawn", Var(drawn)),))
            k += 1
        k += 1
