"""Inlining: the user's own functions (module level, nested defs, lambdas) are lowered in place at each call, with their parameters bound to the caller's values.

A function without a rule is differentiated through its Python source, a library's too (NumPy's
Python-level functions, the standard library's). What fails inside a library is reported at the
user's call, naming the place in the library: the user can change their line, not NumPy's."""
from __future__ import annotations

import os
import re
from collections import Counter

import gast
import numpy as np

from ..depends import of_helper
from ..errors import ADCompileError
from ..ir import Assign, Const, Op, Var
from ..runtime import changed_in_place
from ..parse import parse
from ..primitives import hashable
from ..templates import dotted
from .arguments import default_nodes
from .changes import changes, in_library, library_place
from .scan import (Record, Static, assigned_names, display_kind, flat, held, loaded, names_in,
                   rebound_names, root_name, sequence_kinds, stored)
from .stacks import stack_names


# library functions whose source cannot be differentiated, and what to write instead
WRITE_INSTEAD = {
    np.fft.hfft: "write np.fft.irfft(np.conj(a), n) * n (n the output's length)",
    np.fft.ihfft: "write np.conj(np.fft.rfft(a)) / len(a)",
}
WRITE_INSTEAD.update({getattr(f, "__wrapped__", f): text for f, text in WRITE_INSTEAD.items()})
MAX_NESTING = 32  # a method inlined for that many objects at once (modules in modules)


def passed_names(names, positional, node, body):
    """The parameters (and closure `names`) an inlined function's caller gets back changed:
    those it never rebinds, and those it only augments (u /= n) that the call passes a name for
    (an array's change in place is the caller's; a number's rebinds u here: write_back)."""
    named = {p for p, a in zip(positional, node.args) if isinstance(a, gast.Name)} | {
        k.arg for k in node.keywords if isinstance(k.value, gast.Name)}
    return frozenset(names) - (rebound_names(body) - (named - assigned_names(body)))


