"""Stage 1, continued: constructs rewritten into simpler ones before lowering, on the parsed
tree. `with np.errstate(...):` becomes the statements of its body, its settings recorded per line
(the printer puts the `with` back around what those lines make); the `else` of a `for` or `while`
becomes an `if` after the loop, on a flag that its breaks set; `enumerate(xs, start=k)` becomes
`enumerate(xs, k)`; `a = b = value` becomes `a = value; b = a`; `del xs[k]` becomes
`xs.pop(k)`; `import math`, `from math import exp` bind their names in the function's scope,
as if imported in its module (the statement itself becomes `pass`)."""
from __future__ import annotations

import importlib

import gast
import numpy as np

from .errors import UnsupportedSyntaxError


def desugar(parsed):
    """Rewrite `parsed.node` in place (the Parsed of parse.py) and walk its nodes again."""
    changed = _matches(parsed)
    changed = _bare_annotations(parsed) or changed
    changed = _imports(parsed) or changed
    changed = _splice_errstate(parsed) or changed
    changed = _loop_else(parsed) or changed
    changed = _chained_assignments(parsed) or changed
    changed = _deletions(parsed) or changed
    _iteration_keywords(parsed)
    if changed:
        parsed.nodes = list(gast.walk(parsed.node))


ERRSTATE_KEYS = ("divide", "over", "under", "invalid")
ERRSTATE_QUIET = ("ignore", "warn", "print", "log")  # settings that change messages, not results


def _splice_errstate(parsed) -> bool:
    """Replace each `with np.errstate(...):` by the statements of its body, recording the
    settings (nested blocks merged, `all` spelled out) for each line of the body in
    `parsed.errstate`: lowering gives them to the statements lowered from those lines, and the
    printer wraps those statements, and the derivative statements made from them, in the same
    `with` (unparse.py). Any other `with` is refused with its line."""
    if not any(isinstance(n, gast.With) for n in parsed.nodes):
        return False
    lists = [parsed.node.body]
    while lists:
        stmts = lists.pop()
        i = 0
        while i < len(stmts):
            s = stmts[i]
            if not isinstance(s, gast.With):
                lists.extend(_statement_lists(s))
                i += 1
                continue
            setting = {}
            for item in s.items:
                setting.update(_errstate_setting(item, parsed))
            for n in gast.walk(gast.Module(body=s.body, type_ignores=[])):
                line = getattr(n, "lineno", None)
                if line is not None:
                    parsed.errstate[line] = {**parsed.errstate.get(line, {}), **setting}
            stmts[i:i + 1] = s.body  # (looked at again: the body may hold a with)
    parsed.errstate = {line: tuple((k, v[k]) for k in ERRSTATE_KEYS if k in v)
                       for line, v in parsed.errstate.items()}
    return True


def _errstate_setting(item, parsed) -> dict:
    """The settings of one `with` item, which must be np.errstate with written keywords whose
    values only change what NumPy reports (the derivative's statements run under them too)."""
    where = parsed.where(item.context_expr)
    text = parsed.lines.get(where[1], "").strip()
    call = item.context_expr
    func = call.func if isinstance(call, gast.Call) else None
    obj = _static_object(func, parsed.scope) if func is not None else None
    if obj is not np.errstate:
        raise UnsupportedSyntaxError(
            f"with is not supported in differentiated code, except with np.errstate(...) "
            f"({text}); move it outside the function.", *where)
    if item.optional_vars is not None:
        raise UnsupportedSyntaxError(
            f"with np.errstate(...) as a name is not supported ({text}); drop the as-name",
            *where)
    setting = {}
    for kw in [None] * len(call.args) + list(call.keywords):
        key = kw.arg if kw is not None else None
        value = kw.value.value if kw is not None and isinstance(kw.value, gast.Constant) \
            else None
        if key not in ERRSTATE_KEYS + ("all",) or value not in ERRSTATE_QUIET:
            if value in ("raise", "call"):
                hint = (f"np.errstate with {value!r} is not supported in differentiated code "
                        "(the derivative's own statements would raise or call where the "
                        "function's do not); use 'ignore' or 'warn'")
            else:
                hint = ("np.errstate in differentiated code takes its settings as keywords "
                        f"written in the call (all, {', '.join(ERRSTATE_KEYS)}) with the values "
                        f"{', '.join(map(repr, ERRSTATE_QUIET))}")
            raise UnsupportedSyntaxError(f"{hint} ({text})", *where)
        if key == "all":
            setting.update({k: value for k in ERRSTATE_KEYS if k not in setting})
        else:
            setting[key] = value
    return setting


