"""What lowering reads off the code without lowering it: names loaded and stored in gast
statements, how a loop body may leave, the ends of a lowered block; the env keys of lowering's flags;
the kinds of value an env holds besides Var and Const."""
from __future__ import annotations

import functools
import re
import types
from dataclasses import dataclass

import gast
import numpy as np

from ..depends import MISSING as MISSING  # (lower's modules read it here)
from ..errors import UnsupportedSyntaxError
from ..ir import Assign, Break, Const, If, Op, Var



SCALARS = (int, float, complex, bool, np.generic, str, type(None))


@dataclass(frozen=True, slots=True)
class Static:
    """A value known at transformation time that is not data: a module or a function."""
    obj: object


def uncached(obj):
    """The function a functools.cache or lru_cache wraps, differentiated in its place: the cache
    only saves time (generated code calls no cache); anything else as it is."""
    inner = getattr(obj, "__wrapped__", None)
    return inner if isinstance(obj, functools._lru_cache_wrapper) and \
        isinstance(inner, types.FunctionType) else obj


def sequence_kinds(nodes, stacks=frozenset()):
    """For each name assigned only list displays (`[...]`, list comprehensions) "list", only
    tuple displays "tuple": the lowering keeps both as the same known sequence, but NumPy indexes
    with them differently (`W[[0, 1]]` takes rows, `W[(0, 1)]` one entry). `nodes`: every node
    of the function. A pop from one of the `stacks` (generated code's tape) into a name that is
    pushed onto it by name restores a value of that name: it leaves the name's kind as is."""
    kinds: dict = {}
    direct = _restored(nodes, stacks) if stacks else set()
    for n in nodes:
        if isinstance(n, gast.Assign):
            kind = display_kind(n.value)
            for t in n.targets:
                if isinstance(t, gast.Name) and id(t) not in direct:  # (not `s3 = tape.pop()`)
                    kinds.setdefault(t.id, set()).add(kind)
                    direct.add(id(t))
        elif isinstance(n, gast.For) and isinstance(n.target, gast.Name) and \
                isinstance(n.iter, (gast.List, gast.Tuple)):  # for idx in [(0, 1), (1, 2)]
            items = {display_kind(e) for e in n.iter.elts}
            kinds.setdefault(n.target.id, set()).add(items.pop() if len(items) == 1 else "other")
            direct.add(id(n.target))
    for n in nodes:  # bound any other way (unpacking, a loop, +=): not known
        if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Del)) and \
                id(n) not in direct:
            kinds.setdefault(n.id, set()).add("other")
    return {name: next(iter(k)) for name, k in kinds.items() if len(k) == 1 and "other" not in k}


def _restored(nodes, stacks):
    """The ids of the names that `a, s1 = tape.pop()` binds, where `tape` is a stack that some
    `tape.append((..., s1, ...))` pushes the same name onto."""
    pushed: dict = {}
    for n in nodes:
        if is_append(n) and n.func.value.id in stacks and len(n.args) == 1:
            items = n.args[0].elts if isinstance(n.args[0], gast.Tuple) else n.args
            pushed.setdefault(n.func.value.id, set()).update(
                e.id for e in items if isinstance(e, gast.Name))
    out = set()
    for n in nodes:
        if isinstance(n, gast.Assign) and len(n.targets) == 1 and is_pop(n.value) and \
                n.value.func.value.id in stacks:
            target = n.targets[0]
            for t in target.elts if isinstance(target, gast.Tuple) else [target]:
                if isinstance(t, gast.Name) and t.id in pushed.get(n.value.func.value.id, ()):
                    out.add(id(t))
    return out


def display_kind(node):
    """"list" for a list display or comprehension, "tuple" for a tuple display."""
    return "list" if isinstance(node, (gast.List, gast.ListComp)) else \
        "tuple" if isinstance(node, gast.Tuple) else "other"


