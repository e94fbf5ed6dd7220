"""Flat code: the small typed IR that every pipeline stage passes to the next.

Expressions are `Var`, `Const` and `Op` (a primitive applied to expressions). The lowered user
function is *flat*: every `Assign` holds one `Op` over atoms (`Var`/`Const`). Derivative code built
from rule templates may nest `Op`s (`grad_L * (1 - L) * L`), which is what the lecture writes.
Statements are `Assign` and `Return`; structured statements (`If`, ...) hold nested blocks, so the
printed Python keeps the program's shape.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain


class Inlined(int):
    """The line of a statement inlined from a helper: the caller's line, to which generated code
    is attributed, and the helper's own (file, line) in `place`, which an error names."""
    place: tuple | None

    def __new__(cls, line, place=None):
        self = super().__new__(cls, int(line))
        self.place = place
        return self


@dataclass(slots=True, frozen=True)
class Var:
    name: str


@dataclass(slots=True, frozen=True)
class Const:
    value: object

    def __eq__(self, other):
        # 1 == 1.0 == True in Python; constants must also agree on type to be interchangeable.
        return type(other) is Const and type(self.value) is type(other.value) and (
            self.value is other.value or _same_value(self.value, other.value))

    def __hash__(self):
        try:
            return hash((type(self.value), self.value))
        except TypeError:  # (a slice before Python 3.12, an array): equal ones hash alike
            return hash(type(self.value))


def _same_value(a, b):
    try:
        return bool(a == b)
    except Exception:  # arrays and other values without a scalar ==
        return False


@dataclass(slots=True, frozen=True)
class Op:
    """A primitive (a key of `primitives.PRIMS`) applied to positional and keyword expressions."""
    prim: str
    args: tuple
    kwargs: tuple = ()  # ((name, expr), ...)


Atom = Var | Const
Expr = Var | Const | Op


@dataclass(slots=True)
class Assign:
    target: str | tuple | None  # None: evaluated for its effect only; a tuple unpacks (tape pops)
    value: Expr
    line: int | None = None  # the user's source line this statement comes from


@dataclass(slots=True)
class Return:
    values: list  # of Expr
    as_tuple: bool  # the user returned a tuple (``return a, b``)
    line: int | None = None


@dataclass(slots=True)
class If:
    test: Expr
    body: list
    orelse: list
    line: int | None = None


@dataclass(slots=True)
class For:
    """`for target in range(*bounds): body`; reverse mode may iterate `reversed(...)` and may stop
    after `count` iterations (a name) when the forward loop broke early."""
    target: str
    bounds: tuple  # of Atom: range's arguments
    body: list
    line: int | None = None
    reverse: bool = False
    count: object = None  # an Atom: only the first `count` iterations of the range
    sweep: str = ""  # "forward" or "backward": a loop of a gradient's sweep (see optimize.collect)


@dataclass(slots=True)
class While:
    """`while test: body`; the statements computing `test` stand before the loop and again at the
    end of its body."""
    test: object  # an Atom
    body: list
    line: int | None = None


@dataclass(slots=True)
class Break:
    line: int | None = None


Stmt = Assign | Return | If | For | While | Break


PRINTERS: list = []  # unparse.to_source, once unparse is imported


@dataclass(slots=True)
class Function:
    name: str
    params: list  # of str
    body: list  # of Stmt
    filename: str = "<unknown>"
    source_lines: dict = field(default_factory=dict)  # line number -> user's source text
    constants: dict = field(default_factory=dict)  # global/closure names read -> their values
    dependencies: list = field(default_factory=list)  # (globals dict, name, object) it resolved
    arguments: list = field(default_factory=list)  # (name, pytree.Tree or None, leaf names)
    containers: tuple = ()  # parameters read as containers (analysis.may_hold_containers)
    receivers: set = field(default_factory=set)  # names an array method is called on (x.sum())
    out_tree: object = None  # the pytree.Tree of a container result, returned as its leaves
    aux_tree: object = None  # has_aux: the pytree.Tree of an aux returned as its leaves
    errstate: dict = field(default_factory=dict)  # line -> np.errstate settings around it
    unknown: dict = field(default_factory=dict)  # function constant without a rule -> message
    opaque: set = field(default_factory=set)  # names holding what such a function returned
    defaults: dict = field(default_factory=dict)  # parameter -> the user's default value
    changes_arguments: object = None  # (file, line) changing a container argument in place

    def __repr__(self):  # printed as Python by the printer unparse.py registers
        return PRINTERS[0](self) if PRINTERS else f"<Function {self.name}>"


def copy_block(stmts):
    """A copy of a block whose statements (mutable) are new and whose expressions (frozen) are
    shared: what copy.deepcopy would give, at a fraction of its cost."""
    out = []
    for s in stmts:
        t = type(s)
        if t is Assign:
            out.append(Assign(s.target, s.value, s.line))
        elif t is If:
            out.append(If(s.test, copy_block(s.body), copy_block(s.orelse), s.line))
        elif t is For:
            out.append(For(s.target, s.bounds, copy_block(s.body), s.line, s.reverse, s.count,
                           s.sweep))
        elif t is While:
            out.append(While(s.test, copy_block(s.body), s.line))
        elif t is Return:
            out.append(Return(list(s.values), s.as_tuple, s.line))
        else:
            out.append(Break(s.line))
    return out


