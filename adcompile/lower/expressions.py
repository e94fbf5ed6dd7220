"""Expressions: one primitive per statement (emit), names, constants, attributes, subscripts, short-circuit values."""
from __future__ import annotations

import enum
import operator
import re
import types

import gast
import numpy as np

from ..depends import Items, Keys, scope_of
from ..errors import UnsupportedSyntaxError
from ..ir import (Assign, Const, If, Op, Var)
from ..primitives import (ATTRIBUTES, GENERATOR_METHODS, METHODS, NAMESPACE, PRIMS, RESULT_FIELDS,
                          SHAPE_LIKE)
from ..runtime import unbound_message
from ..templates import OPERATORS, dotted
from .containers import REFLECTED, _call_node, _name, names_here
from .effects import fold_constants, known_truth
from .merging import kind_of
from .scan import (BOUND, LIST_METHODS, MISSING, RUN_TIME_LISTS, SCALARS, VIEWS, VIEWS_OF_ALL,
                   LocalFunction, Record, Static, is_super)

FORMS = {gast.ListComp: "comprehension", gast.SetComp: "comprehension",
         gast.DictComp: "comprehension", gast.GeneratorExp: "comprehension",
         gast.JoinedStr: "fstring"}


# Python's builtins that take a list as a list (sum(WEIGHTS) of a global list is a float)
PYTHON_ON_LISTS = frozenset({"list_sum", "list_max", "list_min"})


