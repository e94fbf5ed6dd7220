"""Export a generated derivative as a standalone Python module that needs only NumPy (and SciPy
where a SciPy function's rules call SciPy).

The module holds the generated function, the constants it captured from the user's globals and
closures (arrays written out exactly), and a copy of every helper it calls from adcompile's
`runtime` and `numerics` modules (and of functions a rule was registered for), found by
following the names each one reads, those it imports from adcompile inside a function too; what
they read from their modules is written out (values, `act = np.tanh`) or imported (SciPy's, the
standard library's). A value that cannot be written, or one name standing for two values, is
refused (ExportError, at the line reading it). Nothing in the module imports adcompile:

    adcompile export model.py:loss --out grad_loss.py
    python -c "from grad_loss import grad_loss"      # NumPy is the only requirement

The module's docstring names what it needs: NumPy, and SciPy where it imports SciPy.
"""
from __future__ import annotations

import ast
import base64
import builtins
import inspect
import importlib
import importlib.util
import io
import cmath
import math
import os
import re
import sys
import textwrap
import types
from typing import Any, Callable, Sequence

import numpy as np

from .errors import ADCompileError, public

# an import from adcompile inside a helper, absolute or relative (`from .runtime import x`)
_ADCOMPILE_IMPORT = re.compile(r"^[ \t]*from (adcompile[.\w]*|\.[.\w]*) import \(?([\w, \n]+?)\)?"
                               r"[ \t]*\n", re.M)
_MODULES = {"np": np, "math": math, "cmath": cmath}
_IMPORTS = {"np": "import numpy as np", "math": "import math", "cmath": "import cmath"}
_IMPORT_ORDER = ["cmath", "math", "np"]
_PACKAGES = {"scipy": "SciPy"}  # how the docstring of an exported module names what it needs
SMALL = 10_000  # arrays up to this many elements are written as literals; larger ones as .npy


_UNBOUND_DOC = "# The placeholder of a name first bound in a loop (check_unbound tests it)."
_UNBOUND_TEXT = "np.uint64(0x7FF80BAD0BAD0BAD).view(np.float64).item()"


def _unbound():
    """runtime.UNBOUND, which _UNBOUND_TEXT writes out."""
    from .runtime import UNBOUND
    return UNBOUND


class ExportError(ADCompileError):
    """The generated code refers to something that cannot be written into a standalone module."""


