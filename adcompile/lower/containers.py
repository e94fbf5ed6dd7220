"""Containers: dicts, namedtuples, dataclass instances and objects of the user's classes, known at
transformation time field by field (a tuple or list known that way is a Python tuple of values).

A container argument arrives flattened (pytree.py): each leaf is a parameter named after its path
(`p["W"]` is `p_W`), and the container is a `Record` whose fields hold those names. Reading a
field (`p["W"]`, `p.W`, `W, b = params`), building a new container (`{"W": W}`, `Params(W, b)`,
`dataclasses.replace(s, W=...)`, `Model(W, b)`), calling a method (`m.loss(x)`, inlined with
`self` bound to the record) or assigning a field (`self.W = W`, `p["W"] = W`) all happen here, at
transformation time: the generated code only ever sees the leaves.
"""
from __future__ import annotations

import dataclasses
import functools
import sys
import types

import gast

from ..depends import MISSING, Attributes, Items
from ..ir import Assign, Const, Var
from ..primitives import hashable
from ..pytree import Tree, _Static
from ..templates import dotted
from .changes import in_library
from .scan import Record, Static, held, holds, root_name, uncached


def value_of(tree: Tree, names) -> object:
    """The lowering value of an argument with structure `tree`, its leaves named by `names`."""
    if tree.kind == "leaf":
        return Var(next(names))
    if tree.kind == "static":
        obj = tree.cls.value
        return Static(obj) if callable(obj) or isinstance(obj, types.ModuleType) else Const(obj)
    values = tuple(value_of(c, names) for c in tree.children)
    if tree.kind in ("tuple", "list"):
        return values
    return Record(tree.kind, tree.cls, tree.keys, values)


def containers_in(value) -> list:
    """The lists, tuples and records `value` is or holds (an argument's, for not_shared)."""
    if type(value) not in (tuple, Record):
        return []
    parts = value if type(value) is tuple else value.values
    return [value] + [c for p in parts for c in containers_in(p)]


def output_tree(value, leaves, is_list) -> Tree:
    """The structure of a returned value; its numbers and arrays are appended to `leaves`. A
    known sequence that is a list (`is_list`) comes back a list, also inside a dict."""
    if type(value) is tuple:
        kind, cls = ("list", list) if is_list(value) else ("tuple", tuple)
        return Tree(kind, cls, (), tuple(output_tree(v, leaves, is_list) for v in value))
    if type(value) is Record:
        return Tree(value.kind, value.cls, value.keys,
                    tuple(output_tree(v, leaves, is_list) for v in value.values))
    if type(value) is Const and not isinstance(value.value, (float, complex)):
        return Tree("static", _Static(value.value))
    leaves.append(value)
    return Tree("leaf", diff=True)


def _is_namedtuple_class(obj):
    return isinstance(obj, type) and issubclass(obj, tuple) and hasattr(obj, "_fields")


