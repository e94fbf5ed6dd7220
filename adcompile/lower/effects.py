"""The Python around the model code that has no derivative: `print(...)`, `assert test, message`,
`raise Error(...)`, `isinstance(x, T)`, `hasattr`/`getattr` with a written name, and f-strings.
They run in the forward sweep as the user wrote them (print, assert and raise are effect
statements the optimizer keeps) and do not touch the derivative. A path that raises never goes
on, so the names of the other path hold after the branch. isinstance of a value known here (a
number, a tuple, a function) folds to a constant, and an `if` on a constant takes its branch here
(lower_if).
"""
from __future__ import annotations

import builtins
import random
import warnings
import types

import gast
import numpy as np

from ..depends import MISSING
from ..errors import ADCompileError
from ..ir import Assign, Const, Op, Var
from ..primitives import BY_OBJECT, PRIMS, hashable
from .scan import LocalFunction, Record, Static

CONTAINERS = (dict, list, tuple, set, frozenset, str, bytes)  # (no number or array)
# arithmetic whose result is a number or array where its operands are (a list * 2 is not)
NUMERIC = frozenset({"add", "sub", "mul", "truediv", "pow", "neg", "np.exp", "np.log", "np.sin",
                     "np.cos", "np.tanh", "np.sqrt", "math.exp", "math.log", "math.sin",
                     "math.cos", "math.sqrt"})
LEAF_TYPES = (float, int, complex, np.ndarray, np.generic)
RAISE = ("raise",)  # how a statement list ends that raises on every path

CONVERSIONS = {115: "str", 114: "repr"}  # f"{x!s}", f"{x!r}"

# a call as a statement changing state outside the function's values, whatever it is given: run
GLOBAL_STATE = (np.random.seed, np.random.set_state, random.seed, random.setstate,  # as written
                np.seterr, warnings.warn)
SIMPLE = (int, float, complex, bool, str, bytes, type(None))  # (nothing of the function's)


class KnownToRaise(ADCompileError):
    """A stand-in (standins.py) that raises on every path for the arguments known here
    (`itertools.islice(xs, -1)`): `error` is Python's own, which the caller raises at the user's
    call (Calls.stand_in), as the library would."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def placed(error, filename, line):
    """Python's `error` (an exception) with the user's file and line in front of its message
    (one string), as adcompile places Python's errors met while transforming; else as it is."""
    if len(error.args) == 1 and isinstance(error.args[0], str):
        error.args = (f"{filename}:{line}: {error.args[0]}",)
    return error