def walk_stmts(stmts):
    """Every statement of a block, nested blocks included, in program order. (A stack of the
    lists being walked, not recursion: each statement costs the same at any depth.)"""
    stack = [iter(stmts)]
    while stack:
        for s in stack[-1]:
            yield s
            if type(s) in NESTING:
                stack.append(chain.from_iterable(blocks_of(s)))
                break
        else:
            stack.pop()


def walk_exprs(expr):
    """Yield `expr` and every expression nested in it, each before its operands, in order."""
    stack = [expr]
    while stack:
        e = stack.pop()
        yield e
        if type(e) is Op:
            stack.extend(v for _, v in reversed(e.kwargs))
            stack.extend(reversed(e.args))


def used_names(expr):
    """The names an expression reads."""
    t = type(expr)
    if t is Var:
        return {expr.name}
    out = set()
    if t is not Op:
        return out
    stack = [expr]
    while stack:
        e = stack.pop()
        if type(e) is Var:
            out.add(e.name)
        elif type(e) is Op:
            stack.extend(e.args)
            stack.extend(v for _, v in e.kwargs)
    return out


def stmt_exprs(stmt):
    """The expressions a statement reads (not those of nested blocks)."""
    if type(stmt) is Assign:
        return [stmt.value]
    if type(stmt) is Return:
        return list(stmt.values)
    if type(stmt) is If:
        return [stmt.test]
    if type(stmt) is For:
        return list(stmt.bounds) + ([stmt.count] if stmt.count is not None else [])
    if type(stmt) is While:
        return [stmt.test]
    return []


NESTING = frozenset({If, For, While, Function})  # the statements that hold blocks


def blocks_of(stmt):
    """The statement lists nested directly in a statement."""
    t = type(stmt)
    if t is Assign or t is Return:  # (most statements: asked once per statement by every pass)
        return ()
    if t is If:
        return [stmt.body, stmt.orelse]
    if t in (For, While):
        return [stmt.body]
    if t is Function:
        return [stmt.body]
    return ()


def targets_of(stmt):
    """Names a statement assigns, nested blocks included."""
    out: list = []
    _targets(stmt, out)
    return out


def _targets(stmt, out):
    t = type(stmt)
    if t is Assign:
        if stmt.target is not None:
            out.extend(stmt.target) if type(stmt.target) is tuple else out.append(stmt.target)
        return
    if t is For:
        out.append(stmt.target)
    for block in blocks_of(stmt):
        for s in block:
            _targets(s, out)


def uses_of(stmt):
    """Names a statement reads, nested blocks included."""
    out = set()
    for e in stmt_exprs(stmt):
        out |= used_names(e)
    for block in blocks_of(stmt):
        for s in block:
            out |= uses_of(s)
    return out


def substitute(expr, mapping):
    """Replace variables by expressions (`mapping`: name -> Expr)."""
    t = type(expr)
    if t is Var:
        return mapping.get(expr.name, expr)
    if t is Const:
        return expr
    args = tuple(substitute(a, mapping) for a in expr.args)
    kwargs = tuple((k, substitute(v, mapping)) for k, v in expr.kwargs)
    if all(a is b for a, b in zip(args, expr.args)) and \
            all(a[1] is b[1] for a, b in zip(kwargs, expr.kwargs)):
        return expr  # nothing replaced: the same object (passes tell changes by identity)
    return Op(expr.prim, args, kwargs)


def verify(fn: Function):
    """Check that flat code is well formed: every name is assigned before it is read (in program
    order), and a name assigned twice is a merge or loop-carried name of a structured statement."""
    defined = set(fn.params) | set(fn.constants)

    def check_block(stmts):
        for s in stmts:
            missing = set()
            for e in stmt_exprs(s):
                missing |= used_names(e) - defined
            if type(s) in (For, While):  # a loop body may read what it assigns later
                defined.update(targets_of(s))
            if missing - {"float"}:
                raise AssertionError(f"{sorted(missing)} used before definition in {s}")
            if type(s) is Assign:
                defined.update(targets_of(s))
            elif type(s) is For:
                defined.add(s.target)
            elif type(s) is Function:  # a nested def (vjp's pullback): its parameters
                defined.update([s.name] + [p.split("=")[0] for p in s.params])
            for block in blocks_of(s):
                check_block(block)

    check_block(fn.body)
    top = [t for s in fn.body if type(s) is Assign for t in targets_of(s)]
    if len(top) != len(set(top)) and not any(type(s) in (For, While, If) for s in fn.body):
        raise AssertionError("a name is assigned twice in straight-line code")
    return True


class Namer:
    """Deterministic fresh names: temporaries avoid every name the user wrote; a user name is kept
    the first time it is assigned and versioned (`x_1`, `x_2`) after that."""

    def __init__(self, reserved, assigned=()):
        self.reserved = set(reserved)  # names written in the user's code
        self.assigned = set(assigned)  # names given out so far
        self.temps = set()
        self.counter = 0
        self.versions = {}  # base -> the version given out last (the sets only grow: start there)

    def temp(self):
        while f"s{self.counter}" in self.reserved or f"s{self.counter}" in self.assigned:
            self.counter += 1
        name = f"s{self.counter}"
        self.assigned.add(name)
        self.temps.add(name)
        return name

    def fresh(self, base):
        i = self.versions.get(base, 0)
        name = f"{base}_{i}" if i else base
        while name in self.assigned or (i and name in self.reserved):
            i += 1
            name = f"{base}_{i}"
        self.assigned.add(name)
        self.versions[base] = i
        return name
