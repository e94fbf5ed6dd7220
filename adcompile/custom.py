"""User-defined derivative rules, written like the built-in ones and shown like them in `source`.

    from adcompile import defpartials, defvjp, defjvp

    defpartials(log_cosh, "np.tanh(x)")              # elementwise, both modes
    defvjp(solve, None, "np.linalg.solve(A.T, g)")   # reverse mode (None: no rule for A)
    defjvp(solve, None, "np.linalg.solve(A, t)")     # forward mode

A rule is a template over the function's parameters (named as in its signature, `x` and `y` for
a ufunc), its result `ans`, the incoming adjoint `g` (reverse mode) or the tangent `t` (forward
mode): one per positional parameter, `None` where a parameter has no derivative. The generated
code prints it in place: `grad_x = grad_s0 * (s0 * scipy.special.digamma(x))`. A rule may also be a
Python function, called by name with the arguments its parameters name: `defvjp(f, my_vjp)`
with `def my_vjp(g, ans, x)` gives `grad_x = my_vjp(grad_s0, s0, x)`. A lambda, or a function
whose name generated code already calls another by, gets one made from f's (`f_vjp`, `f_vjp_1`).

A rule registered for a Python function replaces its inlining (as JAX's custom_jvp does).
Functions a template calls are looked up where `defvjp` is called, then in the module of the
function the rule is for.
"""
from __future__ import annotations

import ast
import builtins
import inspect
import re
import sys
from typing import Any, Callable

import numpy as np

from .cache import forget_all
from .errors import ADCompileError, ArgumentError, at_frame, trimmed
from .primitives import BY_OBJECT, NAMESPACE, PRIMS, add, hashable
from .templates import SEED, dotted, parse

USER: set = set()   # primitives registered through this module (their rules may be replaced)
# Python functions given as rules: primitives generated code calls by name, which are not
# primitives where they are called (a derivative differentiated again, the user's own code):
# there adcompile reads their source, as for any function with no rule of its own.
HELPERS: dict = {}


def defvjp(fn: Callable[..., Any], *rules: str | Callable[..., Any] | None, name: str | None = None,
           elementwise: bool = False) -> Callable[..., Any]:
    """Register reverse-mode rules for `fn`, one per positional parameter: templates over its
    parameters, `ans` and the adjoint `g` (or Python functions, or None). Returns `fn`.
    `elementwise=True` declares that `fn` broadcasts like `np.add`, so the rules may return
    gradients of the broadcast shape, which the generated code sums back."""
    from .rules import VJP
    caller = sys._getframe(1)
    try:
        return _define(VJP, fn, name, elementwise, rules, "g", caller.f_globals)
    except ADCompileError as e:
        raise trimmed(at_frame(e, caller))


def defjvp(fn: Callable[..., Any], *rules: str | Callable[..., Any] | None, name: str | None = None,
           elementwise: bool = False) -> Callable[..., Any]:
    """Register forward-mode rules for `fn`, one per positional parameter: templates over its
    parameters, `ans` and that parameter's tangent `t` (or Python functions, or None); the
    tangent of the result is their sum. Returns `fn`."""
    from .rules import JVP
    caller = sys._getframe(1)
    try:
        return _define(JVP, fn, name, elementwise, rules, "t", caller.f_globals)
    except ADCompileError as e:
        raise trimmed(at_frame(e, caller))


def defpartials(fn: Callable[..., Any], *partials: str | None,
                name: str | None = None) -> Callable[..., Any]:
    """Register an elementwise function by its partial derivatives, one per positional parameter
    (templates over the parameters and `ans`): both modes at once, as in the built-in table
    (`"sigmoid": "(1 - ans) * ans"` gives `grad_x = g * (1 - ans) * ans`). A parameter may be
    named `g` or `t` here (defvjp and defjvp give those names to the adjoint and the tangent).
    Returns `fn`."""
    from .rules import DERIVATIVES
    caller = sys._getframe(1)
    try:
        return _define(DERIVATIVES, fn, name, True, partials, None, caller.f_globals)
    except ADCompileError as e:
        raise trimmed(at_frame(e, caller))