def _static_object(node, scope):
    """The object a name or dotted name (np.errstate) refers to in `scope`, or None."""
    attrs = []
    while isinstance(node, gast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, gast.Name) or node.id not in scope:
        return None
    obj = scope[node.id]
    for attr in reversed(attrs):
        obj = getattr(obj, attr, None)
    return obj


# --- for/while ... else ---------------------------------------------------------------------
def _loop_else(parsed) -> bool:
    """`for ...: body else: rest` becomes `broke = False; for ...: body (broke = True before each
    of its own breaks) ...; if not broke: rest` (without a break of its own: the loop, then rest).
    Inner loops first: an inner loop's else may break the outer loop."""
    loops = [n for n in parsed.nodes if isinstance(n, (gast.For, gast.While)) and n.orelse]
    if not loops:
        return False
    taken = {n.id for n in gast.walk(parsed.node) if isinstance(n, gast.Name)}
    for loop in reversed(loops):  # (nodes are walked breadth first: reversed, inner first)
        block = _block_of(parsed.node, loop)
        at = next(i for i, s in enumerate(block) if s is loop)
        rest, loop.orelse = loop.orelse, []
        breaks = list(_own_breaks(loop.body))
        if not breaks:
            block[at + 1:at + 1] = rest
            continue
        flag, k = "broke", 0
        while flag in taken:
            k += 1
            flag = f"broke_{k}"
        taken.add(flag)
        for stmts, brk in breaks:
            stmts.insert(next(i for i, s in enumerate(stmts) if s is brk), _set(flag, True, brk))
        test = gast.copy_location(gast.UnaryOp(op=gast.Not(), operand=_name(flag, gast.Load())),
                                  rest[0])
        block[at:at + 1] = [_set(flag, False, loop), loop,
                            gast.copy_location(gast.If(test=test, body=rest, orelse=[]), rest[0])]
    return True


def _statement_lists(stmt):
    return [getattr(stmt, name) for name in ("body", "orelse", "finalbody")
            if isinstance(getattr(stmt, name, None), list)]


def _block_of(node, stmt):
    """The statement list holding `stmt`."""
    lists = [node.body]
    while lists:
        stmts = lists.pop()
        if any(s is stmt for s in stmts):
            return stmts
        for s in stmts:
            lists.extend(_statement_lists(s))
    raise AssertionError("a statement outside its function")


def _own_breaks(body):
    """(statement list, break) for the breaks that leave the loop of `body`: not those of a
    nested loop's body or of a nested function."""
    lists = [body]
    while lists:
        stmts = lists.pop()
        for s in stmts:
            if isinstance(s, gast.Break):
                yield stmts, s
            elif isinstance(s, (gast.For, gast.While)):
                lists.append(s.orelse)
            elif not isinstance(s, (gast.FunctionDef, gast.ClassDef)):
                lists.extend(_statement_lists(s))


def _name(name, ctx):
    return gast.Name(id=name, ctx=ctx, annotation=None, type_comment=None)


def _set(name, value, where):
    return gast.copy_location(gast.Assign(targets=[_name(name, gast.Store())],
                                          value=gast.Constant(value=value, kind=None),
                                          type_comment=None), where)


# --- keywords of iteration helpers ---------------------------------------------------------------
def _iteration_keywords(parsed):
    """`enumerate(xs, start=k)` as `enumerate(xs, k)`, the one form lowering reads; zip's
    `strict=False` dropped; any other keyword of enumerate, zip or range refused."""
    for node in parsed.nodes:
        if not (isinstance(node, gast.Call) and node.keywords):
            continue
        helper = _static_object(node.func, parsed.scope)
        if helper not in (enumerate, zip, range):
            continue
        for kw in list(node.keywords):
            if helper is enumerate and kw.arg == "start" and len(node.args) == 1:
                node.args.append(kw.value)
            elif helper is zip and kw.arg == "strict" and isinstance(kw.value, gast.Constant) \
                    and kw.value.value is False:
                pass
            else:
                raise UnsupportedSyntaxError(
                    f"{helper.__name__}(..., {kw.arg}=...) is not supported in differentiated "
                    f"code ({parsed.lines.get(node.lineno, '').strip()}); "
                    + ("drop strict=True (lengths are not checked)" if kw.arg == "strict" else
                       "pass its arguments by position"), *parsed.where(node))
            node.keywords.remove(kw)


