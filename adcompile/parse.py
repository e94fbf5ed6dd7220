"""Stage 1: read a function's source, parse it with gast, and reject what we do not support."""
from __future__ import annotations

import __future__
import ast
import builtins
import dis
import functools
import inspect
import linecache
import textwrap
from dataclasses import dataclass, field
from types import CodeType, ModuleType

import gast

from .errors import SourceUnavailableError, StaleSourceError, UnsupportedSyntaxError
from .sugar import desugar, match_refusal

# Constructs rejected before lowering, with what to say about them.
UNSUPPORTED = {
    gast.Try: "try/except", gast.AsyncWith: "async with",
    gast.AsyncFor: "async for", gast.AsyncFunctionDef: "async def", gast.Await: "await",
    gast.Yield: "yield", gast.YieldFrom: "yield from", gast.Global: "global",
    gast.Nonlocal: "nonlocal", gast.Delete: "del", gast.ClassDef: "a class definition",
    gast.Match: "a match statement",
    gast.TryStar: "try/except*", gast.TypeAlias: "a type alias (type X = ...)",
}

# Expressions and statements lowering does not know, named as a reader would name them.
EXPRESSIONS = {
    "AnnAssign": "an annotation without a value", "Match": "a match statement",
    "TypeAlias": "a type alias",
    "Dict": "a dict display {...}", "Set": "a set display {...}",
    "JoinedStr": "an f-string", "FormattedValue": "an f-string", "Await": "await",
    "Yield": "yield", "YieldFrom": "yield from", "Starred": "a starred expression (*x)",
    "ListComp": "a list comprehension", "SetComp": "a set comprehension",
    "DictComp": "a dict comprehension", "GeneratorExp": "a generator expression",
    "NamedExpr": "the walrus operator :=", "Slice": "a slice",
}


@dataclass(slots=True)
class Parsed:
    node: gast.FunctionDef
    filename: str
    lines: dict          # absolute line number -> source text
    scope: dict          # names the function may read: closure, then globals, then builtins
    globals: dict        # the function's module globals, to tell later whether a name changed
    nodes: list = field(default_factory=list)  # every node of `node`, walked once
    errstate: dict = field(default_factory=dict)  # line -> np.errstate settings (sugar.py)

    def where(self, node):
        return self.filename, getattr(node, "lineno", None)

    @staticmethod
    def describe(node) -> str:
        """A node's kind in words, for a message: `a dict display {...}`, `a match statement`."""
        name = type(node).__name__
        return EXPRESSIONS.get(name, "this kind of expression")


