"""A disk cache of generated source, shared across processes: a second run of a script skips
parsing, lowering and differentiating and compiles the stored text.

An entry is a JSON file (text, never a pickle) named by the hash of what decides the generated
code: adcompile's own source files, NumPy's, SciPy's and Python's versions, the mode, argnums and
options, the function's source and what its code does. It holds the generated source, the text
compiled (with the user's places as comments), and a fingerprint of each global the
transformation read (a helper's source, a number's value, an array's dtype, shape and bytes, the
name of NumPy, math or SciPy, whose functions have rules and whose attributes the versions in the
key cover); an entry whose globals now differ, or that cannot be read, is ignored and written
again. The constants the generated code reads by
name (a weight matrix) are not stored: they are looked up again in the globals they came from.
Functions with a closure, and those reading globals of other kinds (a class instance, a dict, a
module of yours, whose inlined functions a name does not cover) are not cached.

Location: $ADCOMPILE_CACHE_DIR, else $XDG_CACHE_HOME/adcompile, else ~/.cache/adcompile.
ADCOMPILE_CACHE_DIR=off turns the cache off.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import os
import sys
import types

import numpy as np

from .compile import compile_text
from .depends import Defaults
from .parse import _fingerprint
from .primitives import BY_OBJECT

FORMAT = 1  # the entry format; a change makes every older entry a miss
_SCALARS = (bool, int, float, complex, str, type(None))
_RULE_MODULES = {"numpy", "math", "cmath", "scipy", "adcompile"}  # versions in the key


def folder() -> str | None:
    """The cache folder, or None when the cache is off."""
    where = os.environ.get("ADCOMPILE_CACHE_DIR")
    if where is not None:
        return None if where.strip().lower() in ("", "off", "0", "no", "false") else where
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "adcompile")


def load(f, mode, argnums, options):
    """(source, compiled function, dependencies, containers) from the cache, or None."""
    path = _path(f, mode, argnums, options)
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as file:
            entry = json.load(file)
        if entry["format"] != FORMAT:
            return None
        deps = []
        for module, name, fingerprint in entry["dependencies"]:
            scope = _globals(f, module)
            if scope is None or name not in scope or _print(scope[name]) != fingerprint:
                return None  # stale: a helper edited, a constant changed
            deps.append((scope, name, scope[name]))
        constants = {const: _globals(f, module)[name] for const, module, name in
                     entry["constants"]}
        compiled = compile_text(entry["text"], entry["name"], constants)
        return entry["source"], compiled, deps, tuple(entry["containers"])
    except Exception:  # missing, corrupt, or from an incompatible writer: rebuilt
        return None


def store(f, mode, argnums, options, fn, src, text):
    """Write the entry for the derivative `fn` with source `src` and compiled text `text` (see
    compile.located_source), if it can be cached."""
    path = _path(f, mode, argnums, options)
    if path is None:
        return
    dependencies, seen = [], set()
    for scope, name, obj in fn.dependencies:
        if type(scope) is Defaults:
            continue  # (a helper's defaults: its fingerprint is its text, as f's own)
        module = scope.get("__name__")
        if not isinstance(module, str) or _globals(f, module) is not scope:
            return  # a class, an object, a dict or list: no name to find it by again
        if scope is not f.__globals__ and module.split(".")[0] in _RULE_MODULES:
            continue  # np.sin, math.pi: NumPy's, SciPy's and adcompile's versions are the key
        fingerprint = _print(obj)
        if fingerprint is None:
            return
        if (module, name) not in seen:
            seen.add((module, name))
            dependencies.append((module, name, fingerprint))
    constants = []
    for const, value in fn.constants.items():
        found = [(scope["__name__"], name) for scope, name, obj in fn.dependencies
                 if obj is value and name == const]
        if not found:
            return  # read from a closure or built by lowering: not rebound from globals
        constants.append((const, *found[0]))
    entry = {"format": FORMAT, "name": fn.name, "source": src, "text": text,
             "dependencies": dependencies, "constants": constants,
             "containers": list(fn.containers)}
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(entry, file)
        os.replace(temporary, path)  # atomic: another process may write the same entry
    except OSError:
        pass


def _path(f, mode, argnums, options):
    """The entry's file, or None if `f` is not cached (cache off, a closure, no source).
    `options`: what else the text depends on (api.compile_derivative's optimize and final)."""
    where = folder()
    if where is None or hasattr(f, "__adcompile__") or getattr(f, "__closure__", None) or \
            not isinstance(getattr(f, "__globals__", None), dict):
        return None
    try:
        text = inspect.getsource(getattr(f, "__code__", f))  # (f's own, not what it wraps)
    except (OSError, TypeError):
        return None
    code = f.__code__
    defaults = (f.__defaults__ or (), tuple(sorted((f.__kwdefaults__ or {}).items())))
    if not all(type(v) in _SCALARS for v in defaults[0] + tuple(v for _, v in defaults[1])):
        return None
    scipy = getattr(sys.modules.get("scipy"), "__version__", None)
    key = repr((FORMAT, _own_source(), np.__version__, scipy, sys.version_info[:3], mode, argnums,
                options, f.__module__, f.__qualname__, code.co_filename, code.co_firstlineno,
                text, _fingerprint(code), defaults))
    return os.path.join(where, hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")


def _globals(f, module):
    """The globals of `module`: f's own, or those of a module imported under that name."""
    if f.__globals__.get("__name__") == module:
        return f.__globals__
    found = sys.modules.get(module)
    return vars(found) if found is not None else None


def _print(obj):
    """A fingerprint of a global the transformation read, or None if it cannot have one."""
    if isinstance(obj, types.ModuleType):  # its functions are rules (whose text is adcompile's);
        # a module of yours may have had a function inlined, whose text a name does not cover
        trusted = obj.__name__.split(".")[0] in _RULE_MODULES
        return f"module {obj.__name__}" if trusted else None
    if type(obj) in _SCALARS:
        return f"{type(obj).__name__} {obj!r}"
    if type(obj) is tuple and all(type(v) in _SCALARS for v in obj):
        return f"tuple {obj!r}"
    if type(obj) is np.ndarray and obj.dtype.kind in "biufc":
        return f"array {obj.dtype.str} {obj.shape} {hashlib.sha1(obj.tobytes()).hexdigest()}"
    if isinstance(obj, types.FunctionType):
        if obj.__closure__ or (_hashable(obj) and obj in BY_OBJECT and
                               not obj.__module__.startswith("adcompile.")):
            return None  # a closure; a user's function with a rule: the rule is not in its text
        try:
            text = inspect.getsource(obj.__code__)
        except (OSError, TypeError):
            return None
        return "function " + hashlib.sha1(repr((obj.__module__, obj.__qualname__, text,
                                                _fingerprint(obj.__code__))).encode()).hexdigest()
    if isinstance(obj, (types.BuiltinFunctionType, np.ufunc)):
        return f"builtin {getattr(obj, '__module__', None)}.{obj.__name__}"
    return None


def _hashable(obj):
    try:
        hash(obj)
    except TypeError:
        return False
    return True


_OWN: list[str] = []


def _own_source():
    """A hash of adcompile's own modules: generated code changes with them, not with a version."""
    if not _OWN:
        h = hashlib.sha256()
        package = os.path.dirname(os.path.abspath(__file__))
        for folder, dirs, files in sorted(os.walk(package)):  # subpackages (lower/) too
            dirs.sort()
            for name in sorted(files):
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    with open(path, "rb") as file:
                        h.update(os.path.relpath(path, package).encode() + b"\0" + file.read())
        _OWN.append(h.hexdigest())
    return _OWN[0]