# --- import inside the function ----------------------------------------------------------------
def _imports(parsed) -> bool:
    """`import math`, `import numpy as np`, `import os.path`, `from math import exp as e` in the
    body: the names are bound in `parsed.scope` to what the statement imports now, as a module's
    import binds them, and the statement becomes `pass`. Refused with its line: a relative
    import, `import *`, a name the function also assigns (or a parameter), one name imported
    as two different objects."""
    if not any(isinstance(n, (gast.Import, gast.ImportFrom)) for n in parsed.nodes):
        return False
    assigned = {n.id for n in parsed.nodes if isinstance(n, gast.Name)
                and not isinstance(n.ctx, gast.Load)}
    bound: dict = {}

    def bind(s):
        if not isinstance(s, (gast.Import, gast.ImportFrom)):
            return None
        for name, obj in _imported(s, parsed):
            if name in assigned or name in bound and bound[name] is not obj:
                raise UnsupportedSyntaxError(
                    f"import binding {name}, a name the function also assigns or imports as "
                    "something else, is not supported; import it under a name of its own "
                    "(import ... as other), or at the top of the module", *parsed.where(s))
            bound[name] = parsed.scope[name] = obj
        return [gast.copy_location(gast.Pass(), s)]
    _replace_statements(parsed, bind)
    return True


def _imported(s, parsed):
    """(name, object) for each name the import statement `s` binds."""
    def module(dotted):
        try:
            return importlib.import_module(dotted)
        except ImportError as e:
            raise UnsupportedSyntaxError(f"import of {dotted} fails here ({e})",
                                         *parsed.where(s)) from None
    if isinstance(s, gast.Import):
        for alias in s.names:
            top = module(alias.name)
            if alias.asname is None:
                yield alias.name.split(".")[0], module(alias.name.split(".")[0])
            else:
                yield alias.asname, top
        return
    if s.level or any(alias.name == "*" for alias in s.names):
        raise UnsupportedSyntaxError(
            "a relative import or import * inside the differentiated function is not supported; "
            "import the names at the top of the module", *parsed.where(s))
    source = module(s.module)
    for alias in s.names:
        if hasattr(source, alias.name):
            obj = getattr(source, alias.name)
        else:  # (from package import submodule)
            obj = module(f"{s.module}.{alias.name}")
        yield alias.asname or alias.name, obj


# --- a = b = value -------------------------------------------------------------------------------
def _deletions(parsed) -> bool:
    """`del xs[i], d[k]` as `xs.pop(i); d.pop(k)`, in order (parse.py refuses any other del)."""
    if not any(isinstance(n, gast.Delete) for n in parsed.nodes):
        return False

    def popped(s):
        return [gast.copy_location(gast.Expr(value=gast.copy_location(gast.Call(
            func=gast.copy_location(gast.Attribute(value=_loaded(t.value), attr="pop",
                                                   ctx=gast.Load()), t),
            args=[t.slice], keywords=[]), t)), s) for t in s.targets] \
            if isinstance(s, gast.Delete) else None
    _replace_statements(parsed, popped)
    return True


def _replace_statements(parsed, replace):
    """Each statement s of the function, nested ones too, replaced by the list `replace(s)`
    returns (left as it is where that is None)."""
    lists = [parsed.node.body]
    while lists:
        stmts = lists.pop()
        for i in range(len(stmts) - 1, -1, -1):
            lists.extend(_statement_lists(stmts[i]))
            made = replace(stmts[i])
            if made is not None:
                stmts[i:i + 1] = made


def _loaded(node):
    """`node` (the base of a del target) read instead."""
    for n in gast.walk(node):
        if hasattr(n, "ctx") and isinstance(n.ctx, gast.Del):
            n.ctx = gast.Load()
    return node


def _chained_assignments(parsed) -> bool:
    """`a = y[0] = value` as `a = value; y[0] = a`: Python evaluates the value once and assigns
    it to each target from left to right. A first target that is not a name gets a new one."""
    if not any(isinstance(n, gast.Assign) and len(n.targets) > 1 for n in parsed.nodes):
        return False
    taken = {n.id for n in parsed.nodes if isinstance(n, gast.Name)}

    def one_by_one(s):
        if not (isinstance(s, gast.Assign) and len(s.targets) > 1):
            return None
        targets, first = s.targets, s.targets[0]
        made = []
        if not isinstance(first, gast.Name):
            name, k = "value", 0
            while name in taken:
                k += 1
                name = f"value_{k}"
            taken.add(name)
            made.append(_assign(_name(name, gast.Store()), s.value, s))
            first = made[0].targets[0]
        else:
            made.append(_assign(first, s.value, s))
            targets = targets[1:]
        return made + [_assign(t, _name(first.id, gast.Load()), s) for t in targets]
    _replace_statements(parsed, one_by_one)
    return True


