"""Stage: flat code -> Python AST -> source text, printed by the stdlib `ast.unparse`.

Each statement is printed on its own; with `annotate=True` every run of statements that came from
one line of the user's code is preceded by a comment quoting that line. With `locate`, each
statement's line ends with a comment naming the user's file and line it came from
(`s3 = X @ w  # model.py:12`): the text compiled and shown in tracebacks.
"""
from __future__ import annotations

import ast
import tokenize
import builtins
import math
import re

from .ir import (PRINTERS, Assign, Break, Const, For, Function, If, Op, Return, Var, While,
                 walk_stmts)
from .primitives import HIDDEN, PRIMS
from .runtime import UNBOUND, UNBOUND_INT

ALIAS = "adcompile_"  # before a global name the printed function also has as a local name
_locals: frozenset = frozenset()  # the local names of the function being printed


def global_name(name):
    """How printed code names the global `name` (a helper, `np`, a builtin): under an alias
    where the function has a local of that name (`def f(x, sign)` calls `adcompile_sign(x)`);
    `aliases` gives the compiled code's namespace the aliases."""
    return ALIAS + name if name in _locals else name


def aliases(text, namespace):
    """Add to `namespace` the aliases `text` uses (see global_name)."""
    for name in set(re.findall(rf"\b{ALIAS}(\w+)", text)):
        namespace[ALIAS + name] = namespace[name] if name in namespace else \
            getattr(builtins, name)


def name_ast(dotted_name):
    parts = dotted_name.split(".")
    node = ast.Name(global_name(parts[0]), ast.Load())
    for p in parts[1:]:
        node = ast.Attribute(node, p, ast.Load())
    return node


def const_ast(value, index=False):
    """A constant as an expression; slices print as `a:b` inside a subscript (`index`), else
    as `slice(a, b, None)`."""
    if value is UNBOUND or value is UNBOUND_INT:  # (a loop's placeholder, compared by
        return name_ast("UNBOUND" if value is UNBOUND else "UNBOUND_INT")  # identity: runtime)
    if type(value) is float and not math.isfinite(value):
        text = f"{global_name('math')}.{'nan' if value != value else 'inf'}"
        text = "-" + text if value < 0 else text
        return ast.parse(text, mode="eval").body
    if type(value) is tuple:
        return ast.Tuple([const_ast(v, index) for v in value], ast.Load())
    if type(value) is list:  # (its items as constants print: ..., -1, math.inf)
        return ast.List([const_ast(v) for v in value], ast.Load())
    if type(value) is range:  # (a run-time index's position: range(4)[k], xs.pop(k))
        return ast.parse(repr(value), mode="eval").body
    if type(value) is dict:  # (a run-time key's position: {'gold': 0, 'basic': 1}[tier])
        return ast.Dict([const_ast(k) for k in value], [const_ast(v) for v in value.values()])
    if isinstance(value, type):  # a builtin or NumPy class (raise, isinstance)
        return name_ast(value.__name__ if getattr(builtins, value.__name__, None) is value
                        else f"np.{value.__name__}")
    if type(value) is slice:
        parts = [ast.Constant(None) if v is None and not index else None if v is None
                 else const_ast(v) for v in (value.start, value.stop, value.step)]
        return ast.Slice(*parts) if index else ast.Call(name_ast("slice"), parts, [])
    if type(value) in (int, float) and math.copysign(1, value) < 0:
        # -1 as a negation, which ast.unparse parenthesizes where it binds less tightly than
        # its context: `(-1) ** k`, not `-1 ** k`, which Python reads as -(1 ** k)
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


def index_ast(e):
    """An index as written in brackets: `x[i:i + 3, 0]`, not `x[slice(i, i + 3, None), 0]`."""
    if type(e) is Const:
        return const_ast(e.value, index=True)
    if type(e) is Op and e.prim == "slice":
        return ast.Slice(*[None if type(a) is Const and a.value is None else expr_ast(a)
                           for a in e.args])
    if type(e) is Op and e.prim == "tuple":
        return ast.Tuple([index_ast(a) for a in e.args], ast.Load())
    return expr_ast(e)


def _is_float(a):
    """Whether `a` is `type(x) is float`."""
    return type(a) is ast.Compare and len(a.ops) == 1 and type(a.ops[0]) is ast.Is and \
        type(a.left) is ast.Call and type(a.left.func) is ast.Name and \
        a.left.func.id == "type" and type(a.comparators[0]) is ast.Name and \
        a.comparators[0].id == "float"


