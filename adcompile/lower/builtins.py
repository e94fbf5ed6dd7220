"""Builtins of values known here: sorted, zip, reduce, max/min by a key (objects chosen at run
time), string methods and formatting, complex(), methods of lists known here and range."""
from __future__ import annotations

import functools
import os
import string
import types

import gast

from ..boundary import of_partial, simple
from ..parse import signature_of
from ..errors import ADCompileError
from ..ir import Assign, Const, If, Op, Var
from ..templates import OPERATORS, dotted
from .containers import _call_node, _name
from .arguments import effectful
from .closures import LocalTransform, closed, closure_names, static_value, why_not
from .scan import LocalFunction, Partial, Record, Static, loaded, stored
from .calls import fields_of, is_known, known, same_shape, value_of_known
from .structured import Method


class Builtins:
    def sorted_known(self, items, node, keys=None, reverse=None):
        """sorted() of a sequence known here: of constants, or of pairs whose first items are
        distinct constants (sorted(p.items()), by key), as Python sorts them; of values
        computed at run time (numbers: their `keys`, or themselves), each item of the result
        read from a list of them at the place Python's sort puts it (sorted_order)."""
        keys, reverse = items if keys is None else keys, reverse or Const(False)
        if all(type(v) is Const for v in keys) and type(reverse) is Const:
            order = sorted(range(len(items)), key=lambda k: keys[k].value, reverse=reverse.value)
            return tuple(items[k] for k in order)
        firsts = [v[0] for v in keys if type(v) is tuple and v]
        if len(firsts) == len(items) and all(type(k) is Const for k in firsts) and \
                len({k.value for k in firsts}) == len(firsts) and type(reverse) is Const:
            order = sorted(range(len(items)), key=lambda k: firsts[k].value,
                           reverse=reverse.value)
            return tuple(items[k] for k in order)
        if items and all(same_shape(items[0], v) for v in items) and type(items[0]) is \
                Record and all(type(v) in (Var, Const) for v in keys):  # objects: by field
            order = self.emit("sorted_order", (self.as_atom(self.known_list(keys)), reverse))
            return tuple(self.record_at(items, self.emit("getitem", (order, Const(k))))
                         for k in range(len(items)))
        if not items or not all(type(v) in (Var, Const) for v in (*items, *keys)):
            raise self.unsupported(node, "sorted() of lists, tuples or objects computed at run "
                                   "time (their order is not known when the code is "
                                   "transformed)", "sort numbers, or sort keys known here "
                                   "(sorted(p), sorted(p.items()))")
        values = self.as_atom(self.known_list(items))
        order = self.emit("sorted_order", (values if keys is items else self.as_atom(
            self.known_list(keys)), reverse))
        return tuple(self.emit("getitem", (values, self.emit("getitem", (order, Const(k)))))
                     for k in range(len(items)))

    def record_at(self, items, index):
        """items[index] of records of one shape (same_shape), `index` known at run time: each
        field read from the list of that field's values; the result noted as chosen among
        them (Merging.choices)."""
        first = items[0]
        if type(first) is Record:
            made = Record(first.kind, first.cls, first.keys, tuple(
                self.record_at([v.values[j] for v in items], index)
                for j in range(len(first.keys))))
            self.chosen[id(made)] = (made, tuple(items))
            return made
        if type(first) is tuple:
            return tuple(self.record_at([v[j] for v in items], index) for j in range(len(first)))
        if all(v == first and type(v) is type(first) for v in items):
            return first
        return self.emit("getitem", (self.as_atom(self.known_list(items)), index))

    def sorted_with(self, node, env):
        """sorted(xs, key=f, reverse=r) of a sequence known here."""
        items = self.iterated(self.expr(node.args[0], env), node)
        options = {k.arg for k in node.keywords}
        unknown = {name for name, tree, _ in self.fn.arguments if tree is None}
        if type(items) is Var and items.name not in unknown and options <= {"reverse"}:
            return self.sorted_array(items, node, env)  # (an argument: a list, perhaps)
        if type(items) is Var and "key" in options and options <= {"key", "reverse"}:
            return self.sorted_at_run_time(items, node, env)
        if type(items) is not tuple:
            raise self.not_an_array(node, "sorted() of an array or a list computed at run time",
                                    "sort with np.sort", fields=False)
        return self.known_list(self.sorted_by(items, node, env))

    def sorted_at_run_time(self, items, node, env):
        """sorted(xs, key=f, reverse=r) (xs.sort(...) too) of a list built at run time (one a
        loop carries), as `[xs[k] for k in sorted_order([f(v) for v in xs], r)]`: the keys
        computed where the code runs, the items read at the places Python's sort puts them."""
        options = {k.arg: k.value for k in node.keywords}
        reverse = self.as_atom(self.expr(options["reverse"], env)) if "reverse" in options \
            else Const(False)
        seq, item, k, order = (self.namer.fresh(n) for n in ("items", "item", "k", "order"))
        inner = {**env, seq: items}

        def each(target, value, over):
            return gast.copy_location(gast.ListComp(elt=value, generators=[gast.comprehension(
                target=_stored(target, node), iter=_name(over, node), ifs=[], is_async=0)]),
                node)
        keys = self.expr(each(item, _call_node(options["key"], [_name(item, node)]), seq), inner)
        inner[order] = self.emit("sorted_order", (self.as_atom(keys), reverse))
        at = gast.copy_location(gast.Subscript(value=_name(seq, node), slice=_name(k, node),
                                               ctx=gast.Load()), node)
        return self.expr(each(k, at, order), inner)

    def best_at_run_time(self, obj, items, node, env):
        """max(xs, key=f) or min(...) of a sequence known only at run time, as
        `xs[best_place([f(v) for v in xs], largest)]`: the keys computed where the code runs,
        the first greatest (least) one's item read, as Python keeps it."""
        seq, item = self.namer.fresh("items"), self.namer.fresh("item")
        inner = {**env, seq: items}
        keys = self.expr(gast.copy_location(gast.ListComp(
            elt=_call_node(node.keywords[0].value, [_name(item, node)]),
            generators=[gast.comprehension(target=_stored(item, node), iter=_name(seq, node),
                                           ifs=[], is_async=0)]), node), inner)
        place = self.emit("best_place", (self.as_atom(keys), Const(obj is max)))
        return self.emit("getitem", (items, place))

    def sorted_array(self, x, node, env):
        """sorted(a) of a 1-D array (checked where the code runs: Python compares the rows of
        one of more dimensions), or of a list of numbers built at run time: the list of the
        values np.sort gives (whose rule routes the gradient), of the reversed array reversed
        for reverse=True."""
        reverse = [self.as_atom(self.expr(k.value, env)) for k in node.keywords]
        if reverse and not (type(reverse[0]) is Const and type(reverse[0].value) is bool):
            raise self.unsupported(node, "sorted(..., reverse=r) of an array, r known only at "
                                   "run time", "write reverse=True or reverse=False")
        self.block.append(Assign(None, Op("check_sortable", (x,)), self.line))
        flip = Const(slice(None, None, -1))
        if reverse and reverse[0].value:  # (Python's sort is stable in reverse too: ties keep
            x = self.emit("getitem", (x, flip))  # their order, where np.sort(x)[::-1] turns it)
        ordered = self.emit("np.sort", (x,), (("axis", Const(0)),))
        if reverse and reverse[0].value:
            ordered = self.emit("getitem", (ordered, flip))
        return self.emit("rows_list", (ordered,))

    def sorted_by(self, items, node, env):
        """`items` sorted by the call `node`'s key= and reverse= (xs.sort(...) too): the key
        function of each item inlined."""
        options = {k.arg: k.value for k in node.keywords}
        reverse = self.as_atom(self.expr(options["reverse"], env)) if "reverse" in options \
            else Const(False)
        keys = None
        if "key" in options:
            keys = []
            for k, item in enumerate(items):
                name = f"<item {k}>"
                call = _call_node(options["key"], [_name(name, node)])
                keys.append(self.expr(call, {**env, name: item}))
        return self.sorted_known(items, node, keys, reverse)

    def zipped_known(self, node, env):
        """zip(xs, ys) or zip(*pairs) of sequences known here, read at once (list(...),
        tuple(...), dict(...), unpacking): the tuple of their items' tuples; else None. An array
        or a list built at run time beside a known one is read at each index the shortest known
        one has (w[0], w[1], ...), as loops over zip read it; a check where the code runs
        refuses a shorter one (Python's zip would stop there, and make fewer pairs)."""
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and
                node.func.id not in env and self.parsed.scope.get(node.func.id) is zip) or \
                node.keywords or any(effectful(getattr(a, "value", a)) for a in node.args):
            return None
        seqs: list = []
        names: list = []  # (a run-time one's, for the check)
        for a in node.args:
            seq = self.iterated(self.expr(getattr(a, "value", a), env), node)
            if isinstance(a, gast.Starred) and type(seq) is tuple:
                seqs += [self.iterated(v, node) for v in seq]
                names += [None] * len(seq)
            elif isinstance(a, gast.Starred):  # zip(*W): as many sequences as W has rows
                return None
            else:
                seqs.append(seq)
                names.append(dotted(a) or "the sequence")
        known = [len(q) for q in seqs if type(q) is tuple]
        if not known or not all(type(q) in (tuple, Var) for q in seqs):
            return None
        n = min(known)
        for name, q in zip(names, seqs):
            if type(q) is Var:
                filename, line = self.parsed.where(node)
                name = name or "an item of the sequence spread"
                enough = self.emit("ge", (self.emit("len", (q,)), Const(n)))
                self.block.append(Assign(None, Op("assert_", (enough, Const(
                    f"{os.path.basename(filename)}:{line}: zip(...) reads {name} at each of "
                    f"the {n} indices of the sequence known there, and {name} has fewer items; "
                    f"pass one of at least {n}, or zip it with as many items as it has"))),
                    self.line))
        seqs = [q if type(q) is tuple else tuple(self.emit("getitem", (q, Const(k)))
                                                 for k in range(n)) for q in seqs]
        return tuple(tuple(t) for t in zip(*seqs))

    def reduced(self, node, env):
        """functools.reduce(f, xs[, start]) of a sequence known here and a named function or a
        lambda: f(f(start, x0), x1) ..., each call inlined."""
        if not isinstance(node.args[0], (gast.Name, gast.Attribute, gast.Lambda)):
            return None
        items = self.known_range(node.args[1], env) or self.iterated(
            self.expr(node.args[1], env), node)
        if type(items) is not tuple:  # (an array, or a list made at run time)
            error = self.unsupported(node, "functools.reduce over a sequence whose length is "
                                     "known only at run time (an array, or a list made at run "
                                     "time)", "write the loop it computes: acc = start, then "
                                     "for x in xs: acc = f(acc, x)")
            error.maybe_container = type(items) is Var  # (a list argument: known at the call)
            raise error
        if len(node.args) == 3:
            items = (self.expr(node.args[2], env),) + items
        if not items:
            raise self.unsupported(node, "functools.reduce of an empty sequence without a start")
        total = items[0]
        for k, item in enumerate(items[1:]):
            names = f"<reduced {k}>", f"<item {k}>"
            call = _call_node(node.args[0], [_name(n, node) for n in names])
            total = self.expr(call, {**env, names[0]: total, names[1]: item})
        return total

    def transform_here(self, transform, node, env):
        """`grad(f)` or `value_and_grad(f, argnums=1)` inside differentiated code, of a function
        known here: made now (its generated code is inlined where it is called)."""
        args = [self.function_arg(a, env) if k == 0 else self.expr(a, env)
                for k, a in enumerate(node.args)]
        kwargs = {k.arg: self.expr(k.value, env) for k in node.keywords}
        values = []
        local = args[0].obj if args and type(args[0]) is Static and \
            isinstance(args[0].obj, (LocalFunction, LocalTransform)) else None
        for v in args[1:] + list(kwargs.values()) if local is not None else \
                args + list(kwargs.values()):
            if type(v) is Static and not isinstance(v.obj, LocalFunction):
                values.append(v.obj)
            elif type(v) is Const or type(v) is tuple and all(type(e) is Const for e in v):
                values.append(v.value if type(v) is Const else tuple(e.value for e in v))
            elif v is args[0]:  # (a function known when the derivative is built is Static)
                name = f"{transform.__name__}({written(node.args[0]) or 'f'})"
                error = self.unsupported(node, f"{name} of a value known only when the function "
                                         "runs (not a function known when the derivative is "
                                         "built)" if type(v) is Var else f"{name} of a tuple or "
                                         "list" if type(v) is tuple else f"{name} of an object "
                                         "that is not a function", "pass the function itself "
                                         "(as an argument, a default or a field of one), or "
                                         "take the derivative of a function defined at module "
                                         "level")
                error.maybe_container = type(v) is Var  # (an argument: known at the call)
                raise error
            else:
                raise self.unsupported(node, f"{transform.__name__} with argnums or options "
                                       "computed in the differentiated function", "write "
                                       "argnums and the options out")
        if local is not None:  # grad(g) of g defined here: made at its call (closures.py)
            if isinstance(local, LocalFunction) and why_not(local) is not None:
                raise self.unsupported(node, f"{transform.__name__} of {why_not(local)} "
                                       "defined in the differentiated function", "write it as "
                                       "a def without defaults, or define it at module level")
            options = dict(zip(kwargs, values[len(args) - 1:]))
            options.update(zip(("argnums",), values[:len(args) - 1]))
            return Static(LocalTransform(transform, local, options))
        options = dict(zip(kwargs, values[len(args):]))
        if values and isinstance(values[0], Method):  # grad(self.inner): of its function
            options.update(zip(("argnums",), values[1:len(args)]))
            return self.method_transform(transform, values[0], options, node)
        try:
            if values and isinstance(values[0], Partial):
                return self.transform_of_partial(transform, values[0], values[1:len(args)],
                                                 options, node)
            return Static(transform(*values[:len(args)], **options))
        except ADCompileError as e:  # (grad(3): no place of its own; here, the user's line)
            if e.filename is None:
                raise type(e)(e.message, *self.parsed.where(node)) from None
            raise

    def derivative_here(self, made, node, env, target):
        """`jvp(f, (x, y), (dx, dy))` or `vjp(f, x, y)` inside differentiated code, of a function
        known here: f's forward (or vjp) code for its parameters, made now and inlined where it
        is called, as grad's is (transform_here); `made.__adcompile_inside__(f, nums)` makes it."""
        what = made.__name__
        usage = "jvp(f, (x, ...), (dx, ...))" if what == "jvp" else "vjp(f, x, ...)"
        options = {k.arg: self.expr(k.value, env) for k in node.keywords}
        if options and (set(options) != {"has_aux"} or type(options["has_aux"]) is not Const or
                        options["has_aux"].value is not False):
            raise self.unsupported(node, f"{what} with has_aux inside a differentiated function",
                                   f"return the aux from f apart, or call {what} outside")
        parts = [self.function_arg(a, env) if k == 0 else self.expr(a, env)
                 for k, a in enumerate(node.args)]
        if what == "jvp":
            if len(parts) != 3 or type(parts[1]) is not tuple or type(parts[2]) is not tuple or \
                    len(parts[1]) != len(parts[2]):
                raise self.unsupported(node, "this jvp inside a differentiated function",
                                       f"write the primals and tangents out as tuples: {usage}")
            func, primals, tangents = parts[0], parts[1], parts[2]
        else:
            if not parts:
                raise self.unsupported(node, "vjp without a function", f"write {usage}")
            func, primals, tangents = parts[0], tuple(parts[1:]), ()
        f = func.obj if type(func) is Static else None
        passed: tuple = ()
        trees = None
        if isinstance(f, Method):  # jvp(self.inner, ...): of its function, for the object
            trees, leaves = self.method_trees(f, len(primals), node)
            f, passed = f.func.obj, tuple(leaves)
        elif isinstance(f, LocalFunction):  # of g defined here: of g and the names it reads
            if why_not(f) is not None:
                raise self.unsupported(node, f"{what} of {why_not(f)} defined in the "
                                       "differentiated function", "write it as a def without "
                                       "defaults, or define it at module level")
            f, passed = self.closed_over(f, node, f"{what}({written(node.args[0]) or getattr(f.node, 'name', '<lambda>')})")
        elif isinstance(f, LocalTransform):  # jvp(grad(g), ...): of grad(g) of those names
            f, passed = self.local_code(f, node)
        if not isinstance(f, types.FunctionType) or len(signature_of(f).parameters) != \
                (len(passed) if trees is None else 1) + len(primals) or not simple(f):
            raise self.unsupported(node, f"{what} of {written(node.args[0]) or 'this function'} "
                                   "inside a differentiated function (it is taken of a function "
                                   "written in Python, given a value for each of its "
                                   "positional parameters)", f"write {usage} of such a function, "
                                   f"or call {what} outside")
        if any(type(v) is tuple or type(v) in (Record, Static) for v in primals + tangents):
            raise self.unsupported(node, f"{what} of a dict, object, list or tuple inside a "
                                   "differentiated function (the derivative taken there is "
                                   "compiled for arrays and numbers)", "pass the arrays "
                                   f"themselves, or call {what} outside")
        moving = tuple(k for k, v in enumerate(primals) if not (
            type(v) is Const and isinstance(v.value, (bool, int, str, type(None)))))
        for k in set(range(len(primals))) - set(moving):
            if tangents and not (type(tangents[k]) is Const and not tangents[k].value):
                raise self.unsupported(node, f"a tangent of primal {k}, a constant, in jvp",
                                       "give it the tangent None or 0")
        if len(moving) < (len(primals) if what == "vjp" else 1):  # (vjp: a gradient for each)
            raise self.unsupported(node, f"{what} inside a differentiated function with an "
                                   "int, bool, string or None primal", "pass floats (2.0 "
                                   "instead of 2), or hold the constant in f")
        try:  # (the names g reads, first: held, their derivative taken by the caller's)
            code = made.__adcompile_inside__(f, tuple(
                k + (len(passed) if trees is None else 1) for k in moving), trees)
        except ADCompileError as e:
            if e.filename is None:
                raise type(e)(e.message, *self.parsed.where(node)) from None
            raise
        values = passed + primals + tuple(tangents[k] for k in moving if tangents)
        return self.call_with(code, values, [], [], node, env, target)

    def local_transform(self, made, node, env, target):
        """A call of grad(g) (or value_and_grad) of g defined in the differentiated function:
        the transform of g made a function of the names it reads from there (closures.py),
        called with their values now and the arguments given, inlined."""
        code, passed = self.local_code(made, node)
        return self.call_with(code, passed, node.args, node.keywords, node, env, target)

    def local_code(self, made, node):
        """The code of `made`, grad(g) (or grad(grad(g)), value_and_grad(grad(g)), ...) of g
        defined in the differentiated function, for g made a function of the names it reads
        from there first (closures.py), and the values those names hold now: each transform
        taken in turn, its argnums counted past those names."""
        chain = []
        while isinstance(made, LocalTransform):
            chain.append(made)
            made = made.local
        function, passed = self.closed_over(made, node, chain[0].__qualname__)
        shift = len(passed)
        code = function
        try:
            for step in reversed(chain):
                options = dict(step.options)
                argnums = options.pop("argnums", 0)
                argnums = argnums + shift if isinstance(argnums, int) and argnums >= 0 else \
                    argnums if isinstance(argnums, int) else \
                    tuple(k + shift if k >= 0 else k for k in argnums)
                code = step.transform(code, argnums, **options)
        except ADCompileError as e:
            if e.filename is None:
                raise type(e)(e.message, *self.parsed.where(node)) from None
            raise
        return code, passed

    def closed_over(self, local, node, what):
        """g (defined in the differentiated function) as a function of the names it reads from
        there first (closures.py), and the values those names hold now."""
        scope = local.owner.env_now
        names = closure_names(local, scope)
        where = f"{what}, where {getattr(local.node, 'name', 'it')} reads"
        inner = self.functions_read(local, names, scope)
        if inner:  # (g reads h defined there: h defined again in the function made, the names
            # it reads passed too)
            names = sorted(set(names).union(*(closure_names(h, scope) for _, h in inner)) -
                           {n for n, _ in inner})
        statics = {n: scope[n].value if type(scope[n]) is Const else scope[n].obj for n in names
                   if static_value(scope[n])}
        passed = [n for n in names if n not in statics]
        for n in passed:
            if type(scope[n]) is not Var:
                held = scope[n].obj if type(scope[n]) is Static else None
                kind = "a function defined in the differentiated function" if isinstance(
                    held, LocalFunction) else "a derivative of a function defined in the " \
                    "differentiated function" if isinstance(held, LocalTransform) else \
                    "a container (a tuple, list, dict or object)" if held is None else \
                    "an object"
                hint = f"take the derivative of {n} itself ({what.split('(')[0]}(grad({n})) " \
                    "is taken), or define it at module level" if isinstance(
                        held, (LocalFunction, LocalTransform)) else \
                    f"pass {n} to it as an argument, or hold the arrays and numbers it needs " \
                    "in names of their own"
                raise self.unsupported(node, f"{where} {n}, {kind},", hint)
        gone = sorted(n for n in loaded(local.node.body) - stored(local.node.body)
                      if n in local.env and n not in scope and n not in local.parsed.scope)
        if gone:
            raise self.unsupported(node, f"{where} {gone[0]}, a name no longer bound",
                                   "define it where the name is bound")
        function = closed(local, passed, statics, inner)
        if function is None and inner:
            raise self.unsupported(node, f"{where} {inner[0][0]}, a function defined in the "
                                   "differentiated function, not on lines of its own before "
                                   "it", "define the functions it reads on lines of their own "
                                   "before it, or at module level")
        if function is None:
            raise self.unsupported(node, f"{what}, whose def spans lines in a way not read "
                                   "here", "write `def name(` on one line")
        return function, tuple(scope[n] for n in passed)

    def functions_read(self, local, names, scope):
        """(name, function) of the functions defined in the differentiated function (where g
        is, without defaults or decorators) that `local` (g) reads, and those they read in
        turn; none where one reads a name that g binds itself (defined again inside g's made
        function, it would read g's)."""
        found: dict = {}
        todo = [(local, names)]
        while todo:
            fn, reads = todo.pop()
            for n in reads:
                held = scope.get(n)
                h = held.obj if type(held) is Static else None
                if n not in found and isinstance(h, LocalFunction) and h is not local and \
                        h.owner is local.owner and why_not(h) is None:
                    found[n] = h
                    todo.append((h, closure_names(h, scope)))
        node = local.node
        body = node.body if isinstance(node.body, list) else [node.body]
        own = {a.id for a in node.args.posonlyargs + node.args.args} | stored(body)
        if any(own & set(closure_names(h, scope)) for h in found.values()):
            return []
        return sorted(found.items(), key=lambda item: item[1].node.lineno)

    def call_with(self, code, values, args, keywords, node, env, target):
        """`code(*values, *args, **keywords)` inlined: code (derivative code made here) called
        with values known here first (held under names of their own while it is lowered)."""
        names = [f"<made {id(node)} {k}>" for k in range(len(values) + 1)]
        env.update(zip(names, (Static(code),) + tuple(values)))
        call = gast.copy_location(gast.Call(func=_name(names[0], node), args=[
            _name(n, node) for n in names[1:]] + list(args), keywords=keywords), node)
        try:
            return self.call(call, env, target)
        finally:
            for name in names:
                env.pop(name, None)

    def transform_of_partial(self, transform, bound, positional, options, node):
        """grad(functools.partial(f, *a, **k), argnums) made here: f's transform with respect to
        the same parameters (boundary.of_partial), a partial of it holding the values bound."""
        func = bound.func.obj if type(bound.func) is Static else None
        if not isinstance(func, types.FunctionType):
            raise self.unsupported(node, f"{transform.__name__} of {bound.__qualname__} inside "
                                   "a differentiated function", "make the partial of a "
                                   "function defined at module level")
        argnums = positional[0] if positional else options.pop("argnums", 0)
        stand_in = functools.partial(func, *bound.args, **bound.keywords)  # (for the signature)
        made = of_partial(stand_in, argnums, lambda g, nums: transform(g, nums, **options))
        partial = Partial(Static(made.__adcompile_partial__[1]), bound.args, bound.keywords)
        partial.must = (stand_in, made.__adcompile_must_pass__)  # (checked at its calls)
        return Static(partial)

    def string_method(self, text, node, env):
        """A method of a string known here (a dict key, a name): its value, a constant."""
        name = node.func.attr
        method = getattr(str, name, None)
        if method is None or name.startswith("_"):
            raise self.unsupported(node, f"the method .{name}() of a string",
                                   "strings have their str methods (startswith, upper, ...)")
        args = [self.expr(a, env) for a in node.args]
        kwargs = {k.arg: self.expr(k.value, env) for k in node.keywords}
        if name == "format" and not all(is_known(v) for v in args + list(kwargs.values())):
            return self.formatted(text, args, kwargs, node)
        if not all(is_known(v) for v in args + list(kwargs.values())):
            raise self.unsupported(node, f"the string method .{name}() with an argument "
                                   "computed at run time", "give string methods strings known "
                                   "when the code is transformed (constants, dict keys)")
        try:
            return known(method(text, *map(value_of_known, args),
                                **{k: value_of_known(v) for k, v in kwargs.items()}))
        except (TypeError, ValueError) as e:
            raise self.unsupported(node, f"{dotted(node.func) or 'this call'}(), which raises "
                                   f"{type(e).__name__}: {e},", "fix the call") from None

    def formatted(self, text, args, kwargs, node):
        """"x = {:.3f}".format(x) with values computed at run time: as the f-string
        f"x = {x:.3f}", each field formatted with format() (not differentiated) and joined."""
        parts, auto = [], 0
        numbering = {"auto" if f == "" else "manual" for _, f, _, _ in fields_of(text) if
                     f is not None and (f == "" or f.isdigit())}
        if len(numbering) > 1:
            raise self.unsupported(node, "a format string switching from automatic field "
                                   "numbering to manual field specification", "number every "
                                   "field ({0}) or none ({})")
        try:
            fields = list(string.Formatter().parse(text))
        except ValueError as e:
            raise self.unsupported(node, f"this format string ({e})", "fix the string") from None
        for literal, field, spec, conversion in fields:
            if literal:
                parts.append(Const(literal))
            if field is None:
                continue
            if "{" in (spec or "") or not (field == "" or field.isdigit() or
                                           field.isidentifier()):
                raise self.unsupported(node, f"the field {{{field}}} with nested fields, an item "
                                       "or an attribute in .format()", "use an f-string")
            if field == "":
                field, auto = str(auto), auto + 1
            if field.isdigit() and int(field) >= len(args) or not field.isdigit() and \
                    field not in kwargs:
                raise self.unsupported(node, f".format() without a value for {{{field}}}")
            value = self.as_atom(args[int(field)] if field.isdigit() else kwargs[field])
            if conversion:
                if conversion not in "rs":
                    raise self.unsupported(node, f"the conversion !{conversion} in .format()")
                value = self.emit("repr" if conversion == "r" else "str", (value,))
            parts.append(self.emit("format", (value, Const(spec)) if spec else (value,)))
        return self.joined(parts)

    def complex_of(self, node, env, target):
        """complex(x, y) as x + 1j * y (complex(x): x + 0j); of constants, Python's value."""
        parts = dict(zip(("real", "imag"), node.args), **{k.arg: k.value for k in node.keywords})
        values = {k: self.atom(v, env) for k, v in parts.items()}
        if all(type(v) is Const for v in values.values()):
            try:
                return Const(complex(**{k: v.value for k, v in values.items()}))
            except (TypeError, ValueError) as e:
                raise self.unsupported(node, f"complex(...): {e}") from None
        imag = self.emit("mul", (Const(1j), values["imag"])) if "imag" in values else Const(0j)
        return self.emit("add", (values.get("real", Const(0.0)), imag), target=target)

    def known_list_method(self, items, func, node, env):
        """xs.index(v), xs.count(v), xs.pop(k) and xs.remove(v) of a list known here: folded
        where the values are, else the position found at run time (`[a, b].index(v)`) and the
        items after it read one on (`xs[j + (j >= k)]`); pop and remove of a list a name holds
        (refused where another name holds it too)."""
        args = [self.expr(a, env) for a in node.args]
        known = all(type(a) is Const for a in args) and all(type(v) is Const for v in items)
        if func.attr in ("pop", "remove"):
            if not isinstance(func.value, gast.Name) or len(args) != 1:
                raise self.unsupported(node, f"this .{func.attr}()", "pop or remove an item "
                                       "of a list a name holds")
            if type(args[0]) not in (Var, Const) or func.attr == "pop" and type(args[0]) is \
                    Const and type(args[0].value) is not int:
                raise self.unsupported(node, f".{func.attr}() of a list or tuple", "pass an "
                                       "int index to pop, a number to remove")
            self.not_shared(node, func.value.id, env, self.live())
        if func.attr == "pop" and type(args[0]) is Const:
            if not -len(items) <= args[0].value < len(items):
                raise self.unsupported(node, "this .pop()", "pop a list at an index in it")
            k = args[0].value % len(items)
            env[func.value.id] = self.same_kind(items, items[:k] + items[k + 1:])
            return items[k]
        if known:
            values = [v.value for v in items]
            try:
                out = getattr(values, func.attr)(*(a.value for a in args))
            except (ValueError, TypeError) as e:
                raise self.unsupported(node, f"{dotted(func)}(...): {e}") from None
            if func.attr != "remove":
                return Const(out)
            env[func.value.id] = self.same_kind(items, tuple(Const(v) for v in values))
            return Const(None)
        if not items:
            raise self.unsupported(node, f".{func.attr}() of an empty list")
        real = self.list_in(self.block, items)
        if func.attr in ("index", "count"):
            return self.emit(f"list.{func.attr}", (real, *(self.as_atom(a) for a in args)))
        if func.attr == "pop":  # (range(n)[k]: k >= 0, an IndexError where xs[k] has one)
            k = self.emit("getitem", (Const(range(len(items))), args[0]))
            out = self.emit("getitem", (real, k))
        else:
            k, out = self.emit("list.index", (real, self.as_atom(args[0]))), Const(None)
        rest = []
        for j in range(len(items) - 1):
            after = self.emit("add", (Const(j), self.emit("ge", (Const(j), k))))
            rest.append(self.emit("getitem", (real, after)))
        env[func.value.id] = self.same_kind(items, tuple(rest))
        return out

    def known_range(self, node, env):
        """The numbers of `range(...)` with bounds known here (max(range(len(xs)), key=...)), at
        most 1000 of them, or None."""
        node = getattr(node, "written", node)
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and
                not node.keywords and 1 <= len(node.args) <= 3) or \
                self.expr(node.func, env) != Static(range):
            return None
        if any(effectful(a) and not (isinstance(a, gast.Call) and isinstance(
                a.func, gast.Name) and a.func.id == "len" and len(a.args) == 1 and
                isinstance(a.args[0], gast.Name)) for a in node.args):  # (read again here)
            return None
        bounds = [self.expr(a, env) for a in node.args]
        if not all(type(b) is Const and type(b.value) is int for b in bounds) or \
                len(range(*(b.value for b in bounds))) > 1000:
            return None
        return tuple(Const(k) for k in range(*(b.value for b in bounds)))

    def best_by_key(self, obj, node, env, target):
        """max(xs, key=f) or min(...) of items known here: f of each item (inlined), then the
        first item whose key is greatest (least), as Python keeps it: a test per item, and the
        winner taken from a branch (an object's fields merged), or known here where the keys
        are."""
        items = (self.known_range(node.args[0], env) or self.expr(node.args[0], env)) if \
            len(node.args) == 1 else tuple(self.expr(a, env) for a in node.args)
        if type(items) is Record and items.kind == "dict":  # min(d, key=d.get): of its keys
            items = tuple(Const(k) for k in items.keys)
        if type(items) is Var and len(node.args) == 1 and [k.arg for k in node.keywords] == \
                ["key"]:  # (a list made at run time, an array's rows, range(len(d)))
            return self.best_at_run_time(obj, items, node, env)
        if type(items) is not tuple or not items:
            raise self.unsupported(node, f"{obj.__name__}(..., key=...) of an empty sequence or "
                                   "one built at run time", "loop over it, keeping the best "
                                   "item and its key")
        keyed = []
        for k, item in enumerate(items):
            name = f"<item {k}>"
            call = _call_node(node.keywords[0].value, [_name(name, node)])
            keyed.append((item, self.expr(call, {**env, name: item})))
        best, best_key = keyed[0]
        for item, key in keyed[1:]:
            a, b = self.as_atom(key), self.as_atom(best_key)
            test = self.emit(OPERATORS["Gt" if obj is max else "Lt"], (a, b))
            parts = [v for q in (item, best) if type(q) is tuple for v in q]
            if type(test) is not Const and any(type(v) in (tuple, Record) for v in parts):
                raise self.unsupported(node, f"{obj.__name__}(..., key=...) of nested lists or "
                                       "lists of objects whose keys are known only at run time",
                                       "loop over them, keeping the index of the best one")
            best, best_key = (self.pick(test, v, w) if type(v) is tuple and type(w) is tuple
                              else self.branch_value(test, lambda v=v: v, lambda w=w: w)
                              for v, w in ((item, best), (key, best_key)))
        return best

    def pick_sequence(self, obj, best, item, target):
        """max(a, b) or min(a, b) of tuples or lists known here: Python compares them item by
        item (lexicographically) and keeps the first unless the second is strictly greater
        (less). Here: that comparison, then an if taking each item from the winner, so the
        winner's items, and only they, get the derivatives (max's elementwise rule would
        multiply a tuple by a bool)."""
        a, b = self.as_atom(item), self.as_atom(best)
        if type(a) is Const and type(b) is Const:
            test = Const(a.value > b.value if obj is max else a.value < b.value)
        else:
            test = self.emit(OPERATORS["Gt" if obj is max else "Lt"], (a, b))
        return self.pick(test, item, best, target)

    def pick(self, test, item, best, target=None):
        """`item if test else best` of tuples or lists known here: each item merged from the
        two branches."""
        if type(test) is Const or len(item) != len(best) or \
                self.is_list(item) != self.is_list(best):  # the whole sequence, one side's
            return self.branch_value(test, lambda: item, lambda: best, target)
        blocks, picked = ([], []), []
        for x, y in zip(item, best):
            if x == y and type(x) is type(y):  # (the same on both sides: no choice)
                picked.append(x)
                continue
            x, y = self.as_atom(x), self.as_atom(y)  # (a nested tuple: a tuple made here)
            merged = self.namer.fresh(target) if target else self.namer.temp()
            for block, value in zip(blocks, (x, y)):
                self.merge_into(block, value, merged)
            picked.append(Var(merged))
        self.block.append(If(test, blocks[0], blocks[1], self.line))
        return self.same_kind(best, tuple(picked))

    def object_test(self, op, a, b, node, env):
        """The truth of `a op b` (a gast comparison's name) where one is an object of the
        user's: its class's own operator method, inlined (containers.record_operator)."""
        test = self.record_operator(op, (a, b), node, env, None)
        return self.as_atom(self.record_truth(test, node, env) if type(test) is Record else test)

    def best_object(self, obj, best, item, node, env, target):
        """max(a, b) or min(a, b) where one is an object of the user's: Python keeps the first
        unless `item > best` (`item < best`), by the class's __gt__ (__lt__) or the reflected
        one, and the winner is chosen at run time field by field (branch_value)."""
        test = self.object_test("Gt" if obj is max else "Lt", item, best, node, env)
        return self.branch_value(test, lambda: item, lambda: best, target)

    def contained(self, key, items, node, env):
        """`key in items`, items a list or tuple known here holding an object of the user's:
        Python's `item is key or item == key`, item by item, stopping at the first."""
        if not items:
            return Const(False)
        item, rest = items[0], items[1:]
        if item is key and type(key) is Record:  # (the same object)
            return Const(True)
        if Record in (type(item), type(key)):
            found = self.object_test("Eq", item, key, node, env)
        else:
            found = self.emit("eq", (self.as_atom(item), self.as_atom(key)))
        return self.branch_value(found, lambda: Const(True),
                                 lambda: self.contained(key, rest, node, env)) if rest else found


def written(node):
    """What the user wrote for the argument `node` (a placeholder's `written`, arguments.py):
    a dotted name, or a short call such as grad(h); None for a name adcompile made."""
    node = getattr(node, "written", node)
    name = dotted(node)
    if name is not None:
        return None if name.startswith("<") else name
    if isinstance(node, gast.Call):
        text = gast.unparse(node).strip()
        return text if len(text) <= 40 and "<" not in text else None
    return None


def _stored(name, node):
    return gast.copy_location(gast.Name(id=name, ctx=gast.Store(), annotation=None,
                                        type_comment=None), node)
