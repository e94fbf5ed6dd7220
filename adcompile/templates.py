"""Turn the rule tables' expression templates into IR and instantiate them for one equation."""
from __future__ import annotations

import ast
import re
from functools import lru_cache

from .errors import NoDerivativeError
from .ir import Assign, Const, Op, Var, substitute, walk_exprs
from .primitives import PRIMS, zero_by_design
from .rules import DERIVATIVES, JVP, LINEAR, ONCE, SEED, SPECIAL, VJP

# ast operator class name -> primitive name ("Add" -> "add"); gast uses the same class names.
OPERATORS: dict = {}  # (the first primitive an operator prints for: `+` is add, not list_concat)
for _p in PRIMS.values():
    if _p.op is not None:
        OPERATORS.setdefault(_p.op.__name__, _p.name)


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
        return Op(_operator(node.op, node), (_convert(node.left), _convert(node.right)))
    if t is ast.UnaryOp:
        if type(node.op) is ast.USub and type(node.operand) is ast.Constant:
            return Const(-node.operand.value)
        return Op(_operator(node.op, node), (_convert(node.operand),))
    if t is ast.Compare:
        if len(node.ops) > 1:
            raise ValueError(f"`{ast.unparse(node)}`, a chained comparison, is not supported in "
                             "templates (write `(a < b) & (b < c)`)")
        return Op(_operator(node.ops[0], node), (_convert(node.left),
                                                 _convert(node.comparators[0])))
    if t is ast.Attribute and node.attr in PRIMS and PRIMS[node.attr].form == "attr":
        return Op(node.attr, (_convert(node.value),))
    if t is ast.Call:
        name = dotted(node.func)
        if name is None or any(type(a) is ast.Starred for a in node.args) or \
                any(k.arg is None for k in node.keywords):
            raise ValueError(f"`{ast.unparse(node)}` is not supported in templates (they call "
                             "named functions with plain arguments)")
        if name not in PRIMS:
            raise ValueError(f"the template calls {name}, which is not a primitive")
        args = tuple(_convert(a) for a in node.args)
        if PRIMS[name].form == "seq":  # np.stack((a, b)): the operands are the sequence's items
            args = args[0].args
        return Op(name, args, tuple((k.arg, _convert(k.value)) for k in node.keywords))
    if t is ast.Tuple:
        return fold(Op("tuple", tuple(_convert(e) for e in node.elts)))
    if t is ast.Subscript:
        return Op("getitem", (_convert(node.value), _convert(node.slice)))
    if t is ast.Slice:  # g[:len(x)]: a slice computed at run time is a `slice` operation
        parts = tuple(Const(None) if p is None else _convert(p)
                      for p in (node.lower, node.upper, node.step))
        if all(type(p) is Const for p in parts):
            return Const(slice(*(p.value for p in parts)))
        return Op("slice", parts)
    what = f"the attribute .{node.attr}" if t is ast.Attribute else _SYNTAX.get(
        t.__name__, f"{t.__name__} syntax")
    raise ValueError(f"`{ast.unparse(node)}`, {what}, is not supported in templates (they are "
                     "expressions of numbers, names, operators, calls, indexing and tuples)")


_SYNTAX = {"Dict": "a dict display", "DictComp": "a dict comprehension",
           "List": "a list display", "ListComp": "a list comprehension", "Set": "a set display",
           "SetComp": "a set comprehension", "GeneratorExp": "a generator expression",
           "Lambda": "a lambda", "IfExp": "a conditional expression", "BoolOp": "`and`/`or`",
           "NamedExpr": "an assignment expression", "Starred": "a starred expression",
           "JoinedStr": "an f-string", "FormattedValue": "an f-string", "Await": "await",
           "Yield": "yield", "YieldFrom": "yield from"}


def _operator(op, node):
    """The primitive of the operator `op` of `node`, or a ValueError naming it."""
    name = OPERATORS.get(type(op).__name__)
    if name is None:
        raise ValueError(f"the operator in `{ast.unparse(node)}` is not supported in templates")
    return name


def instantiate(template: str, bindings: dict):
    """The template with its names bound to expressions, trivial arithmetic simplified."""
    return simplify(substitute(parse(template), bindings))


def is_const(e, value):
    return type(e) is Const and type(e.value) in (int, float) and e.value == value


def is_zeros(e):
    return type(e) is Op and e.prim == "zeros_like"


