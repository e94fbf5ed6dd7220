"""A derivative called inside differentiated code with arguments that are not all numbers and
arrays passed by position: an object (a method's `self`, `grad(self.inner)`), a dict, a list, or a
function with keyword-only parameters, *args or **kwargs. As the boundary does at run time
(boundary.py), the derivative is compiled for the structure of the arguments, for parameters
that are their leaves; here that structure is known while lowering (the values the arguments
hold now), and the code made is inlined, called with the leaves, its gradients put back into the
structure of the arguments they belong to.

`grad(obj.method)` (value_and_grad, jvp, vjp) of an object known here is the method's function
with the object as its first argument (argnums count the method's own parameters), as a bound
method is outside."""
from __future__ import annotations

import inspect
import types

import gast

from ..boundary import shift, wrt_params
from ..depends import of_helper
from ..errors import ADCompileError
from ..ir import Const, Var
from ..pytree import Tree, _Static, flatten
from ..templates import dotted
from .closures import LocalTransform
from .scan import LocalFunction, Partial, Record, Static


class Method(Partial):
    """`obj.method` of an object known here, read without calling it (grad(self.inner)):
    the method's function with the object bound first, as functools.partial binds it."""

    def __init__(self, func, receiver, written):
        super().__init__(Static(func), (receiver,), {})
        self.__qualname__ = written


