"""Calls: primitives from the rule table (with their keyword options), sequences (np.stack, np.array of lists), builtins with a meaning here (max, min, sum, slice); the user's functions go to inlining."""
from __future__ import annotations

import builtins
import cmath
import copy
import dataclasses
import functools
import math
import re
import string
import types

import gast
import numpy as np

from ..custom import how_to_register
from ..boundary import not_passed, passed_here
from ..parse import signature_of
from ..errors import (PACKAGE, STAND_INS_FILE, ADCompileError, NoDerivativeError,
                      UnsupportedSyntaxError)
from ..ir import Const, Var
from ..standins import ARRAY_STAND_INS, STAND_INS
from ..primitives import (AS_ARRAY, BY_OBJECT, FROZEN, GENERATOR_METHODS, METHODS, NAMESPACE,
                          OBJECT_OPTIONS, OPTIONAL, POSITIONAL, PRIMS, RENAMED, hashable)
from ..templates import dotted
from .arguments import SPREAD
from .closures import LocalTransform
from .containers import _name
from .effects import KnownToRaise, placed
from .expressions import number_or_array, numbers_only
from .scan import (LIST_METHODS, MISSING, RUN_TIME_LISTS, SCALARS, LocalFunction, Partial,
                   Record, Static, held, holds_record, is_super, uncached)


