"""Turn the rule tables' expression templates into IR and instantiate them for one equation."""
from __future__ import annotations

import ast
from functools import lru_cache

from .ir import Const, Op, Var, substitute
from .primitives import PRIMS

# ast operator class name -> primitive name ("Add" -> "add"); gast uses the same class names.
OPERATORS = {p.op.__name__: p.name for p in PRIMS.values() if p.op is not None}


def dotted(node):
    """`np.linalg.inv` for an Attribute/Name chain, else None."""
    parts = []
    while type(node).__name__ == "Attribute":
        parts.append(node.attr)
        node = node.value
    if type(node).__name__ != "Name":
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


@lru_cache(maxsize=None)
def parse(template: str):
    """Parse a template such as ``g * (1 - ans) * ans`` into an IR expression over Vars."""
    return _convert(ast.parse(template, mode="eval").body)


def _convert(node):
    t = type(node)
    if t is ast.Name:
        return Var(node.id)
    if t is ast.Constant:
        return Const(node.value)
    if t is ast.BinOp:
        return Op(OPERATORS[type(node.op).__name__], (_convert(node.left), _convert(node.right)))
    if t is ast.UnaryOp:
        if type(node.op) is ast.USub and type(node.operand) is ast.Constant:
            return Const(-node.operand.value)
        return Op(OPERATORS[type(node.op).__name__], (_convert(node.operand),))
    if t is ast.Compare:
        return Op(OPERATORS[type(node.ops[0]).__name__],
                  (_convert(node.left), _convert(node.comparators[0])))
    if t is ast.Attribute and node.attr in PRIMS and PRIMS[node.attr].form == "attr":
        return Op(node.attr, (_convert(node.value),))
    if t is ast.Call:
        name = dotted(node.func)
        return Op(name, tuple(_convert(a) for a in node.args),
                  tuple((k.arg, _convert(k.value)) for k in node.keywords))
    if t is ast.Tuple:
        return Op("tuple", tuple(_convert(e) for e in node.elts))
    raise ValueError(f"unsupported template syntax: {ast.dump(node)}")


def instantiate(template: str, bindings: dict):
    """The template with its names bound to expressions, trivial arithmetic simplified."""
    return simplify(substitute(parse(template), bindings))


def is_const(e, value):
    return type(e) is Const and type(e.value) in (int, float) and e.value == value


def simplify(e):
    """Fold the identities templates produce (`g * 1`, `-(-g)`, `x ** 1`); keeps everything else."""
    if type(e) is not Op:
        return e
    args = tuple(simplify(a) for a in e.args)
    kwargs = tuple((k, simplify(v)) for k, v in e.kwargs)
    p = e.prim
    if p in ("mul", "truediv", "pow") and is_const(args[1], 1) and type(args[1].value) is int:
        return args[0]
    if p == "mul" and is_const(args[0], 1) and type(args[0].value) is int:
        return args[1]
    if p == "mul" and is_const(args[1], -1):
        return simplify(Op("neg", (args[0],)))
    if p == "neg" and type(args[0]) is Op and args[0].prim == "neg":
        return args[0].args[0]
    if p == "neg" and type(args[0]) is Const and type(args[0].value) in (int, float):
        return Const(-args[0].value)
    if p in ("add", "sub", "mul", "truediv", "pow") and all(
            type(a) is Const and type(a.value) in (int, float) for a in args):
        try:
            return Const(PRIMS[p].fn(args[0].value, args[1].value))
        except (ArithmeticError, ValueError):
            pass
    return Op(p, args, kwargs)


# --- applying the rule tables to one equation ------------------------------------------------
def _scaled(factor: str, partial: str) -> str:
    """`factor * partial` as template text, written the way the lecture writes it."""
    if partial == "1":
        return factor
    if partial == "-1":
        return f"-{factor}"
    top = ast.parse(partial, mode="eval").body
    if type(top) is ast.BinOp and type(top.op) in (ast.Add, ast.Sub):
        partial = f"({partial})"
    return f"{factor} * {partial}"


def _bindings(op: Op, ans: str):
    from .primitives import PRIMS
    p = PRIMS[op.prim]
    names = dict(zip(p.params, op.args))
    names.update({k: Const(v) for k, v in p.options.items()})
    names.update(dict(op.kwargs))
    names["ans"] = Var(ans)
    return names


def _special(op: Op, mode: str):
    from .rules import SPECIAL
    kw = dict(op.kwargs)
    for (prim, option, value), rules in SPECIAL.items():
        if prim == op.prim and mode in rules:
            given = kw.get(option, Const(value))
            if type(given) is Const and given.value == value:
                return rules[mode]
    return None


def has_rule(prim: str) -> bool:
    from .rules import DERIVATIVES, JVP, LINEAR, VJP
    return prim in DERIVATIVES or prim in VJP or prim in JVP or prim in LINEAR


def vjp_term(op: Op, ans: str, i: int, g):
    """The adjoint contribution of `ans = op(...)` to its i-th operand, or None if it has none."""
    from .rules import DERIVATIVES, VJP
    if op.prim in DERIVATIVES:
        partials = DERIVATIVES[op.prim]
        template = _scaled("g", partials[i]) if i < len(partials) else None
    else:
        templates = _special(op, "vjp") or VJP.get(op.prim)
        if templates is None:
            raise KeyError(op.prim)
        template = templates[i] if i < len(templates) else None
    if template is None:
        return None
    return instantiate(template, {**_bindings(op, ans), "g": g})


def jvp_term(op: Op, ans: str, i: int, t):
    """The tangent contribution of the i-th operand of `ans = op(...)`, or None."""
    from .rules import DERIVATIVES, JVP, LINEAR
    if op.prim in DERIVATIVES:
        partials = DERIVATIVES[op.prim]
        return instantiate(_scaled("t", partials[i]), {**_bindings(op, ans), "t": t}) \
            if i < len(partials) else None
    if op.prim in JVP:
        template = JVP[op.prim][i]
        return None if template is None else instantiate(template, {**_bindings(op, ans), "t": t})
    if op.prim in LINEAR:
        if i > 0:
            return None  # the other operands of a linear primitive are indices and shapes
        args = list(op.args)
        args[i] = t
        return Op(op.prim, tuple(args), op.kwargs)
    raise KeyError(op.prim)