class Structured:
    """Lowering of derivatives called for the structure of their arguments (a mixin)."""

    def function_arg(self, node, env):
        """The function passed to grad & co. (`node`): a method of an object known here read
        without calling it (grad(self.inner)) as a Method, else the value of the expression."""
        if isinstance(node, gast.Attribute) and dotted(node) is not None:
            method = self.method_read(node, env)  # (a dotted name: reading it twice is pure)
            if method is not None:
                return method
        return self.expr(node, env)

    def method_read(self, node, env):
        """Static(Method) for `node`, `obj.name` of an object known here whose class defines
        `name` as a plain method (not a field, a property, a static or class method); else
        None (the attribute is lowered as any other)."""
        if not isinstance(node, gast.Attribute):
            return None
        owner = self.expr(node.value, env)
        if type(owner) is not Record or owner.kind not in ("object", "dataclass") or \
                owner.has(node.attr):
            return None
        cls = self.defining(owner.cls, node.attr)
        func = vars(cls).get(node.attr) if cls is not None else None
        if not isinstance(func, types.FunctionType):
            return None
        return Static(Method(func, owner, dotted(node) or f"<object>.{node.attr}"))

    def method_transform(self, transform, method, options, node):
        """grad(obj.method, ...) (value_and_grad) made here: the transform of the method's
        function, argnums moved past `self`, bound to the object as the method is."""
        func = method.func.obj
        params = list(inspect.signature(func).parameters)[1:]
        argnums = options.pop("argnums", 0)
        for i in (argnums,) if isinstance(argnums, int) else argnums or ():
            if not isinstance(i, int) or not -len(params) <= i < len(params):
                raise self.unsupported(node, f"argnums {i} of {method.__qualname__}, a method "
                                       f"of {len(params)} parameter(s) ({', '.join(params)})",
                                       f"use 0 to {len(params) - 1}")
        try:
            made = transform(func, shift(argnums), **options)
        except ADCompileError as e:
            if e.filename is None:
                raise type(e)(e.message, *self.parsed.where(node)) from None
            raise
        bound = Method(func, method.args[0], method.__qualname__)
        bound.func = Static(made)
        return Static(bound)

    def method_trees(self, method, count, node):
        """The structure of the arguments of `method`'s function called with the object and
        `count` numbers or arrays, and the leaves of the object (passed first)."""
        leaves: list = []
        tree = self.argument_tree(method.args[0], leaves, node)
        return (tree,) + (Tree("leaf", diff=True),) * count, leaves

    def argument_tree(self, value, leaves, node):
        """The structure (pytree.Tree) of an argument known here; its numbers and arrays, the
        lowering values passed for the leaves, appended to `leaves`. An int, a bool, a string,
        None, a function or a class known here is part of the structure, as at the boundary."""
        if type(value) is tuple:
            kind, cls = ("list", list) if self.is_list(value) else ("tuple", tuple)
            return Tree(kind, cls, (), tuple(self.argument_tree(v, leaves, node) for v in value))
        if type(value) is Record:
            return Tree(value.kind, value.cls, value.keys,
                        tuple(self.argument_tree(v, leaves, node) for v in value.values))
        if type(value) is Static and isinstance(value.obj, (LocalFunction, LocalTransform,
                                                            Partial)):
            raise self.unsupported(node, "a derivative called here, or taken of a method here, "
                                   "given an object, dict or list holding a function defined "
                                   "in the differentiated function (its code is compiled for "
                                   "functions known when the derivative is built)", "define "
                                   "that function at module level, or pass the numbers it "
                                   "reads to a module-level one")
        if type(value) is Static:
            return Tree("static", _Static(value.obj))
        if type(value) is Const and not _leaf(value.value):
            return Tree("static", _Static(value.value))
        leaves.append(value)
        return Tree("leaf", diff=type(value) is Var or _diff(value.value))

    def gradients_as(self, value, tree, grads):
        """The gradients `grads` (an iterator, one per leaf of `tree` that gets one) in the
        structure of the argument `value`: None at the other places, as at the boundary."""
        if tree.kind == "leaf":
            return next(grads) if tree.diff else Const(None)
        if tree.kind == "static":
            return Const(None)
        parts = value.values if type(value) is Record else value
        out = tuple(self.gradients_as(v, t, grads) for v, t in zip(parts, tree.children))
        if type(value) is Record:
            return Record(value.kind, value.cls, value.keys, out)
        return self.known_list(out) if tree.kind == "list" else out

    def parts(self, value, count):
        """The `count` items of a tuple `value`, known here or held by a name."""
        if type(value) is tuple:
            return value
        return tuple(self.emit("getitem", (value, Const(k))) for k in range(count))

    def given_values(self, node, env):
        """The values of a call's arguments, positional and by keyword (none spread)."""
        if any(isinstance(a, gast.Starred) for a in node.args) or \
                any(k.arg is None for k in node.keywords):
            return [], {}
        return [self.expr(a, env) for a in node.args], \
            {k.arg: self.expr(k.value, env) for k in node.keywords}

    def structured_call(self, boundary, made, node, env, given=None):
        """`made(...)` (its text), grad(f) or value_and_grad(f) made by `boundary`, called
        here with an object, a dict or a list, or of f with keyword-only parameters, *args or
        **kwargs: its code for the structure of the arguments, called with their leaves."""
        what = made  # (as the user wrote it: grad(net.loss))
        if boundary.mode not in ("grad", "value_and_grad") or boundary.has_aux:
            raise self.unsupported(node, f"calling {what} with has_aux, with a dict, object, "
                                   "list or tuple or keyword-only parameters, inside a "
                                   "differentiated function", "return the aux apart, or take "
                                   "this derivative outside")
        if any(isinstance(a, gast.Starred) for a in node.args) or \
                any(k.arg is None for k in node.keywords):
            raise self.unsupported(node, f"calling {what} with *args or **kwargs spread, inside "
                                   "a differentiated function, where f's derivative is "
                                   "compiled for the structure of its arguments",
                                   "pass the arguments one by one")
        if boundary.receiver is not None:  # (its fields would be constants of the code, read
            # once: a later `net.W = ...` unseen, as a global object's method calls are refused)
            raise self.unsupported(node, f"calling {what} of a method bound to an object not "
                                   "known here (a global's, a closure's, or one passed in as "
                                   "a function) inside a differentiated function", "pass the "
                                   "object itself as an argument and take "
                                   f"{boundary.mode}(obj.{boundary.f.__name__}) there, or take "
                                   "this derivative outside")
        args, kwargs = given or self.given_values(node, env)
        self.fn.dependencies.extend(of_helper(boundary.f))  # (its defaults: constants here)
        try:
            bound = boundary.signature.bind(*args, **kwargs)
        except TypeError as e:
            raise self.unsupported(node, f"this call of {what} ({e})",
                                   "pass the arguments f takes") from None
        values, leaves, trees = [], [], []
        for name, p in boundary.signature.parameters.items():
            if name in bound.arguments:
                value = bound.arguments[name]
                if p.kind is inspect.Parameter.VAR_KEYWORD:
                    value = Record("dict", dict, tuple(value), tuple(value.values()))
            elif p.kind is inspect.Parameter.VAR_POSITIONAL:
                value = ()
            elif p.kind is inspect.Parameter.VAR_KEYWORD:
                value = Record("dict", dict, (), ())
            else:
                value = _Default(p.default)
            if type(value) is _Default:  # (a default: its leaves, constants of the code)
                parts, tree = flatten(value.obj)
                leaves += [self.outer(f"{name}_{k}", v) for k, v in enumerate(parts)]
            else:
                tree = self.argument_tree(value, leaves, node)
            values.append(value)
            trees.append(tree)
        nums = wrt_params(len(trees), boundary.argnums)
        for i in nums:
            if trees[i].kind == "static":
                raise self.unsupported(node, f"{what} with respect to argument {i}, which is "
                                       "an int, a bool, a string, None or a function here",
                                       "pass a float or an array of floats, or leave it out "
                                       "of argnums")
        try:
            code = boundary.compile_derivative(boundary.f, boundary.mode, boundary.argnums,
                                               boundary.optimize, tuple(trees), final=False)
        except ADCompileError as e:
            if e.filename is None:
                raise type(e)(e.message, *self.parsed.where(node)) from None
            raise
        info = code.__adcompile__
        if info.out_tree is not None or info.aux_tree is not None:
            raise self.unsupported(node, f"calling {what} of a function returning a container, "
                                   "inside a differentiated function", "return a number")
        out = self.call_with(code, tuple(leaves), [], [], node, env, None)
        value, grads = self.parts(out, 2) if boundary.mode == "value_and_grad" else (None, out)
        count = sum(len([n for n in trees[i].leaves() if n.diff or trees[i].kind == "leaf"])
                    for i in nums)  # (the leaves differentiated: boundary.wrt_leaves)
        grads = iter(self.parts(grads, count))
        rebuilt = tuple(next(grads) if trees[i].kind == "leaf" else  # (one, as wrt_leaves)
                        self.gradients_as(values[i], trees[i], grads) for i in nums)
        result = rebuilt[0] if isinstance(boundary.argnums, int) else rebuilt
        return result if boundary.mode == "grad" else (value, result)


class _Default:
    """A parameter's default, a Python object (not a lowering value): flattened as the boundary
    flattens it."""

    def __init__(self, obj):
        self.obj = obj


def _leaf(value):
    """Whether a constant known here is a leaf of an argument's structure (a float, a complex,
    an array), not part of the structure (an int, a bool, a string, None)."""
    return isinstance(value, (float, complex)) or hasattr(value, "dtype") and \
        hasattr(value, "shape")


def _diff(value):
    kind = getattr(getattr(value, "dtype", None), "kind", "f")
    return isinstance(value, (float, complex)) or kind in "fc"