def returned_kind(node, kinds):
    """"list" when every return of the function `node` returns a list display, a comprehension
    or a name only those are assigned to (`kinds`: sequence_kinds); else None."""
    found = {display_kind(n.value) if not isinstance(n.value, gast.Name) else
             kinds.get(n.value.id) for n in walk_own(node.body) if isinstance(n, gast.Return)}
    return "list" if found == {"list"} else None


COMPREHENSIONS = (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)


def loaded(stmts):
    """Names read anywhere in gast statements (`x += 1` reads x). A comprehension's own names
    (`p` of `sum(p["x"] for p in ps)`) are not read outside it: Python 3 gives them a scope of
    their own, so they do not keep a loop's `p` alive after it."""
    out = set()
    for s in stmts:
        _reads(s, out)
    return out


def _reads(node, out):
    if isinstance(node, COMPREHENSIONS):
        first, inner = node.generators[0], set()
        _reads(first.iter, out)  # (evaluated in the enclosing scope)
        for child in gast.iter_child_nodes(node):
            if not isinstance(child, gast.comprehension):
                _reads(child, inner)
        for k, g in enumerate(node.generators):
            for part in ([g.iter] if k else []) + list(g.ifs):
                _reads(part, inner)
        out |= inner - {t.id for g in node.generators for t in gast.walk(g.target)
                        if isinstance(t, gast.Name)}
        return
    if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
        out.add(node.id)
    elif isinstance(node, gast.AugAssign):
        target = node.target
        while isinstance(target, gast.Subscript):
            target = target.value
        if isinstance(target, gast.Name):
            out.add(target.id)
    for child in gast.iter_child_nodes(node):
        _reads(child, out)


def exposed(stmts):
    """Names gast statements may read before they assign them: what a loop's next iteration may
    read of this one. A plain assignment at the top of a block (`st = {...}`) or a def binds its
    names for the statements after it; nested blocks are followed the same way, binding nothing for
    what follows them (they may not run)."""
    return exposed_suffixes(stmts)[0]


def exposed_suffixes(stmts, tail=frozenset()):
    """exposed(stmts[k:]) for every k (and len(stmts)), in one pass from the end: what the
    statements after each one may read, without rescanning them at each statement. `tail`: what
    is read after them (a name the statements bind first is not read from before)."""
    out = [frozenset(tail)]
    for s in reversed(stmts):
        if isinstance(s, (gast.For, gast.While, gast.If)):
            head = s.iter if isinstance(s, gast.For) else s.test
            body = exposed(s.body)
            if isinstance(s, gast.For):  # `for b in bs:` binds b before its body reads it
                body -= {n.id for n in gast.walk(s.target) if isinstance(n, gast.Name)}
            out.append(loaded([gast.Expr(value=head)]) | body | exposed(s.orelse) | out[-1])
            continue
        after = out[-1]
        if isinstance(s, gast.Assign):  # (`i, o = a, b` binds i and o as two assignments do)
            after = after - {n for t in s.targets for n in _bound_by(t)}
        elif isinstance(s, gast.FunctionDef):  # a def binds its name too
            after = after - {s.name}
        out.append(frozenset(loaded([s])) | after)
    out.reverse()
    return out


def _bound_by(target):
    """The names an assignment target binds: a name, the names of a tuple or list of targets
    (starred too); not a subscript's or attribute's base, which it reads."""
    if isinstance(target, gast.Name):
        return [target.id]
    if isinstance(target, gast.Starred):
        return _bound_by(target.value)
    if isinstance(target, (gast.Tuple, gast.List)):
        return [n for t in target.elts for n in _bound_by(t)]
    return []