@public
def export_source(f: Callable[..., Any], mode: str = "reverse",
                  argnums: int | Sequence[int] | None = 0, optimize: bool = True,
                  annotate: bool = True, command: str | None = None) -> str:
    """The text of a standalone module holding `f`'s generated `mode` code (see `export`)."""
    from . import __version__
    from .api import MODES, build
    from .primitives import NAMESPACE
    from .unparse import to_source

    if mode not in MODES:
        raise ExportError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    fn = build(f, mode, argnums, optimize)
    code = to_source(fn, annotate=annotate)
    bound = dict(NAMESPACE)
    bound.update(fn.constants)

    where = getattr(f, "__code__", None)
    origin = f"{getattr(f, '__qualname__', fn.name)}" + \
        (f" ({_relative(where.co_filename)}:{where.co_firstlineno})" if where else "")
    module = _Module(origin)
    imports, helpers, extra_imports = module.imports, module.helpers, module.extra_imports
    written: dict = {}
    for name in _free_names(code):
        if name in fn.constants:
            value = fn.constants[name]
            module.bind(name, value, origin)
            found = _reference(value) if not isinstance(value, types.FunctionType) else None
            if found is not None and found[1] is not None:  # (scipy.special.gammaln)
                source, attr = found[1]
                extra_imports[name] = f"from {source} import {attr}" + \
                    (f" as {name}" if attr != name else "")
                continue
            try:
                written[name] = _literal(name, value)
            except ExportError as e:
                raise ExportError(e.message, fn.filename, _reading_line(fn, name)) from None
        elif name in _MODULES and bound.get(name) is _MODULES[name]:
            imports.add(name)
        elif isinstance(bound.get(name), types.ModuleType) and \
                not bound[name].__name__.startswith("adcompile"):
            source = bound[name].__name__  # a module a user-registered rule calls (scipy)
            if module.bind(name, bound[name], origin):
                extra_imports[name] = f"import {source}" if source == name else \
                    f"import {source} as {name}"
        elif name == "UNBOUND" and bound.get(name) is _unbound():  # (a loop's placeholder)
            module.bind(name, bound[name], "adcompile")
            helpers[name] = f"{_UNBOUND_DOC}\nUNBOUND = {_UNBOUND_TEXT}\n"
            imports.add("np")
        elif name == "UNBOUND_INT":  # (a loop target's: compared by identity, never folded)
            module.bind(name, bound.get(name), "adcompile")
            helpers[name] = "UNBOUND_INT = -(2 ** 63)\n"
        elif name in bound and isinstance(bound[name], types.FunctionType):
            module.collect(name, bound[name])
        elif not hasattr(builtins, name):
            raise ExportError(f"the generated code of {fn.name} uses {name!r}, which cannot be "
                              "written into a standalone module")

    imports.update(n for n in _free_names("\n".join(written.values())) if n in _MODULES)
    classes = module.classes
    roots = {line.split()[1].split(".")[0] for line in extra_imports.values()}
    others = sorted({_PACKAGES.get(root, root) for root in roots  # (the stdlib goes unnamed)
                     if root not in sys.stdlib_module_names})
    needs = f"NumPy and {', '.join(others)}" if others else "only NumPy"
    doc = [f'"""{fn.name}: the {mode} code of {origin},',
           f"generated by adcompile {__version__}. It needs {needs}; no import of adcompile.",
           ""]
    if command:
        doc += [f"    {command}", ""]
    doc += [_calling_convention(fn, mode, argnums), '"""']
    head = "\n".join(doc) + "\n"
    lines = [_IMPORTS[m] for m in sorted(imports, key=_IMPORT_ORDER.index)]
    lines += [extra_imports[m] for m in sorted(extra_imports)]
    if lines:
        head += "\n" + "\n".join(lines)
    parts = [head + f"\n\n__all__ = [{fn.name!r}]"]
    for cls, base in classes.items():
        parts.append(f"def {cls}(err):\n    \"\"\"The error as raised (adcompile places it at "
                     "the user's line).\"\"\"\n    return err" if base is None else
                     f"class {cls}({base}):\n    \"\"\"Raised as adcompile raises it.\"\"\"")
    if written:
        parts.append("# Values the function reads from its globals and closures.\n" + "\n".join(
            f"{name} = {text}" for name, text in written.items()))
    parts.append(code.rstrip("\n"))
    if helpers:
        parts.append("# Helpers the generated code calls, copied here so the module runs alone.")
        parts.extend(src.rstrip("\n") for src in helpers.values())
    text = "\n\n\n".join(p for p in parts if p) + "\n"
    if re.search(r"^\s*(import adcompile|from adcompile|from \.)", text, re.M):
        raise ExportError("the exported module would import adcompile; a helper needs a "
                          "standalone version")
    compile(text, "<export>", "exec")  # it must at least be valid Python
    return text


@public
def export(f: Callable[..., Any], path: str | os.PathLike, mode: str = "reverse",
           argnums: int | Sequence[int] | None = 0, optimize: bool = True, annotate: bool = True,
           command: str | None = None) -> str | os.PathLike:
    """Write `f`'s generated derivative (or flat code) to `path` as a module that runs with only
    NumPy installed. Returns `path`."""
    text = export_source(f, mode, argnums, optimize, annotate, command)
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)
    return path