def _chained(values):
    """`type(a) is float and type(b) is float and ...` as one chain, `type(a) is type(b) is
    float`: the same test (every type the same, the last float), read at a glance (ast.unparse
    puts the third and later comparisons of an `and` in parentheses)."""
    out, chain = [], False
    for a in values:
        if chain and _is_float(a):
            last = out[-1]
            out[-1] = ast.Compare(last.left, last.ops + [ast.Is()],
                                  last.comparators[:-1] + [a.left, a.comparators[-1]])
        else:
            out.append(a)
            chain = _is_float(a)
    return out


def expr_ast(e):
    t = type(e)
    if t is Var:
        return ast.Name(e.name, ast.Load())
    if t is Const:
        return const_ast(e.value)
    p = PRIMS[e.prim]
    args = [expr_ast(a) for a in e.args]
    form = p.form
    if form == "binop":
        return ast.BinOp(args[0], p.op(), args[1])
    if form == "unop":
        return ast.UnaryOp(p.op(), args[0])
    if form == "compare":
        return ast.Compare(args[0], [p.op()], [args[1]])
    if form == "boolop":
        values = []
        for a in args:
            same = type(a) is ast.BoolOp and type(a.op) is p.op
            values.extend(a.values if same else [a])
        if type(p.op()) is ast.And:
            values = _chained(values)
        return values[0] if len(values) == 1 else ast.BoolOp(p.op(), values)
    if form == "attr":
        return ast.Attribute(args[0], e.prim, ast.Load())
    if form == "field":
        return ast.Attribute(args[0], e.args[1].value, ast.Load())
    if form == "getitem":
        return ast.Subscript(args[0], index_ast(e.args[1]), ast.Load())
    if form == "tuple":
        return ast.Tuple(args, ast.Load())
    if form == "list":
        return ast.List([], ast.Load()) if not args else ast.Call(name_ast("list"), args, [])
    if form == "listlit":
        return ast.List(args, ast.Load())
    if form == "listappend":  # xs + [v]
        return ast.BinOp(args[0], ast.Add(), ast.List(args[1:], ast.Load()))
    if form == "method":  # tape.append(x), tape.pop(), rng.normal(0.0, 1.0, size=3)
        method = {"push": "append", "pop": "pop"}.get(e.prim) or e.prim.rpartition(".")[2]
        return ast.Call(ast.Attribute(args[0], method, ast.Load()), args[1:], _keywords(e, p))
    if form == "spread_method":  # rs.rand(*shape)
        return ast.Call(ast.Attribute(args[0], p.name.rpartition(".")[2], ast.Load()),
                        [ast.Starred(args[1], ast.Load())], [])
    if form == "callee":  # factorial(k): a function of the user's module, without a rule
        return ast.Call(args[0], args[1:], _keywords(e, p))
    if form == "seq":  # np.stack((a, b), axis=0)
        args = [ast.Tuple(args, ast.Load())]
    if form == "spread":  # np.random.rand(*shape)
        args = [ast.Starred(args[0], ast.Load())]
    return ast.Call(name_ast(p.name), args, _keywords(e, p))


def _keywords(e, p):
    """The keyword arguments of a call, less those that equal their default."""
    return [ast.keyword(k, expr_ast(v)) for k, v in _shown(e, p)]


def _shown(e, p):
    """The keyword arguments a call is printed with: not those that equal their default, nor
    the hidden ones, which only the derivative reads (primitives.HIDDEN)."""
    return [(k, v) for k, v in e.kwargs if k not in HIDDEN and
            not (type(v) is Const and k in p.options and _same(v.value, p.options[k]))]


def _same(a, b):
    return type(a) is type(b) and a == b


def expr_source(e):
    """An expression's text: most statements of flat code apply one operation to names and
    numbers, written here directly; the rest go through the AST and ast.unparse (parentheses)."""
    t = type(e)
    if t is Var:
        return e.name
    text = _atom(e) if t is Const else _one_operation(e)
    return ast.unparse(expr_ast(e)) if text is None else text


def _atom(e):
    """A name, or a constant that any operand position takes as written (no sign, no text)."""
    if type(e) is Var:
        return e.name
    v = e.value if type(e) is Const else ""
    if type(v) is int and v >= 0 or type(v) is float and v > 0.0 and v != math.inf or \
            v is None or type(v) is bool or type(v) is float and v == 0.0 and \
            math.copysign(1.0, v) > 0:
        return repr(v)
    return None