def parse(f, as_written=False) -> Parsed:
    """Parse `f`'s source into a gast FunctionDef with absolute line numbers. A wrapper taking
    only *args and **kwargs (functools.wraps) gets the parameters of what it wraps, which a
    differentiated function needs, unless `as_written` (a wrapper inlined at a call, which
    binds *args and **kwargs as Python does: a default left out stays left out)."""
    name = getattr(f, "__name__", repr(f))
    code = getattr(f, "__code__", None)
    if code is None and isinstance(f, functools.partial):
        raise SourceUnavailableError(
            f"functools.partial({getattr(f.func, '__name__', 'f')}, ...) is not supported here "
            "(grad, value_and_grad, jvp, vjp, jacfwd, jacrev and hessian take it); pass a def "
            "or a lambda that calls it")
    if code is None and isinstance(f, functools._lru_cache_wrapper):  # (called, it is followed)
        raise SourceUnavailableError(
            f"{name} is a functools cache (lru_cache or cache) of a function: differentiate the "
            f"function it wraps, {name}.__wrapped__ (grad({name}.__wrapped__)); a cache inside "
            "the differentiated function is bypassed the same way")
    if code is None:
        raise SourceUnavailableError(
            f"cannot read the source of {name!r}: it is not a Python function. Register a "
            "derivative rule for it with adcompile.defvjp, or pass a Python function.")
    filename = code.co_filename
    if name == "<lambda>":
        node, text = _lambda_by_position(f, filename)
        if node is not None:
            _check_current(f, text, filename, node.lineno)
            return _finish(f, node, filename, {node.lineno: linecache.getline(
                filename, node.lineno).rstrip("\n")}, as_written=as_written)
    try:
        src_lines, first, tree = _def_lines(code, getattr(f, "__globals__", None)) or \
            (*inspect.getsourcelines(code), None)  # (f's: not the one it wraps)
    except (OSError, TypeError) as e:
        raise SourceUnavailableError(
            f"cannot read the source of {name!r} ({e}). Define the function in a file "
            "(not in an interactive session or exec) so adcompile can read it.", filename) from None
    first = max(first, 1)
    _check_current(f, "".join(src_lines), filename, first)
    text = textwrap.dedent("".join(src_lines))
    try:
        tree = gast.parse(text) if tree is None else tree
    except SyntaxError:
        try:  # a lambda on a line that is not a statement of its own: its expression
            tree = gast.parse("(" + text.strip().rstrip(",\\") + ")") \
                if name == "<lambda>" else None
        except SyntaxError:  # (Python 3.10 has no column to find it by: say so)
            tree = None
    node = _find_function(tree, f, filename, first) if tree is not None else None
    if node is None:
        raise SourceUnavailableError(
            f"cannot find the definition of {name!r} in its source; define it with def in a file.",
            filename, first)
    nodes = list(gast.walk(node))
    for n in nodes:
        if hasattr(n, "lineno"):
            n.lineno += first - 1
    return _finish(f, node, filename, {first + i: line.rstrip("\n")
                                       for i, line in enumerate(src_lines)}, nodes, as_written)


def _def_lines(code, module_globals):
    """The lines of the `def` that compiled `code` (its decorators first), the first one's number
    and their gast tree: inspect.getsourcelines's lines without its tokenizer (slow on long code):
    the block ends before the first line of code indented no deeper than the `def`. Such a line
    inside the function can only be in a string or a bracket, or follow a backslash: then the
    lines cut there do not parse, and None says to ask inspect. A lambda: None."""
    first = code.co_firstlineno
    linecache.checkcache(code.co_filename)  # (an edited file is read anew, as inspect does)
    lines = linecache.getlines(code.co_filename, module_globals)
    if code.co_name == "<lambda>" or not 0 < first <= len(lines):
        return None
    head = lines[first - 1]
    indent = len(head) - len(head.lstrip())
    end = next((k + 1 for k in range(first - 1, len(lines)) if  # (past the decorators)
                lines[k].startswith(("def ", "async def "), indent)), None)
    if end is None:
        return None
    for k in range(end, len(lines)):  # (lines[k] is line k + 1)
        text = lines[k].strip()
        if text and not text.startswith("#"):
            if len(lines[k]) - len(lines[k].lstrip()) <= indent and \
                    not lines[k].lstrip().startswith(")"):  # (`) -> float:` of a long def line)
                break
            end = k + 1
    block = lines[first - 1:end]
    try:
        return block, first, gast.parse(textwrap.dedent("".join(block)))
    except (SyntaxError, ValueError):
        return None


def signature_of(f):
    """The parameters f is differentiated by: its own, not those of the function it wraps
    (functools.wraps: its source is not f's), except a wrapper taking only *args and **kwargs
    around one with plain parameters, which takes those (parse gives its node them)."""
    own = inspect.signature(f, follow_wrapped=False)
    if getattr(f, "__wrapped__", None) is None or \
            any(p.kind not in _SPREAD for p in own.parameters.values()):
        return own
    try:
        inner = inspect.signature(f)
    except (TypeError, ValueError):
        return own
    plain = all(p.kind in _PLAIN for p in inner.parameters.values())
    return inner if plain and inner.parameters else own