class Calls:
    def call(self, node, env, target):
        total = self.summed(node, env, target)  # sum(f(x) for x in xs): a loop that adds
        if total is not None:
            return total
        node, held = self.spread(node, env)  # f(*xs, **kw) with xs and kw known here
        try:
            return self.spread_call(node, env, target)
        finally:
            for name in held:
                env.pop(name, None)

    def stand_in(self, obj, node, env, target):
        """The call of `obj` lowered as its Python stand-in (standins.py); what the stand-in
        cannot take is refused at the user's call."""
        stand_in, first, added = STAND_INS[obj], node.args[0] if node.args else None, []
        if obj in ARRAY_STAND_INS and first is not None and not isinstance(first, SPREAD) and \
                not (isinstance(first, gast.Call) and isinstance(first.func, gast.Name)):
            data = self.once[id(first)] = self.expr(first, env)  # lowered once (targets.py)
            added.append(id(first))
            if type(data) is Var and self.never_a_sequence(data):  # a number or an array
                stand_in = ARRAY_STAND_INS[obj]
        try:
            return self.inline(stand_in, node, env, target)
        except KnownToRaise as e:  # (itertools.islice(xs, -1)): Python's own error, placed
            raise placed(e.error, *self.parsed.where(node)) from None
        except ADCompileError as e:
            if e.filename != STAND_INS_FILE:
                raise
            error = type(e)(f"{obj.__module__}.{obj.__name__}, differentiated as the loop it "
                            f"computes: {e.message}", *self.parsed.where(node))
            error.maybe_container = e.maybe_container
            raise error from None
        finally:
            self.forget_once(added)

    def spread_call(self, node, env, target):
        func = node.func
        if is_super(func):
            return self.super_method(func, node, env, target)
        if isinstance(func, gast.Attribute):
            base = self.expr(func.value, env)
            if func.attr == "pop" and not node.args and isinstance(func.value, gast.Name) and \
                    type(base) in (Var, tuple) and not (  # a list (a tape too): its last
                        type(base) is Var and self.never_a_sequence(base)):  # (not an array)
                name = func.value.id
                if type(base) is tuple:
                    self.not_shared(node, name, env, self.live())  # (b = a; b.pop())
                    env[name] = base[:-1]
                    return base[-1]
                last = self.emit("getitem", (base, Const(-1)), target=target)
                env[name] = self.emit("getitem", (base, Const(slice(None, -1))), target=name)
                return last
            if func.attr == "pop" and len(node.args) == 1 and not node.keywords and \
                    isinstance(func.value, gast.Name) and type(base) is Var and \
                    func.value.id not in self.stacks and not self.never_a_sequence(base):
                # xs.pop(k) of a run-time list, k known here
                return self.pop_at(node, base, env, target)
            if type(base) is tuple and func.attr in ("index", "count", "pop", "remove") and \
                    not node.keywords:  # a list known here: names.index("b"), ys.pop(0)
                return self.known_list_method(base, func, node, env)
            if type(base) is Static and base.obj is dict and func.attr == "fromkeys":
                return self.from_keys(node, env)
            if type(base) is Record and base.cls in FROZEN.values() and \
                    not base.has(func.attr):  # d.logpdf(x) of d = stats.norm(mu, s)
                return self.frozen_method(base, func, node, env, target)
            if type(base) is Record and not (base.kind != "dict" and base.has(func.attr)) \
                    and not self.unbound(base, func.attr):
                return self.record_method(base, func, node, env, target)
            if type(base) is Record:  # layer.act(x): a field holding a function (or object),
                callee = self.record_attribute(base, func, env)  # or the class np.tanh
            elif type(base) is Const and isinstance(base.value, str):  # k.startswith("w")
                return self.string_method(base.value, node, env)
            elif type(base) is not Static:  # a method of an array: x.sum(axis=0)
                prim = METHODS.get(func.attr) or GENERATOR_METHODS.get(func.attr)  # rng.normal
                constant = self.fn.constants.get(base.name, MISSING) if type(base) is Var \
                    else MISSING
                if prim is None and type(constant) is dict and not node.args and \
                        not node.keywords and func.attr in ("items", "keys", "values"):
                    return self.global_view(base, func.attr, node)  # for k, v in W.items()
                if prim is None and constant is not MISSING:  # GLOBAL_NT._replace(...)
                    raise self.unsupported(node, f"the method .{func.attr}() of "
                                           f"{dotted(func.value) or base.name}, a global "
                                           f"{type(constant).__name__} (read as a constant)",
                                           "pass it as an argument of the differentiated "
                                           "function, or build it inside")
                if prim is None and func.attr in vars(np.random.Generator):
                    raise self.not_an_array(node, f"the method .{func.attr}() of a random "
                                            "Generator", "its draws that are supported are "
                                            f"{', '.join(sorted(GENERATOR_METHODS))}",
                                            fields=False)
                if prim is None and func.attr in LIST_METHODS:
                    raise self.not_an_array(node, f"the method .{func.attr}(...) of "
                                            f"{dotted(func.value) or 'a value'}, a list built "
                                            "at run time or an array", RUN_TIME_LISTS)
                if prim is None:
                    raise self.not_an_array(node, f"the method .{func.attr}() of "
                                            f"{number_or_array(func.value)}", "arrays and NumPy "
                                            "numbers have the methods "
                                            f"{', '.join(sorted(METHODS))}; a Python float's "
                                            "own (x.is_integer()) are not read: write the test "
                                            "with operators and NumPy (x == np.round(x))")
                args = [self.as_atom(base)] + [self.atom(a, env) for a in node.args]
                if type(args[0]) is Var:  # (an object of the user's with a .sum() may come)
                    self.fn.receivers.add(args[0].name)
                if func.attr in ("reshape", "transpose") and len(args) > 2:
                    args = [args[0], self.as_atom(tuple(args[1:]))]
                return self.primitive(prim, node, args, env, target)
            else:
                callee = self.attribute(func, env, None)
        else:
            callee = self.expr(func, env)
        if type(callee) is Record:  # m(x): the object's __call__, inlined as a method
            call = gast.Attribute(value=func, attr="__call__", ctx=gast.Load())
            return self.record_method(callee, gast.copy_location(call, func), node, env, target)
        if type(callee) is not Static:
            raise self.not_callable(node, callee)
        obj = callee.obj
        if obj is functools.partial and node.args and all(k.arg for k in node.keywords):
            return self.partial(node, env)
        if isinstance(obj, Partial):
            return self.call_partial(obj, node, env, target)
        if obj in BUILTIN_METHODS and node.args and not node.keywords and not isinstance(
                node.args[0], (gast.Name, gast.Attribute, gast.Subscript, gast.Constant)):
            name = f"<argument {id(node)}>"  # abs(-d): the operand evaluated once, then named
            env[name] = self.expr(node.args[0], env)
            try:
                return self.spread_call(gast.copy_location(gast.Call(
                    func=func, args=[_name(name, node.args[0])] + node.args[1:],
                    keywords=[]), node), env, target)
            finally:
                env.pop(name, None)
        if obj in BUILTIN_METHODS and node.args and not node.keywords:  # abs(v): v.__abs__()
            first = held(node.args[0], env)  # (evaluates nothing: a name, field or item)
            name = BUILTIN_METHODS[obj]
            if type(first) is Record and first.kind != "dict" and \
                    self.defining(first.cls, name) is not None:
                method = gast.copy_location(gast.Attribute(value=node.args[0], attr=name,
                                                           ctx=gast.Load()), node)
                call = gast.copy_location(gast.Call(func=method, args=node.args[1:],
                                                    keywords=[]), node)
                return self.record_method(first, method, call, env, target)
            if type(first) is Record and first.kind in ("object", "dataclass"):
                raise self.unsupported(node, f"{obj.__name__}() of {first.describe()}, whose "
                                       f"class has no {name} written in Python")
        first = held(node.args[0], env) if len(node.args) == 1 and not node.keywords else None
        if obj is type and type(first) is Record:  # type(self)(...): the class known here
            return Static(first.cls)
        if obj is vars and type(first) is Record and first.kind in ("object", "dataclass"):
            who = dotted(node.args[0]) or "o"
            raise self.unsupported(node, f"vars({who}) of {first.describe()} (its attributes "
                                   "as a dict)", f"read its fields ({who}."
                                   f"{first.keys[0] if first.keys else 'a'})")
        if obj in (str, repr, format, len) and not node.keywords:  # str(k) of a key known here
            values = [self.expr(a, env) for a in node.args]
            if values and all(type(v) is Const and isinstance(v.value, SCALARS) for v in values):
                return known(obj(*(v.value for v in values)))
        if obj is len and len(node.args) == 1 and not node.keywords:
            items = self.expr(node.args[0], env)
            if type(items) is Record:
                return Const(len(items.keys))
            if type(items) is tuple:
                return Const(len(items))
        if obj is sorted and len(node.args) == 1 and node.keywords and \
                {k.arg for k in node.keywords} <= {"key", "reverse"}:
            return self.sorted_with(node, env)
        if obj in (list, tuple, sorted) and len(node.args) == 1 and not node.keywords:
            arg = self.mapped(node.args[0], env, gast.ListComp) or node.args[0]  # list(map(..))
            items = self.zipped_known(arg, env)  # list(zip(xs, ys)) of lists known here
            items = self.iterated(self.expr(arg, env), node) if items is None else items
            if type(items) is tuple and obj is sorted:
                return self.known_list(self.sorted_known(items, node))
            if type(items) is tuple:
                return tuple(list(items)) if obj is tuple else self.known_list(items)
            if type(items) is Var and obj is not sorted:  # a copy of a list built at run time
                return self.emit(f"{obj.__name__}_copy", (items,), target=target)  # (rewrite.py
            if type(items) is Var and obj is sorted and items.name not in {
                    name for name, tree, _ in self.fn.arguments if tree is None}:
                return self.sorted_array(items, node, env)  # (an argument: a list, perhaps)
            if type(items) is Var and obj is sorted:  # (an argument: compiled at the call)
                error = UnsupportedSyntaxError(
                    f"sorted() of {dotted(node.args[0]) or 'it'}, an argument, is compiled at "
                    "the call, for what it is there (an array of one dimension: "
                    "list(np.sort(a)); a list: its items sorted); call the derivative, or see "
                    "its code with source(df, at=args)", *self.parsed.where(node))
                error.maybe_container = True
                raise error
            if type(items) is Var:  # checks it is one) (a dict argument: its keys, once known)
                raise self.not_an_array(node, f"{obj.__name__}() of an array or a list computed "
                                        "at run time", "sort with np.sort" if obj is sorted else
                                        "iterate it in a loop, or index the array", fields=False)
        if obj is cmath.polar and len(node.args) == 1 and not node.keywords:  # (abs, phase)
            z = self.as_atom(self.expr(node.args[0], env))
            return (self.emit("abs", (z,)), self.emit("cmath.phase", (z,)))
        if obj in COPIES and len(node.args) == 1 and not node.keywords:
            return self.copy_of(self.expr(node.args[0], env), COPIES[obj], node)
        if obj is dataclasses.replace and node.args:
            record = self.expr(node.args[0], env)
            if type(record) is not Record or record.kind != "dataclass":
                raise self.not_an_array(node, "dataclasses.replace of an array",
                                        "replace works on a dataclass instance")
            return self.replaced(record, node, env)
        if isinstance(obj, type) and not (hashable(obj) and obj in BY_OBJECT):
            made = self.construct(obj, node, env, target)
            if made is not None:
                return made
        if hashable(obj) and obj in STAND_INS and obj not in BY_OBJECT:  # statistics.mean, ...
            # (a rule the user registers for it wins)
            return self.stand_in(obj, node, env, target)
        if obj is functools.reduce and len(node.args) in (2, 3) and not node.keywords:
            total = self.reduced(node, env)  # (else refused below, as a function passed on)
            if total is not None:
                return total
        if obj is math.hypot and len(node.args) != 2 and not node.keywords:
            return self.hypot([self.atom(a, env) for a in node.args], target)
        if obj in (max, min) and len(node.args) == 1 and "default" in \
                [k.arg for k in node.keywords] and set(k.arg for k in node.keywords) <= {
                    "key", "default"}:  # max(xs, default=d): d only where xs is empty
            items = self.known_range(node.args[0], env) or self.expr(node.args[0], env)
            default = next(k.value for k in node.keywords if k.arg == "default")
            if type(items) is tuple and not items:
                return self.expr(default, env)
            if type(items) is not tuple:
                raise self.unsupported(node, f"{obj.__name__}(..., default=...) of a sequence "
                                       "built at run time", "test its length first")
            node = gast.copy_location(gast.Call(func=node.func, args=node.args, keywords=[
                k for k in node.keywords if k.arg != "default"]), node)
        if obj in (max, min) and node.args and [k.arg for k in node.keywords] == ["key"]:
            return self.best_by_key(obj, node, env, target)
        if obj in (max, min) and node.args and not node.keywords:
            # max([a, b, c]) and max(a, b, c): pairwise, as Python does
            items = self.fields(self.expr(node.args[0], env)) if len(node.args) == 1 else \
                tuple(self.expr(a, env) for a in node.args)
            if type(items) is Var:  # a list built at run time
                return self.emit(f"list_{obj.__name__}", (items,), target=target)
            if type(items) is not tuple or not items:
                raise self.unsupported(node, f"{obj.__name__}() of an empty or unknown sequence",
                                       f"use np.{obj.__name__} or {obj.__name__}(a, b)")
            best = items[0]
            for k, item in enumerate(items[1:], 2):
                last = target if k == len(items) else None
                if type(best) is tuple and type(item) is tuple:  # max((d, i), (e, j))
                    best = self.pick_sequence(obj, best, item, last)
                elif Record in (type(best), type(item)):  # objects: their class's __lt__
                    best = self.best_object(obj, best, item, node, env, last)
                else:
                    best = self.emit(obj.__name__, (self.as_atom(best), self.as_atom(item)),
                                     target=last)
            return best
        if obj is isinstance:
            return self.isinstance_(node, env, target)
        if obj in (hasattr, getattr):
            return self.attribute_query(obj, node, env)
        if obj is object.__setattr__ or obj is object.__getattribute__:
            return self.plain_attribute(obj, node, env, target)
        if obj is complex and len(node.args) + len(node.keywords) <= 2 and \
                {k.arg for k in node.keywords} <= {"real", "imag"}:
            return self.complex_of(node, env, target)
        if obj in (divmod, np.divmod) and len(node.args) == 2 and not node.keywords:
            x, y = (self.atom(a, env) for a in node.args)  # (x // y, x % y), as Python and
            # NumPy define it
            return self.emit("floordiv", (x, y)), self.emit("mod", (x, y))
        if obj is sum and len(node.args) in (1, 2) and not node.keywords:
            return self.builtin_sum(node, env, target)
        if obj in (math.prod, math.dist) and not node.keywords:
            return self.math_of_sequences(obj, node, env, target)
        if obj is reversed and len(node.args) == 1 and not node.keywords:
            seq = self.expr(node.args[0], env)  # reversed(xs): a list or array read backwards
            if type(seq) is tuple:
                return seq[::-1]
            return self.emit("getitem", (self.as_atom(seq), Const(slice(None, None, -1))),
                             target=target)
        if getattr(obj, "__adcompile_transform__", False):
            return self.transform_here(obj, node, env)
        if isinstance(obj, LocalTransform):  # grad(g)(y) of g defined in the function
            return self.local_transform(obj, node, env, target)
        if getattr(obj, "__adcompile_inside__", None) is not None:  # jvp(f, ...), vjp(f, x)
            return self.derivative_here(obj, node, env, target)
        frozen = next((c for base, c in FROZEN.items() if isinstance(obj, base)), MISSING) \
            if FROZEN and not isinstance(obj, type) else MISSING
        if frozen is not MISSING:
            return self.frozen(obj, frozen, node, env)
        prim = BY_OBJECT.get(obj) if hashable(obj) else None
        ufunc = getattr(obj, "__self__", None) if getattr(obj, "__name__", "") == "outer" else None
        if prim is None and isinstance(ufunc, np.ufunc) and ufunc in BY_OBJECT:
            return self.ufunc_outer(BY_OBJECT[ufunc], node, env, target)
        if prim is not None and PRIMS[prim].form == "seq":
            return self.sequence(prim, node, env, target)
        if prim in AS_ARRAY and node.args:  # np.asarray([a, b]) is np.array([a, b])
            items = self.expr(node.args[0], env)
            if type(items) is tuple:
                return self.sequence("np.array", node, env, target, items)
            args = [self.as_atom(items)] + [self.atom(a, env) for a in node.args[1:]]
            return self.primitive(prim, node, args, env, target)
        if prim == "stop_gradient" and len(node.args) == 1 and not node.keywords:
            value = self.expr(node.args[0], env)  # of a dict, a tuple, ...: of each leaf (JAX)
            if type(value) in (tuple, Record):
                return self.each_leaf(value, lambda v: self.emit(prim, (self.as_atom(v),)))
        if prim is not None:
            args = [self.atom(a, env) for a in node.args]
            if prim == "math.log" and len(args) == 2:  # log(x, base) = log(x) / log(base)
                num = self.emit("math.log", args[:1])
                den = self.emit("math.log", args[1:]) if type(args[1]) is Var else Const(
                    PRIMS["math.log"].fn(args[1].value))
                return self.emit("truediv", (num, den), target=target)
            if getattr(obj, "__name__", None) == "accumulate" and any(
                    type(a) is Const and a.value is None for a in args[1:2] + [
                        self.atom(k.value, env) for k in node.keywords if k.arg == "axis"]):
                raise self.unsupported(node, f"{called_name(node)}(..., axis=None)", "give the "
                                       "axis (NumPy takes None only for one dimension: axis=0)")
            return self.primitive(prim, node, args, env, target, OBJECT_OPTIONS.get(obj),
                                  POSITIONAL.get(obj))
        if obj is slice:  # slice(None, -1, None), as generated code spells a constant slice
            parts = [self.atom(a, env) for a in node.args]
            if all(type(p) is Const for p in parts):
                return Const(slice(*(p.value for p in parts)))
        boundary = getattr(obj, "__adcompile_boundary__", None)
        if boundary is not None:  # a function grad made, called here: its generated code
            # (as the user spelled it, or where it was made here, grad(loss)(p), as made: the
            # callee is then a placeholder's name)
            made = spelled(func)
            if made.startswith("<"):
                made = f"{boundary.mode}({getattr(boundary.f, '__name__', 'f')})"
            self.all_passed(boundary.f, boundary.must, node)
            if not boundary.simple or boundary.plain is None or boundary.receiver is not None:
                # for the structure of its arguments, as the boundary compiles it at a call
                return self.structured_call(boundary, made, node, env)
            given = self.given_values(node, env)
            if any(type(v) is tuple or holds_record(v) for v in  # (a list, a tuple)
                   given[0] + list(given[1].values())):
                return self.structured_call(boundary, made, node, env, given)
            obj = boundary.plain
        if hasattr(obj, "__adcompile_partial__"):  # grad(functools.partial(g, ...)) made
            partial, of_g = obj.__adcompile_partial__  # outside: g's, given the values bound
            self.all_passed(partial, getattr(obj, "__adcompile_must_pass__", ()), node)
            names = list(signature_of(partial.func).parameters)
            return self.call_partial(Partial(Static(of_g), tuple(
                self.outer(names[k], v) for k, v in enumerate(partial.args)), {
                k: self.outer(k, v) for k, v in partial.keywords.items()}), node, env, target)
        made = made_by_adcompile(obj, func)  # jvp(f, ...), jacfwd(f)(x): not the user's code
        if made is not None:
            raise self.unsupported(node, f"calling {made} inside a differentiated function",
                                   "compute it outside and pass it in, or use grad, jvp or vjp, "
                                   "which can be called inside (a Hessian-vector product is "
                                   "jvp(grad(f), (x,), (v,))[1] of a module-level def f)")
        obj = uncached(obj)  # (a rule of its own was found above, by the cache's object)
        if type(obj).__name__ == "_ArrayFunctionDispatcher" and \
                isinstance(getattr(obj, "__wrapped__", None), types.FunctionType):
            obj = obj.__wrapped__  # np.polyfit, np.roots: NumPy's Python code behind dispatch
        if isinstance(obj, types.FunctionType):
            return self.inline(obj, node, env, target)
        if isinstance(obj, types.MethodType) and isinstance(obj.__self__, type) and \
                isinstance(obj.__func__, types.FunctionType):  # Model.double(x), a classmethod
            return self.inline(obj.__func__, node, env, target, receiver=Static(obj.__self__))
        if isinstance(obj, LocalFunction):
            return self.inline_local(obj, node, env, target)
        if not callable(obj):
            raise NoDerivativeError(how_to_register(obj, dotted(func)), *self.parsed.where(node))
        return self.opaque_call(obj, node, env, target)

    def partial(self, node, env):
        """functools.partial(f, ...) of a function known here: f and the values bound now."""
        func = self.expr(node.args[0], env)
        if type(func) is not Static or not (callable(func.obj) or isinstance(func.obj, (
                LocalFunction, Partial))):
            raise self.unsupported(node, "functools.partial of a function not known when the "
                                   "code compiles", "pass a function defined in the code or "
                                   "imported (functools.partial(helper, a=x))")
        return Static(Partial(func, tuple(self.expr(a, env) for a in node.args[1:]),
                              {k.arg: self.expr(k.value, env) for k in node.keywords}))

    def all_passed(self, f, must, node):
        """Refuse a call of a derivative of `f` (or of a functools.partial) that leaves out a
        differentiated parameter with a default (boundary.must_pass), as outside."""
        if not must:
            return
        signature = signature_of(f)
        if any(isinstance(a, gast.Starred) for a in node.args) or \
                any(k.arg is None for k in node.keywords):
            given = set()  # (spread: not known here which parameters the call passes)
        else:
            given = passed_here(signature, len(node.args), [k.arg for k in node.keywords])
        missing = [name for name in must if name not in given]
        if missing:
            raise not_passed(f, signature, missing, self.parsed.where(node))

    def call_partial(self, bound, node, env, target):
        """p(*args, **kw) of p = functools.partial(f, *a, **k): f(*a, *args, **{**k, **kw}),
        the bound values held under names of their own while the call is lowered."""
        if getattr(bound, "must", None):  # grad(partial, argnums) made here
            self.all_passed(*bound.must, node)
        names = [f"<partial {id(node)} {k}>" for k in range(len(bound.args) + 1)]
        given = {k.arg for k in node.keywords}
        words = [w for w in bound.keywords if w not in given]
        names += [f"<partial {id(node)} {w}>" for w in words]
        values = [bound.func, *bound.args, *(bound.keywords[w] for w in words)]
        env.update(zip(names, values))
        call = gast.copy_location(gast.Call(
            func=_name(names[0], node),
            args=[_name(n, node) for n in names[1:len(bound.args) + 1]] + node.args,
            keywords=[gast.keyword(arg=w, value=_name(n, node)) for w, n in
                      zip(words, names[len(bound.args) + 1:])] + node.keywords), node)
        try:
            return self.call(call, env, target)
        finally:
            for name in names:
                env.pop(name, None)

    def each_leaf(self, value, f):
        """`value` (a tuple or record known here) with `f` applied to each number or array."""
        if type(value) is tuple:  # (a list stays a list)
            return self.same_kind(value, tuple(self.each_leaf(v, f) for v in value))
        if type(value) is Record:
            return dataclasses.replace(value, values=tuple(self.each_leaf(v, f)
                                                           for v in value.values))
        return value if type(value) is Const or type(value) is Static else f(value)

    def not_callable(self, node, callee):
        """A call of a number, an array or a tuple: refused, naming what was called. Raised as
        maybe about a container (a parameter lowered as an array may hold a function or an
        object once the arguments are known)."""
        what = dotted(node.func) or "this value"
        kind = "a tuple or list" if type(callee) is tuple else \
            "a constant" if type(callee) is Const else "a number or array" if \
            type(callee) is Var and callee.name in self.fn.params else \
            "a value made at run time (adcompile reads no library object's class)"
        table = self.global_table(node.func, self.env_now)
        if table is not None:
            error = self.unsupported(node, f"calling an item of {table}, chosen by a key computed "
                                     "at run time", "index it with a constant key (ACT[\"tanh\"]),"
                                     " or pass the function as an argument")
            error.maybe_container = True  # (a string argument is a constant at the first call)
            return error
        error = self.unsupported(node, f"calling {what}, {kind},", "pass a function (a def, a "
                                 "lambda, np.tanh), or an object of your class defining __call__; "
                                 "for a library's object, call a NumPy function with a rule "
                                 "(np.polyval for a Polynomial)")
        error.maybe_container = type(callee) is Var
        return error

    def global_table(self, node, env):
        """For `TABLE[k]` where TABLE is a dict, list or tuple read from the globals, its
        description (`ACT, a global dict`), else None."""
        if not isinstance(node, gast.Subscript):
            return None
        try:
            base = self.probe(node.value, env)
        except ADCompileError:
            return None
        obj = self.fn.constants.get(base.name) if type(base) is Var else None
        if not isinstance(obj, (dict, list, tuple)):
            return None
        return f"{dotted(node.value) or base.name}, a global {type(obj).__name__}"

    def opaque_call(self, obj, node, env, target, why=None):
        """A call of a function without a rule or Python source (math.factorial, a C extension's
        function): run as written, a constant of the derivative unless a differentiated value
        reaches it, which is refused where rules are applied (templates.check_operands)."""
        if obj is zip and len(node.args) > 1 and not node.keywords and not any(
                isinstance(a, gast.Starred) for a in node.args):  # (else: iterators, below)
            text = gast.unparse(getattr(node, "as_written", node)).strip()
            items = ", ".join("xyzuvw"[k] if k < 6 else f"v{k}" for k in range(len(node.args)))
            raise self.unsupported(node, f"{text} of sequences known only at run time (arrays, "
                                   "lists built at run time) read other than by a for loop (how "
                                   "many pairs it makes is known only by reading them; beside a "
                                   "list written in the function, list(...) and dict(...) read "
                                   "them at its indices)",
                                   f"loop over it (for {items} in {text}: ...), or index the "
                                   "sequences (a[i] for i in range(len(a)))")
        if obj in (iter, map, filter) or isinstance(obj, type) and hasattr(obj, "__next__"):
            raise self.unsupported(node, f"{dotted(node.func) or obj.__name__}(...), an iterator "
                                   "(read once, of a length known only by reading it), other "
                                   "than map(f, ...) and filter(f, xs) of a named function or a "
                                   "lambda read by list, tuple, sorted, sum, max, min or a for "
                                   "loop, and zip(...) of lists known here read by list, tuple, "
                                   "dict, a for loop or unpacking (a, b = zip(*pairs)), and "
                                   "itertools' product, combinations, permutations, chain, "
                                   "islice, accumulate and pairwise (lists: standins.py),",
                                   "write a comprehension or a loop over a list or range")
        name = re.sub(r"\W", "_", getattr(obj, "__name__", "") or "function")
        consts = self.fn.constants
        if name in consts and consts[name] is not obj or name in self.namer.reserved or \
                name in NAMESPACE or not name.isidentifier():
            name = self.namer.fresh(f"{name}_" if name.isidentifier() else "function")
        self.namer.assigned.add(name)
        consts[name] = obj
        self.fn.unknown[name] = why or how_to_register(obj, dotted(node.func) or gast.unparse(
            node.func).strip())  # (L[0](x): the item of a global list, as written)
        values = [self.expr(a, env) for a in node.args] + [self.expr(k.value, env)
                                                          for k in node.keywords]
        if any(map(passes_function, values)):  # np.apply_along_axis(lambda r: ..., 1, X)
            raise self.unsupported(node, f"passing a function to {dotted(node.func) or name}, "
                                   "which has no derivative rule and calls it",
                                   _instead_of_passing(obj))
        args = [self.as_atom(v) for v in values[:len(node.args)]]
        kwargs = tuple((k.arg, self.as_atom(v)) for k, v in zip(node.keywords,
                                                                values[len(node.args):]))
        out = self.emit("call", (Var(name), *args), kwargs, target=target)
        if type(out) is Var:  # (np.finfo(x.dtype): its fields are read as written)
            self.fn.opaque.add(out.name)
        return out

    def math_of_sequences(self, obj, node, env, target):
        """math.prod((a, b, c)) = a * b * c and math.dist(p, q) = hypot(p[0] - q[0], ...) of
        sequences known here, as Python computes them (prod from the left, dist as hypot)."""
        seqs = [self.expr(a, env) for a in node.args]
        if len(seqs) != (1 if obj is math.prod else 2) or \
                not all(type(q) is tuple and q for q in seqs):
            error = self.unsupported(node, f"math.{obj.__name__} of anything but tuples or lists "
                                     "known when it compiles", "write the product or the "
                                     "distance out")
            error.maybe_container = any(type(q) is Var for q in seqs)  # (a tuple argument: known
            raise error                                                # at the first call)
        if obj is math.dist:
            if len(seqs[0]) != len(seqs[1]):
                raise self.unsupported(node, "math.dist of points of different lengths")
            parts = [self.emit("sub", (self.as_atom(a), self.as_atom(b)))
                     for a, b in zip(*seqs)]
            return self.hypot(parts, target)
        items = [self.as_atom(v) for v in seqs[0]]
        total = Const(1)  # (1 * np.True_ is 1: optimize folds it where the item holds floats)
        for k, item in enumerate(items, 1):
            total = self.emit("mul", (total, item), target=target if k == len(items) else None)
        return total

    def hypot(self, parts, target):
        """math.hypot of any number of values, pairwise."""
        if not parts:
            return Const(0.0)
        if len(parts) == 1:
            return self.emit("abs", (self.emit("float", (parts[0],)),), target=target)
        total = parts[0]
        for k, part in enumerate(parts[1:], 2):
            total = self.emit("math.hypot", (total, part),
                              target=target if k == len(parts) else None)
        return total

    def pop_at(self, node, xs, env, target):
        """xs.pop(k), k an int known here, of a list built at run time: xs[k], then xs without
        it (a new list: xs[1:] for k = 0, xs[:k] + xs[k + 1:] else), as a loop's tape wants."""
        k = self.expr(node.args[0], env)
        if type(k) is not Const or type(k.value) is not int:
            raise self.unsupported(node, "xs.pop(i) of a list built at run time, i computed at "
                                   "run time", "pop an index written in the code (xs.pop(0), "
                                   "xs.pop()), or slice the list (xs[:i] + xs[i + 1:])")
        name = node.func.value.id
        self.not_shared(node, name, env, self.live())
        item = self.emit("getitem", (xs, k), target=target)  # (IndexError as Python's)
        k = k.value
        if k in (0, -1):
            env[name] = self.emit("getitem", (xs, Const(slice(1, None) if k == 0 else
                                                        slice(None, -1))), target=name)
        else:
            head = self.emit("getitem", (xs, Const(slice(None, k))))
            tail = self.emit("getitem", (xs, Const(slice(k + 1 or None, None))))
            env[name] = self.emit("list_concat", (head, tail), target=name)
        return item

    def fields(self, value):
        """A namedtuple built here read as the tuple of its fields (sum(p), max(p): Python
        iterates it); any other value as it is."""
        return value.values if type(value) is Record and value.kind == "namedtuple" else value

    def builtin_sum(self, node, env, target):
        """sum(xs) and sum(xs, start), each argument lowered once (a property read counts)."""
        seq = self.fields(self.expr(node.args[0], env))  # sum(WEIGHTS) of a global list:
        # Python's sum; sum(p) of a namedtuple: of its fields
        start = self.expr(node.args[1], env) if len(node.args) == 2 else None
        table = self.fn.constants.get(seq.name) if type(seq) is Var else None
        if type(table) in (list, tuple) and numbers_only(table) and (start is None or type(
                start) is Const and type(start.value) in (int, float)):
            return Const(builtins.sum(table, 0 if start is None else start.value))
        if type(seq) is not tuple:
            args = [self.as_atom(seq)] + ([] if start is None else [self.as_atom(start)])
            return self.primitive("list_sum", node, args, env, target)
        if type(start) is tuple and all(type(v) is tuple for v in seq):  # sum(rows, []):
            joined = start + tuple(v for row in seq for v in row)  # the rows joined
            return self.known_list(joined) if isinstance(node.args[1], gast.List) or \
                self.is_list(start) else joined
        total = Const(0) if len(node.args) == 1 else start
        if Record in map(type, (total, *seq)):  # of objects: start + a + b, their __add__
            for item in seq:
                total = self.record_operator("Add", (total, item), node, env, None) \
                    if Record in (type(total), type(item)) else \
                    self.emit("add", (self.as_atom(total), self.as_atom(item)))
            return total
        items = [self.as_atom(v) for v in seq]
        total = self.as_atom(total)
        for item in items:  # sum((a, b, c), s) of a tuple known here: s + a + b + c, the
            total = self.emit("add", (total, item))  # start kept (0 + np.True_ is 1:
        return total  # optimize folds it where the item holds floats)

    def primitive(self, name, node, args, env, target, defaults=None, order=None):
        if name == "item" and len(args) > 1:
            return self.item(node, args, env, target)
        if self.is_form(name, node, args):  # np.diff(x, prepend=a), order="F", ... (forms.py)
            if defaults:  # np.add.reduce(x, where=m): the form would lose axis=0
                word = next(k.arg for k in node.keywords if k.arg in self.form_words(name))
                raise self.unsupported(node, f"the argument {word}= of {called_name(node)}",
                                       f"call {name}(..., axis=..., {word}=...) instead")
            return self.form(name, node, args, env, target)
        p = PRIMS[name]
        params = p.params
        if params and params[-1].startswith("*"):  # np.einsum(subscripts, *operands)
            params = params[:-1] + ("",) * max(len(args) - len(params) + 1, 0)
        names = list(params) + list(order or POSITIONAL.get(name) or p.options)
        if len(args) > len(names):
            raise self.unsupported(node, f"{name} with {len(args)} positional arguments")
        kwargs = {k: Const(v) for k, v in (defaults or {}).items()}
        for k, a in zip(names[len(params):], args[len(params):]):  # (NumPy's order: POSITIONAL)
            if k not in p.options and not (type(a) is Const and a.value is None):
                how = f"call {name}(..., {'axis=..., ' if defaults else ''}{k}=...) instead" \
                    if k in self.form_words(name) else "leave it out"
                raise self.unsupported(node, f"the argument {k} of {called_name(node) or name} "
                                       "given by position", "assign the result instead"
                                       if k == "out" else how)
            if k in p.options:
                kwargs[k] = a
        args = args[:len(params)]
        if len(args) == len(node.args):  # an index written as a list (generated code's
            for i, a in enumerate(node.args):  # getitem_grad(g, x, [1, 1])) stays a list
                if params[i] == "index" and isinstance(a, gast.List) and \
                        type(args[i]) is Const and type(args[i].value) is tuple:
                    args[i] = Const(list(args[i].value))
        keywords = [(RENAMED.get((name, k.arg), k.arg), k.value) for k in node.keywords]
        named = {k: v for k, v in keywords if k not in p.options and k in params[len(args):]}
        optional = OPTIONAL.get(name, {})
        given = named or any(q in optional for q in params[:len(args)])  # x.clip(0.0)
        for param in params[len(args):]:  # operands named by keyword, those skipped defaulted
            if param in named:
                args.append(self.atom(named[param], env))
            elif given and param in optional:  # (one given: all written)
                args.append(Const(optional[param]))
            else:
                break
        for k, value in keywords:
            if k in p.options:
                kwargs[k] = self.atom(value, env)
            elif k in named and k not in params[:len(args)]:  # an operand before it left out
                missing = params[len(args)]
                raise self.unsupported(node, f"the argument {k}= of {called_name(node) or name} "
                                       f"without {missing}=", f"give {missing} too")
            elif not (k in params[:len(args)] and k in named):
                accepted = [q for q in params if q and not q.startswith("*")] + list(p.options)
                if isinstance(p.fn, types.BuiltinFunctionType) and \
                        p.fn.__module__ == "builtins":  # max(xs, key=...): operands only
                    accepted = list(p.options)
                raise self.unsupported(node, f"the argument {k}= of "
                                       f"{called_name(node) or name}", "supported "
                                       f"keywords: {', '.join(accepted) or 'none'}" + (
                                           "; compute it where it is defined and choose with "
                                           "np.where (np.where(p > 0, np.log(np.where(p > 0, p, "
                                           "1.0)), 0.0)), or assign the result" if k in (
                                               "where", "out") else ""))
        args = [self.operand(a, name, param) for a, param in zip(args, params)]
        return self.emit(name, args, tuple(kwargs.items()), target=target)

    def ufunc_outer(self, name, node, env, target):
        """np.multiply.outer(a, b): the ufunc of a, with an axis of length 1 after its own for
        each axis of b, and b (broadcast to a's shape followed by b's)."""
        if len(node.args) != 2 or node.keywords or len(PRIMS[name].params) != 2:
            raise self.unsupported(node, f"{called_name(node)} with other than two operands",
                                   "write it as a[..., None] and b broadcast")
        a, b = (self.atom(v, env) for v in node.args)
        return self.primitive(name, node, [self.emit("outer_left", (a, b)), b], env, target)

    def sequence(self, name, node, env, target, items=None):
        """np.stack([a, b], axis=0): the items of the list (`items`, if already lowered) are the
        operands. np.array nests: np.array([[a, b], [c, d]]) is an np.array of np.arrays."""
        p = PRIMS[name]
        if items is None:
            items = self.expr(node.args[0], env) if node.args else None
        if type(items) is not tuple:
            if name == "np.array" and type(items) is Const and len(node.args) == 1 \
                    and not node.keywords:
                return self.emit("np.copy", (items,), target=target)
            whole = name.replace("np.", "") + "_list"  # a list a loop builds or a caller passes
            if type(items) is Var and whole in PRIMS:
                return self.primitive(whole, node, [items] + [self.atom(a, env)
                                                              for a in node.args[1:]],
                                      env, target)
            raise self.unsupported(node, f"{name} of something other than a list or tuple",
                                   f"write the operands out: {name}([a, b])")
        kwargs = {k: self.atom(a, env) for k, a in zip(p.options, node.args[1:])}
        for k in node.keywords:
            if k.arg not in p.options:
                raise self.unsupported(node, f"the argument {k.arg}= of "
                                       f"{called_name(node) or name}",
                                       f"supported keywords: {', '.join(p.options) or 'none'}")
            kwargs[k.arg] = self.atom(k.value, env)
        kwargs = tuple(kwargs.items())
        nested = name == "np.array"

        def operand(item):
            if nested and type(item) is tuple and not all(type(i) is Const for i in item):
                return self.emit(name, [operand(i) for i in item], kwargs)
            return self.as_atom(item)
        return self.emit(name, [operand(i) for i in items], kwargs, target=target)