def _one_operation(e):
    """`a + b`, `-a`, `a < b`, `np.exp(a, axis=0)` of atoms as ast.unparse prints them; None
    for anything else."""
    p = PRIMS[e.prim]
    args = [_atom(a) for a in e.args]
    if None in args:
        return None
    form = p.form
    if form == "call":
        keywords = [(k, _atom(v)) for k, v in _shown(e, p)]
        if any(v is None for _, v in keywords):
            return None
        head, dot, rest = p.name.partition(".")
        return f"{global_name(head)}{dot}{rest}({', '.join(args + [f'{k}={v}' for k, v in keywords])})"
    symbol = _SYMBOLS.get(p.op.__name__) if form in ("binop", "unop", "compare") else None
    if symbol is None:
        return None
    if form == "unop":
        return f"{symbol}{args[0]}"
    return f"{args[0]} {symbol} {args[1]}"


_SYMBOLS = {"Add": "+", "Sub": "-", "Mult": "*", "Div": "/", "FloorDiv": "//", "Mod": "%",
            "Pow": "**", "MatMult": "@", "BitAnd": "&", "BitOr": "|", "BitXor": "^",
            "LShift": "<<", "RShift": ">>", "USub": "-", "UAdd": "+", "Invert": "~",
            "Not": "not ", "Eq": "==", "NotEq": "!=", "Lt": "<", "LtE": "<=", "Gt": ">",
            "GtE": ">=", "Is": "is", "IsNot": "is not", "In": "in", "NotIn": "not in"}


def stmt_lines(stmts, fn: Function, indent, annotate, last_line=None, locate=None, errstate=()):
    runs = _errstate_runs(stmts, fn.errstate, errstate) if fn.errstate else []
    if len(runs) > 1 or runs and runs[0][0] != errstate:  # with np.errstate(...): around some
        out = []
        for setting, run in runs:
            if setting != errstate:
                out.append(f"{'    ' * indent}with {global_name('np')}.errstate("
                           f"{_errstate_args(setting)}):")
            out += stmt_lines(run, fn, indent + (setting != errstate), annotate, last_line,
                              locate, setting)
        return out
    out = []
    pad = "    " * indent

    def block(stmts):
        return stmt_lines(stmts, fn, indent + 1, annotate, last_line, locate, errstate) or \
            [pad + "    pass"]

    def place(stmt):  # `  # model.py:12` after a line, with `locate` (marked: see to_sources)
        where = locate(getattr(stmt, "line", None)) if locate is not None else None
        return f"{_MARK}{where}" if where else ""

    for s in stmts:
        line = getattr(s, "line", None)
        if annotate and line is not None and line != last_line and line in fn.source_lines:
            out.append(f"{pad}# line {line}: {quoted(fn.source_lines, line)}")
            last_line = line
        t = type(s)
        start = len(out)
        if t is Assign and s.target is None:
            out.append(f"{pad}{expr_source(s.value)}{place(s)}")
        elif t is Assign:
            target = ", ".join(s.target) + ("," if len(s.target) == 1 else "") \
                if type(s.target) is tuple else s.target
            out.append(f"{pad}{target} = {expr_source(s.value)}{place(s)}")
        elif t is For:
            bounds = ", ".join(expr_source(b) for b in s.bounds)
            seq = f"{global_name('range')}({bounds})"
            if s.count is not None:
                seq = f"{seq}[:{expr_source(s.count)}]"
            if s.reverse:
                seq = f"{global_name('reversed')}({seq})"
            out.append(f"{pad}for {s.target} in {seq}:{place(s)}")
            out.extend(block(s.body))
        elif t is While:
            out.append(f"{pad}while {expr_source(s.test)}:{place(s)}")
            out.extend(block(s.body))
        elif t is Break:
            out.append(f"{pad}break{place(s)}")
        elif t is Return:
            values = [expr_source(v) for v in s.values]
            text = ", ".join(values) + ("," if len(values) == 1 else "") if s.as_tuple else values[0]
            out.append(f"{pad}return {'(' + text + ')' if s.as_tuple else text}{place(s)}")
        elif t is If:
            keyword = "if"
            while True:  # an else holding only an if prints as elif
                out.append(f"{pad}{keyword} {expr_source(s.test)}:{place(s)}")
                out.extend(block(s.body))
                if len(s.orelse) == 1 and type(s.orelse[0]) is If:
                    s, keyword = s.orelse[0], "elif"
                    continue
                break
            if s.orelse:
                out.append(f"{pad}else:")
                out.extend(stmt_lines(s.orelse, fn, indent + 1, annotate, last_line, locate,
                                      errstate))
        elif t is Function:
            out.extend(_function_lines(s, indent, annotate, locate))
        else:
            raise TypeError(s)
        if annotate and t in (For, While, If) and any(  # after a block quoting other lines,
                text.lstrip().startswith("# line ") for text in out[start + 1:]):  # quote again
            last_line = None
    return out