class Effects:
    def lower_effect(self, stmt, env):
        """`raise` and `assert`: returns RAISE when the statement always raises, else None."""
        if isinstance(stmt, gast.Assert):
            test = self.test(stmt.test, env)
            message = [self.atom(stmt.msg, env)] if stmt.msg is not None else []
            if type(test) is Const and known_truth(test):
                if test.value:
                    return None
                return self.throw(Const(AssertionError), message)
            self.block.append(Assign(None, Op("assert_", (test, *message)), self.line))
            return None
        if stmt.exc is None or stmt.cause is not None:
            raise self.unsupported(stmt, "a bare raise or raise ... from ...",
                                   "raise an exception: raise ValueError('...')")
        exc, args = stmt.exc, []
        if isinstance(exc, gast.Call):
            if exc.keywords:
                raise self.unsupported(exc, "an exception made with keyword arguments")
            exc, args = exc.func, [self.atom(a, env) for a in exc.args]
        error = self.expr(exc, env)
        if not (type(error) is Static and isinstance(error.obj, type) and
                issubclass(error.obj, BaseException)):
            raise self.unsupported(stmt, "raising something other than an exception class",
                                   "raise ValueError('...') or your own Exception subclass")
        return self.throw(self.class_atom(error.obj), args)

    def for_global_state(self, call, env):
        """A library call as a statement, made for what it changes outside the function's values:
        one of GLOBAL_STATE (np.random.seed(s)), or one given only numbers and strings, which can
        change nothing of the function's. It runs as written (an effect, in order with the
        draws), as `_ = np.random.seed(7)` does."""
        if not isinstance(call.func, (gast.Name, gast.Attribute)) or \
                self.calls_user_code(call, env):
            return False
        try:
            callee = self.probe(call.func, env)
            if type(callee) is not Static or isinstance(callee.obj, LocalFunction):
                return False
            if any(callee.obj is f for f in GLOBAL_STATE):
                return True
            owner = getattr(callee.obj, "__self__", None)
            if owner is not None and not isinstance(owner, types.ModuleType) and not (
                    hashable(callee.obj) and callee.obj in BY_OBJECT):  # (np.random.randn(3))
                return False  # (HIST.clear() of a global list: read here as it is now)
            values = [self.expr(a, env) for a in call.args + [k.value for k in call.keywords]]
        except ADCompileError:
            return False
        return all(type(v) is Const and type(v.value) in SIMPLE for v in values)

    def raised_here(self):
        """The exception the statement just lowered raises, where it is a `raise` whose class
        and arguments are all known here (else None)."""
        last = self.block[-1] if self.block else None
        if not (type(last) is Assign and last.target is None and type(last.value) is Op and
                last.value.prim == "throw"):
            return None
        values = []
        for a in last.value.args:
            if type(a) is Var and a.name in self.fn.constants:
                values.append(self.fn.constants[a.name])
            elif type(a) is Const:
                values.append(a.value)
            else:
                return None
        error, *args = values
        return error(*args) if isinstance(error, type) else error

    def throw(self, error, args):
        self.block.append(Assign(None, Op("throw", (error, *args)), self.line))
        return RAISE

    def past_raise(self, exits, envs):
        """After an if one of whose branches raises: the other branch's ending and names hold
        (the raising path never goes on). Both raising: RAISE."""
        if RAISE not in exits or exits[0] == exits[1]:
            return exits, envs
        k = exits.index(RAISE)
        exits[k], envs[k] = exits[1 - k], dict(envs[1 - k])
        return exits, envs

    def class_atom(self, cls):
        """A class as an operand: builtins and NumPy's classes print by name, others are
        constants of the generated function."""
        if getattr(builtins, cls.__name__, None) is cls or getattr(np, cls.__name__, None) is cls:
            return Const(cls)
        return self.outer_value(cls.__name__, cls)

    def outer_value(self, name, obj):
        consts = self.fn.constants
        if name in consts and consts[name] is not obj or name in self.namer.reserved:
            name = self.namer.fresh(name)
        self.namer.assigned.add(name)
        consts[name] = obj
        return Var(name)

    def isinstance_(self, node, env, target):
        """isinstance(x, T): a constant when x is known here, else checked at run time."""
        if len(node.args) != 2 or node.keywords:
            raise self.unsupported(node, "isinstance without two arguments")
        value, types = self.expr(node.args[0], env), self.expr(node.args[1], env)
        classes = tuple(t.obj for t in (types if type(types) is tuple else (types,))
                        if type(t) is Static and isinstance(t.obj, type))
        if len(classes) != (len(types) if type(types) is tuple else 1):
            raise self.unsupported(node.args[1], "isinstance with something other than classes")
        if type(value) in (Const, Static):
            return Const(isinstance(value.value if type(value) is Const else value.obj, classes))
        as_tuple, as_list = issubclass(tuple, classes), issubclass(list, classes)
        kind = self.sequence_kind(node.args[0], value)
        if kind is not None or type(value) is tuple and as_tuple == as_list:
            return Const(as_list if kind is list else as_tuple)
        if as_tuple != as_list and type(value) in (tuple, Var) and not (
                type(value) is Var and self.never_a_sequence(value)):
            raise self.unsupported(node, "isinstance(x, list) or isinstance(x, tuple) of a "
                                   "value whose kind (number, array, list or tuple) is not "
                                   "known when the code compiles (lowering holds lists and "
                                   "tuples alike, and a loop carries a tuple as a list)",
                                   "test isinstance(x, (list, tuple)), or keep whether it is "
                                   "a tuple in a variable")
        cls = getattr(value, "cls", None)  # a container known here (containers.py)
        if cls is not None and type(value) is not Var:
            return Const(isinstance(cls, type) and issubclass(cls, classes))
        if type(value) is Var and all(issubclass(c, CONTAINERS) or never_a_leaf(c)
                                      for c in classes):
            if value.name in self.number_leaves():  # a leaf of an argument: no dict, nor an
                return Const(False)                 # object of a class like Vec
            if any(tree is None and value.name == p for p, tree, _ in
                   getattr(self.fn, "arguments", ())) and not all(
                       issubclass(c, CONTAINERS) for c in classes):  # a parameter, compiled
                self.fn.receivers.add(value.name)  # for a number or array: for anything else
                return Const(False)  # passed for it, anew for its structure (boundary.py)
        return self.emit("isinstance", (self.as_atom(value), self.classes_atom(classes, types)),
                         target=target)

    def classes_atom(self, classes, types):
        atoms = tuple(self.class_atom(c) for c in classes)
        return atoms[0] if type(types) is not tuple else self.as_atom(atoms)

    def sequence_kind(self, node, value):
        """list or tuple, for a sequence known here that is surely one: a list noted as one
        (is_list), a tuple display or a name bound only to tuple displays (or a tuple
        argument); None: not known (dict.values() and `a, *rest = xs` are held as tuples)."""
        if type(value) is not tuple or not value:
            return None
        if self.is_list(value):
            return list
        if isinstance(node, gast.Tuple) or isinstance(node, gast.Name) and \
                self.sequence_kinds.get(node.id) == "tuple":
            return tuple
        return None

    def never_a_sequence(self, value):
        """Whether the Var `value` is a number or array at run time: a leaf of an argument, or
        a parameter compiled for a number or array (anew for another structure, boundary.py)."""
        if value.name in self.number_leaves():
            return True
        if any(tree is None and value.name == p for p, tree, _ in
               getattr(self.fn, "arguments", ())):
            self.fn.receivers.add(value.name)
            return True
        made = next((a.value for a in reversed(self.block) if type(a) is Assign and
                     a.target == value.name), None)  # (arithmetic of such values, just made)
        if type(made) is Op and made.prim == "getitem" and type(made.args[0]) is Var:
            return self.never_a_sequence(made.args[0])  # (x[1:] of an array)
        return type(made) is Op and made.prim in NUMERIC and all(type(a) is Const and isinstance(
                a.value, (int, float, complex)) or type(a) is Var and self.never_a_sequence(a)
                for a in made.args)

    def type_test(self, node, env, target):
        """`type(x) is C` (is not, ==, !=) of a class C: known here where x's class is (a
        number or container known here, a list or tuple known here, a parameter compiled for
        a number or array against a container class), else tested at run time; None where
        the generated code's own `type(x) is float` applies."""
        call, op = node.left, type(node.ops[0])
        if len(node.ops) != 1 or op not in (gast.Is, gast.IsNot, gast.Eq, gast.NotEq) or \
                not (isinstance(call, gast.Call) and len(call.args) == 1 and not call.keywords
                     and isinstance(call.func, gast.Name) and call.func.id == "type" and
                     self.expr(call.func, env) == Static(type)):
            return None
        right = self.expr(node.comparators[0], env)
        if not (type(right) is Static and isinstance(right.obj, type)):
            return None
        if right.obj in (float, int, bool) and not isinstance(call.args[0], gast.Name):
            return None  # (evaluated once, by the comparison as written)
        cls, value = right.obj, self.expr(call.args[0], env)
        positive = op in (gast.Is, gast.Eq)
        if type(value) in (Const, Static):
            found = type(value.value if type(value) is Const else value.obj)
        elif type(value) is Record:
            found = value.cls
        elif self.sequence_kind(call.args[0], value) is not None:
            found = self.sequence_kind(call.args[0], value)
        elif type(value) is Var and cls in (float, int, bool):
            return None
        elif type(value) is Var and issubclass(cls, CONTAINERS) and \
                self.never_a_sequence(value):
            return Const(not positive)
        elif cls in (list, tuple) and type(value) in (tuple, Var):
            raise self.unsupported(node, f"type(x) is {cls.__name__} of a value whose kind "
                                   "(number, array, list or tuple) is not known when the code "
                                   "compiles (lowering holds lists and tuples alike, and a "
                                   "loop carries a tuple as a list)", "test isinstance(x, "
                                   "(list, tuple)), or keep whether it is a tuple in a "
                                   "variable")
        else:
            kind = self.emit("type", (self.as_atom(value),))
            return self.emit("is" if positive else "isnot", (kind, self.class_atom(cls)),
                             target=target)
        return Const((found is cls) == positive)

    def number_leaves(self):
        """The parameters that are leaves of an argument's structure holding a float or complex
        number or array: at run time a number or array, never a container (an opaque library
        object or another value lowered as a Var may be one, so it is tested at run time)."""
        return {n for _, tree, names in getattr(self.fn, "arguments", ()) if tree is not None
                for n, leaf in zip(names, tree.leaves()) if leaf.diff}

    def attribute_query(self, obj, node, env):
        """`hasattr(m, "name")` and `getattr(m, "name"[, default])` with the name written as a
        string: getattr is the attribute `m.name` (a module's, a container's, an array's), and
        both are known here for a module, function or class."""
        name = self.attribute_name(obj, node, env, 3)
        base = self.expr(node.args[0], env)
        if type(base) in (Static, Record) and (obj is hasattr or len(node.args) == 3):
            if type(base) is Record and base.kind != "dict" and base.has(name.value):
                has = True  # (a field of the argument)
            else:  # known here, so a dependency: a new derivative once it changes
                owner = base.obj if type(base) is Static else base.cls
                has = self.read(owner, name.value, MISSING) is not MISSING
            if not has:
                return Const(False) if obj is hasattr else self.expr(node.args[2], env)
            if obj is hasattr:
                return Const(True)
        elif obj is hasattr or len(node.args) == 3:
            what = "hasattr" if obj is hasattr else "getattr with a default"
            error = self.unsupported(node, f"{what}, of a value computed at run time",
                                     f"write x.{name.value}")
            error.maybe_container = True  # (an argument may be a container: see at the call)
            raise error
        attribute = gast.Attribute(value=node.args[0], attr=name.value, ctx=gast.Load())
        return self.attribute(gast.copy_location(attribute, node), env, None)

    def attribute_name(self, obj, node, env, most):
        """The name argument of getattr/hasattr/setattr, a string known here (written, or a
        loop's over constant strings: for name in ("a", "b")), as a gast.Constant."""
        name = node.args[1] if len(node.args) in (2, most) and not node.keywords else None
        value = None
        if name is not None and not isinstance(name, gast.Constant):
            value = self.expr(name, env)
            if type(value) is Const:
                name = gast.copy_location(gast.Constant(value=value.value, kind=None), name)
        if not (isinstance(name, gast.Constant) and isinstance(name.value, str)):
            error = self.unsupported(node, f"{obj.__name__} with a name that is not a string "
                                     "known when the code is transformed", f"write "
                                     f"{obj.__name__}(x, \"name\"), or loop over constant names "
                                     "(for name in (\"a\", \"b\"))")
            # (a name read from an argument, getattr(np, act): a string argument is a constant
            # once the call's arguments are seen, as jvp sees them: compiled at the first call)
            error.maybe_container = type(value) is Var
            raise error
        return name

    def fstring(self, node, env, target=None):
        """f"loss {L:.3f}": the pieces formatted with format() and joined with +."""
        parts = []
        for piece in node.values:
            if isinstance(piece, gast.Constant):
                parts.append(Const(piece.value))
                continue
            value = self.atom(piece.value, env)
            if piece.conversion in CONVERSIONS:
                value = self.emit(CONVERSIONS[piece.conversion], (value,))
            elif piece.conversion not in (-1, None):
                raise self.unsupported(piece, "the conversion !a in an f-string")
            spec = self.fstring(piece.format_spec, env) if piece.format_spec else Const("")
            if type(value) is Const and type(spec) is Const and known_truth(value):
                parts.append(Const(format(value.value, spec.value)))
            else:
                parts.append(self.emit("format", (value,) if spec == Const("") else
                                       (value, spec)))
        return self.joined(parts)

    def joined(self, parts):
        """Strings joined with +, the ones known here at once."""
        text = Const("")
        for part in parts:
            if type(text) is Const and type(part) is Const:
                text = Const(text.value + part.value)
            else:
                text = part if text == Const("") else self.emit("add", (text, part))
        return text


