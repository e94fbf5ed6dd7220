"""The API boundary: what grad & co. hand back, and how container arguments get through it.

When no parameter of `f` can hold a container (the flat code reads none of them by index, length
or as a list), grad returns the compiled derivative itself: nothing stands between the user and
the generated code. Otherwise it returns a function that, at each call, passes plain numbers and
arrays straight to that derivative and flattens anything else (pytree.py): the derivative is
compiled once per structure of the arguments, for parameters that are the leaves, and the
gradients are put back into the structure of the arguments they belong to.

A bound method `model.loss` is `type(model).loss` with `model` as its first argument, whose fields
are leaves like any other (so a later `model.W = ...` is seen); argnums count the method's own
parameters.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import types

import numpy as np

from .errors import ADCompileError, ArgumentError, UnsupportedSyntaxError, trimmed
from .parse import signature_of
from .primitives import BY_OBJECT
from .auxiliary import rebuild
from .pytree import Tree, _Static, flatten, held_twice, match, unflatten

# Types that are never containers: an argument of one of them goes straight to the derivative.
PLAIN = frozenset({float, int, bool, complex, np.ndarray, np.float64, np.float32, np.float16,
                   np.int64, np.int32, np.complex128, np.complex64, np.bool_})


def differentiate(compile_derivative, f, mode, argnums, optimize, has_aux=False,
                  structured=False):
    """grad(f, argnums), value_and_grad(...), vjp's compiled function: see the module's doc.
    `compile_derivative` is api's, which compiles for plain or flattened arguments. `has_aux`:
    f returns (out, aux), and the derivative returns the aux beside its results (JAX's).
    `structured`: the arguments of the call to come hold a container or an object, which the
    derivative for plain arguments (compiled for numbers and arrays) takes for a number where
    the function reads none of its fields (`a * b` with operators written in Python)."""
    if isinstance(f, types.MethodType):
        params = list(signature_of(f).parameters)  # (without self: argnums count these)
        for i in (argnums,) if isinstance(argnums, int) else argnums or ():
            if not -len(params) <= i < len(params):
                raise ArgumentError(f"argnums {i} is out of range: the method {f.__name__} takes "
                                    f"{len(params)} argument(s) ({', '.join(params)}); use 0 to "
                                    f"{len(params) - 1}.", *place_of(f))
        return _Boundary(compile_derivative, f.__func__, mode, shift(argnums), optimize, None,
                         None, receiver=f.__self__, has_aux=has_aux).function(f)
    try:
        plain = compile_derivative(f, mode, argnums, optimize, has_aux=has_aux)
    except ADCompileError as e:  # perhaps valid once the arguments' structure is known
        if not getattr(e, "maybe_container", False):
            raise
        return _Boundary(compile_derivative, f, mode, argnums, optimize, None, e,
                         has_aux=has_aux).function(f)
    info = plain.__adcompile__
    if not info.containers and info.out_tree is None and info.aux_tree is None and \
            not structured and not must_pass(f, argnums):
        return plain
    boundary = _Boundary(compile_derivative, f, mode, argnums, optimize, plain, None,
                         has_aux=has_aux)
    if structured:
        boundary.check = tuple(range(len(boundary.signature.parameters)))
    return boundary.function(f)


def shift(argnums):
    """A method's argnums as those of its function, whose first parameter is `self` (a negative
    one counts from the end either way)."""
    if argnums is None:
        return None
    if isinstance(argnums, int):
        return argnums + 1 if argnums >= 0 else argnums
    return tuple(i + 1 if i >= 0 else i for i in argnums)


class _Boundary:
    def __init__(self, compile_derivative, f, mode, argnums, optimize, plain, error, receiver=None,
                 has_aux=False):
        self.compile_derivative = compile_derivative
        self.f, self.mode, self.argnums, self.optimize = f, mode, argnums, optimize
        self.plain, self.error, self.receiver = plain, error, receiver
        self.has_aux = has_aux
        self.signature = signature_of(f)
        kinds = {p.kind for p in self.signature.parameters.values()}
        self.simple = not kinds & {inspect.Parameter.VAR_POSITIONAL,
                                   inspect.Parameter.VAR_KEYWORD,
                                   inspect.Parameter.KEYWORD_ONLY}
        info = getattr(plain, "__adcompile__", None)
        self.check = tuple(i for i, name in enumerate(self.signature.parameters)
                           if name in info.containers) if info else None
        self.must = must_pass(f, argnums)  # (checked at each call: JAX's rule)

    def function(self, f):
        plain, check, structured = self.plain, self.check, self.structured
        if plain is not None and self.receiver is None and plain.__adcompile__.out_tree is None \
                and plain.__adcompile__.aux_tree is None:
            n = len(self.signature.parameters)

            def call(*args, **kwargs):
                try:
                    if kwargs or len(args) != n:
                        return structured(args, kwargs)
                    for i in check:
                        if args[i].__class__ not in PLAIN:
                            return structured(args, kwargs)
                    return plain(*args)
                except ADCompileError as e:
                    raise at_the_function(e, f) from None
        else:
            def call(*args, **kwargs):
                try:
                    return structured(args, kwargs)
                except ADCompileError as e:
                    raise at_the_function(e, f) from None
        call.__name__ = call.__qualname__ = getattr(f, "__name__", "f")
        call.__doc__ = f"{self.mode} of {getattr(f, '__qualname__', f)} generated by adcompile " \
            "(arguments may be dicts, lists, tuples, namedtuples, dataclasses or objects)."
        try:  # the user's parameters (a derivative of this one binds its arguments by them)
            call.__signature__ = signature_of(f)
        except (TypeError, ValueError):
            pass
        call.__adcompile__ = getattr(plain, "__adcompile__", None) or _Pending(self)
        call.__adcompile_boundary__ = self
        call.__adcompile_must_pass__ = self.must
        return call

    def arguments(self, args, kwargs):
        if self.receiver is not None:
            args = (self.receiver,) + tuple(args)
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as e:
            raise trimmed(ArgumentError(f"{self.f.__name__}(): {e}")) from None
        missing = [name for name in self.must if name not in bound.arguments]
        if missing:
            raise not_passed(self.f, self.signature, missing)
        bound.apply_defaults()
        return [bound.arguments[name] for name in self.signature.parameters]

    def structured(self, args, kwargs):
        values = self.arguments(args, kwargs)
        flat = [flatten(v) for v in values]
        trees = tuple(t for _, t in flat)
        if self.mode in ("grad", "value_and_grad"):
            for i in wrt_params(len(trees), self.argnums):
                if trees[i].kind == "static":  # (a string, None, a function: JAX refuses)
                    raise trimmed(ArgumentError(
                        f"{self.mode} differentiates with respect to floating-point arguments, "
                        f"but argument {i - (self.receiver is not None)} in argnums is "
                        f"{_a(values[i])}; pass a float or an array of floats, or leave it "
                        "out of argnums", *place_of(self.f)))
        if all(t.kind == "leaf" for t in trees) and self.plain is not None:
            return structured_outputs(self.plain, self.plain(*values))
        try:
            df = self.compile_derivative(self.f, self.mode, self.argnums, self.optimize, trees,
                                         has_aux=self.has_aux)
        except ADCompileError as e:
            raise trimmed(e)
        not_held_twice(df, self.f, values)
        out = structured_outputs(df, df(*[leaf for leaves, _ in flat for leaf in leaves]))
        if self.mode == "grad":
            return (self.rebuild(out[0], trees), out[1]) if self.has_aux else \
                self.rebuild(out, trees)
        if self.mode == "value_and_grad":
            return out[0], self.rebuild(out[1], trees)
        if self.mode == "vjp":
            value, pullback, *aux = out
            return (value, lambda cotangent: self.rebuild(pullback(cotangent), trees), *aux)
        return out

    def rebuild(self, grads, trees):
        """The gradients (one per differentiated leaf, in order) in the arguments' structures."""
        nums = wrt_params(len(trees), self.argnums)
        grads = iter(grads)
        out = [unflatten(trees[i], grads, only_diff=True) if trees[i].kind != "leaf"
               else next(grads) for i in nums]
        if self.receiver is not None and self.argnums is None:
            out = out[1:]
        return out[0] if isinstance(self.argnums, int) else tuple(out)


