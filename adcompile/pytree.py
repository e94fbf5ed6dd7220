"""Containers at the boundary: arguments that are dicts, lists, tuples, namedtuples, dataclass
instances or objects of the user's own classes, nested, holding numbers and arrays.

`flatten(value)` gives the leaves and a `Tree` describing the structure; the derivative is compiled
once per structure, for a function whose parameters are the leaves (named after their path:
`p["W"]` is `p_W`, `layers[0][1]` is `layers_0_1`), and `unflatten` rebuilds the user's structure
around the gradients. Conventions (as JAX's, except that dataclasses and plain objects need no
registration):
  * a floating-point or complex leaf (a float, a float array, an array of another library) gets a
    gradient; an integer array is passed at run time but gets none (None in its place);
  * an int or a bool field (a layer count, a flag), a string, None, a function, a class or a
    module is part of the structure: a constant of the compiled code (another value compiles
    again), with None in its place in the gradient;
  * any other object (a random Generator) is passed at run time, without a gradient.
"""
from __future__ import annotations

import collections
import dataclasses
import enum
import keyword
import re
import types
from dataclasses import dataclass

import numpy as np

NUMBERS = (bool, int, float, complex, np.generic)
DIFF_KINDS = "fc"  # dtype kinds that get a gradient


@dataclass(frozen=True)
class Tree:
    """The structure of a value. kind: "leaf" (a number or array: `diff` says whether it gets a
    gradient), "static" (`cls` holds the value), "tuple", "list", "dict", "namedtuple",
    "dataclass" or "object" (`cls` the class, `keys` the field names or dict keys)."""
    kind: str
    cls: object = None
    keys: tuple = ()
    children: tuple = ()
    diff: bool = False
    factory: object = None  # a defaultdict's default_factory (as a _Static)

    def leaves(self):
        """The leaf nodes in order (static ones are not leaves)."""
        if self.kind == "leaf":
            return [self]
        return [leaf for c in self.children for leaf in c.leaves()]

    def is_plain(self):
        return self.kind == "leaf"


class _Static:
    """A static value as part of a Tree: compared by equality when it can be, else identity."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def _key(self):
        try:
            hash(self.value)
            return (type(self.value), self.value)
        except TypeError:
            return (type(self.value), id(self.value))

    def __eq__(self, other):
        return type(other) is _Static and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())


def is_leaf(x) -> bool:
    """A number or an array (NumPy's or another library's that speaks NumPy's protocols; a
    class setting `__array_ufunc__ = None` opts out of them, as NumPy reads it)."""
    return isinstance(x, NUMBERS + (np.ndarray,)) or \
        getattr(type(x), "__array_function__", None) is not None or \
        getattr(type(x), "__array_ufunc__", None) is not None or \
        hasattr(x, "__cuda_array_interface__")


def is_diff(x) -> bool:
    if isinstance(x, (float, complex, np.floating, np.complexfloating)):
        return True
    if isinstance(x, (bool, int, np.integer, np.bool_)):
        return False
    kind = getattr(getattr(x, "dtype", None), "kind", "f")
    return kind in DIFF_KINDS


def is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_object(x) -> bool:
    """An instance of a class written in Python whose fields are data: a user's model."""
    if isinstance(x, (type, types.ModuleType, types.FunctionType, types.MethodType,
                      types.BuiltinFunctionType, np.ufunc, enum.Enum)):  # (an Enum: a constant)
        return False
    module = getattr(type(x), "__module__", "") or ""
    return (hasattr(x, "__dict__") or bool(_slots(x))) and module.split(".")[0] not in (
        "builtins", "numpy", "scipy", "functools")


def _slots(x) -> tuple:
    """The fields of an object of a class with __slots__ (and no __dict__) that hold a value."""
    if hasattr(x, "__dict__"):
        return ()
    names = [n for c in type(x).__mro__ for n in (
        (c.__dict__.get("__slots__", ()),) if isinstance(c.__dict__.get("__slots__"), str)
        else c.__dict__.get("__slots__", ())) if n not in ("__dict__", "__weakref__")]
    return tuple(n for n in dict.fromkeys(names) if hasattr(x, n))


def fields(x) -> tuple:
    """The names of an object's fields: its __dict__'s, or its __slots__' that hold a value."""
    return tuple(vars(x)) if hasattr(x, "__dict__") else _slots(x)


def flatten(x) -> tuple[list, Tree]:
    leaves: list = []
    if is_leaf(x):  # an argument that is a number or an array itself (an int too)
        leaves.append(x)
        return leaves, Tree("leaf", diff=is_diff(x))
    return leaves, _flatten(x, leaves)


