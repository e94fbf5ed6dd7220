"""What a derivative depends on besides its code: each value the transformation read from outside
the function (a global, a module's or class's attribute, a field of a global object, a function
in a global dict or list) and baked into the generated code, as a number, a loop's trip count, a
branch taken, a function inlined or called. The cache serves a derivative only while each still
reads the same (api.compile_derivative); a change builds a new one.

A dependency is `(scope, name, value)`: `scope.get(name, MISSING)` reads it again. A scope is a
module's or a function's globals (a dict, which the disk cache can name), a global dict, or one
of the views below for what has no dict of its own to look in (an object's attributes, found
through its class and bases, properties and slots; a list's items).
"""
from __future__ import annotations

import itertools
import types

MISSING = object()  # what a scope holds for a name it lacks (a dependency on its absence too)

_NUMBERS = (bool, int, float, complex, str)


class Attributes:
    """`getattr(owner, name)` as a scope: reads what the lowering read, wherever Python finds it
    (the instance, its class or a base, a property, a slot, a metaclass), so a change anywhere
    along that path is seen."""
    __slots__ = ("owner",)

    def __init__(self, owner):
        self.owner = owner

    def get(self, name, default=None):
        try:
            return getattr(self.owner, name, default)
        except Exception:  # a property that fails now: changed (the build says how)
            return default


class Items:
    """A list's (or tuple's) items as a scope: `BASIS[0]` read again."""
    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items

    def get(self, index, default=None):
        try:
            return self.items[index]
        except (IndexError, TypeError):
            return default


class Keys:
    """A dict's keys, in order, as a scope: its k-th key read again (a loop over a global dict,
    whose keys are known where the function is transformed)."""
    __slots__ = ("items",)

    def __init__(self, table):
        self.items = table

    def get(self, index, default=None):
        if type(index) is not int or not 0 <= index < len(self.items):
            return default
        return next(itertools.islice(iter(self.items), index, None))


class Cells:
    """A function's closure as a scope: the enclosing function's variable `name` read again (a
    helper reading `lam` from the function that defined it)."""
    __slots__ = ("owner",)

    def __init__(self, owner):
        self.owner = owner

    def get(self, name, default=None):
        cells = dict(zip(self.owner.__code__.co_freevars, self.owner.__closure__ or ()))
        try:
            return cells[name].cell_contents
        except (KeyError, ValueError):  # (an empty cell: not assigned yet)
            return default


class Defaults:
    """A function's `__defaults__` and `__kwdefaults__` as a scope: replaced, they are new
    objects. (The disk cache leaves them out: a function's fingerprint is its text.)"""
    __slots__ = ("owner",)

    def __init__(self, owner):
        self.owner = owner

    def get(self, name, default=None):
        return getattr(self.owner, name, default)


def of_helper(f):
    """What inlining the user's function `f` depends on besides its code and its globals: the
    variables of its closure and its defaults (the differentiated function's own are compared
    by api._made_of)."""
    cells = Cells(f)
    deps = [(cells, name, cells.get(name, MISSING)) for name in f.__code__.co_freevars]
    if f.__defaults__ or f.__kwdefaults__:
        deps += [(Defaults(f), name, getattr(f, name))
                 for name in ("__defaults__", "__kwdefaults__")]
    return deps


def scope_of(owner, name):
    """The scope `owner.name` is read again from: a module's own dict where it holds the name
    (cheapest, and one the disk cache can name), else the attribute view (a class, an object,
    a module's `__getattr__`)."""
    if isinstance(owner, types.ModuleType) and name in vars(owner):
        return vars(owner)
    return Attributes(owner)


def unchanged(deps):
    """Every value the derivative was built from still reads the same: the same object, or one
    that gives the same code (`_equal`)."""
    for scope, name, then in deps:
        now = scope.get(name, MISSING)
        if now is not then and not _equal(now, then):
            return False
    return True


def _equal(now, then):
    """Read again, not the same object but the same derivative: a number of the same type and
    text (a property computes it anew at each read; -0.0 and 0.0 differ), or a method bound to
    the same object (`Cfg.make`, a classmethod, is bound anew at each read)."""
    kind = type(now)
    if kind is not type(then):
        return False
    if kind in _NUMBERS:
        return repr(now) == repr(then)
    if kind is types.MethodType:
        return now.__func__ is then.__func__ and now.__self__ is then.__self__
    if kind is types.BuiltinMethodType:  # ACTS.get: the same dict's method
        return getattr(now, "__self__", None) is getattr(then, "__self__", None) and \
            now.__name__ == then.__name__
    return False


def distinct(deps):
    """Each dependency once (a name read at each use is recorded at each): the check runs at
    every grad(f), so its length is the number of values read, not of reads."""
    seen, out = set(), []
    for scope, name, value in deps:
        key = (id(getattr(scope, "owner", getattr(scope, "items", scope))), type(scope), name,
               id(value))
        if key not in seen:
            seen.add(key)
            out.append((scope, name, value))
    return out
