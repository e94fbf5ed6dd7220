"""Stage 2: lower a parsed function to SSA flat code, one primitive per statement.

User names survive where the user wrote them (`L = sigmoid(...)` keeps `L`); compiler temporaries
are `s0, s1, ...` in order; a name assigned again gets a fresh version (`x`, then `x_1`). Calls to
the user's own Python functions are inlined. Names read from globals or closures that hold data
become constants of the generated function; modules and functions are resolved here, once.
"""
from __future__ import annotations

import types
from dataclasses import dataclass

import gast
import numpy as np

from .errors import NoDerivativeError, UnsupportedSyntaxError
from .ir import Assign, Const, Function, Op, Return, Var
from .parse import Parsed, parse
from .primitives import ATTRIBUTES, BY_OBJECT, METHODS, PRIMS
from .templates import OPERATORS, dotted

_MISSING = object()
SCALARS = (int, float, complex, bool, np.generic, str, type(None))


@dataclass(frozen=True, slots=True)
class Static:
    """A value known at transformation time that is not data: a module or a function."""
    obj: object


class Namer:
    """Deterministic fresh names: temporaries avoid every name the user wrote; a user name is kept
    the first time it is assigned and versioned (`x_1`, `x_2`) after that."""

    def __init__(self, reserved, assigned=()):
        self.reserved = set(reserved)  # names written in the user's code
        self.assigned = set(assigned)  # names given out so far
        self.temps = set()
        self.counter = 0

    def temp(self):
        while f"s{self.counter}" in self.reserved | self.assigned:
            self.counter += 1
        name = f"s{self.counter}"
        self.assigned.add(name)
        self.temps.add(name)
        return name

    def fresh(self, base):
        name, i = base, 0
        while name in self.assigned or (i and name in self.reserved):
            i += 1
            name = f"{base}_{i}"
        self.assigned.add(name)
        return name


def lower(f) -> Function:
    """Lower the Python function `f` to flat code."""
    parsed = parse(f)
    written = {n.id for n in gast.walk(parsed.node) if isinstance(n, gast.Name)}
    params = [a.id for a in parsed.node.args.args]
    fn = Function(parsed.node.name, params, [], parsed.filename, parsed.lines)
    lowerer = Lowerer(parsed, fn, Namer(written, params), stack=(f.__code__,))
    env = {p: Var(p) for p in params}
    result = lowerer.lower_body(env)
    if result is None:
        raise UnsupportedSyntaxError(
            f"{fn.name} has no return statement; return the value to differentiate.",
            parsed.filename, parsed.node.lineno)
    values, as_tuple, line = result
    fn.body.append(Return([lowerer.as_atom(v, line) for v in values], as_tuple, line))
    return fn