class Expressions:
    def emit(self, prim, args, kwargs=(), target=None):
        folded = fold_constants(prim, args, kwargs)  # 2 * 3, k % 2 == 1 of numbers known here
        if folded is not None:
            return folded
        name = self.namer.fresh(target) if target else self.namer.temp()
        if prim in VIEWS:  # NumPy may hand back a view: changing one changes the other
            for a in args[:None if prim in VIEWS_OF_ALL else 1]:
                self.copied(name, a)
        self.block.append(Assign(name, Op(prim, tuple(args), tuple(kwargs)), self.line))
        return Var(name)

    def branch_value(self, test, make_then, make_else, target=None):
        """`then if test else else_`, each side lowered into its own branch (short-circuit)."""
        if type(test) is Const and known_truth(test):  # known here: only that side
            return (make_then if test.value else make_else)()
        blocks, values = [], []
        for make in (make_then, make_else):
            block, _ = self.sub([], {}, set())
            outer, self.block = self.block, block
            try:
                with self.inside_expression():
                    value = make()
                    values.append(value if type(value) is Record else self.as_atom(value))
            finally:
                self.block = outer
            blocks.append(block)
        if Record in map(type, values):  # an object chosen at run time: field by field
            a, b = values
            if type(a) is not Record or type(b) is not Record or \
                    (a.kind, a.cls, a.keys) != (b.kind, b.cls, b.keys):
                error = UnsupportedSyntaxError(
                    f"a value chosen at run time (x if c else y, or, and, max/min by a key) that "
                    f"is {kind_of(a)} on one side and {kind_of(b)} on the other is not "
                    "supported; choose between objects of one class with the same fields, or "
                    "read their fields first.", self.parsed.filename, self.line)
                error.maybe_container = Var in (type(a), type(b))  # (an argument: None, an
                raise error  # object, known at the call)
            merged = self.merge_record(target or "chosen", a, b, blocks, (None, None))
        else:
            merged = Var(self.namer.fresh(target) if target else self.namer.temp())
            for block, value in zip(blocks, values):
                self.merge_into(block, value, merged.name)
        self.block.append(If(test, blocks[0], blocks[1], self.line))
        return merged

    def list_in(self, block, value):
        """atom_in, where a list known here becomes a real list (a loop carries it as one)."""
        if type(value) is not tuple:
            return self.atom_in(block, value)
        items = tuple(self.atom_in(block, v) for v in value)
        outer, self.block = self.block, block
        try:
            made = self.emit("make_list", items)
        finally:
            self.block = outer
        self.listed[made.name] = value  # (changing a row of it in place changes the list known here)
        return made

    def atom_in(self, block, value):
        """as_atom, with any statement it needs (a tuple) written into `block`."""
        outer, self.block = self.block, block
        try:
            return self.as_atom(value)
        finally:
            self.block = outer

    def known_list(self, items):
        """A list known here: like a tuple known here, a Python tuple of its items, noted as a
        list, since NumPy indexes with a list by rows and with a tuple by axes (`u[nb[0]]`,
        nb a list of lists, takes rows). An empty one is not noted (() is one object)."""
        items = tuple(list(items))
        if items:
            self.lists[id(items)] = items
        return items

    def is_list(self, value):
        """Whether `value` is a sequence known here that is a list (known_list)."""
        return type(value) is tuple and self.lists.get(id(value)) is value

    def same_kind(self, like, items):
        """`items`, a list when `like` is one (a slice, a sum, a repetition of `like`)."""
        return self.known_list(items) if self.is_list(like) else items

    def as_atom(self, value, line=None):
        """A Var or Const for `value`: static tuples of constants become constants; a list
        stays a list (a constant list, or `[a, b]` built in generated code)."""
        if type(value) is Const and isinstance(value.value, enum.Enum):  # a name, not its repr
            return self.outer(f"{type(value.value).__name__}.{value.value.name}", value.value)
        if type(value) in (Var, Const):
            return value
        if type(value) is tuple:
            atoms = [self.as_atom(v) for v in value]
            if self.is_list(value):
                if all(type(a) is Const for a in atoms):
                    return Const([a.value for a in atoms])
                return self.emit("make_list", atoms)
            if all(type(a) is Const for a in atoms):
                return Const(tuple(a.value for a in atoms))
            return self.emit("tuple", atoms)
        if type(value) is Static and isinstance(value.obj, type) and issubclass(
                value.obj, (np.generic, float, int, bool, complex)):
            return Const(np.dtype(value.obj).name)  # a dtype: dtype=np.float32 is "float32"
        if type(value) is Record:
            error = UnsupportedSyntaxError(
                f"{value.describe()} is used as a value computed at run time (stored in a list a "
                "loop builds, merged from branches that build different ones, or passed to a "
                "function with a rule); read its fields instead.", self.parsed.filename,
                self.line if self.rest_now is None or self.call_line is None else
                self.rest_now[1][self.rest_now[2]].lineno)  # (inlined: the callee's own line)
            error.maybe_container = True  # (for layers in params: a list argument, known at
            raise error                   # the first call, is looped over here)
        if type(value) is Static and isinstance(value.obj, type) and issubclass(
                value.obj, BaseException):  # throw(ValueError, ...) in generated code read again
            return self.class_atom(value.obj)
        if type(value) is Static:
            error = UnsupportedSyntaxError(
                f"{describe_static(value.obj)} is used as a value computed at run time (an "
                "operand, a result, an item of a list a loop builds or indexed at run time, or "
                "chosen by a branch on a run-time value); only numbers and arrays flow through "
                "differentiated code: call the function where it is known (one passed in, held "
                "by a container or in a list written out, [f, g], is known; a list of functions "
                "built in a loop is not followed: write the functions out, or use one def with a "
                "parameter, def g(t, i): ...).", self.parsed.filename, self.line)
            error.maybe_container = True
            raise error
        raise TypeError(value)

    def expr(self, node, env, target=None):
        if self.once and id(node) in self.once:  # an index of a target, lowered once
            return self.once[id(node)]
        t = type(node)
        if t is gast.Name:
            return self.name(node, env)
        if t is gast.Constant:
            return Const(node.value)
        if t in (gast.Tuple, gast.List) and any(type(e) is gast.Starred for e in node.elts):
            return self.expr(self.spread_display(node, env), env, target)
        if t is gast.Tuple:
            return tuple(self.expr(e, env) for e in node.elts)
        if t is gast.List:
            return self.known_list(self.expr(e, env) for e in node.elts)
        if t is gast.BinOp:
            return self.binop(node, env, target)
        if t is gast.UnaryOp:
            operand = self.expr(node.operand, env)
            if type(operand) is Record and type(node.op) is not gast.Not:  # -v: v.__neg__()
                return self.record_operator(type(node.op).__name__, (operand,), node, env,
                                            target)
            if type(operand) is Record:  # not v: of v's truth (v.__bool__())
                operand = self.record_truth(operand, node.operand, env)
            operand = self.as_atom(operand)
            if type(operand) is Const and type(node.op) in (gast.USub, gast.UAdd):
                return Const(-operand.value if type(node.op) is gast.USub else operand.value)
            return self.emit(OPERATORS[type(node.op).__name__], (operand,), target=target)
        if t is gast.Compare and _float_chain(node):  # type(a) is type(b) is float: printed
            return self.expr(gast.BoolOp(op=gast.And(), values=[  # grad's test, read back
                gast.Compare(left=a, ops=[gast.Is()], comparators=[node.comparators[-1]])
                for a in [node.left] + node.comparators[:-1]]), env, target)
        if t is gast.Compare and isinstance(node.left, gast.Call):
            known = self.type_test(node, env, target)  # type(x) is tuple
            if known is not None:
                return known
        if t is gast.Compare:  # a < b < c: (a < b) and (b < c), each operand lowered once
            return self.compare(node, env, self.expr(node.left, env), 0, target)
        if t is gast.BoolOp:  # (an object's truth: its __bool__, else __len__, else True)
            value = self.expr(node.values[0], env)
            for operand in node.values[1:]:
                if type(value) is not Record:
                    value = test = self.as_atom(value)
                else:
                    test = self.as_atom(self.record_truth(value, node.values[0], env))
                later = (lambda o: lambda: self.expr(o, env))(operand)
                same = (lambda v: lambda: v)(value)
                value = self.branch_value(test, later, same, target) \
                    if type(node.op) is gast.And else self.branch_value(test, same, later, target)
            return value
        if t is gast.NamedExpr:  # (y := f(x)): an assignment whose value is also used here
            since, name = len(self.block), node.target.id
            env[name] = self.bind(name, self.expr(node.value, env, target=name), since)
            return env[name]
        if t is gast.IfExp:
            test = self.test(node.test, env)
            return self.branch_value(test, lambda: self.expr(node.body, env),
                                     lambda: self.expr(node.orelse, env), target)
        if t is gast.Dict:
            return self.dict_display(node, env)
        if t is gast.Attribute:
            return self.attribute(node, env, target)
        if t is gast.Subscript:
            return self.subscript(node, env, target)
        if t is gast.Call:
            return self.call(node, env, target)
        if t is gast.Lambda:
            ret = gast.copy_location(gast.Return(value=node.body), node)
            fn = gast.copy_location(gast.FunctionDef(
                name="<lambda>", args=node.args, body=[ret], decorator_list=[], returns=None,
                type_comment=None, type_params=[]), node)
            return Static(LocalFunction(fn, env, self.parsed, self))
        if t in FORMS:  # comprehensions, f-strings
            return getattr(self, FORMS[t])(node, env, target)
        if t is gast.Slice:
            parts = [self.atom(p, env) if p is not None else Const(None)
                     for p in (node.lower, node.upper, node.step)]
            if all(type(p) is Const for p in parts):
                return Const(slice(*(p.value for p in parts)))
            return self.emit("slice", tuple(parts), target=target)
        raise self.unsupported(node, self.parsed.describe(node))

    def spread_display(self, node, env):
        """`[a, *xs, b]` as `[a] + list(xs) + [b]`, a tuple `(a, *xs)` as `(a,) + tuple(xs)`:
        what Python builds, of any sequence (an array's rows, a list made at run time)."""
        kind, display = ("list", gast.List) if type(node) is gast.List else ("tuple", gast.Tuple)
        if kind in env:  # (the builtin's name rebound here: not what the display calls)
            raise self.unsupported(node, f"a starred expression (*x) in a {kind} where the "
                                         f"name {kind} is rebound")
        parts, run = [], []
        for e in node.elts + [None]:
            if (e is None or type(e) is gast.Starred) and run:
                parts.append(display(elts=run, ctx=gast.Load()))
                run = []
            if type(e) is gast.Starred:
                parts.append(gast.Call(func=gast.Name(id=kind, ctx=gast.Load(), annotation=None,
                                                      type_comment=None),
                                       args=[e.value], keywords=[]))
            elif e is not None:
                run.append(e)
        out = parts[0]
        for p in parts[1:]:
            out = gast.BinOp(left=out, op=gast.Add(), right=p)
        for n in gast.walk(out):
            if "lineno" in n._attributes and not hasattr(n, "lineno"):
                gast.copy_location(n, node)
        return out

    def compare(self, node, env, left, k, target):
        """The comparisons of `node` from its k-th on, `left` the value of the operand before:
        Python evaluates each operand once and stops at the first false comparison."""
        last = k == len(node.ops) - 1
        right = self.expr(node.comparators[k], env)
        first = self.compared(node, k, left, right, env, target if last else None)
        if last:
            return first
        test = first if type(first) is not Record else self.record_truth(first, node, env)
        return self.branch_value(self.as_atom(test),
                                 lambda: self.compare(node, env, right, k + 1, None),
                                 lambda: first, target)

    def compared(self, node, k, left, right, env, target):
        """`left op right`, the k-th comparison of `node`, of values already lowered."""
        op = node.ops[k]
        if Record in (type(left), type(right)) and \
                type(op).__name__ in REFLECTED:  # a < b: a.__lt__(b), b.__gt__(a)
            return self.record_operator(type(op).__name__, (left, right), node, env, target)
        if type(right) is Record and right.kind in ("object", "dataclass") and \
                type(op) in (gast.In, gast.NotIn):
            return self.contains(left, right, node.comparators[k], op, node, env)
        if type(op) in (gast.In, gast.NotIn) and type(right) is tuple and \
                Record in map(type, (left, *right)):  # q in pts: q == p, p's own __eq__
            found = self.contained(left, right, node, env)
            return found if type(op) is gast.In else Const(not found.value) \
                if type(found) is Const else self.emit("not", (found,))
        a, b = (self.fn.constants.get(v.name) if type(v) is Var else v.value
                if type(v) is Const else None for v in (left, right))
        if isinstance(a, enum.Enum) and isinstance(b, enum.Enum) and \
                type(op) in ENUM_TESTS:  # cfg.mode is Mode.A: known here
            return Const(ENUM_TESTS[type(op)](a, b))
        if type(op) in (gast.Is, gast.IsNot):
            same = identical(left, right)  # `act is not None`, act a function passed in
            if same is not None:
                return Const(same == (type(op) is gast.Is))
        left = self.as_atom(left)
        if type(right) is Static and type(op) in (gast.Is, gast.IsNot) and \
                right.obj in (float, int, bool):  # `type(x) is float` (generated code's test)
            right = Var(right.obj.__name__)
        if type(op) in (gast.In, gast.NotIn) and type(left) is Const:
            known = membership(left.value, right)  # `"w" in params`: known here
            if known is not None:
                return Const(known if type(op) is gast.In else not known)
        return self.emit(OPERATORS[type(op).__name__], (left, self.as_atom(right)),
                         target=target)

    def binop(self, node, env, target):
        """Each operand lowered once (a random draw among them must run once)."""
        prim = OPERATORS[type(node.op).__name__]
        left, right = self.expr(node.left, env), self.expr(node.right, env)
        if Record in (type(left), type(right)):  # Vec2(...) + v: Vec2.__add__, inlined
            return self.record_operator(type(node.op).__name__, (left, right), node, env, target)
        if prim == "add" and type(left) is tuple and type(right) is tuple:
            return self.same_kind(left, left + right)  # known lists joined
        if prim == "mul" and tuple in (type(left), type(right)):  # [0.0] * n: a known list
            seq, n = (left, right) if type(left) is tuple else (right, left)
            if type(n) is not Const or type(n.value) is not int:
                if all(type(v) is Const for v in seq):  # (1,) * (ndim - 1): a shape
                    return self.emit(prim, (self.as_atom(left), self.as_atom(right)),
                                     target=target)
                raise self.unsupported(node, "a list repeated a number of times known only at "
                                       "run time", "repeat it a number of times written in the "
                                       "code, or use an array (np.zeros(n))")
            out = self.same_kind(seq, seq * n.value)
            if n.value > 1 and any(type(v) in (tuple, Record) for v in seq):
                self.repeats_made.append(out)  # [[]] * 2: one list twice (see not_repeated)
            return out
        if prim == "add" and type(left) is Var and isinstance(node.right, gast.List) and \
                type(right) is tuple and len(right) == 1:  # xs + [v]: a list a loop builds grows
            return self.emit("list_append", (left, self.as_atom(right[0])), target=target)
        if prim in ARITHMETIC and not (type(left) is Const and isinstance(left.value, str)):
            # x ** [1, 2, 3], x @ [..]: a constant list operand is an array, as NumPy takes it
            return self.emit(prim, (self.operand(left, prim, "x"), self.operand(right, prim, "y")),
                             target=target)
        args = (self.as_atom(left), self.as_atom(right))
        if prim == "mod" and type(left) is Const and isinstance(left.value, str) and \
                fold_constants(prim, args, ()) is None:
            prim = "text_mod"  # "%.3f" % x: text (as f"{x:.3f}"), no derivative
        return self.emit(prim, args, target=target)

    def operand(self, value, prim, param):
        """The atom for an operand of the primitive `prim` given to its parameter `param`: a
        list or tuple of numbers known here (`np.dot(x, [1.0, 2.0])`, `x ** [1, 2, 3]`, a global
        list) is the array NumPy makes of it, so the derivative rules, which compute with their
        operands, see what NumPy sees. Shapes, axes and indexes stay as written."""
        atom = self.as_atom(value)
        p = PRIMS[prim]
        if p.kind == "nondiff" or p.form not in ("call", "binop") or param == "index" or \
                param in SHAPE_LIKE or not param or prim in PYTHON_ON_LISTS:
            return atom  # (not: np.einsum's operands, or sublists; sum(xs) of a list is a float)
        if type(atom) is Const and type(atom.value) in (list, tuple) and atom.value and \
                numbers_only(atom.value):
            return self.emit("np.array", tuple(Const(v) for v in atom.value))
        if type(atom) is Var and type(self.fn.constants.get(atom.name)) in (list, tuple) and \
                numbers_only(self.fn.constants[atom.name]):
            return self.emit("np.asarray", (atom,))
        return atom

    def contains(self, key, record, operand, op, node, env):
        """`k in v` (or not in) of an object of the user's: bool(v.__contains__(k))."""
        method = gast.copy_location(gast.Attribute(value=operand,
                                                   attr="__contains__", ctx=gast.Load()), node)
        call = _call_node(method, [_name("<operand>", node)])
        found = self.record_method(record, method, call, {**env, "<operand>": key}, None)
        if type(found) is Const:
            return Const(bool(found.value) == (type(op) is gast.In))
        found = self.emit("not", (self.as_atom(found),))
        return found if type(op) is gast.NotIn else self.emit("not", (found,))

    def atom(self, node, env):
        return self.as_atom(self.expr(node, env))

    def probe(self, node, env):
        """The value of `node` (a name, an attribute) for a look ahead (is this a check, a
        class?) ahead of lowering it: a local not bound here raises an ADCompileError rather
        than putting Python's UnboundLocalError in the code."""
        self.probing += 1
        try:
            return self.expr(node, env)
        finally:
            self.probing -= 1

    def test(self, node, env):
        """The value of a test (if, assert, a conditional expression): an atom, or its truth
        where that is known here (`if act:` of a function passed in)."""
        value = self.expr(node, env)
        if type(value) is Record:  # if v: v.__bool__(), v.__len__() or True
            value = self.record_truth(value, node, env)
        known = truth(value)
        return known if known is not None else self.as_atom(value)

    def name(self, node, env):
        if node.id in env:
            value, bound = env[node.id], env.get(BOUND + node.id + ">")
            if bound is not None and type(value) is Var and \
                    value.name in self.unbound_values.get(node.id, ()):  # (merging.py)
                self.block.append(Assign(None, Op("check_bound", (bound, Const(node.id))),
                                         self.line))
            if type(value) is Var and value.name in self.placeholders.get(node.id, ()) and \
                    not self.probing:  # first bound in a loop that may not have bound it
                self.block.append(Assign(None, Op("check_unbound", (value, Const(node.id))),
                                         self.line))
            return value
        if node.id in self.own_locals:  # not bound on this path (generated code's second
            # derivative reads one only where the same test bound it): Python's error, if run
            if self.probing:  # (a look ahead, not the read itself: nothing emitted)
                raise UnsupportedSyntaxError(f"{node.id!r} is not bound here",
                                             *self.parsed.where(node))
            self.throw(Const(UnboundLocalError), [Const(unbound_message(node.id))])
            return Const(0.0)
        scope = self.parsed.scope
        if node.id not in scope:
            raise UnsupportedSyntaxError(f"name {node.id!r} is not defined",
                                         *self.parsed.where(node))
        obj = scope[node.id]
        if self.parsed.globals.get(node.id, MISSING) is obj:
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
        if not name.isidentifier() and name.partition(".")[0] not in NAMESPACE:
            # consts.W, read from a module generated code does not import: consts_W
            name = re.sub(r"\W", "_", name)
            if consts.get(name, MISSING) is not obj and (
                    name in consts or name in self.namer.reserved or name in self.namer.assigned):
                name = next(f"{name}_{k}" for k in range(1, 10 ** 6) if f"{name}_{k}" not in
                            consts and f"{name}_{k}" not in self.namer.reserved | self.namer.assigned)
        elif name in consts and consts[name] is not obj:
            name = self.namer.fresh(name)
        self.namer.assigned.add(name)
        consts[name] = obj
        return Var(name)

    def read(self, owner, name, *default):
        """`owner.name` now (of a module, class, global object), recorded as a dependency: the
        value is baked into the derivative (a number, a trip count, a branch taken, a function
        inlined), so the cache builds a new one once the attribute reads otherwise. With a
        default (MISSING), its absence is the dependency."""
        value = getattr(owner, name, *default)
        self.fn.dependencies.append((scope_of(owner, name), name, value))
        return value

    def attribute(self, node, env, target):
        if is_super(node):  # super().area: a property of the class after this one
            return self.super_method(node, None, env, target)
        base = self.expr(node.value, env)
        if type(base) is Static:
            try:
                obj = self.read(base.obj, node.attr)  # cfg.K, Cfg.k, np.sin, consts.W
            except AttributeError:
                raise UnsupportedSyntaxError(
                    f"{dotted(node) or node.attr} does not exist", *self.parsed.where(node)) from None
            return self.outer(dotted(node) or node.attr, obj)
        if type(base) is Record:
            return self.record_attribute(base, node, env)
        known = self.fn.constants.get(base.name, MISSING) if type(base) is Var else MISSING
        if known is not MISSING and not isinstance(known, (np.ndarray, np.generic)) and \
                hasattr(known, node.attr):  # cfg.k of a global or closure object: its value
            value = self.read(known, node.attr)  # now (a new derivative once it changes)
            return self.outer(f"{base.name}.{node.attr}", value)
        if node.attr in ATTRIBUTES:
            return self.emit(node.attr, (self.as_atom(base),), target=target)
        if node.attr == "flat" and type(base) is Var and base.name not in self.fn.opaque:
            self.fn.receivers.add(base.name)  # (an object argument's .flat: compiled for it)
            return self.emit("np.ravel", (base,), target=target)  # a.flat[i]: read in C order
        if type(base) is Var and base.name in self.fn.opaque:  # np.finfo(x.dtype).min: a
            return self.emit("field", (base, Const(node.attr)), target=target)  # constant
        if node.attr in RESULT_FIELDS and type(base) is Var:  # np.linalg.svd(a).S: item 1
            self.block.append(Assign(None, Op("check_field", (base, Const(node.attr))),
                                     self.line))
            return self.emit("getitem", (base, Const(RESULT_FIELDS[node.attr])), target=target)
        if node.attr in LIST_METHODS:  # (xs.pop(0) of a list a loop builds: a run-time value)
            raise self.not_an_array(node, f"the method .{node.attr}(...) of "
                                    f"{dotted(node.value) or 'a value'}, a list built at run "
                                    "time or an array", RUN_TIME_LISTS)
        if node.attr in vars(np.random.Generator) and node.attr not in METHODS:
            raise self.not_an_array(node, f"the method .{node.attr}() of a random Generator",
                                    "its draws that are supported are "
                                    f"{', '.join(sorted(GENERATOR_METHODS))}; for a shuffled "
                                    "copy index with a permutation: y = y[rng.permutation("
                                    "len(y))]", fields=False)
        raise self.not_an_array(node, f"the attribute .{node.attr} of "
                                f"{number_or_array(node.value)}",
                                "arrays have .T, .shape, .ndim, .size, .dtype, .real and .imag; "
                                "to test a value's type write isinstance(x, float) or "
                                "type(x) is int")

    def subscript(self, node, env, target):
        base = self.expr(node.value, env)
        if type(base) is Record and base.kind in ("object", "dataclass") and isinstance(
                vars(self.defining(base.cls, "__getitem__") or object).get("__getitem__"),
                types.FunctionType):  # p[k]: p.__getitem__(k), written in Python
            method = gast.copy_location(gast.Attribute(value=node.value, attr="__getitem__",
                                                       ctx=gast.Load()), node)
            key = node.slice
            if isinstance(key, gast.Slice):  # p[1:3]: p.__getitem__(slice(1, 3, None))
                key = gast.Call(func=gast.Name(id="slice", ctx=gast.Load(), annotation=None,
                                               type_comment=None),
                                args=[k or gast.Constant(value=None, kind=None)
                                      for k in (key.lower, key.upper, key.step)], keywords=[])
            call = gast.copy_location(gast.Call(func=method, args=[key], keywords=[]), node)
            return self.record_method(base, method, call, env, target)
        index = self.index(node, env, base)
        if type(base) is Record:
            return self.record_subscript(base, index, node)
        if type(base) is Var and type(index) is Const and \
                type(self.fn.constants.get(base.name)) in (dict, list, tuple):
            known = self.global_item(base, index)
            if known is not None:
                return known
        if type(base) is tuple:
            if type(index) is Const and isinstance(index.value, int) and \
                    -len(base) <= index.value < len(base):  # (out of range: a run-time list
                return base[index.value]                    # raising IndexError, as Python)
            if type(index) is Const and isinstance(index.value, slice):  # (a list: a new one)
                return self.same_kind(base, base[index.value])
            base = self.list_in(self.block, base)  # a computed index: a real list to index
        return self.emit("getitem", (self.as_atom(base), self.as_atom(index)), target=target)

    def global_item(self, base, index):
        """`base[index]` of a global table (dict, list or tuple) known here where the item is
        one: a function, a class, a module, an object or a dict (ACT["tanh"], BASIS[1],
        CFG["w"]), or a list of names (CFG["acts"]), read as it is now (a new derivative once it
        changes); else None (a number or an array, read when the code runs)."""
        table = self.fn.constants[base.name]
        try:
            item = table[index.value]
        except (KeyError, IndexError, TypeError):
            return None
        scope = table if type(table) is dict else Items(table)  # (once it changes)
        if isinstance(item, (types.FunctionType, types.BuiltinFunctionType, np.ufunc,
                             types.ModuleType, type)) or an_object(item) or \
                type(item) is dict:  # (L[0].k, of an object: its field; CFG["w"], a dict
            self.fn.dependencies.append((scope, index.value, item))  # whose keys are read
            named = type(item) is dict and isinstance(index.value, str) and \
                index.value.isidentifier()  # here: `for k in CFG["w"]`, named CFG_w)
            return self.outer(f"{base.name}_{index.value if named else 'item'}", item)
        if names_here(item):  # CFG["acts"], a list of names: known here, as CFG's items
            self.fn.dependencies.append((scope, index.value, item))
            return self.names_here(item)
        return None

    def global_keys(self, table, node):
        """A global dict's keys (`for k in W`, `W.keys()`) as constants known here, read as they
        are now: a new derivative once a key comes, goes or moves (depends.Keys). Keys other
        than numbers, strings and tuples of them are refused (no constant to name them by)."""
        keys = list(table)
        if not all(_plain_key(k) for k in keys):
            raise self.unsupported(node, "iterating a global dict whose keys are not numbers, "
                                   "strings or tuples of them", "pass the dict as an argument "
                                   "of the differentiated function, or build it inside")
        scope = Keys(table)
        self.fn.dependencies += [(scope, k, key) for k, key in enumerate(keys)] + \
            [(scope, len(keys), MISSING)]
        return tuple(Const(k) for k in keys)

    def global_view(self, base, name, node):
        """`W.keys()`, `W.values()`, `W.items()` of a global dict `base` (a constant of the
        function): its keys known here (global_keys) and each value as `W[k]` reads it (a
        number or array when the code runs, a function known here)."""
        keys = self.global_keys(self.fn.constants[base.name], node)
        if name == "keys":
            return keys
        values = tuple(self.global_item(base, k) or self.emit("getitem", (base, k))
                       for k in keys)
        return values if name == "values" else tuple(zip(keys, values))

    def index(self, node, env, base):
        """The index of the subscript `node` of `base`, read or assigned: x[[0, 2]] (a list
        display, or a name bound to one) takes rows 0 and 2, x[0, 2] one entry."""
        index = self.expr(node.slice, env)
        if self.is_list(index) and type(base) not in (tuple, Record):
            kind = "list"  # a list written here, an entry of a list of lists, a list argument
        elif isinstance(node.slice, gast.Name) and type(index) is tuple and \
                type(base) not in (tuple, Record):
            kind = self.sequence_kinds.get(node.slice.id)
            if kind is None and not any(type(v) is Const and isinstance(v.value, slice)
                                        for v in index):  # (a slice: a tuple index)
                raise self.unsupported(node, f"indexing with {node.slice.id}, a list or tuple "
                                       "made elsewhere (NumPy takes rows for a list and one "
                                       "entry for a tuple)", "write the index in the brackets "
                                       "(x[0, i] or x[[0, 2]]) or bind it to a list or tuple "
                                       "display in this function")
        else:
            kind = None
        if isinstance(node.slice, gast.List) or kind == "list":
            atoms = [self.as_atom(v) for v in index]
            index = Const([a.value for a in atoms]) if all(type(a) is Const for a in atoms) \
                else self.emit("np.array", atoms)
        return index