class _Pending:
    """The __adcompile__ of a derivative compiled only at its first call (structure unknown)."""

    def __init__(self, boundary):
        self.boundary = boundary
        self.function, self.mode = boundary.f, boundary.mode
        self.argnums, self.optimize = boundary.argnums, boundary.optimize
        self.containers = ()

    @property
    def source(self):
        raise trimmed(self.boundary.error or ArgumentError(
            "this derivative is compiled for the structure of its arguments; use "
            "adcompile.source(f, mode, argnums, at=args) to see it for some arguments"))


def of_partial(f, argnums, transform):
    """`transform(functools.partial(g, *args, **keywords), argnums)` of a function g written in
    Python: the transform of g with respect to the same parameters (argnums count the partial's
    own, as its signature lists them), called with the bound arguments. None for anything
    else."""
    if not (isinstance(f, functools.partial) and isinstance(f.func, types.FunctionType)):
        return None
    mine, theirs = list(signature_of(f).parameters), list(signature_of(f.func).parameters)

    def moved(i):
        if not -len(mine) <= i < len(mine):
            raise ArgumentError(f"argnums {i} is out of range for {f.func.__name__} with "
                                f"{len(f.args)} argument(s) bound by functools.partial, which "
                                f"leaves {len(mine)} parameter(s)", *place_of(f.func))
        return theirs.index(mine[i])
    of_function = transform(f.func, moved(argnums) if isinstance(argnums, int)
                            else tuple(map(moved, argnums)))
    must = must_pass(f, argnums)  # (a value the partial binds by keyword is data)

    def of_partial(*args, **kwargs):
        refuse_unpassed(f, must, args, kwargs)
        return of_function(*f.args, *args, **{**f.keywords, **kwargs})
    of_partial.__name__ = of_partial.__qualname__ = f.func.__name__
    of_partial.__signature__ = signature_of(f)
    of_partial.__adcompile_must_pass__ = must
    of_partial.__adcompile_partial__ = f, of_function  # (jit compiles of_function)
    if hasattr(of_function, "__adcompile__"):  # source() shows the derivative of g
        of_partial.__adcompile__ = of_function.__adcompile__
    return of_partial