class Containers:
    """Lowering of reads, writes, constructions and method calls on known containers."""

    def field(self, record, key, node):
        if not record.has(key):
            raise self.unsupported(node, f"{record.describe()} has no field {key!r}; reading it",
                                   f"its fields are {', '.join(map(repr, record.keys)) or 'none'}")
        return record.get(key)

    def record_subscript(self, record, index, node):
        if type(index) is tuple and all(type(i) is Const for i in index):  # p[(1, 2)], p[1, 2]
            index = Const(tuple(i.value for i in index))
        if type(index) is Var and record.kind == "dict" and record.keys and \
                all(type(v) in (Var, Const) for v in record.values):
            return self.run_time_key(record, index)
        if type(index) is not Const:
            error = self.unsupported(node, f"indexing {record.describe()} with a value computed "
                                     "at run time (read so only where its values are numbers "
                                     "or arrays)", "use a constant key (p['W']) or loop over "
                                     ".items(); a key built from a loop index (p['W%d' % i]) "
                                     "needs the loop's count known when it compiles: range(3), "
                                     "range(len(p) // 2), or a count held in a dict or object "
                                     "argument (cfg.layers), not an int argument of its own")
            error.maybe_container = type(index) is Var  # (a parameter: a str is known at the
            raise error                                 # first call, a constant from there on)
        if record.kind == "namedtuple":
            if type(index.value) is int and not -len(record.values) <= index.value < len(
                    record.values):  # out of range: a run-time tuple, raising IndexError
                items = self.emit("tuple", tuple(self.as_atom(v) for v in record.values))
                return self.emit("getitem", (items, index))
            return record.values[index.value]
        if record.kind != "dict":
            raise self.unsupported(node, f"indexing {record.describe()}",
                                   "read its fields as attributes")
        return self.field(record, index.value, node)

    def run_time_key(self, record, key, default=None):
        """d[k], k known at run time only, of a dict of numbers and arrays known here: its
        values as a list indexed by k's position (`[a, b][{'x': 0, 'y': 1}[k]]`, a KeyError
        as Python's for another key); d.get(k, default): the default after them."""
        values = record.values + (() if default is None else (default,))
        where = Const({k: i for i, k in enumerate(record.keys)})
        position = self.emit("getitem", (where, key)) if default is None else \
            self.emit("dict.get", (where, key, Const(len(record.keys))))
        return self.emit("getitem", (self.list_in(self.block, values), position))

    def record_attribute(self, record, node, env, plain=False):
        """`o.name` of a container known here (`plain`: object.__getattribute__'s read, not
        the class's own __getattribute__)."""
        overridden = None if plain else self.getattribute_override(record, node, env)
        if overridden is not None:
            return overridden
        self.descriptor(record, node.attr, node)
        if record.kind != "dict" and record.has(node.attr):
            return record.get(node.attr)
        if node.attr == "__class__":  # self.__class__(...): the class known here
            return Static(record.cls)
        cls = record.cls
        prop = self.read(cls, node.attr, None) if record.kind != "dict" else None
        if isinstance(prop, property) and isinstance(prop.fget, types.FunctionType):
            call = _call_node(node, [])  # a getter changing self (a counter, a lazy cache):
            value = self.inline(prop.fget, call, env, None, receiver=record)  # as a method's
            self.receiver_changed(call, node.value, record, self.receiver_after, env,
                                  kind="property")
            return value
        owner = self.defining(cls, node.attr) if record.kind in ("object", "dataclass") else None
        if owner is not None and (not _is_method(owner.__dict__[node.attr]) or isinstance(
                owner.__dict__[node.attr], staticmethod)):  # (act = staticmethod(np.tanh))
            value = self.read(cls, node.attr)  # `scale = 3.0` in the class body, read as
            # m.scale: a new derivative once it changes (in this class or the one before)
            return self.outer(f"{cls.__name__}_{node.attr}", value)
        if owner is not None:
            raise self.unsupported(node, f"reading the method .{node.attr} of "
                                   f"{record.describe()} without calling it",
                                   f"call it (m.{node.attr}(...)), or pass a function")
        if record.kind == "dict":
            raise self.unsupported(node, f"the attribute .{node.attr} of a dict here", "read "
                                   "its items (d[k]), or call .get, .items, .keys, .values, "
                                   ".copy, .update or .setdefault; its keys are " +
                                   (", ".join(map(repr, record.keys)) or "none"))
        raise self.unsupported(node, f"the attribute .{node.attr} of {record.describe()}",
                               f"its fields are {', '.join(map(str, record.keys)) or 'none'}")

    def descriptor(self, record, name, node, store=False):
        """Refuses `o.name`, read or assigned (`store`), where o's class binds name to a
        descriptor lowering does not follow (not a function, property, staticmethod,
        classmethod or slot): one with __set__ or __delete__ (it takes every read and write),
        or one with __get__ only (cached_property) read where the instance holds no value."""
        owner = class_defining(record.cls, name) if record.kind in ("object", "dataclass") \
            else None
        raw = MISSING if owner is None else uncached(vars(owner)[name])
        kind = type(raw)
        if raw is MISSING or kind in FOLLOWED or not hasattr(kind, "__get__") or not (
                hasattr(kind, "__set__") or hasattr(kind, "__delete__")) and (
                    store or record.has(name)):
            return
        self.defining(record.cls, name)  # (a dependency: the derivative may be refused now)
        who = dotted(node.value) if isinstance(node, gast.Attribute) else None
        who = who or "o"
        if name == "__dict__":
            field = record.keys[0] if record.keys else "a"
            raise self.unsupported(node, f"{who}.__dict__ of {record.describe()} (its "
                                   "attributes as a dict)", f"read its fields ({who}.{field})")
        what = "a functools.cached_property" if isinstance(raw, functools.cached_property) \
            else f"a descriptor ({kind.__name__}, with " + "/".join(
                m for m in ("__get__", "__set__", "__delete__") if hasattr(kind, m)) + ")"
        raise self.unsupported(node, f"{'assigning' if store else 'reading'} the attribute "
                               f".{name} of {record.cls.__name__}, {what}",
                               f"make {name} a @property (with a setter to assign it), or a "
                               "plain method, or compute it in __init__")

    def unbound(self, record, name):
        """Whether o.name is a callable the class holds that Python does not bind (a NumPy
        ufunc, a built-in or math function, a class, or one wrapped in staticmethod): `act =
        np.tanh` or `act = staticmethod(np.tanh)`, self.act(x) is
        np.tanh(x); or o.__class__."""
        if record.kind not in ("object", "dataclass") or record.has(name):
            return False
        if name == "__class__":
            return True
        owner = class_defining(record.cls, name)
        raw = MISSING if owner is None else vars(owner)[name]
        if isinstance(raw, staticmethod):  # staticmethod(np.tanh): np.tanh, called as it is
            return not isinstance(raw.__func__, types.FunctionType)
        return raw is not MISSING and callable(raw) and not hasattr(type(raw), "__get__")

    def defining(self, cls, name):
        """class_defining(cls, name), recorded as a dependency: what is found there (a method
        inlined, an operator, __init__) is built into the derivative, which is built again once
        the class or a base binds the name to something else (`Duck.quack = cubic`)."""
        self.fn.dependencies.append((Attributes(cls), name, Attributes(cls).get(name, MISSING)))
        return class_defining(cls, name)

    def record_method(self, record, func, node, env, target):
        """`p.items()`, `p.get("W")`, `s._replace(W=...)`, `m.loss(x)`."""
        name, args = func.attr, node.args
        if record.kind == "dict" and name in ("items", "keys", "values") and not args:
            pairs = tuple(zip((Const(k) for k in record.keys), record.values))
            return {"items": pairs, "keys": tuple(p[0] for p in pairs),
                    "values": record.values}[name]
        if record.kind == "dict" and name == "get" and args:
            key = self.expr(args[0], env)
            default = self.expr(args[1], env) if len(args) > 1 else Const(None)
            if type(key) is Var and record.keys and \
                    all(type(v) in (Var, Const) for v in record.values + (default,)):
                return self.run_time_key(record, key, default)
            if type(key) is not Const:
                raise self.unsupported(node, "dict.get with a computed key", "use a constant "
                                       "key, or a dict of numbers and arrays only")
            return record.get(key.value, default) if record.has(key.value) else default
        if record.kind == "dict" and name == "setdefault" and 1 <= len(args) <= 2 and \
                not node.keywords:
            return self.set_default(record, func, node, env)
        if record.kind == "dict" and name == "pop" and 1 <= len(args) <= 2 and \
                not node.keywords:
            return self.dict_pop(record, func, node, env)
        if record.kind == "dict" and name == "copy" and not args:  # a new dict, not the same
            return Record(record.kind, record.cls, record.keys, record.values)
        if record.kind == "namedtuple" and name == "_replace" and not args:
            return self.replaced(record, node, env)
        if record.kind == "namedtuple" and name == "_asdict" and not args:
            return Record("dict", dict, record.keys, record.values)
        self.method_through_getattribute(record, name, func)
        self.descriptor(record, name, func)
        owner = self.defining(record.cls, name) if record.kind != "dict" else None
        raw = uncached(owner.__dict__[name]) if owner is not None else None  # (a cached method)
        if isinstance(raw, classmethod) and isinstance(raw.__func__, types.FunctionType):
            return self.inline(raw.__func__, node, env, target, receiver=Static(record.cls))
        if isinstance(raw, staticmethod) and isinstance(raw.__func__, types.FunctionType):
            return self.inline(raw.__func__, node, env, target)
        if isinstance(raw, types.FunctionType):
            value = self.inline(raw, node, env, target, receiver=record)
            self.receiver_changed(node, func.value, record, self.receiver_after, env)
            return value
        if name == "__call__":
            raise self.unsupported(node, f"calling {record.describe()}", "its class has no "
                                   "__call__ written in Python; call one of its methods")
        raise self.unsupported(node, f"the method .{name}() of {record.describe()}")

    def set_default(self, record, func, node, env):
        """`d.setdefault(k, v)`, k known here: d[k] where d has k, else v, stored as d[k] (a change
        of d in place: refused where another name holds d, as for d[k] = v)."""
        key = self.expr(node.args[0], env)
        value = self.expr(node.args[1], env) if len(node.args) > 1 else Const(None)
        if type(key) is not Const:
            raise self.unsupported(node, "dict.setdefault with a key computed at run time",
                                   "write `if k not in d: d[k] = v` with keys known here")
        if record.has(key.value):
            return record.get(key.value)
        if not isinstance(func.value, gast.Name) or self.in_expression:
            raise self.unsupported(node, "dict.setdefault of a dict no name holds, or inside "
                                   "an expression that runs on some paths only", "write "
                                   "`if k not in d: d[k] = v` in a statement of its own")
        self.not_shared(node, func.value.id, env, self.live(), record)
        env[func.value.id] = record.replace(key.value, value)
        if type(value) is Var:  # (d keeps its name: w = d.setdefault("b", np.sin(x)))
            self.held.add(value.name)
        return value

    def dict_pop(self, record, func, node, env):
        """`d.pop(k[, default])` (and `del d[k]`), k known here: d[k], then d without k; the
        default where d has no k (without one: refused, Python raises KeyError)."""
        key = self.expr(node.args[0], env)
        default = self.expr(node.args[1], env) if len(node.args) > 1 else None
        if type(key) is not Const:
            raise self.unsupported(node, "dict.pop (or del d[k]) with a key computed at run "
                                   "time", "pop a key written in the code, or read d[k] and "
                                   "keep d whole")
        if not record.has(key.value):
            if default is None:
                raise self.unsupported(node, f"dict.pop of the key {key.value!r}, which the "
                                       "dict has not (a KeyError)", "pass a default, "
                                       "d.pop(k, None)")
            return default
        if not isinstance(func.value, gast.Name) or self.in_expression:
            raise self.unsupported(node, "dict.pop of a dict no name holds, or inside an "
                                   "expression that runs on some paths only", "pop it in a "
                                   "statement of its own")
        self.not_shared(node, func.value.id, env, self.live(), record)
        kept = [k for k in range(len(record.keys)) if record.keys[k] != key.value]
        env[func.value.id] = Record(record.kind, record.cls, tuple(record.keys[k] for k in kept),
                                    tuple(record.values[k] for k in kept))
        return record.get(key.value)

    def super_method(self, func, node, env, target):
        """`super().m(...)` in a method of the user's class: m of the class after the one
        defining this method, in the order of self's class (its MRO), with self; `node` None:
        `super().p`, the property p read there. `super(C, self)`, self the first parameter:
        the class after C in self's MRO (else refused)."""
        params = getattr(self.parsed.node, "args", None)
        me = env.get(params.args[0].id) if params and params.args else None
        code = self.stack[-1] if self.stack else None
        mro = me.cls.__mro__ if type(me) is Record and isinstance(me.cls, type) else ()
        here = next((k for k, cls in enumerate(mro) if any(
            getattr(getattr(v, "__func__", getattr(v, "fget", v)), "__code__", None) is code
            for v in vars(cls).values())), None)  # (a method, or a property's getter)
        named = func.value.args
        if named:
            cls = self.expr(named[0], env) if isinstance(named[1], gast.Name) and params and \
                params.args and named[1].id == params.args[0].id else None
            here = mro.index(cls.obj) if type(cls) is Static and cls.obj in mro else None
            if here is None:
                raise self.unsupported(func.value, "super() with arguments other than a class "
                                       "of self's and the method's first parameter",
                                       f"write super().{func.attr}")
        owner = next((cls for cls in mro[here + 1:] if func.attr in vars(cls)), None) \
            if here is not None else None
        raw = vars(owner)[func.attr] if owner is not None else None
        if node is None and isinstance(raw, property) and \
                isinstance(raw.fget, types.FunctionType):
            call = _call_node(func, [])
            value = self.inline(raw.fget, call, env, target, receiver=me)
            self.receiver_changed(call, params.args[0], me, self.receiver_after, env,
                                  kind="property")
            return value
        if node is not None and owner is object and func.attr in PLAIN and params and \
                params.args and not node.keywords:  # super().__setattr__(name, v) in the override
            call = gast.copy_location(gast.Call(func=func, args=[_name(
                params.args[0].id, node)] + node.args, keywords=[]), node)
            return self.plain_attribute(getattr(object, func.attr), call, env, target)
        if node is None:
            raise self.unsupported(func, f"super().{func.attr} here", "read a property of the "
                                   "class after this one, or call its method "
                                   f"(Base.{func.attr}(self))")
        if not isinstance(raw, types.FunctionType):
            raise self.unsupported(node, f"super().{func.attr}() here", "call the method of the "
                                   f"class by its name (Base.{func.attr}(self, ...))")
        value = self.inline(raw, node, env, target, receiver=me)
        self.receiver_changed(node, params.args[0], me, self.receiver_after, env)
        return value

    def receiver_changed(self, node, receiver, before, after, env, kind="method", name=None):
        """After a method call: the name, or the item or field of one (`bs[0]`, `self.b`), that
        held its object holds what the method left in self, as for an argument a function
        changes (Inlining.write_back); refused where another name holds the object, inside an
        expression that runs on some paths only, or for an object held any other way."""
        if after is None or after == before:
            return
        name = name or getattr(node.func, 'attr', '')
        what = f"the {kind} .{name}" + "()" * (kind != "property") + " changes its object"
        if isinstance(receiver, gast.Call):  # Model(...).fit(x): an object no name holds
            if any(holds(v, before) for v in env.values()):  # acc.add(x).add(y): self returned
                raise self.unsupported(node, f"{what}, which another method returned while a "
                                       "name holds it (a chain: acc.add(x).add(y))",
                                       "call the methods one by one on the name (acc.add(x); "
                                       "acc.add(y))")
            return
        if held(receiver, env) is not before:
            raise self.unsupported(node, f"{what}, which is not held by a name here",
                                   "give it a name first (b = bs[i]; b.step(); bs[i] = b)")
        if self.in_expression:
            raise self.unsupported(node, f"{what}, called inside a comprehension, a conditional "
                                   "expression, and/or or a while test",
                                   "call it in a statement of its own")
        if isinstance(receiver, gast.Name) and self.through_item(node, receiver.id, before,
                                                                 after, env):
            return
        if isinstance(receiver, gast.Name):
            self.not_shared(node, receiver.id, env, self.live(), before, after=after)
            env[receiver.id] = after
        else:  # bs[0].step(): as bs[0] = (bs[0] changed), unless another name holds bs[0]
            self.not_shared(node, root_name(receiver), env, self.live(), before, after=after)
            self.not_repeated(node, root_name(receiver), env, before)
            self.store(receiver, after, env, plain=True)  # (no setattr runs)

    def through_item(self, node, name, before, after, env):
        """For `b` a loop's name for an item of a list known here (`for b in bs`, items_of): a
        change to b (`b.step()`, `b.v = v`) is one to that item, stored in the list too.
        Refused where another name holds the object; False: b is no such name."""
        item = self.items_of.get(name)
        if item is None or held(item, env) is not before:
            return False
        root = root_name(item)
        self.not_shared(node, name, env, self.live(), before, besides=root, after=after)
        self.not_repeated(node, root, env, before)
        self.store(item, after, env, plain=True)
        env[name] = after
        return True

    def record_operator(self, op, operands, node, env, target):
        """`a + b`, `-v`, `a < b` where an operand is an object of the user's: the operator
        method its class defines in Python (__add__, then the other operand's __radd__),
        inlined like any method. `op`: the gast operator's class name."""
        if op == "BitOr" and all(type(r) is Record and r.kind == "dict" for r in operands):
            merged = Record("dict", dict, operands[0].keys, operands[0].values)
            for key, value in zip(operands[1].keys, operands[1].values):
                merged = merged.replace(key, value)  # d | e: a new dict, e's values win
            return merged
        names = [DUNDERS[op]] if len(operands) == 1 else [DUNDERS[op], REFLECTED.get(op)]
        outer, env = env, dict(env)
        pairs = [(operands[0], None)] if len(operands) == 1 else [operands, operands[::-1]]
        for right, (name, (receiver, other)) in enumerate(zip(names, pairs)):
            if name is None or type(receiver) is not Record or receiver.kind == "dict":
                continue
            owner = self.defining(receiver.cls, name)
            method = owner.__dict__[name] if owner is not None else None
            if not isinstance(method, types.FunctionType) or \
                    method.__code__.co_filename.startswith("<"):  # (a dataclass's own __eq__)
                continue
            args = []
            if other is not None:
                env["<operand>"] = other
                args = [_name("<operand>", node)]
            value = self.inline(method, _call_node(node, args), env, target, receiver=receiver)
            if self.receiver_after is not None and self.receiver_after != receiver:
                self.receiver_changed(node, _operand_node(node, right), receiver,
                                      self.receiver_after, outer,
                                      kind="operator method", name=name)
            if value != Const(NotImplemented):
                return value
        wanted = list(dict.fromkeys(f"{getattr(r.cls, '__name__', 'dict')}.{n}" for n, (r, _)
                                    in zip(names, pairs) if n and type(r) is Record))
        record = next(r for r in operands if type(r) is Record)
        error = self.unsupported(node, f"the operator {SYMBOLS.get(op, op)} on "
                                 f"{record.describe()} without {' or '.join(wanted)} written "
                                 "in Python (with source to read)",
                                 f"define {wanted[0].rpartition('.')[2]} in the class, or "
                                 "compute with its fields")
        error.maybe_container = any(type(o) is Var for o in operands)  # (an argument: an
        raise error  # object of the user's at the first call, whose own method then applies)

    def record_truth(self, record, node, env):
        """The truth of a container known here (`if u:`, `not u`, `u` held by `node`), as Python
        finds it: its class's __bool__, else __len__ (not zero), else whether it holds fields
        (a dict, a namedtuple) or True (an object)."""
        for name in ("__bool__", "__len__"):
            owner = self.defining(record.cls, name) if record.kind != "dict" else None
            if owner is None:
                continue
            if not isinstance(vars(owner)[name], types.FunctionType):
                raise self.unsupported(node, f"the truth of {record.describe()}, whose "
                                       f"{owner.__name__}.{name} is not written in Python")
            method = gast.copy_location(gast.Attribute(value=node, attr=name, ctx=gast.Load()),
                                        node)
            value = self.record_method(record, method, _call_node(method, []), env, None)
            if name == "__bool__":
                return value
            if type(value) is Const:
                return Const(value.value != 0)
            return self.emit("ne", (self.as_atom(value), Const(0)))
        return Const(bool(record.keys) if record.kind in ("dict", "namedtuple") else True)

    def iterated(self, value, node):
        """What a for loop (or list(), a comprehension) walks when it iterates `value`: a dict's
        keys (a global dict's too) and a namedtuple's fields, known here; a global list or tuple
        of strings (a config's names) as its items, which index dicts here; other values as
        they are."""
        if type(value) is Var and names_here(self.fn.constants.get(value.name)):
            return self.names_here(self.fn.constants[value.name])
        if type(value) is Var and type(self.fn.constants.get(value.name)) is dict:
            return self.global_keys(self.fn.constants[value.name], node)  # for k in W
        if type(value) is not Record:
            return value
        if value.kind == "dict":
            return tuple(Const(k) for k in value.keys)
        if value.kind == "namedtuple":
            return value.values
        raise self.unsupported(node, f"iterating {value.describe()}", "iterate a list, tuple, "
                               "dict or namedtuple, or read its fields")

    def names_here(self, table):
        """A global list or tuple of strings (a config's names, for name in CFG["acts"]) as
        constants known here, which index dicts here; read as it is now, so a new derivative once
        an item or its length changes."""
        scope = Items(table)
        self.fn.dependencies += [(scope, k, v) for k, v in enumerate(table)] + \
            [(scope, len(table), MISSING)]
        return tuple(Const(v) for v in table)

    def record_store(self, record, target, value, env, plain=False):
        """`p["W"] = v` or `self.W = v`: a record with that field replaced by `value` (through
        its class's own __setattr__ unless `plain`: object.__setattr__'s store)."""
        if isinstance(target, gast.Attribute):
            if record.kind == "dict":
                raise self.unsupported(target, "setting an attribute of a dict")
            overridden = None if plain else self.setattr_override(record, target, value, env)
            if overridden is not None:  # the class's own __setattr__
                return overridden
            self.descriptor(record, target.attr, target, store=True)
            prop = getattr(record.cls, target.attr, None)
            if isinstance(prop, property):  # t.f = v calls f's setter
                if not isinstance(prop.fset, types.FunctionType):
                    raise self.unsupported(target, f"setting .{target.attr} of "
                                           f"{record.describe()}, a property without a setter "
                                           "written in Python")
                env = {**env, "<value>": value}
                self.inline(prop.fset, _call_node(target, [_name("<value>", target)]), env, None,
                            receiver=record)
                return self.receiver_after
            return record.replace(target.attr, value)
        key = self.expr(target.slice, env)
        if record.kind in ("object", "dataclass"):  # s[i] = v: s.__setitem__(i, v)
            owner = self.defining(record.cls, "__setitem__")
            method = vars(owner)["__setitem__"] if owner is not None else None
            if not isinstance(method, types.FunctionType):
                raise self.unsupported(target, f"assigning an item of {record.describe()} "
                                       f"without {record.cls.__name__}.__setitem__ written in "
                                       "Python", "define __setitem__ in the class, or assign "
                                       "a field (o.name = v)")
            env = {**env, "<index>": key, "<value>": value}
            self.inline(method, _call_node(target, [_name("<index>", target), _name(
                "<value>", target)]), env, None, receiver=record)
            return self.receiver_after or record
        if record.kind != "dict" or type(key) is not Const:
            what = f"assigning an item of {record.describe()}" + (
                " at a key computed at run time" if record.kind == "dict" else "")
            if type(key) is Var:  # (for k in p: q[k] = ...: the keys of p, once p is known)
                raise self.not_an_array(target, what, "use keys known here (strings, numbers)")
            raise self.unsupported(target, what)
        return record.replace(key.value, value)

    def copy_of(self, value, how, node):
        """copy.copy (`how` "shallow"), copy.deepcopy ("deep") or dataclasses.asdict / astuple
        ("dict", "tuple": deep, a dataclass becoming a dict or a tuple of its fields) of a value
        known here: new containers, and for a deep copy new containers inside and numbers and
        arrays under new names (a change in place to one is not seen by the other)."""
        what = {"shallow": "copy.copy", "deep": "copy.deepcopy", "dict": "dataclasses.asdict",
                "tuple": "dataclasses.astuple"}[how]
        if how in ("dict", "tuple") and not (type(value) is Record and value.kind == "dataclass"):
            raise self.not_an_array(node, f"{what} of something other than a dataclass",
                                    f"pass {what} a dataclass instance")
        if type(value) is Var:  # a new array (a copy of a number is the number)
            name = self.namer.temp()
            self.block.append(Assign(name, value, self.line))
            arg = node.args[0] if isinstance(node, gast.Call) and node.args else None
            if how == "shallow" and not (isinstance(arg, gast.Name) and self.sequence_kinds.get(
                    arg.id) != "list"):  # (a list built at run time shares its items)
                self.copied(name, value)
            return Var(name)
        if type(value) not in (tuple, Record):
            return value
        if type(value) is Record and value.kind != "dict":
            own = next((m for m in ("__copy__", "__deepcopy__", "__reduce_ex__", "__reduce__",
                                    "__getstate__", "__setstate__")
                        if self.defining(value.cls, m) is not None), None)
            if own is not None:
                raise self.unsupported(node, f"{what} of {value.describe()}, whose class "
                                       f"defines {own}", f"make the copy yourself ("
                                       f"{value.cls.__name__}(...) of its fields)")
        inner = (lambda v: v) if how == "shallow" else functools.partial(
            self.copy_of, how="deep", node=node)
        if how in ("dict", "tuple"):
            inner = functools.partial(self.converted, how=how, node=node)
            names = [f.name for f in dataclasses.fields(value.cls)]
            missing = [n for n in names if not value.has(n)]
            if missing:
                raise self.unsupported(node, f"{what} of {value.describe()} without a value for "
                                       f"its field {missing[0]} (an AttributeError in Python)")
            values = tuple(inner(value.get(n)) for n in names)
            return Record("dict", dict, tuple(names), values) if how == "dict" else values
        if type(value) is tuple:
            items = tuple(map(inner, value))
            return self.known_list(items) if self.is_list(value) else items
        return Record(value.kind, value.cls, value.keys, tuple(map(inner, value.values)))

    def converted(self, value, how, node):
        """An item inside what dataclasses.asdict / astuple convert: dataclasses converted too,
        anything else deep-copied."""
        if type(value) is Record and value.kind == "dataclass":
            return self.copy_of(value, how, node)
        if type(value) is tuple:
            items = tuple(self.converted(v, how, node) for v in value)
            return self.known_list(items) if self.is_list(value) else items
        if type(value) is Record and value.kind in ("dict", "namedtuple"):
            return Record(value.kind, value.cls, value.keys, tuple(
                self.converted(v, how, node) for v in value.values))
        return self.copy_of(value, "deep", node)

    def frozen(self, dist, cls, node, env):
        """`stats.norm(mu, s)`, a frozen distribution: an object of SciPy's class `cls` holding
        the distribution and the arguments (its methods: frozen_method)."""
        if any(k.arg is None for k in node.keywords):  # (**kw of a dict known here is spread)
            raise self.unsupported(node, f"{dotted(node.func)}(**...) of a dict built at run "
                                   "time", "name the parameters")
        args = tuple(self.expr(a, env) for a in node.args)
        kwds = Record("dict", dict, tuple(k.arg for k in node.keywords),
                      tuple(self.expr(k.value, env) for k in node.keywords))
        return Record("object", cls, ("dist", "args", "kwds"), (Static(dist), args, kwds))

    def frozen_method(self, record, func, node, env, target):
        """d.logpdf(x) of a frozen distribution d = stats.norm(mu, s): the distribution's own
        method with the arguments stored after the call's, stats.norm.logpdf(x, mu, s)."""
        dist, args, kwds = record.values
        name = f"stats.{type(dist.obj).__name__.removesuffix('_gen')}.{func.attr}"
        if not callable(getattr(dist.obj, func.attr, None)):
            raise self.unsupported(node, f"the method .{func.attr}() of a frozen distribution")
        held = {name: Static(getattr(dist.obj, func.attr)),
                **{f"<frozen {k}>": v for k, v in enumerate(args)},
                **{f"<frozen {k}>": v for k, v in zip(kwds.keys, kwds.values)}}
        call = gast.Call(func=_name(name, func), args=node.args + [
            _name(f"<frozen {k}>", node) for k in range(len(args))], keywords=node.keywords + [
            gast.keyword(arg=k, value=_name(f"<frozen {k}>", node)) for k in kwds.keys])
        env.update(held)
        try:
            return self.call(gast.copy_location(call, node), env, target)
        finally:
            for k in held:
                env.pop(k, None)

    def replaced(self, record, node, env):
        """s._replace(W=...): a copy with those fields (no __init__ runs); dataclasses.replace(s,
        W=...): the class called with s's init fields and the changes, as Python does (its
        __init__ and __post_init__ run again: a field they derive is made anew)."""
        fields = dataclasses.fields(record.cls) if record.kind == "dataclass" else ()
        init = [f.name for f in fields if f.init]
        init_vars = [f.name for f in vars(record.cls).get("__dataclass_fields__", {}).values()
                     if f._field_type is INIT_VAR] if fields else []
        for k in node.keywords:
            if k.arg in init_vars:  # (passed to __post_init__; else its default)
                init.append(k.arg)
                continue
            if k.arg is None or not record.has(k.arg) and k.arg not in init:
                raise self.unsupported(node, f"replacing {k.arg!r}, not a field of "
                                       f"{record.describe()}")
            if fields and k.arg not in init:  # (Python raises ValueError)
                raise self.unsupported(node, f"replacing {k.arg!r}, a field of "
                                       f"{record.describe()} with init=False (a ValueError in "
                                       "Python)", f"assign it after: c = dataclasses.replace("
                                       f"...); c.{k.arg} = ...")
        if record.kind != "dataclass":
            for k in node.keywords:
                record = record.replace(k.arg, self.expr(k.value, env))
            return record
        env = dict(env)
        for k in node.keywords:
            env[f"<{k.arg}>"] = self.expr(k.value, env)
        for name in init:
            if f"<{name}>" not in env:
                env[f"<{name}>"] = self.field(record, name, node)
        call = gast.Call(func=node.func, args=[], keywords=[
            gast.keyword(arg=name, value=_name(f"<{name}>", node)) for name in init])
        made = self.construct(record.cls, gast.copy_location(call, node), env, None)
        if made is None:
            raise self.unsupported(node, f"dataclasses.replace of {record.describe()}")
        return made

    def from_keys(self, node, env):
        """dict.fromkeys(keys, value): a dict known here, `value` (evaluated once, the same
        object under every key, as in Python) under each of keys, a sequence known here."""
        if node.keywords or not 1 <= len(node.args) <= 2:
            raise self.unsupported(node, "dict.fromkeys with keyword arguments",
                                   "pass the keys and the value by position")
        keys = self.known_range(node.args[0], env) or self.expr(node.args[0], env)
        if type(keys) is Const and isinstance(keys.value, (tuple, list, str, range)):
            keys = tuple(Const(k) for k in keys.value)
        if type(keys) is not tuple or not all(type(k) is Const and hashable(k.value)
                                              for k in keys):
            raise self.unsupported(node, "dict.fromkeys of keys known only at run time",
                                   "give the keys as a list or tuple of constants")
        shown = node.args[1] if len(node.args) == 2 else None
        value = self.expr(shown, env) if shown is not None else Const(None)
        if type(value) is tuple or type(value) is Record or isinstance(
                shown, (gast.List, gast.Dict, gast.Set, gast.ListComp, gast.DictComp)):
            raise self.unsupported(node, "dict.fromkeys with a list, dict or object as the "
                                   "value (Python puts the same one under every key)",
                                   "build each with a comprehension ({k: [] for k in keys})")
        value = self.as_atom(value)
        record = Record("dict", dict, (), ())
        for k in keys:
            record = record.replace(k.value, value)
        return record

    def construct(self, cls, node, env, target):
        """A container made by calling its class: dict(...), a namedtuple or dataclass class, or a
        class of the user's with an __init__ written in Python. None: `cls` is none of them."""
        if cls is dict:
            record = Record("dict", dict, (), ())
            if node.args:
                base = self.zipped_known(node.args[0], env) or self.expr(node.args[0], env)
                if type(base) is tuple and all(type(p) is tuple and len(p) == 2 and
                                               type(p[0]) is Const for p in base):
                    pairs, base = base, Record("dict", dict, (), ())  # dict(zip(keys, values))
                    for key, value in pairs:
                        base = base.replace(key.value, value)
                if type(base) is not Record or base.kind != "dict":
                    raise self.not_an_array(node, "dict() of something other than a dict",
                                            "pass dict() a dict")
                record = Record(base.kind, base.cls, base.keys, base.values)  # a new dict
            for k in node.keywords:
                record = record.replace(k.arg, self.expr(k.value, env))
            return record
        owner = self.defining(cls, "__new__") if isinstance(cls, type) else None
        new = getattr(vars(owner)["__new__"], "__func__", None) if owner else None
        if isinstance(new, types.FunctionType) and not new.__code__.co_filename.startswith(
                "<") and not in_library(new.__code__.co_filename):  # (not namedtuple's own)
            raise self.unsupported(node, f"{cls.__name__}(...) through its own "
                                   f"{owner.__name__}.__new__", "build it with a classmethod "
                                   "instead (@classmethod def make(cls, a): return cls(a, ...))")
        if _is_namedtuple_class(cls):
            defaults = {k: functools.partial(self.outer, k, v)
                        for k, v in getattr(cls, "_field_defaults", {}).items()}
            return Record("namedtuple", cls, tuple(cls._fields), self.bind_fields(
                node, env, list(cls._fields), defaults, cls))
        owner = self.defining(cls, "__init__") if isinstance(cls, type) else None
        init = vars(owner).get("__init__") if owner is not None else None  # (or inherited)
        written = isinstance(init, types.FunctionType) and \
            not init.__code__.co_filename.startswith("<")  # (not a dataclass's own)
        if dataclasses.is_dataclass(cls) and isinstance(cls, type) and not written:
            return self.dataclass_made(cls, node, env)
        if isinstance(init, types.FunctionType) and (owner is cls or not in_library(
                init.__code__.co_filename)):  # (a dataclass's __init__ written in its class)
            kind = "dataclass" if dataclasses.is_dataclass(cls) else "object"
            record = Record(kind, cls, (), ())
            self.inline(init, node, env, None, receiver=record)
            return self.receiver_after or record
        if owner is None and isinstance(cls, type) and not node.args and not node.keywords and \
                self.defining(cls, "__new__") is None and not in_library(
                    getattr(sys.modules.get(cls.__module__), "__file__", None)):
            return Record("object", cls, (), ())  # a class of the user's without __init__
        return None

    def dataclass_made(self, cls, node, env):
        """A dataclass built by the __init__ dataclasses writes: its init fields bound as that
        __init__ takes them (keyword-only ones last), InitVars passed on to __post_init__."""
        given = vars(cls).get("__dataclass_fields__", {}).values()
        fields = [f for f in given if f.init and f._field_type in (FIELD, INIT_VAR)]
        fields.sort(key=lambda f: bool(getattr(f, "kw_only", False)))
        defaults = {f.name: functools.partial(self.outer, f.name, f.default) for f in fields
                    if f.default is not dataclasses.MISSING}
        defaults.update({f.name: functools.partial(self.made_by_factory, f, node)
                         for f in fields if f.default_factory is not dataclasses.MISSING})
        positional = sum(not getattr(f, "kw_only", False) for f in fields)
        values = self.bind_fields(node, env, [f.name for f in fields], defaults, cls,
                                  positional)
        kept = [(f.name, v) for f, v in zip(fields, values) if f._field_type is FIELD]
        record = Record("dataclass", cls, (), ())
        for key, value in kept:  # (each through the class's own __setattr__, if it has one)
            record = self.setattr_override(record, _attribute(key, node), value, env) or \
                record.replace(key, value)
        post = getattr(cls, "__post_init__", None)
        passed = [(f"<{f.name}>", v) for f, v in zip(fields, values)
                  if f._field_type is INIT_VAR]
        if isinstance(post, types.FunctionType):
            call = _call_node(node, [_name(k, node) for k, _ in passed])
            self.inline(post, call, {**env, **dict(passed)}, None, receiver=record)
            record = self.receiver_after or record
        elif passed:
            raise self.unsupported(node, f"{cls.__name__}() with an InitVar and no "
                                   "__post_init__ written in Python")
        return record

    def made_by_factory(self, field, node):
        """A dataclass field's `default_factory` called: a new empty list, dict or tuple, or a
        number."""
        factory = field.default_factory
        if factory in (list, tuple):
            return self.known_list(()) if factory is list else ()
        if factory is dict:
            return Record("dict", dict, (), ())
        if factory in (float, int, bool, complex):
            return Const(factory())
        raise self.unsupported(node, f"the default_factory of the field {field.name} (not "
                               "list, dict, tuple or a number)", f"pass {field.name} to the "
                               "constructor")

    def bind_fields(self, node, env, names, defaults, cls, positional=None):
        """The fields' values: the call's arguments, else `defaults` (name -> a function that
        gives it). `positional`: how many of `names` a positional argument may bind."""
        if len(node.args) > (len(names) if positional is None else positional):
            raise self.unsupported(node, f"{cls.__name__}() with {len(node.args)} arguments")
        bound = dict(zip(names, (self.expr(a, env) for a in node.args)))
        for k in node.keywords:
            if k.arg not in names or k.arg in bound:
                raise self.unsupported(node, f"the argument {k.arg}= of {cls.__name__}()")
            bound[k.arg] = self.expr(k.value, env)
        values = []
        for name in names:
            if name in bound:
                values.append(bound[name])
            elif name in defaults:
                values.append(defaults[name]())
            else:
                raise self.unsupported(node, f"{cls.__name__}() without {name}")
        return tuple(values)

    def dict_display(self, node, env):
        record = Record("dict", dict, (), ())
        for key, value in zip(node.keys, node.values):
            if key is None:  # {**p, "W": W}
                base = self.expr(value, env)
                if type(base) is not Record or base.kind != "dict":
                    raise self.not_an_array(node, "** of something other than a dict",
                                            "spread a dict")
                for k, v in zip(base.keys, base.values):
                    record = record.replace(k, v)
                continue
            k = self.expr(key, env)
            if type(k) is not Const:
                error = self.unsupported(node, "a dict with a key computed at run time",
                                         "use constant keys")
                error.maybe_container = any(  # {cfg["name"]: v}: known at the first call
                    isinstance(n, gast.Name) and n.id in self.fn.params for n in gast.walk(key))
                raise error
            record = record.replace(k.value, self.expr(value, env))
        return record