class Inlining:
    def inline_local(self, local, node, env, target):
        since = len(self.block)
        fn = local.node
        if fn.decorator_list:
            raise self.unsupported(fn, "a decorator on a nested function")
        if self.recursive(fn, None):
            raise self.unsupported(node, f"recursion ({fn.name} calls itself)",
                                   "write the recursion as a loop")
        defaults = {p: (lambda d=d: self.expr(d, local.env))
                    for p, d in default_nodes(fn).items()}
        # the enclosing function's names as they are bound now, as Python's closures read them
        scope = local.owner.env_now
        bound = {k: v for k, v in scope.items() if not k.startswith("<")}  # (not its flags)
        bound.update(self.bind_arguments(fn, fn.name, node, env, defaults))
        gone = sorted(n for n in loaded(fn.body) - stored(fn.body) if n in local.env and
                      n not in bound and n not in local.parsed.scope)
        if gone:  # `[lambda t: t * i for i in ...]` called after the comprehension ended
            raise self.unsupported(node, f"calling a lambda that reads {gone[0]!r}, a variable of "
                                   "the comprehension that made it, after that comprehension "
                                   "ended (Python's closure reads its last value)", "bind it as "
                                   f"a default (lambda t, {gone[0]}={gone[0]}: ...)")
        before = dict(bound)
        inner = type(self)(local.parsed, self.fn, self.namer, self.stack + (fn,),
                        call_line=self.line)
        inner.block, inner.copies = self.block, self.copies
        inner.argument_parts, inner.chosen = self.argument_parts, self.chosen
        inner.lists = self.lists  # (the lists among the values passed)
        inner.receivers = self.receivers + (None,)
        self.pass_kinds(inner, fn, [a.id for a in fn.args.posonlyargs + fn.args.args], node)
        inner.foreign = self.foreign | names_in(env.values()) | names_in(bound.values())
        positional = [a.id for a in fn.args.posonlyargs + fn.args.args]
        closure = [k for k in scope if k in bound and k not in positional and
                   not k.startswith("<")]
        inner.passed = passed_names(positional + closure, positional, node, fn.body)
        inner.given, inner.holders = self.given_back(list(zip(positional, node.args)) + [
            (c, gast.Name(id=c, ctx=gast.Load(), annotation=None, type_comment=None))
            for c in closure], env, inner.passed)
        exit = inner.lower_stmts(fn.body, bound, frozenset())
        changed = self.write_back(fn, {**local.parsed.scope, **scope}, node, before, bound, env,
                                  positional, closure)
        if exit is None:  # no return: None, as Python gives (a call for its effect)
            return Const(None)
        values, as_tuple = inner.returned(exit, bound, fn)
        value = self.returned_value(values, as_tuple, before)
        if type(value) is Var and value.name in names_in(changed):
            self.held.add(value.name)  # d["total"], just updated and returned: d keeps it
        return self.bind(target, value, since) if target and type(value) is Var else value

    def given_back(self, pairs, env, passed):
        """Parameter -> the names of the values the caller holds through that argument (a name)
        only, which it gets back changed (write_back, receiver_changed): the callee may change
        them in place (self.pos += v, x[i] = v in a loop). Not those another name holds that the
        caller reads in this statement or later, nor those its own caller holds otherwise.
        Also: parameter -> the caller's names read later that hold what it holds (`a` in
        `a = step(u); b = step(u)`), where they are all that do, which a change in place names."""
        live = self.live() | (loaded([self.rest_now[1][self.rest_now[2]]])
                              if self.rest_now is not None else frozenset())
        out, holders = {}, {}
        for p, arg in pairs:
            value = held(arg, env) if p in passed else None
            if value is None:
                continue
            name = arg.id if isinstance(arg, gast.Name) else root_name(arg)  # bs[0].step()
            item = self.items_of.get(name)  # for b in bs: b.step() changes bs[k] too
            via = root_name(item) if item is not None and held(item, env) is value else name
            held_by = [v for k, v in env.items() if k not in (name, via) and not
                       k.startswith("<") and (k in live or k in self.passed)]
            mine = Counter(v.name for v in flat([value]) if type(v) is Var)
            if value is not env[via]:  # (what bs holds at another place than b's)
                held_by += [Var(n) for n, c in Counter(v.name for v in flat([env[via]]) if
                                                       type(v) is Var).items() if c > mine[n]]
            others = set()
            for n in names_in(held_by):
                others |= self.sharing(n)
            outer = self.foreign - self.given.get(via, frozenset()) if via in \
                self.passed else self.foreign
            alike = set(mine).union(*(self.sharing(n) for n in mine))  # (what it may be: u
            out[p] = frozenset(alike) - others - outer  # or a's, after a = step(u), a not read)
            named = {k: v for k, v in env.items() if k not in (name, via) and not
                     k.startswith("<") and (k in live or k in self.passed) and any(
                         self.sharing(n) & set(mine) for n in names_in([v]))}
            if named and not any(self.sharing(n) & outer for n in mine):
                holders[p] = named  # (no caller further out holds it: these are all)
        return out, holders

    @staticmethod
    def returned_value(values, as_tuple, before):
        """What a call returns; a list known here that an argument held is that same list
        (`b = ident(a)`: changing b changes a), not a copy of its items."""
        value = tuple(values) if as_tuple else values[0]
        return next((v for v in before.values() if type(v) is tuple and v and v == value),
                    value) if as_tuple else value

    def write_back(self, fn, scope, node, before, after, env, positional, closure=()):
        """After inlining `fn` at the call `node`: Python passes a list, dict or object by
        reference, so what the callee changed in place (lst.append(v), d["k"] += v, p.x = v,
        p.step()) the caller sees. A parameter (or a name of the enclosing function, for a
        nested def: `closure`) that holds a changed value at the end, and that the callee never
        rebinds, is given to the caller's name. Refused: an argument that is not a name, and a
        parameter the callee changes in place and also rebinds (the caller would see the change
        made before the rebinding only)."""
        rebound, assigned = rebound_names(fn.body), assigned_names(fn.body)
        pairs = list(zip(positional, node.args)) + [(k.arg, k.value) for k in node.keywords
                                                    if k.arg in positional]
        pairs += [(name, gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                   type_comment=None)) for name in closure]
        changed = []
        given = {p for p, _ in pairs}
        names = [a.id for a in list(node.args) + [k.value for k in node.keywords]
                 if isinstance(a, gast.Name)]
        twice = {n for n in names if names.count(n) > 1}  # (h(x, x))
        for p in positional:  # def f(x, acc=[]): Python keeps acc's changes between calls
            default = before.get(p)
            if p not in given and (type(default) in (tuple, Record) or type(default) is Var and
                                   isinstance(self.fn.constants.get(default.name),
                                              (list, dict, set))) and changes(fn, scope, p):
                raise self.unsupported(node, f"{getattr(fn, 'name', 'the function')} changes "
                                       f"its default argument {p} in place (Python keeps the "
                                       "change for the next call)", f"pass {p} explicitly or "
                                       f"make it inside ({p}=None, then {p} = [] if {p} is None)")
        for p, arg in pairs:
            old, new = before.get(p), after.get(p)
            augmented = type(old) is Var and p in rebound and p not in assigned and \
                isinstance(arg, gast.Name)  # (u /= n; of another argument: checked inside)
            lists = type(old) is tuple or augmented  # (xs += [v] changes a list in place)
            if new is old or type(old) not in (Var, tuple, Record) or \
                    not changes(fn, scope, p, lists=lists):  # (a number; rebound, a loop's copy)
                continue
            if p in (assigned if lists else rebound):
                raise self.unsupported(node, f"{getattr(fn, 'name', 'the function')} changes "
                                       f"its argument {p} in place and also assigns {p} a new "
                                       "value", "use another name for the new value")
            if augmented and (self.in_expression or any(arg.id not in c for c in self.carried)
                              or arg.id in twice):  # (h(x, x): one array for both, refused)
                filename, line = self.parsed.where(node)  # (in an expression, or in a loop not
                self.block.append(Assign(None, Op("check_not_in_place", (  # carrying it: an
                    old, Const("__iadd__"), Const(f"{os.path.basename(filename)}:{line}"),
                    Const(p), Const("the caller"))), self.line))  # array refused when the
                continue  # code runs; a number rebound in the helper only, as in Python)
            if self.in_expression:
                what = f"{p}, a name of the enclosing function," if p in closure else \
                    f"its argument {p}"
                raise self.unsupported(node, f"{getattr(fn, 'name', 'the function')} changes "
                                       f"{what} in place, called inside a comprehension, a "
                                       "conditional expression (a if t else b), `and`/`or` (and "
                                       "the c of a chained comparison a < b < c) or a while "
                                       "test", "call it in a statement of its own (y = g(x)) "
                                       "and use its value there")
            if isinstance(arg, gast.Name) and env.get(arg.id) is old:
                if augmented:  # (another name holding an array: refused when the code runs)
                    self.check_in_place(node, arg.id, env, self.live(), "__iadd__")
                else:
                    self.not_shared(node, arg.id, env, self.live(), old, after=new)
                if augmented and arg.id not in self.live() and arg.id not in self.passed:
                    continue  # (u /= n of a name not read again)
                if augmented:  # an array changed in place for the caller; a number, rebound
                    new = self.in_place_or_kept(old, new, node)  # in the helper only
                env[arg.id] = new
                changed.append(new)
            elif isinstance(arg, gast.Name) and arg.id in twice:
                raise self.unsupported(node, f"{getattr(fn, 'name', 'the function')} changes "
                                       f"its argument {p} in place, and {arg.id} is passed for "
                                       "another of its parameters that it changes too (both "
                                       "names are one value inside)", "pass a copy for one "
                                       "of them, or a different name")
            elif not isinstance(arg, (gast.List, gast.Dict, gast.Tuple)):
                raise self.unsupported(node, f"{getattr(fn, 'name', 'the function')} changes "
                                       f"its argument {p} in place, which is not a name here",
                                       "pass it a name (x = ...; f(x)) and read that name after")
        return changed

    def in_place_or_kept(self, old, new, node):
        """What the caller's name holds after a helper did `u op= v` to the parameter that held
        `old` (left holding `new`): Python calls u.__iop__ where u's type has it (an array, a
        list: changed in place, so the caller sees `new`), else rebinds u in the helper only (a
        number: the caller keeps `old`). Decided when the code runs."""
        def name(n):
            return gast.copy_location(gast.Name(id=n, ctx=gast.Load(), annotation=None,
                                                type_comment=None), node)
        test = gast.copy_location(gast.Call(func=name("<in_place>"), args=[name("<old>")],
                                            keywords=[]), node)
        choice = gast.copy_location(gast.IfExp(test=test, body=name("<new>"),
                                               orelse=name("<old>")), node)
        return self.expr(choice, {"<old>": old, "<new>": new,
                                  "<in_place>": Static(changed_in_place)})

    def recursive(self, code, receiver):
        """Whether calling `code` (a method of `receiver`, a Record, or a function: None) here
        is recursion: the function is being inlined already, or the method for the same object.
        A method inlined again for another object (Module.__call__ of a Sequential, then of its
        layers) is not, up to a depth no model nests to."""
        mine = [r for c, r in zip(self.stack, self.receivers) if c is code]
        return any(r is None or r is receiver for r in mine) or len(mine) >= MAX_NESTING

    def pass_kinds(self, inner, fn, positional, node):
        """A parameter the callee never rebinds gets the kind (list or tuple) of its argument,
        for the callee's indexing (scan.sequence_kinds)."""
        rebound = stored(fn.body)
        pairs = list(zip(positional, node.args)) + [(k.arg, k.value) for k in node.keywords]
        for p, a in pairs:
            kind = self.sequence_kinds.get(a.id) if isinstance(a, gast.Name) else \
                display_kind(a)
            if kind in ("list", "tuple") and p not in rebound:
                inner.sequence_kinds[p] = kind

    def inline(self, obj, node, env, target, receiver=None):
        """Lower a call of the user's function `obj` in place. A method gets its `receiver` (a
        Record) as `self`; what self holds at the end is left in `self.receiver_after`."""
        since = len(self.block)
        if self.recursive(obj.__code__, receiver):
            mine = [r for c, r in zip(self.stack, self.receivers) if c is obj.__code__]
            if not any(r is None or r is receiver for r in mine):  # (self changed on the way
                raise self.unsupported(  # is another object here: the same one, perhaps)
                    node, f"recursion ({obj.__name__} calls itself for its own object, or for "
                    f"{MAX_NESTING + 1} objects nested in one another: a method is inlined for "
                    f"up to {MAX_NESTING} objects at once)", "write the recursion as a loop, or "
                    "keep the objects in a list and call the method in a loop")
            raise self.unsupported(node, f"recursion ({obj.__name__} calls itself)",
                                   "write the recursion as a loop")
        try:
            callee = parse(obj, as_written=True)  # (a wrapper's *args as called)
        except ADCompileError as e:
            return self.library_as_constant(self.at_the_call(e, obj, node), obj, node, env,
                                            target, since, receiver)
        made = getattr(obj, "__adcompile__", None)  # grad(inner) made here: its code read
        self.fn.dependencies.extend(getattr(made, "dependencies", ()))  # inner's globals
        self.fn.dependencies.extend(of_helper(obj))  # its closure's variables, its defaults
        args = callee.node.args
        positional = [a.id for a in args.posonlyargs + args.args]
        values = dict(zip(positional[len(positional) - len(obj.__defaults__ or ()):],
                          obj.__defaults__ or ()))
        values.update(obj.__kwdefaults__ or {})
        defaults = {p: (lambda p=p, d=d: self.outer(p, d)) for p, d in values.items()}
        bound = self.bind_arguments(callee.node, obj.__name__, node, env, defaults,
                                    leading=() if receiver is None else (receiver,))
        params = positional
        self.namer.reserved |= {n.id for n in gast.walk(callee.node) if isinstance(n, gast.Name)}
        inner = type(self)(callee, self.fn, self.namer, self.stack + (obj.__code__,),
                        call_line=self.line)
        inner.block, inner.copies = self.block, self.copies
        inner.argument_parts, inner.chosen = self.argument_parts, self.chosen
        if made is not None:  # a derivative's code: its tapes stay stacks, as differentiated
            inner.stacks = stack_names(callee.node)  # alone (lower(..., stacks=True))
            inner.sequence_kinds = sequence_kinds(callee.nodes, inner.stacks)
        inner.lists = self.lists  # (the lists among the values passed)
        inner.receivers = self.receivers + (receiver,)
        self.pass_kinds(inner, callee.node, positional[0 if receiver is None else 1:], node)
        inner.foreign = self.foreign | names_in(env.values()) | names_in(bound.values())
        inner.passed = passed_names(positional, positional[0 if receiver is None else 1:],
                                    node, callee.node.body)
        inner.given, inner.holders = self.given_back(list(zip(positional, (
            [node.func.value] if receiver is not None and isinstance(node.func, gast.Attribute)
            else []) + node.args)), env, inner.passed)
        before = dict(bound)
        try:
            exit = inner.lower_stmts(callee.node.body, bound, frozenset())
            changed = self.write_back(callee.node, callee.scope, node, before, bound, env,
                                      positional[0 if receiver is None else 1:])
            self.receiver_after = bound.get(params[0]) if receiver is not None else None
            if exit is None:  # no return: None, as Python gives (a method changing self,
                return Const(None)  # a call for its effect)
            values, as_tuple = inner.returned(exit, bound, callee.node)
        except ADCompileError as e:
            return self.library_as_constant(self.at_the_call(e, obj, node), obj, node, env,
                                            target, since, receiver)
        value = self.returned_value(values, as_tuple, before)
        if type(value) is Var and value.name in names_in([self.receiver_after] + changed):
            self.held.add(value.name)  # self.r, just updated and returned: self keeps the name
        return self.bind(target, value, since) if target and type(value) is Var else value

    def library_as_constant(self, err, obj, node, env, target, since, receiver):
        """A library function whose source cannot be differentiated (np.fft.rfftfreq,
        np.polynomial.legendre.leggauss): called as written, a constant of the derivative, when
        no differentiated value reaches it, and refused with `err` when one does. Any other
        error (in the user's own code) is raised."""
        numpy = (getattr(obj, "__module__", None) or "").partition(".")[0] == "numpy"
        if not getattr(err, "library", False) or err.maybe_container and not numpy or \
                receiver is not None:  # (NumPy's functions take arrays, not containers)
            raise err from None
        del self.block[since:]  # (what lowering its arguments and body emitted)
        return self.opaque_call(obj, node, env, target, why=err.message)

    def at_the_call(self, err, obj, node):
        """`err`, raised inside the library function `obj` that the user's code calls at `node`,
        as an error of the same kind at that call, naming the place inside the library."""
        if not in_library(err.filename) or in_library(self.parsed.filename):
            return err  # the user's own code (or one library calling another: not yet the call)
        name = dotted(node.func) if isinstance(node, gast.Call) else None
        name = name or f"{obj.__module__}.{obj.__qualname__}"
        place = library_place(err.filename)
        what = re.split(r"[.;]\s", err.message, maxsplit=1)[0]  # (its advice is for the library)
        instead = WRITE_INSTEAD.get(obj) if hashable(obj) else None
        moved = type(err)(
            f"{name} has no derivative rule, so adcompile differentiates its Python source, which "
            f"fails at {place}:{err.line}: {what}. " + (f"Instead {instead}, or call {name} "
                                                        "outside the differentiated function."
                                                        if instead else
                                                        f"Call {name} outside the differentiated "
                                                        f"function, or register its derivative "
                                                        f"(adcompile.defvjp({name}, ...))."),
            *self.parsed.where(node))
        moved.maybe_container = err.maybe_container
        moved.library = True
        return moved

