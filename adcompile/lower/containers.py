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
import types

import gast

from ..ir import Const, Var
from ..pytree import Tree, _Static
from .scan import Record, Static


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


def output_tree(value, leaves) -> Tree:
    """The structure of a returned value; its numbers and arrays are appended to `leaves`."""
    if type(value) is tuple:
        return Tree("tuple", tuple, (), tuple(output_tree(v, leaves) for v in value))
    if type(value) is Record:
        return Tree(value.kind, value.cls, value.keys,
                    tuple(output_tree(v, leaves) for v in value.values))
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
        if type(index) is not Const:
            raise self.unsupported(node, f"indexing {record.describe()} with a value computed at "
                                   "run time", "use a constant key (p['W']) or loop over "
                                   ".items()")
        if record.kind == "namedtuple":
            return record.values[index.value]
        if record.kind != "dict":
            raise self.unsupported(node, f"indexing {record.describe()}",
                                   "read its fields as attributes")
        return self.field(record, index.value, node)

    def record_attribute(self, record, node, env):
        if record.kind != "dict" and record.has(node.attr):
            return record.get(node.attr)
        cls = record.cls
        prop = getattr(cls, node.attr, None) if record.kind != "dict" else None
        if isinstance(prop, property) and isinstance(prop.fget, types.FunctionType):
            return self.inline(prop.fget, _call_node(node, []), env, None, receiver=record)
        raise self.unsupported(node, f"the attribute .{node.attr} of {record.describe()}",
                               f"its fields are {', '.join(map(str, record.keys)) or 'none'}")

    def record_method(self, record, func, node, env, target):
        """`p.items()`, `p.get("W")`, `s._replace(W=...)`, `m.loss(x)`."""
        name, args = func.attr, node.args
        if record.kind == "dict" and name in ("items", "keys", "values") and not args:
            pairs = tuple(zip((Const(k) for k in record.keys), record.values))
            return {"items": pairs, "keys": tuple(p[0] for p in pairs),
                    "values": record.values}[name]
        if record.kind == "dict" and name == "get" and args:
            key = self.expr(args[0], env)
            if type(key) is not Const:
                raise self.unsupported(node, "dict.get with a computed key")
            default = self.expr(args[1], env) if len(args) > 1 else Const(None)
            return record.get(key.value, default) if record.has(key.value) else default
        if record.kind == "dict" and name == "copy" and not args:
            return record
        if record.kind == "namedtuple" and name == "_replace" and not args:
            return self.replaced(record, node, env)
        if record.kind == "namedtuple" and name == "_asdict" and not args:
            return Record("dict", dict, record.keys, record.values)
        method = getattr(record.cls, name, None) if record.kind != "dict" else None
        if isinstance(method, (staticmethod, classmethod)):
            method = getattr(record.cls, name)
        if isinstance(method, types.FunctionType):
            receiver = record if not isinstance(
                record.cls.__dict__.get(name), staticmethod) else None
            value = self.inline(method, node, env, target, receiver=receiver)
            after = self.receiver_after
            if receiver is not None and after is not None and after != record and \
                    isinstance(func.value, gast.Name):  # the method changed self's fields
                env[func.value.id] = after
            return value
        raise self.unsupported(node, f"the method .{name}() of {record.describe()}")

    def record_store(self, record, target, value_node, env):
        """`p["W"] = v` or `self.W = v`: the name now holds a record with that field replaced."""
        if isinstance(target, gast.Attribute):
            if record.kind == "dict":
                raise self.unsupported(target, "setting an attribute of a dict")
            return record.replace(target.attr, self.expr(value_node, env))
        key = self.expr(target.slice, env)
        if record.kind != "dict" or type(key) is not Const:
            raise self.unsupported(target, f"assigning an item of {record.describe()}"
                                   + (" at a key computed at run time" if record.kind == "dict"
                                      else ""))
        return record.replace(key.value, self.expr(value_node, env))

    def replaced(self, record, node, env):
        """dataclasses.replace(s, W=...) and s._replace(W=...): a new record."""
        for k in node.keywords:
            if k.arg is None or not record.has(k.arg):
                raise self.unsupported(node, f"replacing {k.arg!r}, not a field of "
                                       f"{record.describe()}")
            record = record.replace(k.arg, self.expr(k.value, env))
        return record

    def construct(self, cls, node, env, target):
        """A container made by calling its class: dict(...), a namedtuple or dataclass class, or a
        class of the user's with an __init__ written in Python. None: `cls` is none of them."""
        if cls is dict:
            record = Record("dict", dict, (), ())
            if node.args:
                base = self.expr(node.args[0], env)
                if type(base) is not Record or base.kind != "dict":
                    raise self.unsupported(node, "dict() of something other than a dict")
                record = base
            for k in node.keywords:
                record = record.replace(k.arg, self.expr(k.value, env))
            return record
        if _is_namedtuple_class(cls):
            return Record("namedtuple", cls, tuple(cls._fields), self.bind_fields(
                node, env, list(cls._fields), dict(getattr(cls, "_field_defaults", {})), cls))
        if dataclasses.is_dataclass(cls) and isinstance(cls, type):
            fields = [f for f in dataclasses.fields(cls) if f.init]
            defaults = {f.name: f.default for f in fields
                        if f.default is not dataclasses.MISSING}
            values = self.bind_fields(node, env, [f.name for f in fields], defaults, cls)
            record = Record("dataclass", cls, tuple(f.name for f in fields), values)
            post = getattr(cls, "__post_init__", None)
            if isinstance(post, types.FunctionType):
                self.inline(post, _call_node(node, []), env, None, receiver=record)
                record = self.receiver_after or record
            return record
        init = cls.__dict__.get("__init__") if isinstance(cls, type) else None
        if isinstance(init, types.FunctionType):
            record = Record("object", cls, (), ())
            self.inline(init, node, env, None, receiver=record)
            return self.receiver_after or record
        return None

    def bind_fields(self, node, env, names, defaults, cls):
        if len(node.args) > len(names):
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
                values.append(self.outer(name, defaults[name]))
            else:
                raise self.unsupported(node, f"{cls.__name__}() without {name}")
        return tuple(values)

    def dict_display(self, node, env):
        record = Record("dict", dict, (), ())
        for key, value in zip(node.keys, node.values):
            if key is None:  # {**p, "W": W}
                base = self.expr(value, env)
                if type(base) is not Record or base.kind != "dict":
                    raise self.unsupported(node, "** of something other than a dict")
                for k, v in zip(base.keys, base.values):
                    record = record.replace(k, v)
                continue
            k = self.expr(key, env)
            if type(k) is not Const:
                raise self.unsupported(node, "a dict with a key computed at run time",
                                       "use constant keys")
            record = record.replace(k.value, self.expr(value, env))
        return record


def _call_node(node, args):
    return gast.copy_location(gast.Call(func=node, args=args, keywords=[]), node)