class Lowerer:
    def __init__(self, parsed: Parsed, fn: Function, namer: Namer, stack, call_line=None):
        self.parsed, self.fn, self.namer, self.stack = parsed, fn, namer, stack
        self.call_line = call_line  # inlined code is attributed to the caller's line
        self.line = call_line

    # --- errors -------------------------------------------------------------------------------
    def unsupported(self, node, what, hint="rewrite it with supported constructs"):
        return UnsupportedSyntaxError(f"{what} is not supported; {hint}.", *self.parsed.where(node))

    # --- statements ---------------------------------------------------------------------------
    def lower_body(self, env):
        """Lower the function body; returns (values, as_tuple, line) of its return statement."""
        body = self.parsed.node.body
        for i, stmt in enumerate(body):
            self.line = self.call_line or stmt.lineno
            t = type(stmt)
            if t is gast.Return:
                if stmt.value is None:
                    raise self.unsupported(stmt, "return without a value", "return a number or array")
                value = self.expr(stmt.value, env)
                if type(value) is tuple:
                    return list(value), True, self.line
                return [value], False, self.line
            if t is gast.Assign:
                if len(stmt.targets) != 1:
                    raise self.unsupported(stmt, "chained assignment a = b = ...", "assign once")
                self.assign(stmt.targets[0], stmt.value, env)
            elif t is gast.AnnAssign and stmt.value is not None:
                self.assign(stmt.target, stmt.value, env)
            elif t is gast.AugAssign:
                if not isinstance(stmt.target, gast.Name):
                    raise self.unsupported(stmt, "augmented assignment to a subscript or attribute")
                binop = gast.BinOp(left=gast.Name(id=stmt.target.id, ctx=gast.Load(),
                                                  annotation=None, type_comment=None),
                                   op=stmt.op, right=stmt.value)
                gast.copy_location(binop, stmt)
                self.assign(stmt.target, binop, env)
            elif t is gast.Pass:
                pass
            elif t is gast.Expr and isinstance(stmt.value, gast.Constant):
                pass  # a docstring or a bare constant
            elif t is gast.Expr:
                raise self.unsupported(stmt, "an expression statement (its value is discarded)",
                                       "assign its result to a name or remove it")
            else:
                raise self.unsupported(stmt, f"the statement {type(stmt).__name__}")
        return None

    def assign(self, target, value_node, env):
        if isinstance(target, gast.Name):
            env[target.id] = self.expr(value_node, env, target=target.id)
        elif isinstance(target, (gast.Tuple, gast.List)):
            value = self.expr(value_node, env)
            if type(value) is not tuple:
                value = tuple(self.emit("getitem", (self.as_atom(value), Const(i)))
                              for i in range(len(target.elts)))
            if len(value) != len(target.elts):
                raise self.unsupported(target, f"unpacking {len(value)} values into "
                                       f"{len(target.elts)} names", "match the counts")
            for t, v in zip(target.elts, value):
                if not isinstance(t, gast.Name):
                    raise self.unsupported(t, "nested or starred unpacking targets")
                env[t.id] = self.bind(t.id, v)
        else:
            raise self.unsupported(target, "assignment to a subscript or attribute",
                                   "build a new array instead of writing into one")

    def bind(self, name, value):
        """Give a value the user's name: an equation result is renamed, other values aliased."""
        if type(value) is Var and value.name in self.namer.temps and self.fn.body and \
                type(self.fn.body[-1]) is Assign and self.fn.body[-1].target == value.name:
            last = self.fn.body[-1]
            last.target = self.namer.fresh(name)
            return Var(last.target)
        return value

    # --- expressions --------------------------------------------------------------------------
    def emit(self, prim, args, kwargs=(), target=None):
        name = self.namer.fresh(target) if target else self.namer.temp()
        self.fn.body.append(Assign(name, Op(prim, tuple(args), tuple(kwargs)), self.line))
        return Var(name)

    def as_atom(self, value, line=None):
        """A Var or Const for `value`: static tuples of constants become constants."""
        if type(value) in (Var, Const):
            return value
        if type(value) is tuple:
            atoms = [self.as_atom(v) for v in value]
            if all(type(a) is Const for a in atoms):
                return Const(tuple(a.value for a in atoms))
            return self.emit("tuple", atoms)
        if type(value) is Static:
            raise UnsupportedSyntaxError(
                f"{getattr(value.obj, '__name__', value.obj)!r} is used as a value; only numbers "
                "and arrays can flow through differentiated code.", self.parsed.filename, self.line)
        raise TypeError(value)

    def expr(self, node, env, target=None):
        t = type(node)
        if t is gast.Name:
            return self.name(node, env)
        if t is gast.Constant:
            return Const(node.value)
        if t in (gast.Tuple, gast.List):
            return tuple(self.expr(e, env) for e in node.elts)
        if t is gast.BinOp:
            return self.emit(OPERATORS[type(node.op).__name__],
                             (self.atom(node.left, env), self.atom(node.right, env)), target=target)
        if t is gast.UnaryOp:
            operand = self.atom(node.operand, env)
            if type(operand) is Const and type(node.op) in (gast.USub, gast.UAdd):
                return Const(-operand.value if type(node.op) is gast.USub else operand.value)
            return self.emit(OPERATORS[type(node.op).__name__], (operand,), target=target)
        if t is gast.Compare:
            if len(node.ops) != 1:
                raise self.unsupported(node, "a comparison chain", "compare two values at a time")
            return self.emit(OPERATORS[type(node.ops[0]).__name__],
                             (self.atom(node.left, env), self.atom(node.comparators[0], env)),
                             target=target)
        if t is gast.Attribute:
            return self.attribute(node, env, target)
        if t is gast.Subscript:
            return self.subscript(node, env, target)
        if t is gast.Call:
            return self.call(node, env, target)
        if t is gast.Slice:
            parts = [self.atom(p, env) if p is not None else Const(None)
                     for p in (node.lower, node.upper, node.step)]
            if all(type(p) is Const for p in parts):
                return Const(slice(*(p.value for p in parts)))
            raise self.unsupported(node, "a slice with computed bounds")
        raise self.unsupported(node, f"the expression {t.__name__}")

    def atom(self, node, env):
        return self.as_atom(self.expr(node, env))

    def name(self, node, env):
        if node.id in env:
            return env[node.id]
        scope = self.parsed.scope
        if node.id not in scope:
            raise UnsupportedSyntaxError(f"name {node.id!r} is not defined",
                                         *self.parsed.where(node))
        obj = scope[node.id]
        if self.parsed.globals.get(node.id, _MISSING) is obj:
            self.fn.dependencies.append((self.parsed.globals, node.id, obj))
        return self.outer(node.id, obj)

    def outer(self, name, obj):
        """A value from the function's globals, closure or builtins."""
        if isinstance(obj, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
                            type, np.ufunc)) or callable(obj) and not isinstance(obj, np.ndarray):
            return Static(obj)
        if isinstance(obj, SCALARS) and not isinstance(obj, np.generic):
            return Const(obj)
        consts = self.fn.constants
        if name in consts and consts[name] is not obj:
            name = self.namer.fresh(name)
        self.namer.assigned.add(name)
        consts[name] = obj
        return Var(name)

    def attribute(self, node, env, target):
        base = self.expr(node.value, env)
        if type(base) is Static:
            try:
                obj = getattr(base.obj, node.attr)
            except AttributeError:
                raise UnsupportedSyntaxError(
                    f"{dotted(node) or node.attr} does not exist", *self.parsed.where(node)) from None
            return self.outer(dotted(node) or node.attr, obj)
        if node.attr in ATTRIBUTES:
            return self.emit(node.attr, (self.as_atom(base),), target=target)
        raise self.unsupported(node, f"the attribute .{node.attr}",
                               "use .T, .shape, .ndim, .size or a NumPy function")

    def subscript(self, node, env, target):
        base = self.expr(node.value, env)
        index = self.expr(node.slice, env)
        if type(base) is tuple:
            if type(index) is Const and isinstance(index.value, (int, slice)):
                return base[index.value]
            raise self.unsupported(node, "indexing a tuple with a computed index")
        return self.emit("getitem", (self.as_atom(base), self.as_atom(index)), target=target)

    def call(self, node, env, target):
        if any(isinstance(a, gast.Starred) for a in node.args) or any(
                k.arg is None for k in node.keywords):
            raise self.unsupported(node, "*args or **kwargs in a call", "pass arguments by name")
        func = node.func
        if isinstance(func, gast.Attribute):
            base = self.expr(func.value, env)
            if type(base) is not Static:  # a method of an array: x.sum(axis=0)
                prim = METHODS.get(func.attr)
                if prim is None:
                    raise self.unsupported(node, f"the method .{func.attr}()",
                                           f"use a NumPy function; supported methods: "
                                           f"{', '.join(sorted(METHODS))}")
                args = [self.as_atom(base)] + [self.atom(a, env) for a in node.args]
                if func.attr in ("reshape", "transpose") and len(args) > 2:
                    args = [args[0], self.as_atom(tuple(args[1:]))]
                return self.primitive(prim, node, args, env, target)
            callee = self.attribute(func, env, None)
        else:
            callee = self.expr(func, env)
        if type(callee) is not Static:
            raise self.unsupported(node, "calling a value that is not a function")
        obj = callee.obj
        prim = BY_OBJECT.get(obj) if _hashable(obj) else None
        if prim is not None:
            args = [self.atom(a, env) for a in node.args]
            if prim == "math.log" and len(args) == 2:  # log(x, base) = log(x) / log(base)
                num = self.emit("math.log", args[:1])
                den = self.emit("math.log", args[1:]) if type(args[1]) is Var else Const(
                    PRIMS["math.log"].fn(args[1].value))
                return self.emit("truediv", (num, den), target=target)
            return self.primitive(prim, node, args, env, target)
        if isinstance(obj, types.FunctionType):
            return self.inline(obj, node, env, target)
        name = getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
        module = getattr(obj, "__module__", None)
        raise NoDerivativeError(
            f"no derivative rule for {module + '.' if module else ''}{name} and no Python source "
            "to differentiate; register one with adcompile.defvjp/defjvp or use a supported "
            "function.", *self.parsed.where(node))

    def primitive(self, name, node, args, env, target):
        p = PRIMS[name]
        names = list(p.params) + list(p.options)
        if len(args) > len(names):
            raise self.unsupported(node, f"{name} with {len(args)} positional arguments")
        kwargs = dict(zip(names[len(p.params):], args[len(p.params):]))
        args = args[:len(p.params)]
        for k in node.keywords:
            if k.arg in p.options:
                kwargs[k.arg] = self.atom(k.value, env)
            elif k.arg in p.params[len(args):] and len(args) == p.params.index(k.arg):
                args.append(self.atom(k.value, env))
            else:
                raise self.unsupported(node, f"the argument {k.arg}= of {name}",
                                       f"supported keywords: {', '.join(p.options) or 'none'}")
        return self.emit(name, args, tuple(kwargs.items()), target=target)

    def inline(self, obj, node, env, target):
        if obj.__code__ in self.stack:
            raise self.unsupported(node, f"recursion ({obj.__name__} calls itself)",
                                   "write the recursion as a loop")
        callee = parse(obj)
        params = [a.id for a in callee.node.args.args]
        values = [self.expr(a, env) for a in node.args]
        if len(values) > len(params):
            raise self.unsupported(node, f"{obj.__name__}() with too many arguments")
        bound = dict(zip(params, values))
        for k in node.keywords:
            if k.arg not in params or k.arg in bound:
                raise self.unsupported(node, f"the argument {k.arg}= of {obj.__name__}()")
            bound[k.arg] = self.expr(k.value, env)
        defaults = obj.__defaults__ or ()
        for p, d in zip(params[len(params) - len(defaults):], defaults):
            bound.setdefault(p, self.outer(p, d))
        missing = [p for p in params if p not in bound]
        if missing:
            raise self.unsupported(node, f"{obj.__name__}() without {', '.join(missing)}")
        self.namer.reserved |= {n.id for n in gast.walk(callee.node) if isinstance(n, gast.Name)}
        inner = Lowerer(callee, self.fn, self.namer, self.stack + (obj.__code__,),
                        call_line=self.line)
        result = inner.lower_body(bound)
        if result is None:
            raise UnsupportedSyntaxError(f"{obj.__name__} has no return statement",
                                         callee.filename, callee.node.lineno)
        values, as_tuple, _ = result
        value = tuple(values) if as_tuple else values[0]
        return self.bind(target, value) if target and type(value) is Var else value


def _hashable(obj):
    try:
        hash(obj)
        return True
    except TypeError:
        return False