def constant_tree(x) -> Tree:
    """The structure of `x` taken as a constant (an int argument check_grads holds still)."""
    return Tree("static", _Static(x))


def _flatten(x, leaves):
    if isinstance(x, (bool, int, np.integer, np.bool_)):  # a layer count, a flag
        return Tree("static", _Static(x))
    if is_leaf(x):
        leaves.append(x)
        return Tree("leaf", diff=is_diff(x))
    if is_namedtuple(x):
        return Tree("namedtuple", type(x), tuple(type(x)._fields),
                    tuple(_flatten(v, leaves) for v in x))
    if type(x) in (tuple, list):
        return Tree(type(x).__name__, type(x), (), tuple(_flatten(v, leaves) for v in x))
    if isinstance(x, dict):
        keys = tuple(x)
        factory = _Static(x.default_factory) if isinstance(x, collections.defaultdict) \
            else None
        return Tree("dict", type(x), keys, tuple(_flatten(x[k], leaves) for k in keys),
                    factory=factory)
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        names = tuple(f.name for f in dataclasses.fields(x))
        return Tree("dataclass", type(x), names,
                    tuple(_flatten(getattr(x, n), leaves) for n in names))
    if is_object(x):
        names = fields(x)
        return Tree("object", type(x), names, tuple(_flatten(getattr(x, n), leaves)
                                                     for n in names))
    if isinstance(x, (str, bytes, type(None), type, types.ModuleType, enum.Enum)) or \
            callable(x):
        return Tree("static", _Static(x))
    leaves.append(x)  # another library's object (a random Generator): passed at run time
    return Tree("leaf", diff=False)


def held_twice(values, names):
    """(place, place, kind) of the first dict, list or object at two places of the arguments
    `values` (named `names`), or None: changed in place at one, Python changes it at both."""
    seen: dict = {}
    todo = list(zip(values, names))[::-1]
    while todo:
        x, place = todo.pop()
        if is_leaf(x) or isinstance(x, (bool, int, str, bytes, type(None), type,
                                         types.ModuleType)) or callable(x):
            continue
        if not isinstance(x, tuple) and (isinstance(x, (list, dict)) or
                                         dataclasses.is_dataclass(x) or is_object(x)):
            if id(x) in seen:
                return seen[id(x)][1], place, type(x).__name__
            seen[id(x)] = x, place  # (x kept: its id is not reused)
        if isinstance(x, (tuple, list)):
            parts = [(v, f"{place}[{k}]") for k, v in enumerate(x)]
        elif isinstance(x, dict):
            parts = [(v, f"{place}[{k!r}]") for k, v in x.items()]
        elif dataclasses.is_dataclass(x):
            parts = [(getattr(x, f.name), f"{place}.{f.name}") for f in dataclasses.fields(x)]
        elif is_object(x):
            parts = [(getattr(x, n), f"{place}.{n}") for n in fields(x)]
        else:
            parts = []
        todo += parts[::-1]
    return None


def unflatten(tree: Tree, leaves, only_diff=False):
    """The structure `tree` around `leaves` (an iterator or list). With only_diff, `leaves` holds
    values for the differentiable leaves only; every other place holds None."""
    return _unflatten(tree, iter(leaves), only_diff)


def _unflatten(tree, it, only_diff):
    kind = tree.kind
    if kind == "leaf":
        return next(it) if tree.diff or not only_diff else None
    if kind == "static":
        return None if only_diff else tree.cls.value
    values = [_unflatten(c, it, only_diff) for c in tree.children]
    if kind in ("tuple", "list"):
        return tree.cls(values)
    if kind == "namedtuple":
        return tree.cls(*values)
    if kind == "dict":
        if tree.factory is not None:
            return tree.cls(tree.factory.value, zip(tree.keys, values))
        try:
            return tree.cls(zip(tree.keys, values))
        except TypeError:  # a dict subclass with another constructor
            return dict(zip(tree.keys, values))
    obj = _blank(tree.cls)  # a dataclass or object of gradients: no __init__ runs
    for name, value in zip(tree.keys, values):
        object.__setattr__(obj, name, value)
    return obj


def _blank(cls):
    """An instance of `cls` without its __init__: object.__new__'s, or where a class written in
    C refuses that (types.SimpleNamespace), the class's own __new__'s."""
    try:
        return object.__new__(cls)
    except TypeError:
        return cls.__new__(cls)


def leaf_names(name: str, tree: Tree) -> list[str]:
    """Readable names for the leaves of parameter `name`: p_W, layers_0_1, m_W."""
    out: list = []
    _names(name, tree, out)
    return out