def fold(e):
    """A tuple of constants is a constant; `(a, b)[1]` is `b`."""
    if e.prim == "tuple" and all(type(a) is Const for a in e.args):
        return Const(tuple(a.value for a in e.args))
    if e.prim == "getitem" and type(e.args[1]) is Const and type(e.args[1].value) is int:
        seq = e.args[0]
        if type(seq) is Op and seq.prim == "tuple" and -len(seq.args) <= e.args[1].value < len(
                seq.args):
            return seq.args[e.args[1].value]
    return e


def simplify(e, ones=True):
    """Fold the identities templates produce (`g * 1`, `-(-g)`, `x ** 1`); keeps everything else.
    `ones=False`: not `x * 1`, `x / 1`, `x ** 1`, `x * -1`, which change an integer's or a
    boolean's type (optimize folds those where x holds floats)."""
    if type(e) is not Op:
        return e
    args = tuple(simplify(a, ones) for a in e.args)
    kwargs = tuple((k, simplify(v, ones)) for k, v in e.kwargs)
    p = e.prim
    if ones and p in ("mul", "truediv", "pow") and is_const(args[1], 1) and \
            type(args[1].value) is int:
        return args[0]
    if ones and p == "mul" and is_const(args[0], 1) and type(args[0].value) is int:
        return args[1]
    if ones and p == "mul" and is_const(args[1], -1):
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
    if p == "add" and type(args[1]) is Op and args[1].prim == "neg":  # a + -b = a - b, exactly
        return simplify(Op("sub", (args[0], args[1].args[0])), ones)
    if p == "add" and type(args[0]) is Op and args[0].prim == "neg":
        return simplify(Op("sub", (args[1], args[0].args[0])), ones)
    if p == "add" and _complementary(*args):  # stack((d_a, 0)) + stack((0, d_b)) = stack((d_a, d_b))
        a, b = args
        return Op(a.prim, tuple(y if is_zeros(x) else x for x, y in zip(a.args, b.args)), a.kwargs)
    return fold(Op(p, args, kwargs))


def _complementary(a, b):
    """Two applications of one sequence primitive whose nonzero operands fill different slots."""
    return type(a) is Op and type(b) is Op and a.prim == b.prim and PRIMS[a.prim].form == "seq" \
        and a.kwargs == b.kwargs and len(a.args) == len(b.args) \
        and all(is_zeros(x) or is_zeros(y) for x, y in zip(a.args, b.args))


# --- applying the rule tables to one equation ------------------------------------------------
@lru_cache(maxsize=None)
def _scaled(factor: str, partial: str) -> str:
    """`factor * partial` as template text, written the way the lecture writes it; a partial that
    names the seed itself (`times_pow(__seed, x, e)`) is the product already."""
    if SEED in partial:
        return partial
    if partial == "1":
        return factor
    if partial == "-1":
        return f"-{factor}"
    top = ast.parse(partial, mode="eval").body
    if type(top) is ast.BinOp and type(top.op) in (ast.Add, ast.Sub):
        partial = f"({partial})"
    return f"{factor} * {partial}"


def _bindings(op: Op, ans: str):
    p = PRIMS[op.prim]
    params = p.params
    names = {}
    if params and params[-1].startswith("*"):  # np.einsum(subscripts, *operands): xs = operands
        names["xs"] = Op("tuple", op.args[len(params) - 1:])
        params = params[:-1]
    names.update(zip(params, op.args))
    names.update({k: Const(v) for k, v in p.options.items()})
    names.update(dict(op.kwargs))
    names["ans"] = Var(ans)
    return names


def is_loose(op: Op):
    """Whether op's reverse rule may hand back an adjoint smaller than the operand: True when
    it is one number for every element, "kept" when it broadcasts along the kept dimensions of
    a reduction, False when it has the operand's shape."""
    kw = dict(op.kwargs)
    for (prim, option, value), rules in SPECIAL.items():
        if prim != op.prim or not rules.get("loose"):
            continue
        given = kw.get(option, Const(_default(prim, option, value)))
        if type(given) is Const and given.value == value:
            return rules["loose"]
    return False


def _default(prim, option, value):
    """The value an option has when the call leaves it out."""
    return PRIMS[prim].options.get(option, value) if prim in PRIMS else value


def _special(op: Op, mode: str):
    kw = dict(op.kwargs)
    for (prim, option, value), rules in SPECIAL.items():
        if prim == op.prim and mode in rules:
            given = kw.get(option, Const(_default(prim, option, value)))
            if type(given) is Const and given.value == value:
                return rules[mode]
    return None