def stored(stmts):
    """Names assigned anywhere in gast statements (subscript writes and appends included)."""
    out = set()
    for s in stmts:
        for n in gast.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                out.add(n.id)
            elif isinstance(n, (gast.Assign, gast.AugAssign)):
                targets = list(getattr(n, "targets", None) or [n.target])
                for t in targets:
                    if isinstance(t, (gast.Tuple, gast.List)):  # y[j], y[k] = y[k], y[j]
                        targets.extend(t.elts)
                    while isinstance(t, (gast.Subscript, gast.Attribute)):
                        t = t.value  # x[i] = v, m.W = v, m[i][j] = v: x, m
                    if isinstance(t, gast.Name):
                        out.add(t.id)
            elif isinstance(n, gast.Call) and (is_append(n) or is_pop(n) or is_method_of_name(
                    n, ("extend",)) and len(n.args) == 1 and not n.keywords):
                out.add(n.func.value.id)  # (xs.extend(v) in a loop: xs carried, as append's)
            elif isinstance(n, gast.Call) and n.args and writes_first(n.func):
                t = n.args[0]  # np.add.at(a, i, v), np.copyto(a, b): a (forms.py)
                while isinstance(t, (gast.Subscript, gast.Attribute)):
                    t = t.value
                if isinstance(t, gast.Name):
                    out.add(t.id)
    return out


def writes_first(func):
    """Whether a call of `func` (a gast node) is a library call writing into its first argument,
    which forms.py lowers as an assignment: np.add.at, np.subtract.at, np.copyto,
    np.fill_diagonal, np.put, np.putmask, np.place, np.put_along_axis."""
    return isinstance(func, gast.Attribute) and (
        func.attr in ("copyto", "fill_diagonal", "put", "putmask", "place",
                      "put_along_axis") or
        func.attr == "at" and
        isinstance(func.value, gast.Attribute) and func.value.attr in ("add", "subtract"))


def is_pop(node):
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
        node.func.attr == "pop" and isinstance(node.func.value, gast.Name)


def is_append(node):
    """`xs.append(v)`: one argument, as list.append takes (np.append(out, v) takes two)."""
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
        node.func.attr == "append" and isinstance(node.func.value, gast.Name) and \
        len(node.args) == 1 and not node.keywords


def is_method_of_name(node, methods):
    """`xs.extend(...)`: a call of one of `methods` on a name."""
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
        node.func.attr in methods and isinstance(node.func.value, gast.Name)


def load_of(target):
    if isinstance(target, gast.Name):
        return gast.Name(id=target.id, ctx=gast.Load(), annotation=None, type_comment=None)
    if isinstance(target, gast.Subscript):
        return gast.Subscript(value=load_of(target.value), slice=target.slice, ctx=gast.Load())
    if isinstance(target, gast.Attribute):  # state.vel += ...: a field of a container
        return gast.Attribute(value=load_of(target.value), attr=target.attr, ctx=gast.Load())
    raise UnsupportedSyntaxError("augmented assignment to this target is not supported",
                                 getattr(target, "filename", None), getattr(target, "lineno", None))


RETURNED = "<returned>"  # env key of the flag a return inside a loop sets


# When some paths through a branch leave the loop body or the function (break, continue,
# return) and others go on, the env key GOING names a flag, False on the paths that left, and
# the statements after the branch run under `if going:`, a shape reverse mode can mirror. A
# function's values returned that way are kept under the keys `<out0>`, `<out1>`, ...
GOING = "<going>"


BROKE = "<broke>"  # True on the paths that break: the body's last statement is `if broke: break`


LEAVING = ("return", "break", "continue", "left")  # exits through which every path leaves


# what NumPy may hand back as a view of its first argument, or as the argument itself (a list
# of views for the splits): changing the result in place changes the argument
VIEWS = {"getitem", "T", "mT", "np.transpose", "np.matrix_transpose", "np.reshape", "np.ravel",
         "np.squeeze", "np.swapaxes", "np.moveaxis", "np.expand_dims", "np.diagonal",
         "np.broadcast_to", "np.broadcast_arrays", "np.atleast_1d", "np.atleast_2d",
         "np.atleast_3d", "np.real", "np.imag", "np.split", "np.array_split", "np.hsplit",
         "np.vsplit", "np.dsplit", "np.unstack", "np.asarray", "np.asanyarray",
         "np.ascontiguousarray", "np.asfortranarray", "np.asarray_chkfinite", "np.flip",
         "np.fliplr", "np.flipud", "np.rot90", "real", "imag", "conjugate", "np.real_if_close",
         "np.trim_zeros", "np.diag", "np.rollaxis", "np.diff", "np.polyder", "np.polyint",
         "np.linalg.matrix_power", "np.fft.fftn", "np.fft.ifftn", "np.einsum", "call", "view"} | {
    f"np.{np.dtype(code).type.__name__}" for code in np.typecodes["AllInteger"] + "?efd"}