_SPREAD = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
_PLAIN = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _wrapper_parameters(f, node):
    """A wrapper's `def wrapper(*args, **kwargs)` given the wrapped function's parameters
    (signature): `def wrapper(x, y): args = (x, y); kwargs = {}` (the call binds defaults)."""
    parameters = signature_of(f).parameters.values()
    names = [p.name for p in parameters]
    args = node.args
    if args.args or args.posonlyargs or not (args.vararg or args.kwarg) or not names or \
            any(p.kind in _SPREAD for p in parameters):  # (its own: the wrapped one is not plain)
        return
    used = {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}
    if used & set(names):
        raise UnsupportedSyntaxError(
            f"{node.name} wraps a function whose parameters ({', '.join(names)}) it also uses "
            "as names; rename them in the wrapper", getattr(f.__code__, "co_filename", None),
            node.lineno)
    first = node.body[0]

    def at(n):
        return gast.copy_location(n, first)
    params = [at(gast.Name(id=p, ctx=gast.Param(), annotation=None, type_comment=None))
              for p in names]
    body = []
    if args.vararg:
        body.append(at(gast.Assign(targets=[at(gast.Name(
            id=args.vararg.id, ctx=gast.Store(), annotation=None, type_comment=None))],
            value=at(gast.Tuple(elts=[at(gast.Name(id=p, ctx=gast.Load(), annotation=None,
                                                   type_comment=None)) for p in names],
                                ctx=gast.Load())), type_comment=None)))
    if args.kwarg:
        body.append(at(gast.Assign(targets=[at(gast.Name(
            id=args.kwarg.id, ctx=gast.Store(), annotation=None, type_comment=None))],
            value=at(gast.Dict(keys=[], values=[])), type_comment=None)))
    node.args = gast.arguments(args=params, posonlyargs=[], vararg=None, kwonlyargs=[],
                               kw_defaults=[], kwarg=None, defaults=[])
    node.body = body + node.body


def _finish(f, node, filename, lines, nodes=None, as_written=False):
    code = f.__code__
    if getattr(f, "__wrapped__", None) is not None and not as_written:
        _wrapper_parameters(f, node)
        nodes = None
    scope = dict(vars(builtins))
    scope.update(getattr(f, "__globals__", {}))
    if code.co_freevars and f.__closure__:
        for var, cell in zip(code.co_freevars, f.__closure__):
            try:
                scope[var] = cell.cell_contents
            except ValueError:  # an empty cell: the variable is not assigned yet
                pass
    filename = getattr(f, "__adcompile_file__", filename)  # (lower/closures.py: the user's)
    parsed = Parsed(node, filename, lines, scope, getattr(f, "__globals__", {}),
                    list(gast.walk(node)) if nodes is None else nodes)
    _fence(parsed)
    desugar(parsed)
    return parsed


def _parameters(code):
    """A lambda's parameter list as source (without defaults, which its code does not hold)."""
    names, n, kw = code.co_varnames, code.co_argcount, code.co_kwonlyargcount
    params = list(names[:n])
    if code.co_posonlyargcount:
        params.insert(code.co_posonlyargcount, "/")
    star = code.co_flags & inspect.CO_VARARGS
    if star:
        params.append("*" + names[n + kw])
    elif kw:
        params.append("*")
    params += names[n:n + kw]
    if code.co_flags & inspect.CO_VARKEYWORDS:
        params.append("**" + names[n + kw + (1 if star else 0)])
    return ", ".join(params)


def _written_parameters(args):
    """A gast parameter list as `_parameters` writes it."""
    names = [a.id for a in args.posonlyargs] + (["/"] if args.posonlyargs else []) + \
        [a.id for a in args.args]
    if args.vararg is not None:
        names.append("*" + args.vararg.id)
    elif args.kwonlyargs:
        names.append("*")
    names += [a.id for a in args.kwonlyargs]
    if args.kwarg is not None:
        names.append("**" + args.kwarg.id)
    return ", ".join(names)


