"""Comprehensions and nested iteration helpers.

`[f(x) for x in xs if c(x)]` (and the set, dict and generator forms) lowers to the loop a reader
would write: `items = []`, `for x in xs:`, `if c(x):`, `items = items + [f(x)]`. Over a sequence
known here (a tuple or list display, a list built here, `range(n)` with a constant n of at most
UNROLL) the loop unrolls and the result is a known tuple, so `sum(x ** k for k in range(3))` is
`x ** 0 + x ** 1 + x ** 2`. A generator expression becomes a list (max, min and np.stack take
it whole); one summed is a loop that adds (`total = total + f(x)`, summed). A set keeps the first
of equal constants and is refused for values computed at run time (which of them are equal is not
known here); a dict is built only from a known sequence.

`enumerate(zip(xs, ys))`, `zip(xs, enumerate(ys))`, `zip(range(n), xs)` and other nestings of
iteration helpers walk every sequence with the loop's one index.
"""
from __future__ import annotations

import gast

from ..ir import Const, Var
from .containers import must_unroll
from .scan import Enumerate, Static

UNROLL = 16  # a comprehension over range(...) of at most this many constant numbers unrolls
WHOLE = 1000  # a dict or set comprehension, whose keys must be known here, unrolls up to this

KINDS = {gast.ListComp: "list", gast.GeneratorExp: "list", gast.SetComp: "set",
         gast.DictComp: "dict"}

HELPERS = (enumerate, zip, range)


class Indexed:
    """The elements of a loop over nested iteration helpers: `at(i)` gives the element at the
    loop index i: a tuple for zip and enumerate, whose items are values or Later."""

    def __init__(self, at, counter=None):
        self.at, self.counter = at, counter  # counter: `i` of enumerate, named like the index


class Later:
    """An item lowered when its target is bound, so `a` of `for a, b in zip(xs, ys)` names
    the statement `a = xs[i]`."""

    def __init__(self, make):
        self.make = make


def zipped_here(parts):
    """The elements of zip(...) where one sequence is known here and must unroll (a list of
    records, a dict's keys) and others are known only at run time (an array, a list built at
    run time; each given as `at`, its item at an index): one per item of the shortest known
    one, a run-time one read at k (xs[k], as range(len(records)) reads it); None for none such."""
    known = [q for q in parts if type(q) is tuple]
    if not any(must_unroll(q) or holds_keys(q) for q in known):
        return None
    if len(known) == len(parts):
        return tuple(zip(*parts))
    return tuple(tuple(q[k] if type(q) is tuple else q(Const(k)) for q in parts)
                 for k in range(min(map(len, known))))


def holds_keys(seq):
    """A sequence known here holding strings (a dict's keys, which index it only here), also
    inside its tuples (the (key, value) pairs of d.items())."""
    return type(seq) is tuple and any(type(v) is Const and isinstance(v.value, str) or
                                      holds_keys(v) for v in seq)


def _load(name, like):
    return gast.copy_location(gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                        type_comment=None), like)


