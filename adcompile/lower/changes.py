"""What a call may change in place: the parameters (and free names) that a function of the
user's changes, by assigning an item or attribute, calling a list's or array's mutating method
or a method of an object, or by passing them on to another function that changes them. Library
functions are taken not to change their arguments: those that do are refused where they are
called for their effect (Statements). Inlining writes such changes back to the caller, and a
loop carries a name a call changes."""
from __future__ import annotations

import builtins
import copy as copy_module
import os
import sysconfig
import types

import gast
import numpy as np

from ..errors import PACKAGE, STAND_INS_FILE, ADCompileError
from ..parse import parse
from .scan import (MUTATORS, LocalFunction, augments, changes_in_place, loop_names, rebound_names,
                   uncached)

# the folders of the standard library and of installed packages, each ending in a separator
LIBRARY = tuple(sorted({os.path.join(os.path.realpath(p), "") for key, p in
                        sysconfig.get_paths().items()
                        if key in ("stdlib", "platstdlib", "purelib", "platlib")}))

# methods that leave their array, string, list or dict as it was (x.sum(), k.upper(), d.get())
READING = frozenset(n for n in dir(np.ndarray) + dir(str) + dir(list) + dir(dict)
                    if not n.startswith("_")) - MUTATORS - {
    "fill", "put", "resize", "itemset", "partition", "setfield", "setflags", "byteswap"}


def in_library(filename) -> bool:
    """Whether `filename` is part of the standard library or of an installed package."""
    return bool(filename) and os.path.realpath(filename).startswith(LIBRARY)


def library_place(filename) -> str:
    """`filename` inside the library folder that holds it (numpy/lib/_function_base_impl.py)."""
    place = os.path.realpath(filename)
    return next((place[len(p):] for p in sorted(LIBRARY, key=len, reverse=True)
                 if place.startswith(p)), place)


PARSED: dict = {}  # a function -> function_of's answer, during one lowering (lower() empties it)


def function_of(obj):
    """(gast FunctionDef, the names its body reads from outside) of a function of the user's (a
    nested def, a module's function, a method); None for a library's, adcompile's own helpers, a
    builtin, a value. Each function is parsed once per lowering: the look-aheads ask about the
    same ones often."""
    if isinstance(obj, LocalFunction):
        node = obj.node
        return (node, {**obj.parsed.scope, **obj.env}) if isinstance(node, gast.FunctionDef) \
            else None
    obj = uncached(getattr(obj, "__func__", obj))
    if not isinstance(obj, types.FunctionType) or in_library(obj.__code__.co_filename):
        return None
    where = obj.__code__.co_filename  # (adcompile's helpers in generated code change nothing)
    if where.startswith(PACKAGE) and where != STAND_INS_FILE:
        return None
    if obj not in PARSED:
        try:
            parsed = parse(obj)
            PARSED[obj] = parsed.node, parsed.scope
        except ADCompileError:
            PARSED[obj] = None
    return PARSED[obj]


def changes(fn, scope, name, seen=frozenset(), lists=False):
    """Whether the function `fn` (a gast FunctionDef whose outside names are `scope`) may change
    in place what its parameter or free name `name` holds; with `lists` (it holds a list),
    `name += [v]` and `name *= 2` count, as list.__iadd__ changes the list."""
    local = {a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs} | \
        rebound_names(fn.body)  # (these shadow the globals of their names)
    body = before_own_copy(fn.body, name, scope, lists, local)
    if changes_in_place(body, name, through_calls=False) or lists and augments(body, name):
        return True
    key = (fn.name, getattr(fn, "lineno", None), getattr(fn, "col_offset", None), name)
    if key in seen:  # (a function parsed again is a new node: known by its place)
        return False
    seen = seen | {key}
    names = loop_names(body, name)
    for call in (n for s in body for n in gast.walk(s) if isinstance(n, gast.Call)):
        f = call.func
        if isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name) and \
                f.value.id in names and f.attr not in READING:
            return True  # a method of an object (osc.step(), for b in bs: b.step()) may
        passed = [k for k, a in enumerate(call.args) if isinstance(a, gast.Name) and
                  a.id == name] + [k.arg for k in call.keywords
                                   if isinstance(k.value, gast.Name) and k.value.id == name]
        callee = function_of(_value(scope.get(f.id))) if passed and \
            isinstance(f, gast.Name) else None
        if callee is None:
            continue
        node, inner = callee
        params = [a.id for a in node.args.posonlyargs + node.args.args]
        for k in passed:
            p = params[k] if type(k) is int and k < len(params) else k if type(k) is str \
                else None
            if p is not None and changes(node, inner, p, seen, lists):
                return True
    return False


