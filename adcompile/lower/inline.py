"""Inlining: the user's own functions (module level, nested defs, lambdas) are lowered in place at each call, with their parameters bound to the caller's values."""
from __future__ import annotations


import gast

from ..ir import Const, Var
from ..parse import parse
from .scan import names_in


class Inlining:
    def inline_local(self, local, node, env, target):
        since = len(self.block)
        fn = local.node
        args = fn.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs or fn.decorator_list:
            raise self.unsupported(fn, "*args, **kwargs, keyword-only parameters or decorators on "
                                   "a nested function")
        if any(s is fn for s in self.stack):
            raise self.unsupported(node, f"recursion ({fn.name} calls itself)",
                                   "write the recursion as a loop")
        params = [a.id for a in args.args]
        values = [self.expr(a, env) for a in node.args]
        # the enclosing function's names as they are bound now, as Python's closures read them
        scope = local.owner.env_now
        bound = {k: v for k, v in scope.items() if not k.startswith("<")}  # (not its flags)
        bound.update(zip(params, values))
        for k in node.keywords:
            if k.arg not in params:
                raise self.unsupported(node, f"the argument {k.arg}= of {fn.name}()")
            bound[k.arg] = self.expr(k.value, env)
        defaults = args.defaults or []
        for p, d in zip(params[len(params) - len(defaults):], defaults):
            if p not in bound or len(values) <= params.index(p) and p not in (
                    k.arg for k in node.keywords):
                bound[p] = self.expr(d, local.env)
        missing = [p for p in params if p not in bound]
        if missing:
            raise self.unsupported(node, f"{fn.name}() without {', '.join(missing)}")
        inner = type(self)(local.parsed, self.fn, self.namer, self.stack + (fn,),
                        call_line=self.line)
        inner.block, inner.copies = self.block, self.copies
        inner.foreign = self.foreign | names_in(env.values()) | names_in(bound.values())
        values, as_tuple = inner.returned(inner.lower_stmts(fn.body, bound, frozenset()), bound,
                                          fn)
        value = tuple(values) if as_tuple else values[0]
        return self.bind(target, value, since) if target and type(value) is Var else value

    def inline(self, obj, node, env, target, receiver=None):
        """Lower a call of the user's function `obj` in place. A method gets its `receiver` (a
        Record) as `self`; what self holds at the end is left in `self.receiver_after`."""
        since = len(self.block)
        if obj.__code__ in self.stack:
            raise self.unsupported(node, f"recursion ({obj.__name__} calls itself)",
                                   "write the recursion as a loop")
        callee = parse(obj)
        params = [a.id for a in callee.node.args.args]
        values = [self.expr(a, env) for a in node.args]
        if receiver is not None:
            values.insert(0, receiver)
        if len(values) > len(params):
            raise self.unsupported(node, f"{obj.__name__}() with too many arguments")
        bound = dict(zip(params, values))
        for k in node.keywords:
            if k.arg not in params or k.arg in bound:
                raise self.unsupported(node, f"the argument {k.arg}= of {obj.__name__}()")
            bound[k.arg] = self.expr(k.value, env)
        defaults = obj.__defaults__ or ()
        for p, d in zip(params[len(params) - len(defaults):], defaults):
            bound.setdefault(p, self.outer(p, d))
        missing = [p for p in params if p not in bound]
        if missing:
            raise self.unsupported(node, f"{obj.__name__}() without {', '.join(missing)}")
        self.namer.reserved |= {n.id for n in gast.walk(callee.node) if isinstance(n, gast.Name)}
        inner = type(self)(callee, self.fn, self.namer, self.stack + (obj.__code__,),
                        call_line=self.line)
        inner.block, inner.copies = self.block, self.copies
        inner.foreign = self.foreign | names_in(env.values()) | names_in(bound.values())
        exit = inner.lower_stmts(callee.node.body, bound, frozenset())
        self.receiver_after = bound.get(params[0]) if receiver is not None else None
        if receiver is not None and exit is None:  # a method that only changes self
            return Const(None)
        values, as_tuple = inner.returned(exit, bound, callee.node)
        value = tuple(values) if as_tuple else values[0]
        return self.bind(target, value, since) if target and type(value) is Var else value