def _relative(path):
    """`path` relative to the working directory when it lies below it (stable across machines)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def _calling_convention(fn, mode, argnums):
    call = f"{fn.name}({', '.join(fn.params)})"
    if mode == "flat":
        return f"{call} computes the function, one operation per line."
    if mode == "forward":
        return f"{call} returns (value, tangent): the derivative along the tangents d_<name>."
    if mode == "vjp":
        return f"{call} returns (value, pullback); pullback(cotangent) returns the gradients."
    what = "(value, gradient)" if mode == "value_and_grad" else "the gradient"
    if argnums is None:
        wrt = "every parameter, as a tuple"
    elif isinstance(argnums, int):
        wrt = fn.params[argnums]
    else:
        wrt = f"({', '.join(fn.params[i] for i in argnums)}), as a tuple"
    return f"{call} returns {what} with respect to {wrt}."


def _free_names(code: str):
    """Names the module-level code reads but does not define, in order of first use."""
    tree = ast.parse(code)
    defined = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            defined.add(node.id)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, ast.FunctionDef):
            defined.add(node.name)
    seen: dict = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) \
                and node.id not in defined:
            seen.setdefault(node.id, None)
    return list(seen)


def _code_names(code):
    names = list(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names += _code_names(const)
    return names


class _Module:
    """What an exported module holds besides the generated code: the helpers it calls (their
    source), what those read from their modules (functions, classes, values written out, names
    of NumPy's and other modules' functions), the imports all of it needs, and for each name
    the module defines, the object it stands for (one name cannot hold two values)."""

    def __init__(self, owner):
        self.owner = owner  # (the function exported: named by a clash's message)
        self.helpers: dict = {}        # name -> source text, in the order copied
        self.imports: set = set()      # aliases of _MODULES
        self.classes: dict = {}        # adcompile's error classes -> the base written
        self.extra_imports: dict = {}  # name -> the import line that binds it
        self.bound: dict = {}          # name -> (object, where it comes from)

    def bind(self, name, obj, where):
        """Claim the module-level `name` for `obj` (from `where`): True the first time, False
        where it holds the same value already; two values of one name are refused."""
        if name not in self.bound:
            self.bound[name] = (obj, where)
            return True
        old, first = self.bound[name]
        if _same(old, obj):
            return False
        raise ExportError(f"the name {name} would hold two values in the exported module of "
                          f"{self.owner}: {first}'s and {where}'s; rename one of them")

    def collect(self, name, fn, reader=None):
        """Copy `fn`'s source under `name`, and whatever module-level names it reads (a module
        other than NumPy and math, such as scipy, is imported as the helper's module imports
        it; a value is written out; a function of another module is imported)."""
        where = _where(fn) or name
        if not self.bind(name, fn, where):
            return
        if fn.__name__ == "<lambda>":
            code = fn.__code__
            raise ExportError(f"{name} is a lambda (at {code.co_filename}:{code.co_firstlineno}),"
                              " whose source export cannot copy alone: register a def instead "
                              f"(def {name}(...): return ...)")
        if fn.__name__ != name:  # a rule registered under its function's name: `name = own name`
            self.collect(fn.__name__, fn)
            self.helpers[name] = f"{name} = {fn.__name__}\n"
            return
        try:
            src = textwrap.dedent(inspect.getsource(fn))
        except (OSError, TypeError):
            raise ExportError(f"cannot read the source of the helper {name}") from None
        self.helpers[name] = None  # placeholder: keeps order
        module = sys.modules.get(fn.__module__)
        scope = module.__dict__ if isinstance(fn, type) and module else \
            getattr(fn, "__globals__", {})
        imported = []

        def standalone(match):
            """An import from adcompile (`from .runtime import outside_rule` too) inside the
            helper: the names it imports are copied into the module, the line dropped."""
            import adcompile.errors as errors
            source = importlib.util.resolve_name(match.group(1), fn.__module__.rpartition(".")[0])
            for cls in (c.strip() for c in match.group(2).replace("\n", " ").split(",")):
                if not cls:
                    continue
                if source != "adcompile.errors":
                    imported.append((cls, getattr(importlib.import_module(source), cls)))
                    continue
                obj = getattr(errors, cls, None)
                self.bind(cls, obj, "adcompile.errors")
                if obj is errors.at_generated_caller:  # (alone, an error is not placed: as raised)
                    self.classes[cls] = None
                    continue
                if not (isinstance(obj, type) and issubclass(obj, Exception)):
                    raise ExportError(f"the helper {name} imports {cls} from adcompile")
                self.classes[cls] = "ValueError" if issubclass(obj, ValueError) else "Exception"
            return ""

        self.helpers[name] = _ADCOMPILE_IMPORT.sub(standalone, src)
        if isinstance(fn, type):  # a class of the runtime (TupleGrad): what its methods read
            codes = [m.__code__ for m in vars(fn).values() if isinstance(m, types.FunctionType)]
        else:
            codes = [fn.__code__]
        names = dict.fromkeys(n for c in codes for n in _code_names(c))
        # (`type(x).__name__` is among a code's names too: the module's own __name__ is not copied)
        reads = [(ref, scope[ref]) for ref in names
                 if ref in scope and ref not in self.classes and not ref.startswith("__")]
        for ref, obj in imported + reads:
            self.read(ref, obj, name, where)

    def read(self, ref, obj, reader, where):
        """The global `ref` that the helper `reader` (at `where`) reads."""
        if isinstance(obj, types.ModuleType):
            for alias, module in _MODULES.items():
                if obj is module and alias == ref:
                    self.imports.add(alias)
                    return
            if obj.__name__.startswith("adcompile"):
                raise ExportError(f"the helper {reader} uses the module {obj.__name__}")
            line = f"import {obj.__name__}" if obj.__name__ == ref else \
                f"import {obj.__name__} as {ref}"
            if self.bind(ref, obj, where):
                self.extra_imports[ref] = line
            return
        if isinstance(obj, (types.FunctionType, type)) and not _library(obj.__module__):
            self.collect(ref, obj)  # (a function or class of NumPy's or the stdlib's: imported)
            return
        found = _reference(obj)
        if found is not None and found[1] is not None:  # a function of another module (scipy)
            if self.bind(ref, obj, where):
                module, attr = found[1]
                self.extra_imports[ref] = f"from {module} import {attr}" + \
                    (f" as {ref}" if attr != ref else "")
            return
        if found is not None and found[0] == ref:  # a builtin under its own name
            return
        try:
            text = _literal(ref, obj)
        except ExportError:
            code = getattr(reader and self.bound.get(reader, (None,))[0], "__code__", None)
            raise ExportError(
                f"the helper {reader} reads the global {ref} (a {type(obj).__name__}), which "
                "export cannot write into a standalone module; pass it as an argument, or make "
                "it a number, a string, an array or a container of them",
                code and _relative(code.co_filename), code and code.co_firstlineno) from None
        if self.bind(ref, obj, where):
            self.helpers[f"{ref} ="] = f"{ref} = {text}\n"
            self.imports.update(n for n in _free_names(text) if n in _MODULES)

    def text(self):
        """The helpers' part of the module (and the imports they need), for a test to run."""
        head = [_IMPORTS[m] for m in sorted(self.imports, key=_IMPORT_ORDER.index)]
        head += [self.extra_imports[m] for m in sorted(self.extra_imports)]
        return "\n".join(head) + "\n\n" + "\n\n".join(
            s.rstrip("\n") for s in self.helpers.values() if s)