def before_own_copy(body, name, scope, lists=False, local=frozenset()):
    """The statements of a function's body up to where it binds `name` to a copy of its own
    (`X = X.copy()`, `np.array(X)`, `X + 0`) at its top level: after that, changing X changes
    the copy, not what the caller passed. A copy of a list shares its items, so writes into
    them after it (`xs[0][1] = v`, `xs[0] += v`) keep the whole body. `lists`: X holds a list;
    `local`: the function's own names, which hide globals of those names."""
    for k, s in enumerate(body):
        target = s.targets[0] if isinstance(s, gast.Assign) and len(s.targets) == 1 else \
            s.target if isinstance(s, gast.AnnAssign) and s.value is not None else None
        if isinstance(target, gast.Name) and target.id == name:
            kind = _copy_kind(s.value, scope, lists, local)
            deep = kind == "deep" or kind == "shallow" and not _into_items(body[k + 1:], name)
            return body[:k] if deep else body
    return body


def _copy_kind(node, scope, lists, local):
    """"deep" for a new value sharing nothing with what it is made of (np.array(x), np.copy(x),
    copy.deepcopy(x), an array's x.copy(), x.astype(t), x.flatten() or x + 0), "shallow" for a
    new container sharing its items (list(x), dict(x), copy.copy(x), a list's x.copy() or
    x + []), None otherwise. `local`: the function's own names (not the globals of theirs)."""
    if isinstance(node, (gast.BinOp, gast.UnaryOp)):
        return "shallow" if lists else "deep"
    if not isinstance(node, gast.Call):
        return None
    f = node.func
    called = _value(scope.get(f.id, getattr(builtins, f.id, None))) if isinstance(
        f, gast.Name) and f.id not in local else None
    if called in (list, dict):
        return "shallow"
    if called in (np.array, np.copy) and not any(k.arg == "copy" for k in node.keywords):
        return "deep"  # (from numpy import array)
    if not isinstance(f, gast.Attribute):
        return None
    owner = _value(scope.get(f.value.id)) if isinstance(f.value, gast.Name) and \
        f.value.id not in local else None
    if owner is np and f.attr in ("array", "copy") and not any(
            k.arg == "copy" for k in node.keywords):
        return "deep"
    if owner is copy_module:
        return {"deepcopy": "deep", "copy": "shallow"}.get(f.attr)
    if f.attr == "copy" and not node.args and owner is None:  # x.copy()
        return "shallow" if lists else "deep"
    if f.attr in ("astype", "flatten") and owner is None and not lists and not any(
            k.arg == "copy" for k in node.keywords):
        return "deep"  # (an array's: a list has neither)
    return None


def _into_items(stmts, name):
    """Whether statements may change an item of what `name` holds in place, or pass it to a
    call (which may): a shallow copy shares its items with the value it was made of."""
    if any(changes_in_place(stmts, other, through_calls=False) or augments(stmts, other)
           for other in loop_names(stmts, name) - {name}):
        return True
    for n in (n for s in stmts for n in gast.walk(s)):
        node, depth = (n.target, 1) if isinstance(n, gast.AugAssign) else \
            (n, 0) if isinstance(n, (gast.Subscript, gast.Attribute)) and \
            isinstance(n.ctx, gast.Store) else (n.func, 0) if isinstance(n, gast.Call) and \
            isinstance(n.func, gast.Attribute) else (None, 0)
        while isinstance(node, (gast.Subscript, gast.Attribute)):
            node, depth = node.value, depth + 1
        if isinstance(node, gast.Name) and node.id == name and depth >= 2:
            return True  # xs[0][1] = v, xs[0] += v, xs[0].append(v)
        if isinstance(n, gast.Call) and any(
                isinstance(a, gast.Name) and a.id == name for a in n.args):
            return True
    return False


def _value(v):
    """A scope's entry as an object: a lowering value Static(f) is f."""
    return getattr(v, "obj", v)