def how_to_register(obj, spelled=None) -> str:
    """The message for a call to `obj` (written `spelled`), which has neither a rule nor Python
    source."""
    where = spelled or _qualified(obj)
    cls = type(obj)
    if any(inspect.isfunction(vars(k).get("__call__")) for k in cls.__mro__):  # a model held
        return (f"{where} is a {cls.__name__} object read from a global or a closure; calling "
                f"it runs {cls.__name__}.__call__, which is differentiated for an object passed "
                f"as an argument: pass {where} as an argument of the function")
    names = _parameters(obj)[0] or ("x",)
    params, first = ", ".join(names), names[0]
    head = (f"no derivative rule for {where} and no Python source to differentiate. Register "
            f"its derivative with respect to each parameter ({params})")
    if "ans" in names:
        return f"{head}: {_clash(where, 'ans', None)}."
    text = (f"{head}, for example\n"
            f"    adcompile.defpartials({where}, \"<d ans / d {first}>\")   # elementwise\n")
    if {"g", "t"} & set(names):  # (defvjp's g, defjvp's t: the parameter's name there)
        return text + ("(templates may use the parameters and the result `ans`; defvjp and "
                       "defjvp, whose templates name the adjoint g and the tangent t, do not "
                       f"take a parameter named {' or '.join(sorted({'g', 't'} & set(names)))})")
    return text + (f"or adcompile.defvjp({where}, \"g * <d ans / d {first}>\") and "
                   f"adcompile.defjvp({where}, \"t * <d ans / d {first}>\"); templates may use "
                   "the parameters, the result `ans`, the adjoint `g` and the tangent `t`.")


# --- registration -----------------------------------------------------------------------------
def _define(table, fn, name, elementwise, rules, seed, caller_globals):
    """Register `fn` as a primitive with `rules` in `table`; nothing changes if a rule is bad."""
    before = set(PRIMS)
    prim = _primitive(fn, name, elementwise)
    try:
        table[prim.name] = _rules(prim, rules, seed, caller_globals)
    except Exception:
        for new in set(PRIMS) - before:  # forget what this call registered
            obj = PRIMS.pop(new).fn
            USER.discard(new)
            NAMESPACE.pop(new, None)
            if hashable(obj) and BY_OBJECT.get(obj) == new:
                del BY_OBJECT[obj]
            if hashable(obj) and HELPERS.get(obj) == new:
                del HELPERS[obj]
        raise
    forget_all()  # derivatives compiled before may have inlined or rejected fn
    return fn


def _qualified(obj):
    name = getattr(obj, "__name__", repr(obj))
    module = getattr(obj, "__module__", None) or (
        "numpy" if isinstance(obj, np.ufunc) else None)
    return f"{module}.{name}" if module and module != "builtins" else name


def _parameters(fn):
    """Positional parameters and keyword options (with their defaults) of `fn`."""
    if isinstance(fn, np.ufunc):
        return ("x", "y", "z", "w")[:fn.nin] if fn.nin <= 4 else tuple(
            f"x{i}" for i in range(fn.nin)), {}
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return ("x",), {}
    params, options = [], {}
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is p.empty and p.kind != p.KEYWORD_ONLY:
            params.append(p.name)
        elif p.default is not p.empty and isinstance(p.default, (int, float, str, bool,
                                                                   type(None), tuple)):
            options[p.name] = p.default
    return tuple(params), options