def fold_constants(prim, args, kwargs):
    """An operator on numbers or strings known here, as a constant (None if it is not one)."""
    p = PRIMS[prim]
    if prim in ("is", "isnot") and not kwargs and all(type(a) is Const for a in args) and \
            any(a.value is None for a in args):  # `1.0 is None` (a library's default, inlined)
        return Const((args[0].value is args[1].value) == (prim == "is"))
    if prim == "mod" and not kwargs and type(args[0]) is Const and type(args[0].value) is str \
            and type(args[1]) is Const and _plain(args[1].value):  # "W%d" % i: a key
        args = (args[0], Const(args[1].value if type(args[1].value) is tuple else
                               (args[1].value,)))
    elif kwargs or p.form not in ("binop", "unop", "compare") or prim == "matmul" or not all(
            type(a) is Const and type(a.value) in (bool, int, float, str) for a in args) or any(
            type(a.value) is str for a in args) and prim not in ("add", "eq", "ne") or \
            prim == "pow" and abs(args[1].value) > 64:  # (not 10 ** 10 ** 9 here)
        return None
    try:
        return Const(p.fn(*(a.value for a in args)))
    except (ArithmeticError, TypeError, ValueError):
        return None


def _plain(value):
    """A number, string or tuple of them: what old-style formatting of a known string takes."""
    return type(value) in (bool, int, float, str) or \
        type(value) is tuple and all(type(v) in (bool, int, float, str) for v in value)


def known_truth(test):
    """Whether a constant's truth is known here (not an array's, which has none)."""
    return isinstance(test.value, (bool, int, float, complex, str, bytes, tuple, frozenset,
                                   type(None), np.bool_, np.number))


def never_a_leaf(cls):
    """Whether no number or array argument (pytree.is_leaf) is an instance of `cls`: a class of
    the plain metaclass, no base of a number or array type, nor any of its subclasses one or
    speaking NumPy's protocols."""
    if type(cls) is not type or any(issubclass(t, cls) for t in LEAF_TYPES):
        return False
    below = [cls]
    while below:
        k = below.pop()
        if issubclass(k, LEAF_TYPES) or any(getattr(k, name, None) is not None for name in (
                "__array_function__", "__array_ufunc__", "__cuda_array_interface__")):
            return False
        below.extend(type.__subclasses__(k))
    return True