# (x.real, x.conjugate() of a real x, np.float64(x) of a float64 x, np.diff(x, 0),
# np.linalg.matrix_power(x, 1), np.fft.fftn(x, axes=()) are x; np.einsum("ij->ji", x) a view)
VIEWS_OF_ALL = {"np.broadcast_arrays", "np.einsum", "call"}  # of every operand (the function's)


def only_returns(loop):
    """A `while True:` loop without a break of its own ends only by returning."""
    if not (isinstance(loop, gast.While) and isinstance(loop.test, gast.Constant) and
            loop.test.value is True):
        return False
    stack = list(loop.body)
    while stack:
        node = stack.pop()
        if isinstance(node, gast.Break):
            return False
        if not isinstance(node, (gast.For, gast.While, gast.FunctionDef, gast.Lambda)):
            stack.extend(gast.iter_child_nodes(node))
    return True


BOUND = "<bound "  # env key "<bound y>": whether y is bound, where an if bound it on one path


def user_name(key):
    """The name to print for an env key: `<result0>` (a return slot) prints as result."""
    if key.startswith("<out"):
        return "result"
    if key.startswith(BOUND):  # <bound y>: whether y is bound (merging.py)
        return key[len(BOUND):-1] + "_bound"
    return key.strip("<>").rstrip("0123456789") if key.startswith("<") else key


def is_super(func):
    """Whether the callee `func` is `super().m` (or `super(C, self).m`)."""
    return isinstance(func, gast.Attribute) and isinstance(func.value, gast.Call) and \
        isinstance(func.value.func, gast.Name) and func.value.func.id == "super" and \
        len(func.value.args) in (0, 2) and not func.value.keywords


def leaf_name(prefix, key):
    """The name in generated code of a record's field (`p_W` for p["W"]): a Python name, whatever
    the key (p["learning rate"] gives p_learning_rate)."""
    return f"{prefix}_{re.sub(r'[^0-9a-zA-Z_]', '_', str(key))}"


def walk_own(stmts):
    """gast nodes of statements, not descending into nested functions."""
    stack = list(stmts)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (gast.FunctionDef, gast.Lambda)):
            stack.extend(gast.iter_child_nodes(node))


def local_names(fn, nodes):
    """The names Python makes local to a function: its parameters and every name its own body
    binds (not a nested function's or a comprehension's). Reading one where it is not bound
    raises UnboundLocalError, even with a global of that name. `nodes`: every node of `fn`
    (Parsed.nodes): one pass over them, the nested scopes' own nodes left out."""
    inner: set = set()  # the nodes inside a nested function, lambda or comprehension
    for outside in getattr(fn, "decorator_list", []) + [getattr(fn, "returns", None)]:
        if outside is not None:  # (evaluated where fn is defined)
            inner.update(id(n) for n in gast.walk(outside))
    for node in nodes:
        if isinstance(node, _SCOPES) and node is not fn and id(node) not in inner:
            inner.update(id(n) for n in gast.walk(node) if n is not node)
    names = set()
    for node in nodes:
        if id(node) in inner or node is fn:
            continue
        if type(node) is gast.Name and type(node.ctx) is not gast.Load:
            names.add(node.id)
        elif type(node) is gast.FunctionDef:
            names.add(node.name)
    return frozenset(names)


_SCOPES = (gast.FunctionDef, gast.Lambda, gast.ListComp, gast.SetComp, gast.DictComp,
           gast.GeneratorExp)


def fallthrough_ends(block):
    """The blocks whose end is reached on the paths through `block` that do not break."""
    if block and (type(block[-1]) is Break or raises(block[-1])):
        return []
    if block and type(block[-1]) is If and (has_break(block[-1].body) or
                                            has_break(block[-1].orelse)):
        return fallthrough_ends(block[-1].body) + fallthrough_ends(block[-1].orelse)
    return [block]