def _a(value):
    """A constant argument in words: `the str 'a'`, `None`, `the function tanh`."""
    if value is None:
        return "None"
    if callable(value):
        return f"the {'class' if isinstance(value, type) else 'function'} " \
            f"{getattr(value, '__name__', value)}"
    return f"the {type(value).__name__} {value!r}"


def must_pass(f, argnums) -> tuple:
    """The parameters of `f` with a default that each call must pass, JAX's rule (argnums pick
    arguments the call passes): those `argnums` picks, and those `f`, a derivative made by
    grad & co., differentiates itself (grad(grad(f, 1)) needs parameter 1 as grad(f, 1) does).
    A default, or a value functools.partial binds by keyword, is data, never differentiated."""
    signature = _signature(f)
    if signature is None:
        return ()
    params = list(signature.parameters.values())
    names = set(getattr(f, "__adcompile_must_pass__", ()))
    picked = () if argnums is None else (argnums,) if isinstance(argnums, int) else argnums
    for i in picked:
        if -len(params) <= i < len(params) and params[i].default is not params[i].empty:
            names.add(params[i].name)
    return tuple(name for name in signature.parameters if name in names)


def refuse_unpassed(f, must, args, kwargs):
    """An ArgumentError if a call of `f` with `args` and `kwargs` leaves out a parameter in
    `must` (must_pass); a call that does not fit f at all is left to its own error."""
    if not must:
        return
    signature = _signature(f)
    try:
        given = signature.bind_partial(*args, **kwargs).arguments
    except TypeError:
        return
    missing = [name for name in must if name not in given]
    if missing:
        raise not_passed(f, signature, missing)


def not_passed(f, signature, missing, where=None):
    """The error for a call of `f` that does not pass the differentiated parameters `missing`."""
    name, p = missing[0], signature.parameters[missing[0]]
    of = f.func if isinstance(f, functools.partial) else f
    shown = f"{name}={p.default!r}"
    if isinstance(f, functools.partial) and name in f.keywords:
        message = (f"{name_of(of)}: argnums picks the parameter {name}, which functools.partial "
                   f"binds ({shown}) and this call does not pass: a value bound by a partial is "
                   "data, not differentiated (argnums count the partial's parameters as "
                   f"inspect.signature lists them: {signature}). Pass {name} at the call to "
                   "differentiate it, or pick another parameter")
    else:
        message = (f"{name_of(of)}: {name} is differentiated (argnums picks it) but this call "
                   f"does not pass it: a parameter left to its default ({shown}) is not "
                   f"differentiated, as in JAX. Pass it ({name}=...) or leave it out of argnums")
    return trimmed(ArgumentError(message, *(where or place_of(of))))


