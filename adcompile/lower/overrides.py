"""A class's own `__setattr__` and `__getattribute__` (Python source): every `o.name = v` and
every `o.name` read of such an object goes through them, as in Python, and inside them
`object.__setattr__(self, name, v)` / `object.__getattribute__(self, name)` (also through
`super()`) are the plain store and read."""
from __future__ import annotations

import types

import gast

from ..ir import Const
from .scan import Record, Static, is_super


def own_method(cls, name):
    """The function a class of the user's (or a base of it) binds `name` to, where it is not
    object's; MISSING-like None where object's applies. A non-Python one is returned as is."""
    for klass in getattr(cls, "__mro__", ()):
        if name in vars(klass):
            method = vars(klass)[name]
            return None if klass is object or method is getattr(object, name) else method
    return None


class Overrides:
    """The attribute hooks of the user's classes."""

    def overridden(self, record, name, node):
        """The Python function record's class has for `name` (__setattr__ or __getattribute__),
        recorded as a dependency; None: object's own. Refused where the class's is not written
        in Python, or is one dataclasses wrote (a frozen dataclass's: handled elsewhere)."""
        if record.kind not in ("object", "dataclass"):
            return None
        self.defining(record.cls, name)  # (a dependency: a new derivative once it changes)
        method = own_method(record.cls, name)
        if method is None or isinstance(method, types.WrapperDescriptorType):
            return None  # (a C type's slot: SimpleNamespace's is the generic one)
        if isinstance(method, types.FunctionType) and method.__code__.co_filename.startswith("<"):
            return None  # (dataclasses' frozen __setattr__)
        if not isinstance(method, types.FunctionType):
            raise self.unsupported(node, f"{record.describe()}, whose class "
                                   f"{record.cls.__name__} has a {name} not written in Python",
                                   f"drop {name}, or read and assign plain fields")
        return method

    def setattr_override(self, record, target, value, env):
        """`o.name = v` where o's class defines __setattr__: the override called with the name
        and value (o after it), as Python does; None where there is none (a plain store)."""
        method = self.overridden(record, "__setattr__", target)
        if method is None:
            return None
        env = {**env, "<name>": Const(target.attr), "<value>": value}
        self.inline(method, _call(target, [_name("<name>", target), _name("<value>", target)]),
                    env, None, receiver=record)
        return self.receiver_after or record

    def getattribute_override(self, record, node, env):
        """`o.name` where o's class defines __getattribute__: its result, as Python gives;
        None where there is none."""
        method = self.overridden(record, "__getattribute__", node)
        if method is None:
            return None
        env = {**env, "<name>": Const(node.attr)}
        value = self.inline(method, _call(node, [_name("<name>", node)]), env, None,
                            receiver=record)
        self.receiver_changed(_call(node, []), node.value, record, self.receiver_after, env,
                              kind="__getattribute__ of")
        return value

    def method_through_getattribute(self, record, name, node):
        """`o.m(...)` where o's class defines __getattribute__: Python calls what it returns
        for "m", which lowering does not follow; refused. (An operator, m(x), bool(m): Python
        looks the special method up on the class, past __getattribute__.)"""
        if not (name.startswith("__") and name.endswith("__")) and \
                self.overridden(record, "__getattribute__", node) is not None:
            raise self.unsupported(node, f"calling the method .{name}() of {record.describe()},"
                                   f" whose class {record.cls.__name__} defines "
                                   "__getattribute__ (Python looks the method up through it)",
                                   "drop __getattribute__ (use a property for the field it "
                                   "changes), or call a plain function")

    def is_plain_setattr(self, node, env):
        """Whether `node` is `object.__setattr__(...)` or `super().__setattr__(...)`."""
        func = getattr(node, "func", None) if isinstance(node, gast.Call) else None
        if not isinstance(func, gast.Attribute) or func.attr != "__setattr__":
            return False
        if is_super(func.value):
            return True
        return isinstance(func.value, gast.Name) and func.value.id not in env and \
            self.expr(func.value, env) == Static(object)

    def plain_attribute(self, obj, node, env, target):
        """`object.__setattr__(o, name, v)` and `object.__getattribute__(o, name)` (name a
        string known here): the store and read that bypass o's class's own hooks."""
        setting = obj is object.__setattr__
        name = self.attribute_name(obj, node, env, 3 if setting else 2).value
        what = node.args[0] if node.args else None
        if len(node.args) != (3 if setting else 2) or not isinstance(what, gast.Name):
            raise self.unsupported(node, f"object.{obj.__name__} other than of a name and an "
                                   "attribute name" + (" and a value" if setting else ""),
                                   f"write object.{obj.__name__}(self, \"name\"" +
                                   (", value)" if setting else ")"))
        attribute = gast.copy_location(gast.Attribute(
            value=what, attr=name, ctx=gast.Store() if setting else gast.Load()), node)
        if not setting:
            base = self.expr(what, env)
            if type(base) is Record:
                return self.record_attribute(base, attribute, env, plain=True)
            return self.attribute(attribute, env, target)
        value = self.expr(node.args[2], env)
        self.store(attribute, value, env, plain=True)
        return Const(None)


def _name(name, node):
    return gast.copy_location(gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                        type_comment=None), node)


def _call(node, args):
    return gast.copy_location(gast.Call(func=node, args=args, keywords=[]), node)