def _reading_line(fn, name):
    """The user's line of the first statement of generated `fn` that reads `name`, or None."""
    from .ir import uses_of, walk_stmts
    for st in walk_stmts(fn.body):
        if getattr(st, "line", None) and name in uses_of(st):
            return st.line
    return None


def _where(obj):
    """`file:line` of a function or class (relative to the working directory), or None."""
    code = getattr(obj, "__code__", None)
    if code is not None:
        return f"{_relative(code.co_filename)}:{code.co_firstlineno}"
    module = getattr(obj, "__module__", None)
    return f"{module}.{getattr(obj, '__qualname__', '')}" if module else None


def _same(a, b):
    """Whether two values a module-level name may stand for are one: the same object, or
    written out as the same text."""
    if a is b:
        return True
    if type(a) is not type(b) or callable(a):
        return False
    try:
        return _literal("", a) == _literal("", b)
    except ExportError:
        return False


# the modules whose functions a module-level name may be bound to (`act = np.tanh`)
_REACHED = (("np", np), ("np.random", np.random), ("np.linalg", np.linalg), ("np.fft", np.fft),
            ("math", math), ("cmath", cmath))


def _reference(obj):
    """How `obj`, a function, class or ufunc of a module, is reached: (`np.tanh`, None) through a
    module the exported code imports, (`abs`, None) for a builtin, (None, (module, name)) for an
    import from another module (`from scipy.special import gammaln`); None for anything else
    (an object, a bound method of one, a lambda)."""
    name = getattr(obj, "__name__", None)
    if not callable(obj) or not isinstance(name, str) or not name.isidentifier():
        return None
    for alias, module in _REACHED:
        if vars(module).get(name) is obj:
            return f"{alias}.{name}", None
    if vars(builtins).get(name) is obj:
        return name, None
    home = getattr(obj, "__module__", None)
    modules = ([home] if isinstance(home, str) else []) + sorted(
        (m for m in list(sys.modules) if not any(p.startswith("_") for p in m.split("."))),
        key=lambda m: (m.count("."), m))
    for m in modules:
        module = sys.modules.get(m)
        if _library(m) and isinstance(module, types.ModuleType) and \
                not any(p.startswith("_") for p in m.split(".")) and \
                vars(module).get(name) is obj:
            return None, (m, name)
    return None