def _lambda_by_position(f, filename):
    """A lambda's body cut out of its source by the columns its code object records (Python
    3.11+), so a lambda that shares its line with other code or other lambdas is found exactly."""
    positions = getattr(f.__code__, "co_positions", None)
    spans = [p for p in positions() if None not in p and p[2:] != (0, 0)] if positions else []
    lines = linecache.getlines(filename)
    if not spans or not lines:
        return None, None
    (line, col), (end_line, end_col) = min((p[0], p[2]) for p in spans), \
        max((p[1], p[3]) for p in spans)
    chunk = [text.encode() for text in lines[line - 1:end_line]]  # columns count UTF-8 bytes
    body = chunk[0][col:end_col] if len(chunk) == 1 else \
        chunk[0][col:] + b"".join(chunk[1:-1]) + chunk[-1][:end_col]
    params = _parameters(f.__code__)
    text = f"(lambda {params}:\n{body.decode()}\n)"
    try:
        lam = gast.parse(text).body[0].value
    except SyntaxError:
        return None, None
    for n in gast.walk(lam):
        if hasattr(n, "lineno"):
            n.lineno += line - 2
    ret = gast.copy_location(gast.Return(value=lam.body), lam.body)
    fn = gast.FunctionDef(name="lambda_", args=lam.args, body=[ret], decorator_list=[],
                          returns=None, type_comment=None, type_params=[])
    fn.lineno = line
    return fn, text


def _find_function(tree, f, filename, first):
    if f.__code__.co_name != "<lambda>":  # (functools.wraps gives a wrapper f's __name__)
        for n in gast.walk(tree):
            if isinstance(n, gast.FunctionDef) and n.name == f.__code__.co_name:
                n.decorator_list = []
                return n
        return None
    params = _parameters(f.__code__)
    found = [n for n in gast.walk(tree) if isinstance(n, gast.Lambda)
             and _written_parameters(n.args) == params]
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


def check_parameters(parsed: Parsed):
    """The differentiated function's own parameters are listed by name (inlined helpers may
    take *args, **kwargs and keyword-only parameters)."""
    node = parsed.node
    args = node.args
    if args.vararg or args.kwarg or args.kwonlyargs:
        error = UnsupportedSyntaxError(
            f"{node.name} takes *args, **kwargs or keyword-only parameters, whose derivative is "
            "compiled for the arguments of a call: call the derivative (grad, jvp, jacfwd, ... "
            "of it) with them; source(df, at=args) shows the code.", *parsed.where(node))
        error.maybe_container = True  # (boundary.py: compiled at the first call)
        raise error


def _fence(parsed: Parsed):
    """Reject unsupported constructs early, naming the first one and its line."""
    node = parsed.node
    for n in parsed.nodes:
        if n is node:
            continue
        what = UNSUPPORTED.get(type(n))
        if type(n) is gast.Delete and all(type(t) is gast.Subscript and type(t.slice) is not
                                          gast.Slice for t in n.targets):
            what = None  # del xs[k], del d[k]: xs.pop(k), d.pop(k) (sugar.py)
        elif type(n) is gast.Delete:
            raise UnsupportedSyntaxError(
                "del of a name, an attribute or a slice is not supported in differentiated "
                "code; drop it (a name no longer read needs no del), or rebuild the list "
                "(xs = xs[:i] + xs[j:]); del xs[k] and del d[k] are supported.",
                *parsed.where(n))
        if type(n) is gast.Match:
            what = _match_refusal(n)
        if type(n) is gast.AnnAssign and n.value is None:
            what = _bare_annotation_refusal(n, parsed)
        if what is not None:
            raise UnsupportedSyntaxError(
                f"{what} is not supported in differentiated code; rewrite it or move it outside "
                "the function.", *parsed.where(n))
    if any(type(n) is gast.NamedExpr for n in parsed.nodes):
        for n in sorted(_on_some_paths(node), key=lambda n: (n.lineno, n.col_offset))[:1]:
            raise UnsupportedSyntaxError(
                "the walrus operator := inside a condition, a while test, a comprehension or a "
                "lambda (evaluated on some paths only, again each step, or in a scope of its "
                "own) is not supported; assign the name in a statement before it",
                *parsed.where(n))