def raises(stmt):
    """`throw(...)`, a user's raise: the path never goes on past it."""
    return type(stmt) is Assign and type(stmt.value) is Op and stmt.value.prim == "throw"


def has_break(block):
    return any(type(s) is Break or type(s) is If and (has_break(s.body) or has_break(s.orelse))
               for s in block)


def may_leave(body):
    """A loop body that may stop its loop or an iteration early: a break or continue of its own,
    or a return anywhere."""
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (gast.Return, gast.Break, gast.Continue)):
            return True
        if isinstance(node, (gast.For, gast.While)):
            stack.extend(n for n in gast.walk(node) if isinstance(n, gast.Return))
        elif not isinstance(node, (gast.FunctionDef, gast.Lambda)):
            stack.extend(gast.iter_child_nodes(node))
    return False


def exit_kind(exit):
    """None (falls through), "leave" (every path leaves) or "partial"."""
    if exit is None:
        return None
    return "leave" if exit[0] in LEAVING else "partial"


def self_copy(s):
    return type(s) is Assign and type(s.value) is Var and s.value.name == s.target


def flat(values):
    for v in values:
        if type(v) is tuple:
            yield from flat(v)
        elif type(v) is Record:
            yield from flat(v.values)
        else:
            yield v


def names_in(values):
    return frozenset(v.name for v in flat(values) if type(v) is Var)


class LocalFunction:
    """A function defined inside the differentiated one (def or lambda): inlined where it is
    called, reading the enclosing function's names as they are bound at the call."""

    def __init__(self, node, env, parsed, owner):
        self.node, self.parsed, self.owner = node, parsed, owner
        self.env = dict(env)  # as at the def, for its default values


class Partial:
    """functools.partial(f, *args, **keywords) made in the differentiated function: f (a
    function known here) with the values bound when it was made; a call of it is a call of f."""

    def __init__(self, func, args, keywords):
        self.func, self.args, self.keywords = func, args, keywords
        self.must: tuple = ()  # (grad of a partial made here: the partial, must_pass)
        self.__qualname__ = f"functools.partial({describe_function(func)})"


def describe_function(value):
    obj = getattr(value, "obj", None)
    if isinstance(obj, LocalFunction):
        return getattr(obj.node, "name", "<lambda>")
    return getattr(obj, "__qualname__", None) or getattr(obj, "__name__", "f")


class Enumerate:
    """The targets of `for i, x in enumerate(xs, start)`."""

    def __init__(self, index, value, start):
        self.index, self.value, self.start = index, value, start


class IndexTarget:
    """The `i` of `for i, x in enumerate(xs)`: bound to the loop index (plus start)."""

    def __init__(self, node, start):
        self.node, self.start = node, start


@dataclass(frozen=True)
class Record:
    """A container whose fields are lowering values (Var, Const, tuples, Records)."""
    kind: str  # "dict", "namedtuple", "dataclass" or "object"
    cls: object
    keys: tuple
    values: tuple

    def get(self, key, default=None):
        for k, v in zip(self.keys, self.values):
            if type(k) is type(key) and k == key:
                return v
        return default

    def has(self, key):
        return any(type(k) is type(key) and k == key for k in self.keys)

    def replace(self, key, value):
        if self.has(key):
            return Record(self.kind, self.cls, self.keys, tuple(
                value if type(k) is type(key) and k == key else v
                for k, v in zip(self.keys, self.values)))
        return Record(self.kind, self.cls, self.keys + (key,), self.values + (value,))

    def describe(self):
        name = getattr(self.cls, "__name__", "dict")
        return "a dict" if self.kind == "dict" else f"a {name} ({self.kind})"