DUNDERS = {"Add": "__add__", "Sub": "__sub__", "Mult": "__mul__", "Div": "__truediv__",
           "FloorDiv": "__floordiv__", "Mod": "__mod__", "Pow": "__pow__",
           "MatMult": "__matmul__", "USub": "__neg__", "UAdd": "__pos__", "Invert": "__invert__",
           "Lt": "__lt__", "LtE": "__le__", "Gt": "__gt__", "GtE": "__ge__", "Eq": "__eq__",
           "NotEq": "__ne__", "BitOr": "__or__", "BitAnd": "__and__", "BitXor": "__xor__",
           "LShift": "__lshift__", "RShift": "__rshift__"}
REFLECTED = {"Add": "__radd__", "Sub": "__rsub__", "Mult": "__rmul__", "Div": "__rtruediv__",
             "FloorDiv": "__rfloordiv__", "Mod": "__rmod__", "Pow": "__rpow__",
             "MatMult": "__rmatmul__", "Lt": "__gt__", "LtE": "__ge__", "Gt": "__lt__",
             "GtE": "__le__", "Eq": "__eq__", "NotEq": "__ne__", "BitOr": "__ror__",
             "BitAnd": "__rand__", "BitXor": "__rxor__", "LShift": "__rlshift__",
             "RShift": "__rrshift__"}