def _match_refusal(node):
    """Words for what a match statement has that its if/elif chain (sugar.py) cannot say, or
    None."""
    for case in node.cases:
        what = match_refusal(case.pattern, case.guard is not None)
        if what is not None:
            return f"a match statement with {what} (literal patterns: case \"l2\":, case 1 | " \
                "2:, case None:, and case _: or a capture without a guard are lowered as the " \
                "if/elif chain they are)"
    return None


def _bare_annotation_refusal(node, parsed):
    """None for `z: T` of a name the function also assigns or never reads (then it does
    nothing: sugar.py drops it), else words for the refusal: Python makes the name local, so a
    read of it is an UnboundLocalError, not a read of a global."""
    written = ast.unparse(gast.gast_to_ast(node)).strip()
    target = node.target
    if isinstance(target, gast.Name) and (not any(
            isinstance(n, gast.Name) and n.id == target.id and isinstance(n.ctx, gast.Load)
            for n in parsed.nodes) or any(
            isinstance(n, gast.Name) and n.id == target.id and not isinstance(n.ctx, gast.Load)
            and n is not target for n in parsed.nodes)):
        return None
    if isinstance(target, gast.Name):
        return f"an annotation without a value ({written}) of a name the function reads but " \
            "never assigns (Python makes it local: reading it raises UnboundLocalError)"
    return f"an annotation without a value of an attribute or item ({written})"


_ONE_PATH = (gast.Lambda, gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)


def _on_some_paths(node):
    """The `:=` expressions under `node` that run on some paths only (the later operands of
    `and`/`or` and of a comparison chain, the branches of `a if c else b`), again at each step
    (a while test) or bind in another scope (comprehensions, lambdas): lowering binds a name
    where it lowers an expression, once. (A stack, not recursion: expressions nest deeply.)"""
    stack = [(node, False)]
    while stack:
        parent, some = stack.pop()
        for name, value in gast.iter_fields(parent):
            for k, child in enumerate(value if isinstance(value, list) else [value]):
                if not isinstance(child, gast.AST):
                    continue
                inside = some or isinstance(parent, _ONE_PATH) or \
                    isinstance(parent, gast.While) and name == "test" or \
                    isinstance(parent, gast.BoolOp) and k > 0 or \
                    isinstance(parent, gast.IfExp) and name != "test" or \
                    isinstance(parent, gast.Compare) and name == "comparators" and k > 0
                if inside and isinstance(child, gast.NamedExpr):
                    yield child
                stack.append((child, inside))


# --- the source read is the code that runs ---------------------------------------------------
_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag


def _check_current(f, text, filename, first):
    """Raise StaleSourceError unless `text`, what the file holds now, compiles to `f.__code__`.

    A file edited after import would otherwise be differentiated as its new text against the old
    running code. The text is compiled in a scope like the one `f` was defined in (its class, for
    name mangling; an enclosing function holding its free variables) and the code object of that
    name is compared with f's, except for line numbers, columns and flags: moving a function in
    its file is not an edit of the function. Text that does not compile alone (a lambda cut out of
    a larger expression) is not checked. Runs once per transformation, not per call."""
    code = f.__code__
    if hasattr(f, "__adcompile__"):  # generated: compiled from this very text
        return
    source = _in_scope(f, text)
    if source is None:
        return
    # the modules f reads, bound by imports as in f's file: Python 3.11 compiles math.sin(x)
    # differently when math is imported, and then the bytes compare as they are (_same_code)
    scope = getattr(f, "__globals__", {})
    imports = [name for name in code.co_names if isinstance(scope.get(name), ModuleType)]
    source = "".join(f"import {name}\n" for name in imports) + source
    try:
        module = compile(source, filename, "exec", flags=code.co_flags & _FUTURE_FLAGS,
                         dont_inherit=True)
    except (SyntaxError, ValueError):
        return
    candidates = list(_codes_named(module, code.co_name))
    if any(_same_code(c, code) for c in candidates):
        return
    want = _fingerprint(code)
    if any(_fingerprint(c) == want for c in candidates):
        return
    raise StaleSourceError(
        f"{f.__qualname__} in this file is not the code that runs: the file was edited after it "
        "was imported. Reload the module (importlib.reload) or restart Python, then "
        "differentiate again.", filename, first)