def _primitive(fn, name, elementwise):
    if not callable(fn):
        raise ArgumentError(f"rules are registered for functions, not {type(fn).__name__}")
    known = BY_OBJECT.get(fn) if hashable(fn) else None
    if known is None and hashable(fn) and fn in HELPERS:  # a rule function gets rules of its own
        known = BY_OBJECT[fn] = HELPERS.pop(fn)
    if known is not None and known not in USER:
        raise ArgumentError(f"{known} already has a built-in derivative rule")
    params, options = _parameters(fn)
    kind = ("unary" if len(params) == 1 else "broadcast") if elementwise else "exact"
    if known is not None:
        prim = PRIMS[known]
        if elementwise:
            prim.kind = kind
        return prim
    given, name = name, name or getattr(fn, "__name__", None)
    if not name or not name.isidentifier():
        raise ArgumentError(f"{_qualified(fn)} has no name generated code could call it by; "
                            "pass one: defvjp(fn, ..., name='my_function')")
    if not _free(name, fn):
        raise ArgumentError(f"the name {name!r} is taken by another function in generated code; "
                            f"pass name='...' to choose another" if given is None else
                            f"the name {name!r} is taken by another function in generated code; "
                            "choose another")
    add(name, fn, params, kind, **options)
    PRIMS[name].zero = "*"  # a rule given as None declares that parameter's derivative zero
    NAMESPACE[name] = fn
    USER.add(name)
    return PRIMS[name]


def _rules(prim, rules, seed, caller_globals):
    """Validated template strings, one per parameter of `prim`."""
    if len(rules) > len(prim.params):
        raise ArgumentError(f"{prim.name} has {len(prim.params)} positional parameter(s) "
                            f"({', '.join(prim.params)}) but {len(rules)} rules were given")
    given = {"ans", seed or SEED}  # (a partial is multiplied by a name of no parameter's)
    clash = sorted(given & (set(prim.params) | set(prim.options)))
    if clash:  # (a template's g would read the parameter, or the adjoint: silently wrong)
        raise ArgumentError(_clash(prim.name, clash[0], seed))
    allowed = set(prim.params) | set(prim.options) | {"ans"} | ({seed} if seed else set())
    scope = dict(getattr(PRIMS[prim.name].fn, "__globals__", {}))
    scope.update(caller_globals)
    out = []
    for k, rule in enumerate(rules):
        if rule is None:
            out.append(None)
            continue
        if callable(rule) and not isinstance(rule, str):
            rule = _call_rule(rule, prim, allowed, seed)
        if not isinstance(rule, str):
            raise ArgumentError(f"a rule is a template string, a function or None, not "
                                f"{type(rule).__name__}")
        out.append(_resolve(rule, prim, allowed, scope))
    return tuple(out)


def _clash(name, param, seed):
    """The refusal of a rule whose reserved name (`seed`, ans) is a parameter of `name`'s."""
    if param == "ans":
        return (f"{name} has a parameter named 'ans', the name rules give its result; register "
                f"the rule for a function with another parameter name that calls it (def "
                f"{name}_(x): return {name}(x)) and call that one")
    role = {"g": "defvjp's templates name the adjoint `g`",
            "t": "defjvp's templates name the tangent `t`"}.get(seed, f"{seed!r} is reserved")
    return (f"{name} has a parameter named {param!r}, and {role}: register it with "
            "defpartials (whose templates name only the parameters and `ans`), or rename the "
            "parameter")


def _call_rule(rule, prim, allowed, seed):
    """A Python function as a rule: a helper primitive called with the names it asks for."""
    params, _ = _parameters(rule)
    unknown = [p for p in params if p not in allowed]
    if unknown:
        raise ArgumentError(f"the rule {rule.__name__} asks for {', '.join(unknown)}; its "
                            f"parameters must be among {', '.join(sorted(allowed))}")
    name = (BY_OBJECT.get(rule) or HELPERS.get(rule)) if hashable(rule) else None
    if name is None:
        name = _primitive(rule, _rule_name(rule, prim, seed), False).name
        if hashable(rule) and BY_OBJECT.get(rule) == name:
            del BY_OBJECT[rule]
            HELPERS[rule] = name
    return f"{name}({', '.join(params)})"


def _free(name, fn):
    """Whether generated code may call `fn` by `name` (no other function has it there)."""
    return name not in PRIMS and NAMESPACE.get(name, fn) is fn and not hasattr(builtins, name)