class Comprehensions:
    consuming = False  # a generator expression is being read where it is consumed at once
    ranges = frozenset()  # the iterables of comprehension loops: a small constant range unrolls
    whole_ranges = frozenset()  # those of dict and set comprehensions: up to WHOLE numbers

    def mapped(self, node, env, kind=gast.GeneratorExp):
        """`map(f, xs, ys)` as `(f(x, y) for x, y in zip(xs, ys))` and `filter(f, xs)` as
        `(x for x in xs if f(x))` (`kind`: a list comprehension for list(...) and tuple(...) of
        one), where f is a name, a field or a lambda (Python evaluates it once); else None."""
        func = node.func if isinstance(node, gast.Call) else None
        obj = self.parsed.scope.get(func.id) if isinstance(func, gast.Name) and \
            func.id not in env else None
        if obj not in (map, filter) or node.keywords or len(node.args) < 2 or \
                obj is filter and len(node.args) != 2 or \
                any(isinstance(a, gast.Starred) for a in node.args) or \
                not isinstance(node.args[0], (gast.Name, gast.Attribute, gast.Lambda,
                                              gast.Constant)) or \
                isinstance(node.args[0], gast.Constant) and (
                    obj is map or node.args[0].value is not None) or \
                len(node.args) > 2 and (self.parsed.scope.get("zip") is not zip or "zip" in env):
            return None
        names = [self.namer.fresh("item") for _ in node.args[1:]]

        def name(n, ctx):
            return gast.copy_location(gast.Name(id=n, ctx=ctx, annotation=None,
                                                type_comment=None), node)
        loads = [name(n, gast.Load()) for n in names]
        seq = node.args[1] if len(names) == 1 else gast.copy_location(gast.Call(
            func=name("zip", gast.Load()), args=node.args[1:], keywords=[]), node)
        target = name(names[0], gast.Store()) if len(names) == 1 else gast.copy_location(
            gast.Tuple(elts=[name(n, gast.Store()) for n in names], ctx=gast.Store()), node)
        f = node.args[0]
        test = loads[0] if isinstance(f, gast.Constant) else gast.copy_location(
            gast.Call(func=f, args=loads, keywords=[]), node)
        elt = loads[0] if obj is filter else test
        made = kind(elt=elt, generators=[gast.comprehension(
            target=target, iter=seq, ifs=[test] if obj is filter else [], is_async=0)])
        return gast.copy_location(made, node)

    def consumed_at_once(self, node, env):
        """The value of `node` where a generator expression in it is consumed at once: the
        argument of sum, max or min, or the sequence of a for loop (map and filter too)."""
        node = self.mapped(node, env) or node
        self.consuming = True
        try:
            return self.expr(node, env)
        finally:
            self.consuming = False

    def comprehension(self, node, env, target=None):
        """A comprehension's value: a known tuple, or a list the loop builds at run time."""
        with self.inside_expression():
            return self.comprehension_value(node, env, target)

    def comprehension_value(self, node, env, target=None):
        kind = KINDS[type(node)]
        if isinstance(node, gast.GeneratorExp) and not self.consuming:
            raise self.unsupported(node, "a generator expression other than the argument of "
                                   "sum, max, min or math.fsum or the sequence of a for loop (a "
                                   "generator is read once; the list that stands for it could be "
                                   "read twice)", "use a list comprehension [...]")
        self.consuming = False  # (a generator inside it needs a consumer of its own)
        key = self.accumulator(node, env, target)
        item = gast.Tuple(elts=[node.key, node.value], ctx=gast.Load()) \
            if kind == "dict" else node.elt
        append = gast.Attribute(value=_load(key, node), attr="append", ctx=gast.Load())
        items = self.comprehension_loop(node, env, key, (), gast.Expr(
            value=gast.Call(func=append, args=[item], keywords=[])), whole=kind != "list")
        if kind == "list":
            return self.known_list(items) if type(items) is tuple else items
        if type(items) is not tuple:  # (over a parameter: a dict's keys, once it is known)
            raise self.not_an_array(node, f"a {kind} comprehension over a sequence known only "
                                    f"at run time (or over a range of more than {WHOLE} "
                                    "numbers, which it would unroll)", "use a list comprehension" if kind == "set"
                                    else "loop over a tuple or list written in the function",
                                    fields=False)
        if kind == "set":
            if not all(type(v) is Const for v in items):
                raise self.unsupported(node, "a set of values computed at run time (which of "
                                       "them are equal is not known here)",
                                       "use a list comprehension")
            return tuple(Const(v) for v in dict.fromkeys(c.value for c in items))  # (as a set:
            # the first of equal values, 1 == 1.0 == True)
        keys = [k for k, _ in items]
        if not all(type(k) is Const for k in keys):
            raise self.unsupported(node, "a dict comprehension with keys computed at run time",
                                   "use keys known here (strings, numbers)")
        return self.make_dict(tuple(k.value for k in keys), tuple(v for _, v in items), node)

    def summed(self, node, env, target):
        """`sum(f(x) for x in xs if c(x))` (a list comprehension, map or filter too; a start that
        is a name or a number) as the loop a reader writes: `total = 0`, `for x in xs:`,
        `if c(x):`, `total = total + f(x)`, Python's additions in Python's order, with no list
        built and summed (Numba types that loop; a list grown by + it cannot). Else None."""
        func = node.func
        if not (isinstance(func, gast.Name) and func.id not in env and
                self.parsed.scope.get(func.id) is sum and len(node.args) in (1, 2) and
                not node.keywords) or len(node.args) == 2 and \
                not isinstance(node.args[1], (gast.Name, gast.Constant)):
            return None
        gen = self.mapped(node.args[0], env) or node.args[0]
        if not isinstance(gen, (gast.GeneratorExp, gast.ListComp)):
            return None
        start = self.expr(node.args[1], env) if len(node.args) == 2 else Const(0)
        if type(start) not in (Const, Var) or type(start) is Const and (
                type(start.value) not in (int, float, complex)):
            return None  # (sum(rows, []) of lists: joined as sum takes them)
        with self.inside_expression():
            key = self.accumulator(gen, env, target, "total")
            add = gast.BinOp(left=_load(key, gen), op=gast.Add(), right=gen.elt)
            return self.comprehension_loop(gen, env, key, start, gast.Assign(
                targets=[gast.Name(id=key, ctx=gast.Store(), annotation=None,
                                   type_comment=None)], value=add, type_comment=None))

    def comprehension_loop(self, node, env, key, first, stmt, whole=False):
        """The value of `key` after `stmt` runs for each item of the comprehension `node`,
        starting from `first`; the comprehension's own names do not leak out. `whole`: a dict or
        set comprehension, whose ranges unroll up to WHOLE numbers (its keys known here)."""
        inner = dict(env)
        inner[key] = first
        body = [stmt]
        for gen in reversed(node.generators):
            if gen.is_async:
                raise self.unsupported(node, "an async comprehension")
            for test in reversed(gen.ifs):
                body = [gast.If(test=test, body=body, orelse=[])]
            body = [gast.For(target=gen.target, iter=gen.iter, body=body, orelse=[],
                             type_comment=None)]
            self.ranges = self.ranges | {id(gen.iter)}  # (seen when the loop is lowered)
            if whole:
                self.whole_ranges = self.whole_ranges | {id(gen.iter)}
        for n in gast.walk(body[0]):
            if not hasattr(n, "lineno"):
                gast.copy_location(n, node)
        saved = self.env_now, self.line
        try:
            self.lower_stmts(body, inner, frozenset({key}))
        finally:
            self.env_now, self.line = saved
        return inner[key]

    def accumulator(self, node, env, target, base="items"):
        """The env key (and generated name) of the list a comprehension builds (or the sum):
        the name it is assigned to, when that is free here, else `items` (`total`)."""
        written = {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}
        if target and target not in env and target not in written:
            return target
        return next(name for name in [base] + [f"{base}{k}" for k in range(1, 99)]
                    if name not in env and name not in written and name not in self.namer.reserved)

    def small_range(self, node, env):
        """The numbers of `range(...)` in a comprehension, when they are few and known here
        (the bounds read where the loop runs: an inner range may depend on an outer target)."""
        if id(node) not in self.ranges or not isinstance(node, gast.Call) or node.keywords or \
                not isinstance(node.func, gast.Name) or self.expr(node.func, env) != Static(range):
            return None
        bounds = [self.expr(a, env) for a in node.args]
        if not all(type(b) is Const and type(b.value) is int for b in bounds):
            return None
        numbers = range(*(b.value for b in bounds))
        return tuple(Const(k) for k in numbers) if len(numbers) <= (
            WHOLE if id(node) in self.whole_ranges else UNROLL) else None

    # --- iteration helpers nested in one another -----------------------------------------------

    def nested_iteration(self, node, target, env, leaves):
        """(bounds, elements) of a for loop over nested helpers (`enumerate(zip(xs, ys))`), or
        None when `node` is not one. Elements are a known tuple (bounds None, the loop unrolls)
        or an Indexed. `leaves`: the loop may stop early, so it runs over real lists."""
        numbers = self.small_range(node, env)
        if numbers is not None:
            return None, numbers
        if isinstance(node, gast.GeneratorExp):  # for v in (f(x) for x in xs)
            n, at = self.walk_of(node, env, leaves)
            return (None, at) if n is None else ((n,), Indexed(at))
        if not self.iteration_helper(node, env) or not any(
                self.iteration_helper(a, env) for a in node.args):
            return None
        n, at = self.walk_of(node, env, leaves)
        if n is None:
            return None, at
        if self.iteration_helper(node, env) is enumerate and len(node.args) == 1 and \
                isinstance(target, gast.Tuple) and len(target.elts) == 2:
            return (n,), Indexed(at, Enumerate(target.elts[0], target.elts[1], None))
        return (n,), Indexed(at)

    def iteration_helper(self, node, env):
        if not isinstance(node, gast.Call) or node.keywords or not isinstance(node.func, gast.Name):
            return None  # (p.items() is a method, lowered where loops take it)
        func = self.expr(node.func, env)
        return func.obj if type(func) is Static and func.obj in HELPERS else None

    def walk_of(self, node, env, leaves):
        """(length, at) of an iterable at run time, or (None, elements) when it is known here."""
        helper = self.iteration_helper(node, env)
        if helper is enumerate and len(node.args) in (1, 2):
            start = self.atom(node.args[1], env) if len(node.args) == 2 else Const(0)
            n, inner = self.walk_of(node.args[0], env, leaves)
            if n is None and type(start) is Const:
                return None, tuple((Const(k + start.value), v) for k, v in enumerate(inner))
            n, inner = self.at_run_time(n, inner)
            return n, lambda i: (i if start == Const(0) else Later(
                lambda: self.emit("add", (i, start))), inner(i))
        if helper is zip and node.args:
            parts = [self.walk_of(a, env, leaves) for a in node.args]
            if all(n is None for n, _ in parts):
                return None, tuple(zip(*(items for _, items in parts)))
            if not any(map(self.iteration_helper, node.args, [env] * len(node.args))):
                zipped = zipped_here([items for _, items in parts])
                if zipped is not None:
                    return None, zipped
            parts = [self.at_run_time(n, items) for n, items in parts]
            n = parts[0][0]
            for other, _ in parts[1:]:
                n = self.emit("min", (n, other))
            return n, lambda i: tuple(at(i) for _, at in parts)
        if helper is range and len(node.args) in (1, 2):
            bounds = [self.atom(a, env) for a in node.args]
            if all(type(b) is Const and type(b.value) is int for b in bounds) and not leaves:
                return None, tuple(Const(k) for k in range(*(b.value for b in bounds)))
            start, stop = (Const(0), bounds[0]) if len(bounds) == 1 else bounds
            n = stop if start == Const(0) else self.emit("sub", (stop, start))
            return n, lambda i: i if start == Const(0) else Later(
                lambda: self.emit("add", (i, start)))
        if helper is not None:
            raise self.unsupported(node, f"this call of {helper.__name__} inside another "
                                   "iteration helper", "give range one or two arguments")
        seq = self.consumed_at_once(node, env) if isinstance(node, gast.GeneratorExp) or \
            self.mapped(node, env) is not None else self.iterated(self.expr(node, env), node)
        if type(seq) is tuple and not leaves:
            return None, seq
        return self.at_run_time(None, seq)

    def at_run_time(self, n, items):
        """(length, at) of what walk_of returned, a known sequence becoming a real list."""
        if n is not None:
            return n, items
        seq = self.list_in(self.block, items) if type(items) is tuple else self.as_atom(items)
        return self.emit("len", (seq,)), lambda i: Later(lambda: self.emit("getitem", (seq, i)))

    def bind_indexed(self, target, value, env):
        """bind_target for the element of an Indexed loop."""
        if isinstance(target, (gast.Tuple, gast.List)) and type(value) is tuple and \
                len(target.elts) == len(value):
            for t, v in zip(target.elts, value):
                self.bind_indexed(t, v, env)
            return
        since = len(self.block)
        value = self.now(value)
        self.bind_target(target, value, env, since=since)

    def now(self, value):
        """`value` with every Later item lowered."""
        if type(value) is Later:
            return value.make()
        if type(value) is tuple:
            return tuple(self.now(v) for v in value)
        return value
