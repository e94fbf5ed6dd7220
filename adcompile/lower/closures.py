"""grad(g) of a function `g` defined inside the differentiated function and reading its names
(a closure): g made a function of those names too (closure conversion), so that the outer
derivative sees them flow through g's gradient instead of taking them for constants (the
"perturbation confusion" of nested derivatives). The function made has g's own text, lines and
file: what is said about it names the user's line."""
from __future__ import annotations

import linecache
import textwrap
import zlib

import gast

from ..ir import Const
from .scan import LocalFunction, Partial, Static, loaded, stored


class LocalTransform:
    """`transform(g, **options)` of g defined in the differentiated function: made when called,
    for the values g's free names hold then (as Python's closure reads them)."""

    def __init__(self, transform, local, options):
        self.transform, self.local, self.options = transform, local, options
        inner = local.__qualname__ if isinstance(local, LocalTransform) else \
            getattr(local.node, 'name', '<lambda>')
        self.__qualname__ = f"{transform.__name__}({inner})"


def closure_names(local, scope):
    """The names g reads from the function it is defined in, known in `scope` (its names now),
    in order; what else g reads is a global or builtin of that function."""
    fn = local.node
    args = fn.args
    own = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs} | \
        {a.id for a in (args.vararg, args.kwarg) if a is not None}
    body = fn.body if isinstance(fn.body, list) else [fn.body]
    return sorted(n for n in loaded(body) - stored(body) - own
                  if n in scope and not n.startswith("<"))


def why_not(local):
    """What about g keeps it from being made a function of its free names, or None."""
    fn = local.node
    args = fn.args
    if fn.decorator_list or args.defaults or any(d is not None for d in args.kw_defaults):
        return "a nested def or lambda with decorators or default values"
    if fn.name == "<lambda>" and (args.vararg or args.kwarg or args.kwonlyargs):
        return "a lambda with *args, **kwargs or keyword-only parameters"
    return None


def closed(local, names, statics, inner=()):
    """g as a module-level function of `names` first, then its own parameters: its text (the
    user's lines, at their numbers, in a file of its own in linecache), compiled where its
    globals are the enclosing function's names (`statics`: functions and modules it holds).
    `inner`: (name, LocalFunction) of the functions defined there that g reads (`lambda y:
    grad(h)(y)`), defined again inside the function made, each at its own lines, so that g's
    derivative takes theirs as it takes those of functions defined in g. None where the text
    cannot be laid out so."""
    fn, parsed = local.node, local.parsed
    first = fn.lineno
    if fn.name == "<lambda>":  # (lowered as a def returning its expression, on its line)
        params = [a.id for a in fn.args.posonlyargs + fn.args.args]
        header = [f"def lambda_({', '.join(names + params)}):"]
        body = {first: "    return " + gast.unparse(fn.body[0].value).strip()}
        if not inner:
            return _made(header[0] + body[first][4:], "lambda_", names, statics, parsed, first)
        return _nested(header, body, "lambda_", inner, names, statics, parsed)
    lines = _lines(local)
    text = textwrap.dedent("\n".join(lines))
    header = f"def {fn.name}("
    if not text.startswith(header):
        return None
    text = header + "".join(f"{n}, " for n in names) + text[len(header):]
    if not inner:
        return _made(text, fn.name, names, statics, parsed, first)
    start = fn.body[0].lineno  # (the body's lines keep their numbers; the header moves up)
    if start == first:
        return None
    rows = text.split("\n")
    cut = start - first
    return _nested(rows[:cut], dict(enumerate(rows[cut:], start)), fn.name, inner, names,
                   statics, parsed)


def _lines(local):
    """The lines of the def `local` as written, its first to its last."""
    fn, parsed = local.node, local.parsed
    first = fn.lineno
    head = parsed.lines[first]
    indent = len(head) - len(head.lstrip())
    block = [head]
    for k in range(first + 1, max(parsed.lines) + 1):
        text = parsed.lines.get(k, "")
        if text.strip() and not text.lstrip().startswith("#") and \
                len(text) - len(text.lstrip()) <= indent and not text.lstrip().startswith(")"):
            break
        block.append(text)
    while block and not block[-1].strip():
        block.pop()
    return block


def _nested(header, body, name, inner, names, statics, parsed):
    """The function `name` of `header` (lines, put first) and `body` (line number -> text),
    with the functions `inner` defined before its body, each at its own lines, indented as the
    body is: None where they do not all come before the body, or overlap, or the header."""
    pad = next((t[:len(t) - len(t.lstrip())] for _, t in sorted(body.items()) if t.strip()),
               "    ")
    rows: dict = {}
    for local_name, fn in inner:
        if fn.node.name == "<lambda>":
            params = ", ".join(a.id for a in fn.node.args.posonlyargs + fn.node.args.args)
            part = {fn.node.lineno: f"def {local_name}({params}): return "
                    f"{gast.unparse(fn.node.body[0].value).strip()}"}
        else:
            lines = textwrap.dedent("\n".join(_lines(fn))).split("\n")
            part = dict(enumerate(lines, fn.node.lineno))
        if any(k in rows for k in part):
            return None
        rows.update({k: pad + t if t.strip() else "" for k, t in part.items()})
    if min(rows) <= len(header) or max(rows) >= min(body):
        return None
    rows.update(body)
    text = "\n".join(header + [rows.get(k, "") for k in range(len(header) + 1, max(rows) + 1)])
    return _made(text, name, names, statics, parsed, 1)


def _made(text, name, names, statics, parsed, first):
    """The function `name` the def `text` makes, its lines numbered from `first`."""
    filename = f"<adcompile closure {parsed.filename}:{first}:{zlib.crc32(text.encode()):08x}>"
    source = "\n" * (first - 1) + text + "\n"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    scope = dict(parsed.scope, **statics)
    exec(compile(source, filename, "exec"), scope)  # noqa: S102  (the user's own text)
    made = scope[name]
    made.__adcompile_file__ = parsed.filename  # (parse: its lines are the user's file's)
    return made


def static_value(value):
    """A value of a free name that can be a global of the function made: a constant, a
    function, a class, a module known here (not one defined in the differentiated function)."""
    return type(value) is Const or type(value) is Static and not isinstance(
        value.obj, (LocalFunction, Partial, LocalTransform))