def held(node, env):
    """The value a name holds, or a constant item or field of one (`bs[0]`, `self.b`,
    `bs[i].v` with i known here); None for anything else. Evaluates nothing."""
    if isinstance(node, gast.Name):
        return env.get(node.id)
    if not isinstance(node, (gast.Attribute, gast.Subscript)):
        return None
    owner = held(node.value, env)
    if isinstance(node, gast.Attribute):
        return owner.get(node.attr) if type(owner) is Record and owner.kind != "dict" else None
    index = node.slice
    if isinstance(index, gast.UnaryOp) and isinstance(index.op, gast.USub) and \
            isinstance(index.operand, gast.Constant) and type(index.operand.value) is int:
        index = gast.Constant(value=-index.operand.value, kind=None)  # bs[-1]
    key = index.value if isinstance(index, gast.Constant) else \
        env[index.id].value if isinstance(index, gast.Name) and type(env.get(index.id)) is Const \
        else None
    if type(owner) is tuple and type(key) is int and -len(owner) <= key < len(owner):
        return owner[key]
    return owner.get(key) if type(owner) is Record and owner.kind == "dict" else None


def root_name(node):
    """The name an item or field path starts from (`bs[0].v`: bs)."""
    while not isinstance(node, gast.Name):
        node = node.value
    return node.id


def holds(v, value):
    """Whether the lowering value `v` is, or holds somewhere inside, `value` itself (the same
    list or object, not an equal one; an empty list is not told apart from another)."""
    if v is value and (type(v) is not tuple or v) or type(v) is Var and v == value:
        return True
    if type(v) is tuple:
        return any(holds(x, value) for x in v)
    return type(v) is Record and any(holds(x, value) for x in v.values)


def records_in(v):
    """The records the lowering value `v` is or holds."""
    parts = v if type(v) is tuple else v.values if type(v) is Record else ()
    return ([v] if type(v) is Record else []) + [r for p in parts for r in records_in(p)]


def changed_parts(before, after):
    """The lists and objects inside `before` that `after` no longer holds: a call changed them
    in place (or replaced them: not told apart here)."""
    out = []
    for part in before.values if type(before) is Record else \
            before if type(before) is tuple else ():
        if (type(part) is Record or type(part) is tuple and part) and not holds(after, part):
            out += [part] + changed_parts(part, after)
    return out


def times_held(v, value):
    """At how many places the lowering value `v` holds the list or object `value` itself
    (`[row] * 2` holds one row twice)."""
    if v is value:
        return 1
    parts = v if type(v) is tuple else v.values if type(v) is Record else ()
    return sum(times_held(x, value) for x in parts)


def repeats(value, seen=None):
    """Whether a list known here holds one list or object at several places (`[row] * 2`)."""
    seen = set() if seen is None else seen
    parts = value if type(value) is tuple else value.values if type(value) is Record else ()
    for part in parts:
        if type(part) is Record or type(part) is tuple and part:
            if id(part) in seen or repeats(part, seen):
                return True
            seen.add(id(part))
    return False


def rebound_names(stmts):
    """Names gast statements bind (assign, augment, loop over), not those they change in place."""
    return {n.id for s in stmts for n in gast.walk(s)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}


def augments(stmts, name):
    """Whether gast statements augment `name` itself (`xs += [v]`, in place for a list)."""
    return any(isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name) and
               n.target.id == name for s in stmts for n in gast.walk(s))


def assigned_names(stmts):
    """Names gast statements bind other than by augmenting them (`xs += [v]` keeps the list)."""
    augmented = {id(n.target) for s in stmts for n in gast.walk(s)
                 if isinstance(n, gast.AugAssign)}
    return {n.id for s in stmts for n in gast.walk(s) if isinstance(n, gast.Name) and
            isinstance(n.ctx, gast.Store) and id(n) not in augmented}


MUTATORS = {"append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault",
            "popitem", "sort", "reverse"}
# Methods of a list that an array does not have, and what to write instead on a list whose
# length is known only at run time (one a loop appends to), which has only .append and .pop().
LIST_METHODS = frozenset({"pop", "insert", "remove", "reverse", "index", "count", "extend",
                          "clear"})