# copy.copy, copy.deepcopy, dataclasses.asdict and astuple, done here (Containers.copy_of)
COPIES = {copy.copy: "shallow", copy.deepcopy: "deep", dataclasses.asdict: "dict",
          dataclasses.astuple: "tuple"}


def same_shape(a, b):
    """Whether two values known here are records (tuples) of one class and fields (length),
    down to numbers or arrays: one may stand for the other, field by field."""
    if type(a) is Record and type(b) is Record:
        return (a.kind, a.cls, a.keys) == (b.kind, b.cls, b.keys) and all(
            map(same_shape, a.values, b.values))
    if type(a) is tuple and type(b) is tuple:
        return len(a) == len(b) and all(map(same_shape, a, b))
    return type(a) in (Var, Const) and type(b) in (Var, Const) and (a == b or all(
        type(v) is Var or type(v.value) in (int, float, bool, complex) for v in (a, b)))


# what to write instead of passing a function to library code, by the library's module
PASSED_FUNCTIONS = {
    "scipy.integrate": "write the quadrature or the integrator's steps in Python (Simpson's "
    "rule, Gauss-Legendre at np.polynomial.legendre.leggauss's nodes, RK4 steps in a loop), which "
    "is differentiated like any loop",
    "scipy.optimize": "write the iteration in Python (Newton's or the secant method, bisection, "
    "gradient steps in a loop), which is differentiated like any loop; or register a rule for "
    "the solution (adcompile.defvjp, from the implicit function theorem)"}