def passed_here(signature, positional, keywords):
    """The parameters a call with `positional` arguments and these keywords passes."""
    try:
        return set(signature.bind_partial(*range(positional),
                                          **dict.fromkeys(keywords)).arguments)
    except TypeError:
        return set(signature.parameters)  # (the call's own error follows)


def as_function(f):
    """An object of the user's class with a `__call__` written in Python: that method, bound (JAX
    differentiates any callable); a derivative of a bound method (grad(model.loss)): the same
    derivative of the function (type(model).loss), bound to the object; anything else as it
    is; a functools cache (lru_cache, cache) of a Python function: that function."""
    boundary = getattr(f, "__adcompile_boundary__", None)
    if boundary is not None and boundary.receiver is not None:
        return types.MethodType(differentiate(
            boundary.compile_derivative, boundary.f, boundary.mode, boundary.argnums,
            boundary.optimize, boundary.has_aux), boundary.receiver)
    if isinstance(f, functools._lru_cache_wrapper) and f not in BY_OBJECT and \
            isinstance(f.__wrapped__, types.FunctionType):  # @functools.cache: what it wraps
        return f.__wrapped__  # (the derivative calls no cache: no value of it goes stale)
    call = inspect.getattr_static(type(f), "__call__", None)
    if isinstance(call, types.FunctionType) and not isinstance(
            f, (types.FunctionType, types.MethodType, functools.partial, type)):
        return f.__call__
    return f


def checked_argnums(argnums, f=None):
    """argnums as given, an int or a tuple of ints, a list taken as a tuple (it is part of a cache
    key), a NumPy integer as an int (as JAX takes it); anything else (a float, a bool, an empty
    tuple) is an ArgumentError."""
    def whole(i):
        return isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))
    nums = argnums if isinstance(argnums, (tuple, list)) else (argnums,)
    if not nums or not all(whole(i) for i in nums):
        raise ArgumentError(f"argnums must be {ARGNUMS}, not {argnums!r}",
                            *(place_of(f) if f is not None else ()))
    return int(argnums) if whole(argnums) else tuple(int(i) for i in nums)


ARGNUMS = "an int or a non-empty tuple or list of ints"


def checked_has_aux(has_aux, f):
    """has_aux as given: True or False (anything else is an ArgumentError)."""
    if type(has_aux) is not bool:
        raise ArgumentError(f"has_aux must be True or False, not {has_aux!r}", *place_of(f))
    return has_aux


def bind(f, args, kwargs=None) -> list:
    """`f`'s arguments as one value per parameter, in the order of its signature, defaults filled
    in (a `*args` parameter a tuple, a `**kwargs` one a dict): what derivative code (which has no
    defaults of its own) is called with, and what argnums count. A call that does not fit `f`'s
    parameters is an ArgumentError naming `f`, at its definition."""
    operands = _operands(f)
    if operands is not None and (kwargs or len(args) > len(operands)):
        name = name_of(f)
        raise ArgumentError(
            f"{name}, a primitive passed as the function, is differentiated in its operands "
            f"({', '.join(operands)}) with its default options; to pass others, differentiate "
            f"a def that calls it (def f(x): return {name}(x, axis=0))", *place_of(f))
    signature = _signature(f)
    if signature is None:
        return list(args)
    try:
        bound = signature.bind(*args, **(kwargs or {}))
    except TypeError as e:
        raise ArgumentError(f"{name_of(f)}(): {e}", *place_of(f)) from None
    bound.apply_defaults()
    return [bound.arguments[name] for name in signature.parameters]


def positions(f, n) -> list:
    """Per parameter of `f` (as `bind` lists them), the indices of the n positional arguments of
    a call it receives: one for a positional parameter, all of its own for `*args`, none for
    one left to its default, a keyword-only one or `**kwargs`."""
    signature = _signature(f)
    if signature is None:
        return [[k] for k in range(n)]
    bound = signature.bind_partial(*range(n)).arguments
    return [list(bound[name]) if p.kind is p.VAR_POSITIONAL else
            [bound[name]] if name in bound and p.kind is not p.VAR_KEYWORD else []
            for name, p in signature.parameters.items()]