def _in_scope(f, text):
    """`text` with a header that recreates the scope of f's definition, or None if it cannot."""
    lines = text.splitlines(True)
    if not lines:
        return None
    indent = lines[0][:len(lines[0]) - len(lines[0].lstrip())]
    parts = f.__qualname__.split(".")
    in_class = len(parts) > 1 and parts[-2] != "<locals>" and f.__name__ != "<lambda>"
    free = [v for v in f.__code__.co_freevars if not (in_class and v == "__class__")]
    bind = f"{' = '.join(free)} = None"
    if not indent:  # a def at module level, or a lambda cut out by columns (an expression)
        if in_class or free and not lines[0].startswith("(lambda"):
            return None
        return f"def __adcompile_scope__():\n {bind}\n return {text.strip()}\n" if free else text
    if indent.strip():
        return None
    if in_class and free:
        if len(indent) < 2:
            return None
        return f"def __adcompile_scope__():\n {bind}\n class {parts[-2]}:\n{text}"
    if in_class:
        return f"class {parts[-2]}:\n{text}"
    if free:
        return f"def __adcompile_scope__():\n{indent}{bind}\n{text}"
    return "if 1:\n" + text


def _codes_named(code, name):
    for c in code.co_consts:
        if isinstance(c, CodeType):
            if c.co_name == name:
                yield c
            yield from _codes_named(c, name)


def _same_code(a, b):
    """The same bytes, names and constants: then the same _fingerprint, found without
    disassembling (the common case, a file not edited since import)."""
    return (a.co_code == b.co_code and a.co_names == b.co_names and a.co_varnames == b.co_varnames
            and a.co_freevars == b.co_freevars and a.co_cellvars == b.co_cellvars
            and a.co_argcount == b.co_argcount and a.co_posonlyargcount == b.co_posonlyargcount
            and a.co_kwonlyargcount == b.co_kwonlyargcount
            and len(a.co_consts) == len(b.co_consts)
            and all(_same_code(x, y) if type(x) is CodeType and type(y) is CodeType
                    else type(x) is type(y) and repr(x) == repr(y)
                    for x, y in zip(a.co_consts, b.co_consts)))


def _fingerprint(code):
    """What a code object does, without where its lines are: its instructions and their
    arguments, less what the compiler decides from the surroundings (a name bound by an import
    at module level calls its attribute with LOAD_ATTR, not LOAD_METHOD, in 3.11; an enclosing
    function copies free variables in; line-event NOPs) and less jump offsets, which those shift."""
    out = []
    for ins in dis.get_instructions(code):
        op, arg = ins.opname, ins.argval
        if op in _CONTEXT_OPS:
            continue
        if op == "MAKE_FUNCTION" and out and out[-1][0] == "LOAD_CONST" and out[-1][1][0] == "str":
            out.pop()  # Python 3.10 loads the nested function's qualified name first
        if ins.opcode in _JUMPS:
            arg = None
        elif isinstance(arg, CodeType):
            arg = _fingerprint(arg)
        elif op == "LOAD_CONST" or op == "RETURN_CONST":
            arg = (type(arg).__name__, repr(arg))  # nan is nan, -0.0 is not 0.0
        out.append((_SAME_OP.get(op, op), arg))
    return (tuple(out), code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount)


_CONTEXT_OPS = {"RESUME", "NOP", "CACHE", "EXTENDED_ARG", "COPY_FREE_VARS", "MAKE_CELL",
                "PUSH_NULL", "PRECALL"}
_SAME_OP = {"LOAD_METHOD": "LOAD_ATTR"}
_JUMPS = set(dis.hasjrel) | set(dis.hasjabs)
