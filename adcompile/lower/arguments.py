"""Arguments: binding a call's arguments to an inlined function's parameters (positional,
keyword, defaults, `*args`, keyword-only, `**kwargs`) as Python does, and calls that spread a
sequence or mapping known here (`f(*xs, **options)`).

Everything happens at transformation time: `*args` binds a known tuple, `**kwargs` a dict known
field by field, so the generated code only sees the values.
"""
from __future__ import annotations

import math
import types

import gast

from ..ir import Const, Var
from ..primitives import METHOD_WHOLE_SHAPE, SPREAD_DRAWS, hashable
from .scan import Record, Static, is_super, leaf_name

# functions that read a generator passed first at once, as the list that stands for it
CONSUMERS = tuple(Static(f) for f in (sum, max, min, list, tuple, sorted, any, all,
                                          math.fsum))
# functions taking a shape spread out (np.random.rand(*x.shape)) and the same draw taking it
# whole, called in their place when the shape is known only at run time: it spreads the shape
# where it draws (`np.random.rand(*s0)`: random_sample(shape) would draw the same numbers, but
# for shape () a 0-d array, not NumPy's float)
WHOLE_SHAPE = SPREAD_DRAWS
SPREAD = (gast.Starred, gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)


class Arguments:
    def spread(self, node, env):
        """`node` with `*seq` and `**mapping` spread out, and arguments that may have an effect
        (a call, `:=`) or cost (a comprehension) lowered once, in the order Python evaluates them
        (a method's object first): the call's rules may look at an argument before choosing how
        to lower it, and read it again. Each such value is bound to a placeholder name in `env`
        itself (a change an argument makes, `xs.pop()`, holds after the call). Returns (node,
        the placeholder names, which the caller removes from `env` once the call is lowered)."""
        items = list(node.args) + [k.value if k.arg is not None else k for k in node.keywords]
        last = max((i for i, a in enumerate(items) if isinstance(a, SPREAD + (gast.keyword,))
                    or effectful(a)), default=-1)
        if last < 0:
            return node, ()
        func, held = node.func, []

        def before(i, a):
            """An argument Python evaluates before one with an effect: its value then (`xs[0]`
            of f(xs[0], xs.pop(0)), a list display `[xs[0]]`). A list, dict or object an
            attribute or item refers to is passed as itself, and sees the change as in Python."""
            if i >= last or isinstance(a, (gast.Name, gast.Constant, gast.Lambda)):
                return None
            value = self.function_arg(a, env)  # (obj.method: a Method, read again later)
            return None if isinstance(a, (gast.Attribute, gast.Subscript)) and \
                type(value) not in (Var, Const) else value

        def placeholder(value, like):
            name = f"<argument{len(env)}>"
            while name in env:
                name += "'"
            env[name] = value
            held.append(name)
            made = gast.copy_location(gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                                type_comment=None), like)
            made.written = like  # (what the user wrote there: range(len(xs)), Calls.known_range)
            return made
        if isinstance(func, gast.Attribute) and effectful(func.value) and not is_super(func):
            func = gast.copy_location(gast.Attribute(value=placeholder(
                self.expr(func.value, env), func.value), attr=func.attr, ctx=gast.Load()), func)
        args = []
        consumer = node.args and (isinstance(node.func, gast.Name) or (  # math.fsum(gen)
            isinstance(node.func, gast.Attribute) and isinstance(node.func.value, gast.Name) and
            node.func.value.id not in env and isinstance(
                self.parsed.scope.get(node.func.value.id), types.ModuleType))) and \
            self.expr(node.func, env) in CONSUMERS  # sum(v * v for v in xs), sum(gen, start)
        for k, a in enumerate(node.args):
            if isinstance(a, gast.Starred):
                items = self.known_tuple_items(a.value, env)
                if items is not None:  # *REST of a global or closure tuple: its items
                    args += [placeholder(self.expr(item, env), a) for item in items]
                    continue
                seq = self.expr(a.value, env)
                whole = self.whole_shape(node, env) if type(seq) is not tuple else None
                if whole in METHOD_WHOLE_SHAPE.values():  # rs.rand(*shape): rs, then shape
                    args.append(placeholder(self.expr(func.value, env), func.value))
                if whole is not None:
                    func = placeholder(Static(whole), node.func)
                    args.append(placeholder(seq, a))
                    continue
                if type(seq) is not tuple:
                    error = self.unsupported(
                        a, "spreading (*xs) a sequence known only at run time", "unpack it first "
                        "(W, b = blk) or spread a tuple or list built in the function; a shape "
                        "is passed whole (np.random.random(x.shape), x.reshape(x.shape + (1,)))")
                    error.maybe_container = True  # (an item of a list of tuples argument:
                    raise error                   # known at the first call)
                args += [placeholder(v, a) for v in seq]
            elif consumer and k == 0 and (isinstance(a, gast.GeneratorExp) or
                                          self.mapped(a, env) is not None):  # sum(map(f, xs))
                args.append(placeholder(self.consumed_at_once(a, env), a))
            elif isinstance(a, SPREAD) or effectful(a) and not self.lazy_iterator(a, env):
                args.append(placeholder(self.expr(a, env), a))
            else:
                value = before(k, a)
                args.append(a if value is None else placeholder(value, a))
        keywords = []
        for j, k in enumerate(node.keywords, len(node.args)):
            if k.arg is not None:
                value = self.expr(k.value, env) if isinstance(k.value, SPREAD) or \
                    effectful(k.value) else before(j, k.value)
                keywords.append(k if value is None else gast.keyword(
                    arg=k.arg, value=placeholder(value, k.value)))
                continue
            for key, value in self.mapping_items(k.value, env):
                keywords.append(gast.keyword(arg=key, value=placeholder(value, k.value)))
        call = gast.Call(func=func, args=args, keywords=keywords)
        call.as_written = getattr(node, "as_written", node)  # (for messages: the user's text)
        return gast.copy_location(call, node), held

    def whole_shape(self, node, env):
        """For `np.random.rand(*shape)` (or a RandomState's `rs.rand(*shape)`), its only argument
        spread: the function taking the shape whole (WHOLE_SHAPE, METHOD_WHOLE_SHAPE), else
        None."""
        if len(node.args) != 1 or node.keywords:
            return None
        if isinstance(node.func, gast.Attribute) and node.func.attr in METHOD_WHOLE_SHAPE and \
                type(self.probe(node.func.value, env)) is Var:  # rs.rand(*shape): a
            return METHOD_WHOLE_SHAPE[node.func.attr]  # RandomState's (a Generator has none)
        callee = self.probe(node.func, env)
        obj = getattr(callee, "obj", None) if type(callee) is Static else None
        return WHOLE_SHAPE.get(obj) if obj is not None and hashable(obj) else None

    def lazy_iterator(self, node, env):
        """Whether `node` is zip(...), map(...) or filter(...) of arguments without an effect:
        it computes nothing where it is written (list(zip(xs, ys)) reads it whole)."""
        return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
            node.func.id not in env and self.parsed.scope.get(node.func.id) in (zip, map, filter) \
            and not node.keywords and not any(effectful(getattr(a, "value", a))
                                              for a in node.args)

    def known_tuple_items(self, node, env):
        """`REST` or `REST[1:]` of a tuple read from the globals or a closure (its length known
        when the derivative is built: a dependency, as any global): `REST[k]` for each of its
        items, or None."""
        base, index = (node.value, node.slice) if isinstance(node, gast.Subscript) else \
            (node, None)
        if not isinstance(base, gast.Name) or base.id in env and type(env[base.id]) is not Var:
            return None
        if index is not None and not (isinstance(index, gast.Slice) and all(
                part is None or isinstance(part, gast.Constant) and type(part.value) is int
                for part in (index.lower, index.upper, index.step))):
            return None
        value = self.expr(base, env)
        if type(value) is not Var or type(self.fn.constants.get(value.name)) is not tuple:
            return None
        n = len(self.fn.constants[value.name])
        ks = range(n) if index is None else range(n)[slice(
            *(None if part is None else part.value for part in (index.lower, index.upper,
                                                                index.step)))]
        return [gast.copy_location(gast.Subscript(
            value=base, slice=gast.Constant(value=k, kind=None), ctx=gast.Load()), node)
            for k in ks]

    def mapping_items(self, node, env):
        """The (key, value) pairs of a mapping known here: a dict built in the function, a
        `**kwargs` parameter, or a dict read from the globals."""
        value = self.expr(node, env)
        if getattr(value, "kind", None) == "dict":  # a dict known field by field (containers)
            pairs = list(zip(value.keys, value.values))
        elif type(value) is Static and type(value.obj) is dict:  # an empty **kwargs
            pairs = list(value.obj.items())
        elif type(value) is Var and type(self.fn.constants.get(value.name)) is dict:
            pairs = [(key, self.outer(leaf_name(value.name, key), v))
                     for key, v in self.fn.constants[value.name].items()]
        else:
            error = self.unsupported(node, "spreading (**kw) a mapping known only at run time",
                                     "spread a dict built in the function or pass names")
            error.maybe_container = type(value) is Var  # (a dict argument, or one read out of
            raise error  # an argument `ps[0]`, `for p in ps`: its keys are known at the first call)
        if not all(type(key) is str for key, _ in pairs):
            raise self.unsupported(node, "spreading (**kw) a dict whose keys are not strings")
        return pairs

    def make_dict(self, keys, values, node):
        """A dict known here, key by key (the containers' Record)."""
        return Record("dict", dict, tuple(keys), tuple(values))

    def bind_arguments(self, fn, name, node, env, defaults, leading=()):
        """The parameters of `fn` (a gast FunctionDef) bound to the arguments of the call
        `node`, as Python binds them. `defaults`: parameter -> a function giving its default;
        `leading`: values passed before the call's own (a method's receiver)."""
        args = fn.args
        positional = [a.id for a in args.posonlyargs + args.args]
        by_keyword = [a.id for a in args.args] + [a.id for a in args.kwonlyargs]
        values = list(leading) + [self.expr(a, env) for a in node.args]
        if len(values) > len(positional) and args.vararg is None:
            raise self.unsupported(node, f"{name}() with {len(values)} positional arguments",
                                   f"it takes {len(positional)}")
        bound = dict(zip(positional, values))
        if args.vararg is not None:
            bound[args.vararg.id] = tuple(values[len(positional):])
        extra_keys, extra_values = [], []
        for k in node.keywords:
            if k.arg in bound or k.arg in extra_keys:
                raise self.unsupported(node, f"{name}() with two values for {k.arg}")
            if k.arg in by_keyword:
                bound[k.arg] = self.expr(k.value, env)
            elif args.kwarg is not None:
                extra_keys.append(k.arg)
                extra_values.append(self.expr(k.value, env))
            else:
                raise self.unsupported(node, f"the argument {k.arg}= of {name}()",
                                       f"{name} has no parameter {k.arg}")
        if args.kwarg is not None:
            bound[args.kwarg.id] = self.make_dict(extra_keys, extra_values, node)
        for p in positional + [a.id for a in args.kwonlyargs]:
            if p not in bound and p in defaults:
                bound[p] = defaults[p]()
        missing = [p for p in positional + [a.id for a in args.kwonlyargs] if p not in bound]
        if missing:
            raise self.unsupported(node, f"{name}() without {', '.join(missing)}",
                                   "pass every parameter without a default")
        return bound


def default_nodes(fn):
    """Parameter -> the gast node of its default value, in a FunctionDef."""
    args = fn.args
    positional = args.posonlyargs + args.args
    out = {a.id: d for a, d in zip(positional[len(positional) - len(args.defaults):],
                                   args.defaults)}
    out.update({a.id: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    return out


def effectful(node):
    """Whether evaluating `node` may do something besides giving a value (a call, `:=`); a
    lambda's body is not evaluated where it is written."""
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, (gast.Call, gast.NamedExpr)):
            return True
        if not isinstance(n, gast.Lambda):
            todo.extend(gast.iter_child_nodes(n))
    return False