RUN_TIME_LISTS = ("a list a loop builds has .append(v) and .pop() from its end only: slice it "
                  "(xs[-2:], xs[1:]), rebuild it (xs = xs[1:] + [v]), or keep positions in "
                  "variables")


def loop_names(stmts, name):
    """`name` and the names of loops over it (`for b in bodies`: b is each item of bodies; so
    too the `b` of `for i, b in enumerate(bodies)` and of `for a, b in zip(as_, bodies)`)."""
    out = {name}
    for n in (n for s in stmts for n in gast.walk(s) if isinstance(n, gast.For)):
        it, target = n.iter, n.target
        if isinstance(it, gast.Name):
            pairs = [(target, it)]
        elif isinstance(it, gast.Call) and isinstance(it.func, gast.Name) and \
                isinstance(target, gast.Tuple):
            pairs = [(target.elts[1], it.args[0])] if it.func.id == "enumerate" and \
                len(target.elts) == 2 and it.args else list(zip(target.elts, it.args)) \
                if it.func.id == "zip" else []
        else:
            pairs = []
        out |= {t.id for t, seq in pairs if isinstance(t, gast.Name) and
                isinstance(seq, gast.Name) and seq.id == name}
    return out


def changes_in_place(stmts, name, through_calls=True, seen=frozenset()):
    """Whether gast statements may change what `name` holds in place: assign or augment an item
    or attribute of it, call a method of it (a list's append, an object's own methods), or
    (`through_calls`) pass it to a call; so too for an item a loop over it names."""
    seen = seen | {name}
    if any(changes_in_place(stmts, other, through_calls, seen)
           for other in loop_names(stmts, name) - seen):
        return True
    for s in stmts:
        for n in gast.walk(s):
            target = n if isinstance(n, (gast.Subscript, gast.Attribute)) and \
                isinstance(n.ctx, gast.Store) else n.target if isinstance(n, gast.AugAssign) \
                else None
            while isinstance(target, (gast.Subscript, gast.Attribute)):
                target = target.value  # m[i][j] = v, bodies[i].x += v: m, bodies
                if isinstance(target, gast.Name) and target.id == name:
                    return True
            if isinstance(n, gast.Call) and (
                    isinstance(n.func, gast.Attribute) and isinstance(n.func.value, gast.Name)
                    and n.func.value.id == name and (through_calls or n.func.attr in MUTATORS)
                    or through_calls and any(
                        isinstance(a, gast.Name) and a.id == name for a in n.args)):
                return True
    return False


# NumPy's functions that make a new array (`acc = np.zeros(())`), and the methods that do
CREATORS = frozenset({"zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
                      "full_like", "array", "asarray", "eye", "identity", "arange", "linspace"})


def made_as_arrays(nodes, scope):
    """The names the function binds to a new NumPy array somewhere (`acc = np.zeros(2)`,
    `acc = x.copy()`): `acc += ...` writes into an array (runtime_arrays.check_fits)."""
    out = set()
    for n in nodes:
        if isinstance(n, gast.Assign) and isinstance(n.value, gast.Call) and \
                isinstance(n.value.func, gast.Attribute):
            f = n.value.func
            if f.attr in ("copy", "astype") or f.attr in CREATORS and \
                    isinstance(f.value, gast.Name) and scope.get(f.value.id) is np:
                out.update(t.id for t in n.targets if isinstance(t, gast.Name))
    return out


def made_of_names(nodes):
    """The names the function binds to a list display holding a name (`params = [W, b]`):
    `params[i] -= g` changes the array W in place, for every name holding it."""
    return {t.id for n in nodes if isinstance(n, gast.Assign) and isinstance(n.value, gast.List)
            and any(isinstance(e, gast.Name) for e in n.value.elts)
            for t in n.targets if isinstance(t, gast.Name)}


def holds_list(value, is_list):
    """A tuple with a known list (`is_list`) somewhere inside."""
    return type(value) is tuple and any(is_list(v) or holds_list(v, is_list) for v in value)


def holds_record(value):
    """A Record, or a tuple with one somewhere inside."""
    return type(value) is Record or type(value) is tuple and any(map(holds_record, value))