def _names(prefix, tree, out):
    if tree.kind == "leaf":
        out.append(prefix)
        return
    keys = tree.keys if tree.kind in ("dict", "dataclass", "object", "namedtuple") else \
        range(len(tree.children))
    for key, child in zip(keys, tree.children):
        _names(f"{prefix}_{_identifier(key)}", child, out)


def _identifier(key) -> str:
    text = re.sub(r"\W+", "_", str(key)).strip("_") or "k"
    return text if not keyword.iskeyword(text) else text + "_"



def match(tree: Tree, like, value, where: str, of: str, strict=True, at=(None, None)) -> list:
    """The leaves of `value` (a tangent or a cotangent) in the order of `tree`, the structure of
    `like` (the primal's or the output's leaves): a dict's entries found by key, a tuple's by
    position, an object's fields by name; one entry per leaf of `tree`. Strict: a structure or a
    leaf's shape that differs from `like`'s raises ArgumentError naming the place (`where`, then
    the path into it) and both (`of`: what `like` is); else (derivative code's own results)
    values are taken as they come. `at`: (file, line) of the function, for the error."""
    out: list = []
    _match(tree, iter(like), value, (where, of, at), "", out, strict)
    return out


def _match(tree, like, value, place, path, out, strict):
    kind = tree.kind
    if kind == "static":
        return
    if kind == "leaf":
        primal = next(like)
        if strict and tree.diff:
            if value is None or not is_leaf(value):
                _differs(place, path, f"an array of shape {np.shape(primal)}", value)
            if np.shape(value) != np.shape(primal):
                _differs(place, path, f"shape {np.shape(primal)}", value,
                         f"shape {np.shape(value)}")
            if np.iscomplexobj(value) and not np.iscomplexobj(primal):
                _complex_for_real(place, path)
        out.append(value)
        return
    if kind == "dict":
        if not isinstance(value, dict):
            _differs(place, path, f"a dict with keys {list(tree.keys)}", value)
        if strict and set(value) != set(tree.keys):
            _differs(place, path, f"a dict with keys {list(tree.keys)}", value,
                     f"a dict with keys {list(value)}")
        for key, child in zip(tree.keys, tree.children):
            _match(child, like, value.get(key), place, f"{path}[{key!r}]", out, strict)
    elif kind in ("tuple", "list", "namedtuple"):
        what = f"a {tree.cls.__name__} of length {len(tree.children)}"
        if not isinstance(value, (tuple, list)):
            _differs(place, path, what, value)
        if len(value) != len(tree.children):
            _differs(place, path, what, value, f"a {type(value).__name__} of length {len(value)}")
        fields_ = getattr(type(value), "_fields", None)  # a namedtuple of other fields: by
        if strict and kind == "namedtuple" and (fields_ is None or  # position, they would be
                                                tuple(fields_) != tuple(tree.cls._fields)):
            _differs(place, path, f"a {tree.cls.__name__} with fields {tree.cls._fields}", value,
                     f"a {type(value).__name__}" + (f" with fields {tuple(fields_)}" if fields_
                                                    else ""))  # (swapped; a tuple, as JAX)
        for i, child in enumerate(tree.children):
            _match(child, like, value[i], place, f"{path}[{i}]", out, strict)
    else:  # a dataclass or an object: its fields by name
        if strict and not isinstance(value, tree.cls):
            _differs(place, path, f"a {tree.cls.__name__}", value)
        for name, child in zip(tree.keys, tree.children):
            _match(child, like, getattr(value, name, None), place, f"{path}.{name}", out, strict)


def _complex_for_real(place, path):
    """A complex tangent of a real primal, or cotangent of a real output: refused as JAX refuses
    it (the derivative of a real function is a real-linear map; taken along a complex value, a
    rule reading np.real or np.conj of it would give a wrong value, and a pullback would drop
    the imaginary part)."""
    from .errors import ArgumentError
    where, of, at = place
    combined = "pullback(a) + 1j * pullback(b)" if "cotangent" in where else \
        "jvp(f, primals, (a,))[1] + 1j * jvp(f, primals, (b,))[1]"
    raise ArgumentError(f"{where}{path} is complex, but {of}{path} is real, so it must be real "
                        "too (a float or a float array), as JAX requires; for a complex "
                        f"a + 1j * b, pass a and b apart and combine the results: {combined}",
                        *at)


def _differs(place, path, expected, value, given=None):
    from .errors import ArgumentError
    where, of, at = place
    given = given or ("None" if value is None else f"a {type(value).__name__}")
    raise ArgumentError(f"{where}{path} must match {of}{path}: it should be {expected}, but it "
                        f"is {given}", *at)