def simple(f) -> bool:
    """Whether `f`'s parameters are all positional: its derivative for plain arguments takes them
    as they are (else it is compiled per call, for the structure of `*args` and `**kwargs`)."""
    signature = _signature(f)
    return signature is None or \
        not {p.kind for p in signature.parameters.values()} & _NOT_BOUND


def _operands(f):
    """The operands of `f` when it is a primitive passed as the function (`jacfwd(softmax)`),
    which is differentiated through its rule (lower.py): its derivative takes them alone."""
    from .primitives import BY_OBJECT, PRIMS, hashable
    prim = BY_OBJECT.get(f) if hashable(f) else None
    if prim is None or PRIMS[prim].kind == "nondiff":
        return None
    return [p for p in PRIMS[prim].params if not p.startswith("*")] or ["x"]


def _signature(f):
    """f's signature, or None where it has none or is a primitive passed as the function (its
    derivative takes the operands, as they are passed)."""
    if _operands(f) is not None:
        return None
    try:
        return signature_of(f)
    except (TypeError, ValueError):
        return None


_NOT_BOUND = {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD,
              inspect.Parameter.KEYWORD_ONLY}


def name_of(f) -> str:
    """The user's name for `f` (for a derivative, the function it was made from)."""
    f = getattr(getattr(f, "__adcompile__", None), "function", f)
    return getattr(f, "__name__", None) or repr(f)


def at_the_function(err, f):
    """`err`, raised by a check of generated code at run time (grad of a non-scalar output, an
    integer argument), at the user's definition of `f`, without adcompile's own frames."""
    if err.filename is None:
        err = type(err)(err.message, *place_of(f))
    return trimmed(err)


def place_of(f):
    """(file, line) of the user's definition of `f`, for an ArgumentError about its arguments."""
    f = getattr(getattr(f, "__adcompile__", None), "function", f)
    code = getattr(getattr(f, "__func__", f), "__code__", None)
    return (code.co_filename, code.co_firstlineno) if code is not None else (None, None)


def not_held_twice(df, f, values):
    """Refuse arguments holding one dict, list or object at two places (`[lay, lay]`) where the
    derivative `df` changes a container argument in place: Python changes it at both places,
    flat code at one. (Weight sharing without such a change is differentiated.)"""
    at = getattr(getattr(df, "__adcompile__", None), "changes_arguments", None)
    if at is None:
        return
    signature = _signature(f)
    names = list(signature.parameters) if signature is not None else []
    names += [f"argument {k}" for k in range(len(names), len(values))]
    twice = held_twice(values, names)
    if twice is not None:
        first, second, kind = twice
        raise UnsupportedSyntaxError(
            f"{first} and {second} are the same {kind}, which {name_of(f)} changes in place "
            f"(an item or field assigned, or grown, at line {at[1]}): Python changes it at both "
            "places, generated code at one. Pass separate copies (copy.deepcopy), or make a new "
            "one in the function before changing it", *at)


def moves(tree: Tree) -> bool:
    """Whether an argument of structure `tree` has something to differentiate: a container, or a
    floating-point number or array (an int or a bool is a constant, as inside containers, and so
    is a string, None, a function or a class: None in its place, as there)."""
    return tree.kind not in ("leaf", "static") or tree.diff


def wrt_params(n, argnums):
    """The indices of the differentiated parameters, in order."""
    if argnums is None:
        return list(range(n))
    nums = (argnums,) if isinstance(argnums, int) else argnums
    return [i % n for i in nums]


def wrt_leaves(fn, argnums, trees: tuple[Tree, ...]):
    """The flat parameters to differentiate: every leaf of a parameter in argnums that gets a
    gradient (a float or float array), and a parameter that is a leaf itself."""
    out = []
    for i in wrt_params(len(trees), argnums):
        name, tree, leaves = fn.arguments[i]
        if tree is None or tree.kind == "leaf":
            out.append(name)
        else:
            out += [leaf for leaf, node in zip(leaves, tree.leaves()) if node.diff]
    return out


def structured_outputs(df, out):
    """What a derivative returned, with a container result rebuilt around its leaves: the value
    (and jvp's tangent) in the function's structure, and a pullback taking a cotangent of it;
    with has_aux, the aux in its structure too, where JAX puts it."""
    info = df.__adcompile__
    mode = info.mode
    if not info.has_aux:
        return _results(info, mode, out)
    if mode == "value_and_grad":
        (value, aux), gradient = out
        return (_results(info, mode, value), rebuild(info.aux_tree, aux)), gradient
    if mode == "grad":
        return _results(info, mode, out[0]), rebuild(info.aux_tree, out[1])
    return (*_results(info, mode, tuple(out[:2])), rebuild(info.aux_tree, out[2]))