def no_rule(p, mode):
    """Why a primitive `p` without a rule stops `mode` ("forward", "reverse"): a helper that
    derivative code calls (`norm_grad`) means a derivative differentiated again."""
    if getattr(p.fn, "__module__", "").startswith("adcompile.runtime"):
        return (f"no {mode}-mode rule for {p.name}, which the first derivative of this line "
                "calls: its second derivative is not supported (docs/limits.md)")
    return f"no {mode}-mode rule for {p.name}"


def has_rule(prim: str) -> bool:
    return prim in DERIVATIVES or prim in VJP or prim in JVP or prim in LINEAR


def _template(table_entry, op, i):
    """Operand i's template from a table entry: a tuple of templates or a rule function."""
    if callable(table_entry):
        return table_entry(op, i)
    return table_entry[i] if i < len(table_entry) else None


def differentiable(op: Op):
    """Positions of op's operands that have a derivative (not an index, a shape, a condition)."""
    n = len(op.args)
    if op.prim in DERIVATIVES:
        return [i for i in range(n) if _template(DERIVATIVES[op.prim], op, i) is not None]
    entries = [t for t in (_special(op, "vjp"), VJP.get(op.prim), _special(op, "jvp"),
                           JVP.get(op.prim)) if t is not None]
    if entries:
        return [i for i in range(n) if any(_template(t, op, i) is not None for t in entries)]
    return [0] if op.prim in LINEAR and n else list(range(n))


def _param_names(p, n):
    """The parameter name of each of n positional operands of primitive p (`*xs` for the rest)."""
    params = p.params
    if params and params[-1].startswith("*"):
        return list(params[:-1]) + [params[-1]] * max(n - len(params) + 1, 0)
    return list(params) + [""] * (n - len(params))


def refused_operand(op: Op, active, constants=None):
    """The first operand of `op` that holds a differentiated value (a name in `active`) where no
    rule gives a derivative and the table does not declare it zero by design, as (parameter,
    value name); None if every differentiated value has somewhere to go."""
    return next(((param, a.name) for param, a in unruled_operands(op, constants)
                 if a.name in active), None)


def unruled_operands(op: Op, constants=None):
    """(parameter, name) of each operand of `op` that no rule gives a derivative and the table
    does not declare zero by design: a differentiated value there is refused. An index into an
    array is an integer (zero by design); into a constant object such as np.r_ or np.mgrid it is
    refused: `np.r_[x, y]` builds an array from x and y."""
    p = PRIMS[op.prim]
    ruled = set() if p.kind == "nondiff" else set(differentiable(op))
    names = _param_names(p, len(op.args))
    operands = [(names[i], a) for i, a in enumerate(op.args) if i not in ruled] + list(op.kwargs)
    out = []
    for param, a in operands:
        if type(a) is not Var:
            continue
        if param == "index":
            if op.prim == "getitem" and _constant_object(op.args[0], constants):
                out.append((param, a))
        elif not zero_by_design(p, param) and not casts_to_integers(op):
            out.append((param, a))
    return out


def casts_to_integers(op: Op) -> bool:
    """Whether `op` gives its result a constant integer or boolean dtype (`x.astype(int)`,
    `np.asarray(x, dtype="int64")`, `np.full(n, x, dtype=bool)`): the result is piecewise
    constant, as int(x)'s is, so a differentiated operand without a rule has derivative zero
    there rather than being refused. A dtype known only at run time is not such a cast."""
    import numpy as np
    names = _param_names(PRIMS[op.prim], len(op.args))
    dtype = dict(op.kwargs).get("dtype", next(
        (a for n, a in zip(names, op.args) if n == "dtype"), None))
    if type(dtype) is not Const or dtype.value is None:
        return False
    try:
        return np.dtype(dtype.value).kind in "biu"
    except TypeError:
        return False


def _constant_object(e, constants):
    """Whether `e` is a constant of the user's module that is not an array (np.r_, np.mgrid)."""
    if type(e) is Const:
        value = e.value
    elif type(e) is Var and constants and e.name in constants:
        value = constants[e.name]
    else:
        return False
    return not isinstance(value, (list, tuple)) and not hasattr(value, "shape")