def _rule_name(rule, prim, seed):
    """The name generated code calls a rule function by: its own where that is free, else one
    made from the primitive's (`sq_vjp`, then `sq_vjp_1`, ...): a lambda, or a second helper
    called `rule`, needs none. The first free one, so a program gets the same names every run."""
    own = getattr(rule, "__name__", "")
    if own.isidentifier() and _free(own, rule):
        return own
    base = re.sub(r"\W", "_", prim.name) + {"g": "_vjp", "t": "_jvp"}.get(seed, "_partial")
    return next(n for n in (base, *(f"{base}_{k}" for k in range(1, len(PRIMS) + 2)))
                if _free(n, rule))


def _resolve(rule, prim, allowed, scope):
    """The template with the functions it calls resolved to primitives and its free names to
    constants; raises if it reads anything else."""
    try:
        tree = ast.parse(rule, mode="eval")
    except SyntaxError as e:
        raise ArgumentError(f"the rule {rule!r} for {prim.name} is not a Python expression: "
                            f"{e.msg}") from None

    class Resolve(ast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit_args(node)
            callee = dotted(node.func)
            if callee is None:
                raise ArgumentError(f"the rule {rule!r} calls something that is not a named "
                                    "function")
            if callee not in PRIMS:
                node.func = ast.parse(_callee(callee, scope, rule), mode="eval").body
            return node

        def generic_visit_args(self, node):
            node.args = [self.visit(a) for a in node.args]
            for k in node.keywords:
                k.value = self.visit(k.value)

        def visit_Attribute(self, node):
            full = dotted(node)
            if full is not None and full.split(".")[0] not in allowed:
                return ast.Constant(_constant(full, scope, rule))
            return self.generic_visit(node)

        def visit_Name(self, node):
            if node.id in allowed:
                return node
            return ast.Constant(_constant(node.id, scope, rule))

    text = ast.unparse(Resolve().visit(tree))
    try:
        parse(text)
    except (ValueError, KeyError) as e:
        raise ArgumentError(f"the rule {rule!r} for {prim.name} cannot be used: {e}. Write it "
                            f"without that, or give a Python function in its place: "
                            f"def rule({', '.join(_example(prim, allowed))}): return ...") from None
    return text


def _example(prim, allowed):
    """The parameters a Python function rule for `prim` would take (`g, x`)."""
    return [s for s in ("g", "t") if s in allowed and s not in prim.params][:1] + \
        list(prim.params)


def _lookup(path, scope):
    parts = path.split(".")
    if parts[0] not in scope:
        return None, False
    obj = scope[parts[0]]
    for p in parts[1:]:
        if not hasattr(obj, p):
            return None, False
        obj = getattr(obj, p)
    return obj, True


def _callee(path, scope, rule):
    """The primitive name generated code calls for `path` (`scipy.special.digamma`)."""
    obj, found = _lookup(path, scope)
    if not found:
        raise ArgumentError(f"the rule {rule!r} calls {path}, which is not defined where the rule "
                            "is registered")
    known = BY_OBJECT.get(obj) if hashable(obj) else None
    if known is not None:
        return known
    root = path.split(".")[0]
    if "." in path:  # scipy.special.digamma: generated code reads it through its module
        if NAMESPACE.get(root, scope[root]) is not scope[root]:
            raise ArgumentError(f"{root!r} means something else in generated code; import the "
                                "function under another name")
        NAMESPACE[root] = scope[root]
        params, options = _parameters(obj)
        add(path, obj, params, "exact", **options)
        USER.add(path)
        return path
    return _primitive(obj, path, False).name


def _constant(path, scope, rule):
    obj, found = _lookup(path, scope)
    if not found or not isinstance(obj, (int, float, complex)) or isinstance(obj, bool):
        raise ArgumentError(f"the rule {rule!r} reads {path}, which is neither a parameter, `ans`, "
                            "the adjoint or tangent, nor a number")
    return obj
