"""Stage 1: read a function's source, parse it with gast, and reject what we do not support."""
from __future__ import annotations

import builtins
import inspect
import linecache
import textwrap
from dataclasses import dataclass

import gast

from .errors import SourceUnavailableError, UnsupportedSyntaxError

# Constructs rejected before lowering, with what to say about them.
UNSUPPORTED = {
    gast.Try: "try/except", gast.With: "with", gast.AsyncWith: "async with",
    gast.AsyncFor: "async for", gast.AsyncFunctionDef: "async def", gast.Await: "await",
    gast.Yield: "yield", gast.YieldFrom: "yield from", gast.Global: "global",
    gast.Nonlocal: "nonlocal", gast.Delete: "del", gast.ClassDef: "class definitions",
    gast.Import: "import", gast.ImportFrom: "import", gast.Raise: "raise", gast.Assert: "assert",
    gast.ListComp: "list comprehensions", gast.SetComp: "set comprehensions",
    gast.DictComp: "dict comprehensions", gast.GeneratorExp: "generator expressions",
    gast.Starred: "star arguments",
    gast.NamedExpr: "the walrus operator :=",
}


@dataclass(slots=True)
class Parsed:
    node: gast.FunctionDef
    filename: str
    lines: dict          # absolute line number -> source text
    scope: dict          # names the function may read: closure, then globals, then builtins
    globals: dict        # the function's module globals, to tell later whether a name changed

    def where(self, node):
        return self.filename, getattr(node, "lineno", None)


def parse(f) -> Parsed:
    """Parse `f`'s source into a gast FunctionDef with absolute line numbers."""
    name = getattr(f, "__name__", repr(f))
    code = getattr(f, "__code__", None)
    if code is None:
        raise SourceUnavailableError(
            f"cannot read the source of {name!r}: it is not a Python function. Register a "
            "derivative rule for it with adcompile.defvjp, or pass a Python function.")
    filename = code.co_filename
    if name == "<lambda>":
        node = _lambda_by_position(f, filename)
        if node is not None:
            return _finish(f, node, filename, {node.lineno: linecache.getline(
                filename, node.lineno).rstrip("\n")})
    try:
        src_lines, first = inspect.getsourcelines(f)
    except (OSError, TypeError) as e:
        raise SourceUnavailableError(
            f"cannot read the source of {name!r} ({e}). Define the function in a file "
            "(not in an interactive session or exec) so adcompile can read it.", filename) from None
    text = textwrap.dedent("".join(src_lines))
    first = max(first, 1)
    try:
        tree = gast.parse(text)
    except SyntaxError:
        tree = gast.parse("(" + text.strip().rstrip(",\\") + ")") if name == "<lambda>" else None
    node = _find_function(tree, f, filename, first) if tree is not None else None
    if node is None:
        raise SourceUnavailableError(
            f"cannot find the definition of {name!r} in its source; define it with def in a file.",
            filename, first)
    for n in gast.walk(node):
        if hasattr(n, "lineno"):
            n.lineno += first - 1
    return _finish(f, node, filename, {first + i: line.rstrip("\n")
                                       for i, line in enumerate(src_lines)})


def _finish(f, node, filename, lines):
    code = f.__code__
    scope = dict(vars(builtins))
    scope.update(getattr(f, "__globals__", {}))
    if code.co_freevars and f.__closure__:
        for var, cell in zip(code.co_freevars, f.__closure__):
            try:
                scope[var] = cell.cell_contents
            except ValueError:  # an empty cell: the variable is not assigned yet
                pass
    parsed = Parsed(node, filename, lines, scope, getattr(f, "__globals__", {}))
    _fence(parsed)
    return parsed


def _lambda_by_position(f, filename):
    """A lambda's body cut out of its source by the columns its code object records (Python
    3.11+), so a lambda that shares its line with other code or other lambdas is found exactly."""
    positions = getattr(f.__code__, "co_positions", None)
    spans = [p for p in positions() if None not in p and p[2:] != (0, 0)] if positions else []
    lines = linecache.getlines(filename)
    if not spans or not lines:
        return None
    (line, col), (end_line, end_col) = min((p[0], p[2]) for p in spans), \
        max((p[1], p[3]) for p in spans)
    chunk = [text.encode() for text in lines[line - 1:end_line]]  # columns count UTF-8 bytes
    body = chunk[0][col:end_col] if len(chunk) == 1 else \
        chunk[0][col:] + b"".join(chunk[1:-1]) + chunk[-1][:end_col]
    params = ", ".join(f.__code__.co_varnames[:f.__code__.co_argcount])
    try:
        lam = gast.parse(f"(lambda {params}:\n{body.decode()}\n)").body[0].value
    except SyntaxError:
        return None
    for n in gast.walk(lam):
        if hasattr(n, "lineno"):
            n.lineno += line - 2
    ret = gast.copy_location(gast.Return(value=lam.body), lam.body)
    fn = gast.FunctionDef(name="lambda_", args=lam.args, body=[ret], decorator_list=[],
                          returns=None, type_comment=None, type_params=[])
    fn.lineno = line
    return fn


def _find_function(tree, f, filename, first):
    if f.__name__ != "<lambda>":
        for n in gast.walk(tree):
            if isinstance(n, gast.FunctionDef) and n.name == f.__name__:
                n.decorator_list = []
                return n
        return None
    params = list(f.__code__.co_varnames[:f.__code__.co_argcount])
    found = [n for n in gast.walk(tree) if isinstance(n, gast.Lambda)
             and [a.id for a in n.args.args] == params]
    if len({gast.dump(n) for n in found}) != 1:
        raise SourceUnavailableError(
            "cannot tell which lambda on this line is the one to differentiate; "
            "define it with def instead.", filename, first)
    lam = found[0]
    ret = gast.Return(value=lam.body)
    gast.copy_location(ret, lam)
    fn = gast.FunctionDef(name="lambda_", args=lam.args, body=[ret], decorator_list=[],
                          returns=None, type_comment=None, type_params=[])
    return gast.copy_location(fn, lam)


def _fence(parsed: Parsed):
    """Reject unsupported constructs early, naming the first one and its line."""
    node = parsed.node
    args = node.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
        raise UnsupportedSyntaxError(
            f"{node.name}: *args, **kwargs, keyword-only and positional-only parameters are not "
            "supported; list the parameters by name.", *parsed.where(node))
    for n in gast.walk(node):
        if n is node:
            continue
        what = UNSUPPORTED.get(type(n))
        if what is not None:
            raise UnsupportedSyntaxError(
                f"{what} is not supported in differentiated code; rewrite it or move it outside "
                "the function.", *parsed.where(n))