def _library(module):
    """Whether an exported module may import from `module`: NumPy's, SciPy's or the standard
    library's (not adcompile, not the user's own modules)."""
    root = module.split(".")[0] if isinstance(module, str) else ""
    return root in ("numpy", "scipy") or root in sys.stdlib_module_names and root != "__main__"


def _is_plain(value):
    try:
        return ast.literal_eval(repr(value)) == value
    except (ValueError, SyntaxError, TypeError):
        return False


def _literal(name, value):
    """Python source that rebuilds `value` exactly: numbers, strings, arrays, NumPy scalars,
    the functions and classes of NumPy, math and builtins, and tuples, lists, dicts and sets of
    them."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            raise ExportError(f"cannot write the constant {name} (an array of dtype "
                              f"{value.dtype}) into a standalone module")
        dtype = f"np.{value.dtype.name}"
        if value.size <= SMALL and (value.dtype.kind in "biu" or np.isfinite(value).all()):
            body = _wrap(repr(value.tolist()))
            return f"np.array({body}, dtype={dtype})"
        buf = io.BytesIO()
        np.save(buf, value, allow_pickle=False)
        data = base64.b64encode(buf.getvalue()).decode()
        chunks = "\n".join(f"    {data[i:i + 96]!r}" for i in range(0, len(data), 96))
        return (f"np.load(__import__('io').BytesIO(__import__('base64').b64decode(\n{chunks}\n)),"
                " allow_pickle=False)")
    if isinstance(value, np.generic):
        if value.dtype.kind not in "biufc":
            raise ExportError(f"cannot write the constant {name} ({type(value).__name__})")
        return f"np.{value.dtype.name}({_float_repr(value.item())})"
    if type(value) is float:
        return _float_repr(value)
    if type(value) in (tuple, list):
        items = ", ".join(_literal(name, v) for v in value)
        return f"({items},)" if type(value) is tuple and len(value) == 1 else \
            f"({items})" if type(value) is tuple else f"[{items}]"
    if type(value) is dict:
        return "{" + ", ".join(f"{_literal(name, k)}: {_literal(name, v)}"
                               for k, v in value.items()) + "}"
    if type(value) in (set, frozenset) and value:
        items = sorted(_literal(name, v) for v in value)  # (sorted: the same text every time)
        return f"{type(value).__name__}({{{', '.join(items)}}})"
    if _is_plain(value) and not _has_nonfinite(value):
        return repr(value)
    found = _reference(value)
    if found is not None and found[0] is not None:
        return found[0]
    raise ExportError(f"cannot write the constant {name} ({type(value).__name__}) into a "
                      "standalone module; pass it as an argument instead")


def _float_repr(v):
    if isinstance(v, float) and not math.isfinite(v):
        return f"float({str(v)!r})"
    return repr(v)


def _has_nonfinite(value):
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, (tuple, list)):
        return any(_has_nonfinite(v) for v in value)
    return False


def _wrap(text, width=96):
    """A long literal broken at commas into lines of at most `width` characters."""
    if len(text) <= width:
        return text
    lines, line = [], ""
    for piece in re.split(r"(?<=,) ", text):
        if line and len(line) + len(piece) + 1 > width:
            lines.append(line)
            line = piece
        else:
            line = f"{line} {piece}" if line else piece
    lines.append(line)
    return "\n    " + "\n    ".join(lines)