def _instead_of_passing(obj):
    module = getattr(obj, "__module__", None) or ""
    return next((advice for prefix, advice in PASSED_FUNCTIONS.items()
                 if module == prefix or module.startswith(prefix + ".")),
                "call the function in the code instead: write the loop (over the items for "
                "functools.reduce, the rows for np.apply_along_axis), a def or lambda that calls "
                "it (for functools.partial) or the cases (np.where for np.piecewise)")


def passes_function(value):
    """Whether an argument is (or holds, np.piecewise's list) a function: the user's, a
    library's (math.pow given to functools.partial) or a ufunc. A class is not one (a dtype,
    np.float64, is passed as its name)."""
    if type(value) is tuple:
        return any(map(passes_function, value))
    return type(value) is Static and (isinstance(value.obj, (LocalFunction, types.FunctionType))
                                      or callable(value.obj) and not isinstance(value.obj, type))


def fields_of(text):
    """The fields of a format string (none when it is malformed: formatted() says so)."""
    try:
        return list(string.Formatter().parse(text))
    except ValueError:
        return []


def known(value):
    """A value computed here as a lowering value: a constant, or a tuple of them for a list."""
    if isinstance(value, (list, tuple)):
        return tuple(known(v) for v in value)
    return Const(value)


def is_known(value):
    return type(value) is Const or type(value) is tuple and all(map(is_known, value))