def check_operands(op: Op, active, fn=None, line=None):
    """Nothing unknown is a constant: raise NoDerivativeError, naming the user's line (`line` of
    function `fn`), if a differentiated value reaches an operand of `op` with no derivative."""
    try:
        found = refused_operand(op, active, getattr(fn, "constants", None))
    except NoDerivativeError as e:
        raise located(e, getattr(fn, "filename", None), line) from None
    if found is None:
        return
    param, name = found
    name = "" if re.fullmatch(r"s\d+", name) else f" ({name})"  # a compiler temporary: unnamed
    base = op.args[0] if op.args else None
    if op.prim == "call":  # a function without a rule (lower/calls.opaque_call)
        how = getattr(fn, "unknown", {}).get(getattr(base, "name", None), "no derivative rule")
        message = f"{how} (It receives a differentiated value{name}.)"
    elif op.prim == "getitem" and type(base) is Var:
        message = (f"{base.name}[...] of a differentiated value{name} has no derivative rule; "
                   f"build the array with np.concatenate, np.stack or np.hstack instead")
    else:
        what = f"its argument {param}" if param and not param.startswith("*") else \
            "one of its arguments"
        message = (f"{PRIMS[op.prim].name} has no derivative with respect to {what}, which "
                   f"receives a differentiated value{name}; compute it from values that are not "
                   "differentiated, or register a rule with adcompile.defvjp and adcompile.defjvp")
    raise NoDerivativeError(message, getattr(fn, "filename", None), line)


def located(err, filename, line):
    """`err`, raised by a rule without a place (np.pad with a mode it has no rule for), at the
    user's line."""
    return err if err.filename else type(err)(err.message, filename, line)


def vjp_term(op: Op, ans: str, i: int, g):
    """The adjoint contribution of `ans = op(...)` to its i-th operand, or None if it has none."""
    seed = "g"
    if op.prim in DERIVATIVES:
        partial, seed = _template(DERIVATIVES[op.prim], op, i), SEED
        template = None if partial is None else _scaled(SEED, partial)
    else:
        templates = _special(op, "vjp") or VJP.get(op.prim)
        if templates is None:
            raise NoDerivativeError(f"no reverse-mode rule for {op.prim}; register one with "
                                    "adcompile.defvjp")
        template = _template(templates, op, i)
    if template is None:
        return None
    return instantiate(template, {**_bindings(op, ans), seed: g})


def jvp_term(op: Op, ans: str, i: int, t):
    """The tangent contribution of the i-th operand of `ans = op(...)`, or None."""
    if op.prim in DERIVATIVES:
        partial = _template(DERIVATIVES[op.prim], op, i)
        return None if partial is None else \
            instantiate(_scaled(SEED, partial), {**_bindings(op, ans), SEED: t})
    templates = _special(op, "jvp") or JVP.get(op.prim)
    if templates is not None:
        template = _template(templates, op, i)
        return None if template is None else instantiate(template, {**_bindings(op, ans), "t": t})
    if op.prim in LINEAR:
        if i > 0:
            return None  # the other operands of a linear primitive are indices and shapes
        args = list(op.args)
        args[i] = t
        return Op(op.prim, tuple(args), op.kwargs)
    raise NoDerivativeError(f"no forward-mode rule for {op.prim}; register one with "
                            "adcompile.defjvp")


def shared(terms, namer, line):
    """The calls of `ONCE` primitives that the terms of one equation (its rules for several
    operands) read alike, each assigned once to a temporary: (those assignments, the terms
    reading the temporaries). `uniform(low, high)`'s rules read u for both operands; the
    optimizer merges whole statements only, so it would be read back twice."""
    counts: dict = {}
    for term in terms:
        for e in walk_exprs(term):
            if type(e) is Op and e.prim in ONCE:
                try:
                    counts[e] = counts.get(e, 0) + 1
                except TypeError:  # (an unhashable constant inside: left as it is)
                    pass
    mapping = {e: Var(namer.temp()) for e, n in counts.items() if n > 1}
    if not mapping:
        return [], terms
    lets = [Assign(v.name, e, line) for e, v in mapping.items()]
    return lets, [_replaced(t, mapping) for t in terms]


def _replaced(e, mapping):
    if type(e) is not Op:
        return e
    try:
        if e in mapping:
            return mapping[e]
    except TypeError:
        pass
    return Op(e.prim, tuple(_replaced(a, mapping) for a in e.args),
              tuple((k, _replaced(v, mapping)) for k, v in e.kwargs))