ARITHMETIC = frozenset({"sub", "truediv", "floordiv", "mod", "pow", "matmul"})  # (not + and *,
# which join and repeat lists)


def _plain_key(key):
    """Whether a dict key is a number, a string (or None), or a tuple of them: a constant."""
    if type(key) is tuple:
        return all(_plain_key(k) for k in key)
    return type(key) in (int, float, complex, bool, str, bytes, type(None))


def numbers_only(values):
    """Whether a list or tuple holds numbers only (nested lists of them too)."""
    return all(numbers_only(v) if type(v) in (list, tuple) else
               isinstance(v, (bool, int, float, complex, np.number, np.bool_)) for v in values)


def membership(key, container):
    """Whether `key` is in a container known here (a dict's keys, a tuple of constants, a
    string), or None when that is known only at run time."""
    if type(container) is Record:
        return container.has(key) if container.kind == "dict" else None
    if type(container) is tuple and all(type(v) is Const for v in container):
        return key in [v.value for v in container]
    if type(container) is Const and isinstance(container.value, (str, tuple, frozenset)):
        return key in container.value
    return None


def describe_static(obj):
    """A module, function or class for a message: never an internal object's repr."""
    if isinstance(obj, LocalFunction):
        name = obj.node.name
        return "a lambda" if name == "<lambda>" else f"the function {name} (defined inside)"
    if isinstance(obj, types.ModuleType):
        return f"the module {obj.__name__}"
    if isinstance(obj, type):
        return f"the class {obj.__name__}"
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    return f"the function {name}" if name else f"a {type(obj).__name__} object"