def widened(t, primal):
    """The tangent `t` of a NumPy scalar or 0-d array of float16, float32 or complex64 in double
    precision (forward_at): its arithmetic with a math function's Python float stays a number
    of its own precision (float16 made 41510 * 1e5 inf); jvp's tangent then has the output's
    type (tangent_like). Arrays keep theirs: each operation computes in its operands' dtype."""
    dtype = getattr(primal, "dtype", None)
    if np.ndim(primal) or not isinstance(dtype, np.dtype) or dtype.kind not in "fc" or \
            dtype.itemsize > (8 if dtype.kind == "f" else 16) // 2 or \
            not isinstance(primal, (np.generic, np.ndarray)):
        return t
    wide = np.complex128 if dtype.kind == "c" or np.iscomplexobj(t) else np.float64
    return wide(t) if isinstance(primal, np.generic) else np.asarray(t, wide)


def tangent_like(t, out):
    """jvp's tangent `t` in the type of its output `out`: a Python float for a float (a math
    function's), a NumPy scalar or array of out's dtype for one (a rule may compute in float64
    what is float32). A complex tangent of a real output (a complex direction) is left as is."""
    kind = getattr(getattr(out, "dtype", None), "kind", None) or \
        {float: "f", complex: "c"}.get(type(out))
    if kind not in ("f", "c") or np.iscomplexobj(t) and kind == "f" or np.shape(t) != np.shape(out):
        return t
    if type(out) in (float, complex):
        return type(out)(t)
    if isinstance(out, np.generic):
        return t if type(t) is type(out) else type(out)(t)
    if type(out) is np.ndarray and getattr(t, "dtype", None) != out.dtype:
        return np.asarray(t, out.dtype)
    return t


def tangents_like(out):
    """A forward-mode result `(value, tangent, ...)` with each tangent leaf in its value's type."""
    value, tangent = out[0], out[1]
    if isinstance(value, tuple) and isinstance(tangent, tuple) and len(value) == len(tangent):
        tangent = tuple(tangent_like(t, v) for t, v in zip(tangent, value))
    elif not isinstance(value, (tuple, list)):
        tangent = tangent_like(tangent, value)
    return (value, tangent, *out[2:])


def _tangents(tree):
    """The structure of a tangent of values of structure `tree`: a constant number's tangent is
    0.0 (as in a tuple result), any other constant's None."""
    if tree.kind == "static":
        value = tree.cls.value
        number = isinstance(value, (int, float, complex, np.number)) and \
            not isinstance(value, (bool, np.bool_))
        return Tree("static", _Static(0.0 if number else None))
    if not tree.children:
        return tree
    return dataclasses.replace(tree, children=tuple(_tangents(c) for c in tree.children))


def _results(info, mode, out):
    tree = info.out_tree
    if tree is None:
        return out
    if mode == "flat":  # (jit of a function returning a container)
        return unflatten(tree, out)
    if mode == "forward":
        return unflatten(tree, out[0]), unflatten(_tangents(tree), out[1])
    if mode == "vjp":
        value, pullback = out  # (a cotangent's leaves found by key: vjp checked its structure)
        return unflatten(tree, value), \
            lambda cotangent: pullback(tuple(match(tree, value, cotangent, "", "", strict=False)))
    raise trimmed(ArgumentError(
        f"{info.function.__name__} returns a container; grad needs a scalar output "
        "(use vjp or jvp for a structured result)"))


def gradient_tree(trees, argnums):
    """The structure of grad's result for arguments of structures `trees`: each differentiated
    argument's structure, with None where a leaf gets no gradient."""
    def of(tree, top=False):
        if tree.kind == "leaf" and (tree.diff or top):
            return Tree("leaf", diff=True)
        if tree.kind in ("leaf", "static"):
            return Tree("static", _Static(None))
        return Tree(tree.kind, tree.cls, tree.keys, tuple(of(c) for c in tree.children))
    parts = [of(trees[i], top=True) for i in wrt_params(len(trees), argnums)]
    return parts[0] if isinstance(argnums, int) else Tree("tuple", tuple, (), tuple(parts))