SYMBOLS = {"Add": "+", "Sub": "-", "Mult": "*", "Div": "/", "FloorDiv": "//", "Mod": "%",
           "Pow": "**", "MatMult": "@", "USub": "unary -", "UAdd": "unary +", "Invert": "~",
           "Lt": "<", "LtE": "<=", "Gt": ">", "GtE": ">=", "Eq": "==", "NotEq": "!=",
           "BitOr": "|", "BitAnd": "&", "BitXor": "^", "LShift": "<<", "RShift": ">>"}


def in_place_method(op):
    """The in-place method of the operator `op` (a gast class name): Add -> __iadd__."""
    return "__i" + DUNDERS[op][2:]


FIELD, INIT_VAR = dataclasses._FIELD, dataclasses._FIELD_INITVAR  # type: ignore[attr-defined]
FOLLOWED = (types.FunctionType, property, staticmethod, classmethod, types.MemberDescriptorType)


def class_defining(cls, name):
    """The class in cls's method resolution order whose body defines `name` (None: none does,
    or it comes from `object` or another built-in class)."""
    for klass in getattr(cls, "__mro__", ()):
        if name in vars(klass):
            return None if klass.__module__ == "builtins" else klass
    return None


def names_here(table):
    """Whether `table` (a global's value) is a list or tuple of strings: names, read here."""
    return type(table) in (list, tuple) and bool(table) and all(isinstance(v, str) for v in table)


def must_unroll(value):
    """A sequence known here whose elements have no run-time form (containers, functions): a
    loop over it runs at transformation time, element by element."""
    if type(value) is tuple:
        return any(map(must_unroll, value))
    return type(value) in (Record, Static)


def _is_method(value):
    return isinstance(value, (types.FunctionType, classmethod, staticmethod, property))


def _name(name, node):
    return gast.copy_location(gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                        type_comment=None), node)


def _operand_node(node, right):
    """The expression of an operator's left (or `right`) operand where `node` has one (a + b,
    -a, a < b); else `node` itself (sum's running total: held by no name)."""
    if isinstance(node, gast.UnaryOp):
        return node.operand
    if isinstance(node, gast.BinOp):
        return node.right if right else node.left
    if isinstance(node, gast.Compare) and len(node.comparators) == 1:
        return node.comparators[0] if right else node.left
    return node


PLAIN = ("__setattr__", "__getattribute__")  # object's, called by super() in an override


def _attribute(name, node):
    return gast.copy_location(gast.Attribute(value=_name("self", node), attr=name,
                                             ctx=gast.Store()), node)


def _call_node(node, args):
    return gast.copy_location(gast.Call(func=node, args=args, keywords=[]), node)