def _assign(target, value, where):
    return gast.copy_location(gast.Assign(targets=[target], value=value, type_comment=None), where)


# --- match on literals; bare annotations ---------------------------------------------------------
def match_refusal(pattern, guarded):
    """What in a case's pattern an if/elif chain cannot say (words for a message), or None:
    literals (`case "l2"`, `case 1 | 2`, `case None`, `case Mode.A`), `case _` and a capture
    (`case other`, `case "a" as k`) without a guard are lowered."""
    if isinstance(pattern, (gast.MatchValue, gast.MatchSingleton)):
        return None
    if isinstance(pattern, gast.MatchOr):
        return next(filter(None, (match_refusal(p, guarded) for p in pattern.patterns)), None)
    if isinstance(pattern, gast.MatchAs):
        if pattern.name is not None and guarded:
            return "a capture pattern with a guard (case x if ...)"
        return None if pattern.pattern is None else match_refusal(pattern.pattern, guarded)
    return {gast.MatchSequence: "a sequence pattern (case [a, b])",
            gast.MatchMapping: "a mapping pattern (case {\"k\": v})",
            gast.MatchClass: "a class pattern (case Point(x=0))",
            gast.MatchStar: "a star pattern (case [a, *rest])"}.get(type(pattern), "this pattern")


def _pattern_test(pattern, subject):
    """The test `subject` passes where it matches `pattern` (None: it always does) and the
    names the pattern binds to it."""
    if isinstance(pattern, gast.MatchValue):
        return gast.copy_location(gast.Compare(left=subject(), ops=[gast.Eq()],
                                               comparators=[pattern.value]), pattern), []
    if isinstance(pattern, gast.MatchSingleton):
        return gast.copy_location(gast.Compare(left=subject(), ops=[gast.Is()], comparators=[
            gast.Constant(value=pattern.value, kind=None)]), pattern), []
    if isinstance(pattern, gast.MatchOr):
        tests = [_pattern_test(p, subject)[0] for p in pattern.patterns]
        return gast.copy_location(gast.BoolOp(op=gast.Or(), values=tests), pattern), []
    test, names = (None, []) if pattern.pattern is None else _pattern_test(pattern.pattern,
                                                                            subject)
    return test, names + ([pattern.name] if pattern.name is not None else [])


def _matches(parsed) -> bool:
    """`match kind:` with literal cases (parse.py refuses the others, match_refusal) as the
    if/elif chain it is: `if kind == "l2": ... elif kind in ...`, the subject evaluated once
    (into a name of its own unless it is a name), a capture bound to it where its case is
    taken, `case _:` the final else."""
    if not any(isinstance(n, gast.Match) for n in parsed.nodes):
        return False
    taken = {n.id for n in parsed.nodes if isinstance(n, gast.Name)}

    def chain(s):
        made, subject = [], s.subject
        if not isinstance(subject, gast.Name):
            name, k = "subject", 0
            while name in taken:
                k += 1
                name = f"subject_{k}"
            taken.add(name)
            made.append(_assign(_name(name, gast.Store()), subject, s))
            subject = _name(name, gast.Load())
        orelse: list = []
        for case in reversed(s.cases):
            test, names = _pattern_test(case.pattern, lambda: gast.copy_location(
                _name(subject.id, gast.Load()), s))
            body = [_assign(_name(n, gast.Store()), _name(subject.id, gast.Load()), case.pattern)
                    for n in names] + case.body
            if case.guard is not None:
                test = case.guard if test is None else gast.copy_location(
                    gast.BoolOp(op=gast.And(), values=[test, case.guard]), case.guard)
            orelse = body if test is None else [gast.copy_location(
                gast.If(test=test, body=body, orelse=orelse), case.pattern)]
        return made + (orelse or [gast.copy_location(gast.Pass(), s)])

    lists = [parsed.node.body]
    while lists:
        stmts = lists.pop()
        for i in range(len(stmts) - 1, -1, -1):
            if isinstance(stmts[i], gast.Match):
                stmts[i:i + 1] = made = chain(stmts[i])
                lists.append(made)  # (a match in a case's body)
            else:
                lists.extend(_statement_lists(stmts[i]))
    return True


def _bare_annotations(parsed) -> bool:
    """`z: np.ndarray` without a value does nothing in a function (parse.py refuses one whose
    name the function does not assign, which it makes local): it becomes `pass`."""
    if not any(isinstance(n, gast.AnnAssign) and n.value is None for n in parsed.nodes):
        return False
    _replace_statements(parsed, lambda s: [gast.copy_location(gast.Pass(), s)] if isinstance(
        s, gast.AnnAssign) and s.value is None else None)
    return True