ENUM_TESTS = {gast.Is: operator.is_, gast.IsNot: operator.is_not, gast.Eq: operator.eq,
              gast.NotEq: operator.ne}


def identical(a, b):
    """Whether two values known here are the same object (`a is b`): None unless one is a
    function, module, class, list or object known here and the other is known too."""
    known = (Static, Record, tuple)
    if not (type(a) in known or type(b) in known) or type(a) is Var or type(b) is Var:
        return None
    if () in (a, b):  # (one empty list is not told apart from another)
        return None
    return _identity(a) is _identity(b)


def _identity(v):
    return v.obj if type(v) is Static else v.value if type(v) is Const else v


def truth(value):
    """A function, module, class or non-empty list known here is true; None: not known."""
    if type(value) is Static or type(value) is tuple and value:
        return Const(True)
    return None


def _float_chain(node):
    """Whether `node` is `type(a) is type(b) is ... is float`, which is `type(a) is float and
    type(b) is float and ...` (unparse.py prints that test so): read as that, the derivative of
    a derivative folds each test as the first one did."""
    def typed(e):
        return isinstance(e, gast.Call) and isinstance(e.func, gast.Name) and \
            e.func.id == "type" and len(e.args) == 1
    return len(node.ops) > 1 and all(isinstance(op, gast.Is) for op in node.ops) and \
        isinstance(node.comparators[-1], gast.Name) and node.comparators[-1].id == "float" and \
        all(typed(e) for e in [node.left] + node.comparators[:-1])


def number_or_array(node):
    """What a value without a rule for its attribute is, named where it has a name: lowering
    does not know whether a parameter is a float or an array (`x.is_integer()` of a float)."""
    name = dotted(node)
    return f"{name}, a number or array" if name else "a number or array"


def an_object(value):
    """An instance of a class of the user's (or a library's) other than a number, an array, a
    list, tuple, dict or set: its fields are read when the code is transformed."""
    return type(value).__module__ != "builtins" and not isinstance(value, (np.ndarray, *SCALARS))