def quoted(lines: dict, line: int) -> str:
    """The user's statement starting at `line`, on one line: the physical lines of a statement
    that continues (brackets, a backslash) joined, their comments left out but the last's."""
    cut = {}  # row -> where its comment starts
    try:
        readline = iter(lines.get(k, "").strip() + "\n" for k in range(line, line + 50)).__next__
        for tok in tokenize.generate_tokens(readline):
            if tok.type == tokenize.NEWLINE:
                break
            if tok.type == tokenize.COMMENT:
                cut[tok.start[0]] = tok.start[1]
        else:
            return lines[line].strip()
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return lines[line].strip()
    last = tok.start[0]
    if last == 1:
        return lines[line].strip()
    parts: list = []
    for k in range(last):
        text = lines.get(line + k, "").strip()
        text = text[:cut[k + 1]].rstrip() if k + 1 in cut and k + 1 < last else text
        text = text[:-1].rstrip() if k + 1 < last and text.endswith("\\") else text
        if parts and (parts[-1][-1:] in "([{" or text[:1] in ")]}"):
            parts[-1] += text
        elif text:
            parts.append(text)
    return " ".join(parts)


def _errstate_runs(stmts, settings, scope):
    """A block cut into runs of statements under one NumPy error setting: that of the user's
    `with np.errstate(...)` around the line a statement comes from (parse.py), else the setting
    of the block (a statement from outside the with, moved into it, stays: a `with` is not
    undone). A statement of no line (a tape's pop) goes with the run before it."""
    runs: list = []
    for s in stmts:
        line = getattr(s, "line", None)
        if type(s) is Function:
            setting = scope
        elif line is None:
            setting = runs[-1][0] if runs else scope
        else:
            setting = settings.get(line) or scope
        if runs and runs[-1][0] == setting:
            runs[-1][1].append(s)
        else:
            runs.append((setting, [s]))
    return runs


def _errstate_args(setting):
    values = {v for _, v in setting}
    if len(setting) == 4 and len(values) == 1:
        return f"all={values.pop()!r}"
    return ", ".join(f"{k}={v!r}" for k, v in setting)


def function_lines(fn: Function, indent=0, annotate=False, locate=None):
    """The lines of a function, whose local names (its nested functions' too) global names
    avoid (global_name)."""
    global _locals
    outer, _locals = _locals, frozenset(_local_names(fn))
    try:
        return _function_lines(fn, indent, annotate, locate)
    finally:
        _locals = outer


def _function_lines(fn: Function, indent, annotate, locate):
    pad = "    " * indent
    head = [f"{pad}def {fn.name}({', '.join(_parameters(fn))}):"]
    body = stmt_lines(fn.body, fn, indent + 1, annotate, locate=locate)
    return head + (body or [f"{pad}    pass"])


def _local_names(fn: Function):
    yield from fn.params
    for s in walk_stmts(fn.body):
        if type(s) is Assign and s.target is not None:
            yield from s.target if type(s.target) is tuple else (s.target,)
        elif type(s) is For:
            yield s.target
        elif type(s) is Function:
            yield s.name
            yield from s.params


def _parameters(fn: Function):
    """The parameters, the trailing ones with the user's defaults where Python can write them
    (a number, a string, None, a tuple of them); a default it cannot write (a function, an
    array) ends that run: the compiled function holds it anyway (api.compile_derivative)."""
    out = list(fn.params)
    for i in range(len(out) - 1, -1, -1):
        name = out[i]
        if name not in fn.defaults or not _literal(fn.defaults[name]):
            break
        out[i] = f"{name}={fn.defaults[name]!r}"
    return out


def _literal(value):
    try:
        return type(value) in (int, float, complex, str, bool, type(None), tuple) and \
            ast.literal_eval(repr(value)) == value
    except (ValueError, SyntaxError):
        return False


def to_source(fn: Function, annotate=False, locate=None) -> str:
    """The Python source of a (flat or derivative) function. `locate`, a function from a user
    line number to a place (`model.py:12`) or None, ends each statement's line with a comment
    naming the place it came from; nothing else changes, so line N is line N of the plain text."""
    return "\n".join(function_lines(fn, 0, annotate, locate)).replace(_MARK, "  # ") + "\n"


def to_sources(fn: Function, locate) -> tuple[str, str]:
    """`to_source(fn)` and `to_source(fn, locate=locate)`, printed once."""
    lines = function_lines(fn, 0, False, locate)
    return ("\n".join(line.partition(_MARK)[0] for line in lines) + "\n",
            "\n".join(lines).replace(_MARK, "  # ") + "\n")


_MARK = "\0"  # between a line and its place: printed code never holds it (repr escapes it)


PRINTERS.append(to_source)  # repr(fn) of flat code prints it as Python