def value_of_known(value):
    return tuple(map(value_of_known, value)) if type(value) is tuple else value.value


# builtins that call a method of an object of the user's class (abs(v) is v.__abs__())
BUILTIN_METHODS = {abs: "__abs__", len: "__len__", float: "__float__", int: "__int__",
                   bool: "__bool__", round: "__round__", complex: "__complex__"}


def made_by_adcompile(obj, func):
    """How to call `obj` (called as `func`) in words if it is adcompile's own function (jvp) or
    one adcompile made (a Jacobian, a wrapper), else None."""
    if getattr(obj, "__adcompile_jacobian__", None) is not None:
        return f"{spelled(func)}, made by adcompile's jacfwd, jacrev or hessian,"
    code = getattr(obj, "__code__", None)
    if not isinstance(obj, types.FunctionType) or code is None:
        return None
    if (obj.__module__ or "").partition(".")[0] == "adcompile":
        return f"adcompile.{obj.__name__}"
    if code.co_filename.startswith(PACKAGE) and code.co_filename != STAND_INS_FILE:
        return f"{spelled(func)}, a function made by adcompile,"
    return None


def spelled(node):
    """The user's text of an expression (`grad(Sys.energy, 1)`)."""
    return dotted(node) or gast.unparse(node).strip()


def called_name(node):
    """How the user spelled the function a call calls (`np.power`, `x.sum`), if a name."""
    func = getattr(node, "func", None)
    return dotted(func) if func is not None else None
