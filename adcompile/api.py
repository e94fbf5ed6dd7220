"""The public API, named as in JAX: grad, value_and_grad, jvp, vjp, source.

`compile_derivative` is the whole pipeline in one place; everything else here chooses its options,
caches what it returns and checks the user's arguments.
"""
from __future__ import annotations

import functools
import gc
import inspect
import threading
import types
from contextlib import contextmanager
from typing import Any, Callable, Sequence, TypeGuard

import numpy as np

from . import auxiliary, diskcache
from .boundary import (as_function, bind, checked_argnums, checked_has_aux, differentiate, gradient_tree, moves,
                       must_pass, name_of, not_held_twice, of_partial, place_of, positions, simple,
                       structured_outputs, tangents_like, widened, wrt_leaves)
from .cache import COMPILED
from .compile import compile_text, located_source
from .depends import MISSING, distinct, unchanged
from .errors import ADCompileError, ArgumentError, UnsupportedSyntaxError, trimmed
from .forward import forward
from .ir import Assign, Function, Op, Return, Var, blocks_of, walk_stmts
from .lower import lower
from .parse import signature_of
from .analysis import may_hold_containers
from .batch import batch
from .optimize import optimize as optimize_flat
from .pytree import flatten, is_leaf, match, unflatten
from .results import own_results
from .reverse import float_path, reverse
from .rewrite import hoist, idioms, joined_lists, lists_as_arrays
from .unparse import to_source

MODES = ("flat", "forward", "reverse", "grad", "value_and_grad", "vjp")
REVERSE = ("reverse", "grad", "value_and_grad")  # the modes whose code can be differentiated


def build(f, mode: str, argnums=None, optimize=True, trees=None, final=True,
          has_aux=False) -> Function:
    """Run the pipeline up to flat code of the requested kind (no compilation). `trees`: the
    structure of container arguments (pytree.py), whose leaves become the parameters. `final`:
    the code runs as it is (not differentiated again, not compiled by jit). `has_aux`: f returns
    (out, aux), and only out is differentiated (auxiliary.py)."""
    flat = lists_as_arrays(joined_lists(_lower(f, mode, trees)))  # parse, lower to flat code
    aux_tree = auxiliary.split(flat) if has_aux else None  # return out's values, then the aux
    as_tuple = not isinstance(argnums, int) or trees is not None
    wrt = _wrt(flat, argnums, trees)
    if optimize and mode != "flat":
        flat = hoist(idioms(flat))                    # stable idioms; invariants out of loops
    if mode == "flat":
        out = flat
    elif mode == "forward":
        out = forward(flat, wrt, aux=has_aux)         # tangents beside values
    else:
        kind = "grad" if mode == "reverse" else mode
        out = reverse(flat, wrt, kind=kind, as_tuple=as_tuple,  # forward sweep, adjoint sweep
                      aux=has_aux)
        _check_inputs(out.body, wrt)
    if optimize and mode != "flat":
        out = optimize_flat(out)                      # propagate, simplify, dead code, CSE
        if mode != "forward":                         # plain floats: a path of their own
            out = float_path(flat, wrt, out, kind, as_tuple, optimize_flat, has_aux)
            if final:                                 # a loop's matrix products: one, after it
                out = batch(out)
    if final and mode != "flat":
        out = own_results(out)                        # no result another's array
    out.dependencies, out.arguments, out.out_tree = flat.dependencies, flat.arguments, \
        flat.out_tree
    out.aux_tree, out.changes_arguments = aux_tree, flat.changes_arguments
    out.containers = () if trees is not None else may_hold_containers(flat)
    if trees is None and mode != "forward" and out.params == flat.params:
        out.defaults = _defaults(f, argnums)  # (forward code's tangents follow: none there)
    return out


def _defaults(f, argnums=None):
    """The parameters of `f` that have a default, with it: the generated code's signature shows
    them (`def grad_f(x, a=2.0):`), as grad & co. honour them; but not that of a parameter
    differentiated (a call must pass it: boundary.must_pass), nor those before it."""
    try:
        parameters = signature_of(f).parameters.values()
    except (TypeError, ValueError):
        return {}
    out = {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}
    must = must_pass(f, argnums)
    last = max((k for k, name in enumerate(out) if name in must), default=-1)
    return dict(list(out.items())[last + 1:])


def offered_defaults(f, argnums):
    """f.__defaults__ as the derivative's signature offers them (_defaults): without a
    differentiated parameter's, nor those before it."""
    defaults = getattr(f, "__defaults__", None) or ()
    keywords = getattr(f, "__kwdefaults__", None) or {}
    keep = len([name for name in _defaults(f, argnums) if name not in keywords])
    return defaults[len(defaults) - keep:] if keep else None


def compile_derivative(f, mode: str, argnums=0, optimize=True, trees=None, final=True,
                       has_aux=False):
    """parse -> lower -> forward/reverse -> optimize -> unparse -> compile, cached."""
    key = (_code_key(f), mode, argnums, optimize, trees, final) + (("has_aux",) if has_aux else ())
    options = (optimize, final) + (("has_aux",) if has_aux else ())  # (a key on disk)
    made_of = _made_of(f)
    for was_made_of, deps, compiled in COMPILED.get(key, ()):
        if _same(was_made_of, made_of) and unchanged(deps):
            if isinstance(compiled, ADCompileError):  # compiled at the call, for its structure
                raise compiled.with_traceback(None)
            return compiled
    # text an earlier process made (for plain arguments; a structure compiles anew)
    stored = diskcache.load(f, mode, argnums, options) if trees is None else None
    if stored is None:
        with _building(f, mode, key), _collecting_after():
            try:
                fn = build(f, mode, argnums, optimize, trees, final, has_aux)
            except ADCompileError as e:  # grad(f) made again in a loop: not lowered again
                if trees is None and getattr(e, "maybe_container", False):
                    COMPILED.setdefault(key, []).append((made_of, [], e))
                raise
            src, text = located_source(fn)            # ast.unparse, one statement at a time
            compiled = compile_text(text, fn.name, fn.constants)
        stored = src, compiled, distinct(fn.dependencies), fn.containers
        if trees is None and fn.out_tree is None and fn.aux_tree is None:  # (a structure is
            diskcache.store(f, mode, argnums, options, fn, src, text)      # not text: not on disk)
        compiled_out_tree, arguments, aux_tree = fn.out_tree, fn.arguments, fn.aux_tree
        changes = fn.changes_arguments
    else:
        compiled_out_tree, arguments, aux_tree, changes = None, None, None, None
    src, compiled, dependencies, containers = stored
    compiled.__adcompile__ = Info(f, mode, argnums, optimize, src, containers, compiled_out_tree,
                                  arguments, final, has_aux, aux_tree, dependencies)
    compiled.__adcompile__.changes_arguments = changes
    if mode in ("grad", "value_and_grad", "vjp") and getattr(f, "__defaults__", None):
        compiled.__defaults__ = offered_defaults(f, argnums)  # same parameters, same defaults
    compiled.__doc__ = f"{mode} of {getattr(f, '__qualname__', f)} generated by adcompile."
    if mode in ("grad", "value_and_grad"):  # (Python's TypeError of a call names this, not
        compiled.__qualname__ = f"{mode}({getattr(f, '__name__', 'f')})"  # grad_lambda_)
    COMPILED.setdefault(key, []).append((made_of, dependencies, compiled))
    return compiled


_BUILDING: set = set()  # the keys of the derivatives being built now, with their thread


@contextmanager
def _building(f, mode, key):
    """While the derivative `key` of f is built: grad(f) called inside f itself would build it
    again without end (a RecursionError); refused instead."""
    building = (threading.get_ident(), key)
    if building in _BUILDING:
        raise UnsupportedSyntaxError(f"{mode} of {name_of(f)} taken inside {name_of(f)} itself "
                                     "(its code would contain itself: recursion)")
    _BUILDING.add(building)
    try:
        yield
    finally:
        _BUILDING.discard(building)


@contextmanager
def _collecting_after():
    """Python's cycle collector paused while a derivative is built: the passes make and drop
    many small objects (few of them in cycles), and each collection of the oldest generation
    would walk every object alive, the whole program's IR included (at 3000 statements about
    a seventh of the build). It runs as before once the build ends."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _lower(f, mode, trees=None):
    """lower(f), where f may itself be a generated derivative (higher order, source to source)."""
    boundary = getattr(f, "__adcompile_boundary__", None)
    if hasattr(f, "__adcompile__") and getattr(f, "py_func", None) is not None:
        raise ArgumentError(f"{f.__name__} is compiled by jit: differentiate the Python function "
                            "and compile the derivative, jit(grad(f))")
    if getattr(getattr(f, "__adcompile__", None), "has_aux", False):
        raise ArgumentError(f"{f.__name__}, a derivative of {name_of(f)} taken with "
                            "has_aux=True, is not differentiated again; differentiate a "
                            "derivative taken without has_aux", *place_of(f))
    if boundary is not None and trees is not None and boundary.receiver is None and \
            boundary.mode == "grad":  # hessian of a function of a dict: grad's flat code
        inner = compile_derivative(boundary.f, "grad", boundary.argnums, boundary.optimize,
                                   trees, final=False)
        flat = _lower(inner, mode)
        flat.arguments = inner.__adcompile__.arguments
        flat.out_tree = gradient_tree(trees, boundary.argnums)
        if flat.out_tree.kind == "leaf":  # one number or array: returned as it is
            flat.out_tree = None
            for s in walk_stmts(flat.body):
                if type(s) is Return and len(s.values) == 1:
                    s.as_tuple = False
        return flat
    if boundary is not None:  # grad(grad(f)): the derivative for plain arguments
        if boundary.plain is None and trees is None and boundary.error is not None:
            # f itself failed: the located error (or, for *args, **kwargs and keyword-only
            # parameters, one that makes the caller compile per call, for their structure)
            raise boundary.error.with_traceback(None)
        if boundary.plain is None or trees is not None or boundary.receiver is not None:
            raise ArgumentError(
                f"differentiating {f.__name__}, a {boundary.mode} taken with respect to "
                "containers or of a bound method, again, is supported for grad of a function "
                "(hessian, jacfwd and jacrev of it too); differentiate a function of arrays and "
                "floats, or pass the object as an argument", *place_of(boundary.f))
        f = boundary.plain
    if hasattr(f, "__adcompile_jacobian__"):
        raise ArgumentError(f"{f.__name__} is a Jacobian made by jacfwd or jacrev, which "
                            "jacfwd, jacrev and hessian differentiate again; for grad or jvp, "
                            "differentiate grad(f) or the function made by jvp instead")
    if getattr(getattr(f, "__adcompile__", None), "mode", None) == "vjp":
        raise ArgumentError("a vjp's pullback is a nested function and cannot be differentiated "
                            "again; differentiate grad(f) or the function made by jvp instead")
    info = getattr(f, "__adcompile__", None)
    if info is not None and info.final and info.optimize and info.mode in REVERSE:
        # the same derivative without the products batched after loops (batch.py): those
        # helpers have no rules
        f = compile_derivative(info.function, info.mode, info.argnums, True, final=False)
    # a derivative's tape stays a stack (stacks.py): reverse mode runs it backwards, forward
    # mode keeps a stack of tangents beside it
    return lower(f, trees, stacks=mode != "flat" and hasattr(f, "__adcompile__"))


def _check_inputs(body, wrt):
    """grad's check of its scalar output also checks that the arguments in argnums are floats."""
    for s in body:
        if type(s) is Assign and s.target is None and s.value.prim == "check_scalar":
            s.value = Op("check_scalar", s.value.args + tuple(Var(w) for w in wrt))
        for block in blocks_of(s):
            _check_inputs(block, wrt)


class Info:
    """What a generated function was made from; `source(df)` reads it. `containers`: the
    parameters the flat code reads as containers (by index, length, as a list), which an argument
    of another structure would change the meaning of (boundary.py). `final`: built to run, not
    to be differentiated again (build). `has_aux`: f returns (out, aux), the code returns the
    aux beside its results, in the structure `aux_tree` (None: as it is; auxiliary.py).
    `dependencies`: the values read from outside it was built from (depends.py), which code
    inlining it (grad(inner) called in a differentiated function) depends on too.
    `changes_arguments`: (file, line) where it changes a container argument in place."""
    __slots__ = ("function", "mode", "argnums", "optimize", "source", "containers", "out_tree",
                 "arguments", "final", "has_aux", "aux_tree", "dependencies",
                 "changes_arguments")

    def __init__(self, function, mode, argnums, optimize, source, containers=(), out_tree=None,
                 arguments=None, final=True, has_aux=False, aux_tree=None, dependencies=()):
        self.function, self.mode, self.argnums = function, mode, argnums
        self.optimize, self.source, self.containers = optimize, source, containers
        self.out_tree, self.arguments, self.final = out_tree, arguments, final
        self.has_aux, self.aux_tree, self.dependencies = has_aux, aux_tree, dependencies
        self.changes_arguments = None


def _code_key(f):
    code = getattr(f, "__code__", None)
    if code is None or hasattr(f, "__adcompile__"):  # generated code: equal text, own constants
        return f
    return code


def _made_of(f):
    """What decides what `f` computes besides its code object, which compares equal across files
    (same text, same lines, another module): the module it reads its globals from, the objects
    in its closure cells, its defaults. Held, not by id, so a freed object's id reused by another
    cannot match; compared by identity in `_same`."""
    if not hasattr(f, "__code__") or hasattr(f, "__adcompile__"):
        return ()
    cells = tuple(_contents(c) for c in (f.__closure__ or ()))
    kwdefaults = tuple((f.__kwdefaults__ or {}).items())
    return f.__globals__, cells, f.__defaults__ or (), kwdefaults


def _same(a, b):
    """Identity, element by element through tuples."""
    return a is b or type(a) is tuple and type(b) is tuple and len(a) == len(b) and \
        all(map(_same, a, b))


def _contents(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return MISSING


def _wrt(flat, argnums, trees):
    """The parameters of the flat code to differentiate."""
    if trees is None:
        return [flat.params[i] for i in _argnums(flat, argnums)]
    _argnums(flat, argnums)  # (checked against the user's parameters)
    return wrt_leaves(flat, argnums, trees)


def _argnums(fn: Function, argnums):
    params = [a[0] for a in fn.arguments] or fn.params
    n = len(params)
    if argnums is None:
        return list(range(n))
    try:
        argnums = checked_argnums(argnums)
    except ArgumentError as e:
        raise ArgumentError(e.message, fn.filename, _first_line(fn)) from None
    nums = (argnums,) if isinstance(argnums, int) else argnums
    out = []
    for i in nums:
        if not -n <= i < n:
            raise ArgumentError(
                f"argnums {i} is out of range: {fn.name} has {n} parameter(s) "
                f"({', '.join(params)}); use 0 to {n - 1}.", fn.filename, _first_line(fn))
        out.append(i % n)
    if len(set(out)) != len(out):
        raise ArgumentError(f"argnums {argnums!r} repeats a parameter", fn.filename, _first_line(fn))
    return out


def _first_line(fn):
    return min(fn.source_lines) if fn.source_lines else None


def _transform(mode: str) -> Callable[..., Any]:
    def transform(f: Callable[..., Any] | None = None, argnums: int | Sequence[int] = 0, *,
                  has_aux: bool = False, optimize: bool = True) -> Callable[..., Any]:
        if f is None:  # used as @grad(argnums=...)
            return functools.partial(transform, argnums=argnums, has_aux=has_aux,
                                     optimize=optimize)
        if not callable(f):
            raise ArgumentError(f"{mode} expects a function, got {type(f).__name__}")
        f = as_function(f)
        argnums = checked_argnums(argnums, f)
        try:
            bound = of_partial(f, argnums, lambda g, nums: transform(
                g, nums, has_aux=has_aux, optimize=optimize))
            return bound or differentiate(compile_derivative, f, mode, argnums, optimize,
                                          checked_has_aux(has_aux, f))
        except ADCompileError as e:  # the message names the user's line: no frames of ours
            raise trimmed(e)
    # grad(f) in differentiated code: made while lowering (lower/calls.transform_here)
    transform.__adcompile_transform__ = True  # type: ignore[attr-defined]
    return transform


grad = _transform("grad")
grad.__name__ = grad.__qualname__ = "grad"
grad.__doc__ = """The gradient of a scalar-valued function, by reverse mode.

    grad(f, argnums=0) returns a function with f's parameters that returns the gradient with
    respect to parameter `argnums` (a tuple of them for a tuple `argnums`). Works as `@grad`,
    `@grad(argnums=(0, 1))`, `grad(f, 1)` and `grad(f, argnums=(0, 1))`. With `has_aux=True`,
    f returns a pair `(out, aux)`: out is differentiated, and the function returns
    `(gradient, aux)`, aux as f computed it."""

value_and_grad = _transform("value_and_grad")
value_and_grad.__name__ = value_and_grad.__qualname__ = "value_and_grad"
value_and_grad.__doc__ = """Like `grad`, but the function returns `(value, gradient)`; with
    `has_aux=True`, `((value, aux), gradient)`."""


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any], *,
        has_aux: bool = False) -> tuple[Any, ...]:
    """Forward mode: `(f(*primals), the derivative of f at primals along tangents)`. A tangent has
    its primal's structure and shapes; an int, bool or string primal, None, a function or a
    class is a constant (tangent None or 0).
    With `has_aux=True`, f returns `(out, aux)`: `(out, derivative of out, aux)`."""
    f = as_function(f)
    primals, tangents = _check_pairs(f, primals, tangents)
    if isinstance(f, types.MethodType) and isinstance(f.__func__, types.FunctionType):
        # model.loss: type(model).loss with the object first, moved by a zero tangent
        return jvp(f.__func__, (f.__self__, *primals), (_still(f.__self__), *tangents))
    try:
        if _of_python(f):  # functools.partial(g, *a, **k): g's, a and k held still
            return _jvp(f.func, (*f.args, *primals), (*map(_still, f.args), *tangents),
                        has_aux, f.keywords)
        return _jvp(f, primals, tangents, has_aux)
    except ADCompileError as e:  # (no frames of ours)
        raise trimmed(e) from None


def _of_python(f) -> TypeGuard[functools.partial]:
    """Whether `f` is a functools.partial of a function written in Python."""
    return isinstance(f, functools.partial) and isinstance(f.func, types.FunctionType)


def _still(v):
    """A zero tangent of the primal `v` (None for a constant, an int)."""
    leaves, tree = flatten(v)
    if not moves(tree):
        return None
    return unflatten(tree, [np.zeros_like(x) if node.diff else x
                            for x, node in zip(leaves, tree.leaves())])


def _jvp(f, primals, tangents, has_aux, keywords=None):
    """jvp of f at primals (and `keywords`, constants) along tangents."""
    try:
        has_aux = checked_has_aux(has_aux, f)
        values = bind(f, primals, keywords)
        flat = [flatten(v) for v in values]
        nums, _ = _moving(f, flat, len(primals), "jvp")
        dleaves = []
        for k in range(len(primals)):  # (in the order of nums: `where`, several for *args)
            leaves, tree = flatten(primals[k])
            tangent = tangents[k]
            if not moves(tree) or tangent is None and not any(n.diff for n in tree.leaves()):
                if not _no_tangent(tangent, tree):  # (a container of ints: None as for an int)
                    raise ArgumentError(
                        f"jvp({name_of(f)}): primal {k} is {_constant(primals[k])}, a "
                        "constant: its tangent is None or 0", *place_of(f))
                continue
            parts = match(tree, leaves, tangent, f"jvp({name_of(f)}): tangent {k}",
                          f"primal {k}", at=place_of(f))
            dleaves += [d for d, node in zip(parts, tree.leaves()) if node.diff]
        return forward_at(f, values, flat, nums, has_aux)(dleaves)
    except ADCompileError as e:
        raise trimmed(e)


def _no_tangent(tangent, tree):
    """Whether `tangent` is one of a constant primal of structure `tree`: None, 0 (or zeros),
    or for a string, None, a function or a class, that constant (as a zero tangent of a
    container holding it has)."""
    return tangent is None or is_leaf(tangent) and not np.any(tangent) or \
        tree.kind == "static" and flatten(tangent)[1] == tree


def forward_at(f, values, flat, nums, has_aux=False):
    """f's forward mode at `values` (flattened: `flat`), differentiating the parameters `nums`:
    a function of the tangents of their floating-point leaves, in order, returning
    `(value, tangent)` in f's output structure (and the aux, with has_aux)."""
    trees = tuple(t for _, t in flat)
    moving = [leaf for k in nums for leaf, node in zip(flat[k][0], flat[k][1].leaves())
              if node.diff]  # (the primal of each tangent)

    def wide(dleaves):
        return [widened(d, p) for d, p in zip(dleaves, moving)] \
            if len(dleaves) == len(moving) else dleaves
    if all(t.kind == "leaf" for t in trees) and simple(f):
        df = _plain(f, "forward", nums, trees, has_aux)
        return lambda dleaves: structured_outputs(df, tangents_like(df(*values, *wide(dleaves))))
    df = compile_derivative(f, "forward", nums, True, trees, has_aux=has_aux)
    not_held_twice(df, f, values)
    leaves = [leaf for ls, _ in flat for leaf in ls]
    return lambda dleaves: structured_outputs(df, tangents_like(df(*leaves, *wide(dleaves))))


def _plain(f, mode, nums, trees, has_aux):
    """The derivative for numbers and arrays (`trees`: all leaves): the one compiled for any
    arguments, or where that needs to know whether an argument is a container (list(a)), the
    one compiled knowing they are leaves (which takes the same arguments)."""
    try:
        return compile_derivative(f, mode, nums, has_aux=has_aux)
    except ADCompileError as e:
        if not getattr(e, "maybe_container", False):
            raise
        return compile_derivative(f, mode, nums, True, trees, has_aux=has_aux)


def reverse_at(f, values, flat, nums, has_aux=False):
    """f's reverse mode at `values` (flattened: `flat`), differentiating the parameters `nums`:
    `(value, pullback)`, the pullback taking a cotangent in the output's structure and returning
    the gradients of their floating-point leaves, in order (and the aux, with has_aux)."""
    trees = tuple(t for _, t in flat)
    if all(t.kind == "leaf" for t in trees) and simple(f):
        df = _plain(f, "vjp", nums, trees, has_aux)
        return structured_outputs(df, df(*values))
    df = compile_derivative(f, "vjp", nums, True, trees, has_aux=has_aux)
    not_held_twice(df, f, values)
    return structured_outputs(df, df(*[leaf for ls, _ in flat for leaf in ls]))


def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """Reverse mode: `(f(*primals), pullback)`; `pullback(cotangent)` takes a cotangent of the
    output's structure and shapes and returns one gradient per primal, as a tuple (None for a
    constant: an int, bool or string primal, None, a function or a class). With
    `has_aux=True`, f returns `(out, aux)`: `(out, pullback, aux)`, the pullback taking a
    cotangent of out."""
    f = as_function(f)
    try:
        if _of_python(f):  # functools.partial(g, *a, **k): g's, without the gradients of a
            out, pullback, *aux = _vjp(f.func, (*f.args, *primals), has_aux, f.keywords)
            n = len(f.args)
            return (out, lambda cotangent: pullback(cotangent)[n:], *aux)
        return _vjp(f, primals, has_aux)
    except ADCompileError as e:  # (no frames of ours)
        raise trimmed(e) from None


def _vjp(f, primals, has_aux, keywords=None):
    """vjp of f at primals (and `keywords`, constants)."""
    keywords = keywords or {}
    try:
        has_aux = checked_has_aux(has_aux, f)
        values = bind(f, primals, keywords)
        flat = [flatten(v) for v in values]
        nums, _ = _moving(f, flat, len(primals), "vjp")
        structured = any(tree.kind not in ("leaf", "static") for _, tree in flat)
        out, pullback, *aux = differentiate(compile_derivative, f, "vjp", nums, True, has_aux,
                                            structured)(*map(_detached, primals),
                                                        **{k: _detached(v) for k, v in
                                                           keywords.items()})
        received = positions(f, len(primals))
    except ADCompileError as e:
        raise trimmed(e)
    out = _detached(out)  # (the pullback reads the arrays of its forward sweep later)
    out_leaves, out_tree = flatten(out)
    where, of = f"vjp({name_of(f)}): the cotangent", f"{name_of(f)}'s output"

    def checked_pullback(cotangent):
        try:
            parts = match(out_tree, out_leaves, cotangent, where, of, at=place_of(f))
        except ADCompileError as e:
            raise trimmed(e)
        out = [None] * len(primals)
        for i, gradient in zip(nums, pullback(unflatten(out_tree, parts))):
            if len(received[i]) == 1 and not _var_positional(f, i):
                out[received[i][0]] = gradient
            else:  # *args: a tuple, one per primal
                for k, part in zip(received[i], gradient):
                    out[k] = part
        return tuple(out)
    return (out, checked_pullback, *aux)


# jvp(f, ...) and vjp(f, ...) in differentiated code: f's code, made while lowering and inlined
# (lower/builtins.derivative_here)
# (`trees`: the structure of its arguments, a method's object first: structured.py)
jvp.__adcompile_inside__ = lambda f, nums, trees=None: compile_derivative(  # type: ignore[attr-defined]
    f, "forward", nums, True, trees)
vjp.__adcompile_inside__ = lambda f, nums, trees=None: compile_derivative(  # type: ignore[attr-defined]
    f, "vjp", nums, True, trees)


def _detached(v):
    """`v` with copies of its arrays (in lists, tuples and dicts too): a pullback reads the arrays
    of its forward sweep when it is called, and the caller may have changed theirs in place by
    then (`w -= lr * g`, `out -= target`), as NumPy code does."""
    if isinstance(v, np.ndarray):
        return v.copy()
    if type(v) in (list, tuple, dict) or isinstance(v, tuple) and hasattr(v, "_fields"):
        parts = [_detached(x) for x in (v.values() if isinstance(v, dict) else v)]
        return dict(zip(v, parts)) if isinstance(v, dict) else \
            type(v)(*parts) if hasattr(v, "_fields") else type(v)(parts)
    return v


def _moving(f, flat, n, what):
    """The parameters to differentiate, those among the first n primals that are floating-point
    numbers or arrays, or containers (`flat`: per parameter); and the primals they receive."""
    received = positions(f, n)
    nums = tuple(i for i, ks in enumerate(received) if ks and moves(flat[i][1]))
    if not nums:
        raise ArgumentError(f"{what}({name_of(f)}): every primal is an integer, a bool or another "
                            "constant (a string, None, a function), and "
                            "derivatives are taken with respect to floating-point ones; pass "
                            "floats (2.0 instead of 2)", *place_of(f))
    return nums, [k for i in nums for k in received[i]]


def _var_positional(f, i):
    """Whether parameter i of f is its *args."""
    try:
        parameters = list(signature_of(f).parameters.values())
    except (TypeError, ValueError):
        return False
    return i < len(parameters) and parameters[i].kind is inspect.Parameter.VAR_POSITIONAL


def _constant(x) -> str:
    """What a primal that does not move is, in words: an integer, a bool, a slice, ..."""
    if isinstance(x, (bool, np.bool_)):
        return "a bool"
    if isinstance(x, (int, np.integer)):
        return "an integer"
    kind = str(getattr(getattr(x, "dtype", None), "kind", ""))
    return {"b": "an array of bools", "i": "an integer array", "u": "an integer array"}.get(
        kind, f"a {type(x).__name__}")


def _check_pairs(f, primals, tangents):
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise ArgumentError("jvp(f, primals, tangents) takes tuples: jvp(f, (x,), (dx,))")
    if len(primals) != len(tangents):
        raise ArgumentError(f"jvp got {len(primals)} primals but {len(tangents)} tangents; "
                            "give one tangent per primal")
    return tuple(primals), tuple(tangents)


def _source_at(made, args, kwargs, annotate):
    """source(made, at=args) of a function made by grad & co.: the code its call with `args`
    runs, the derivative for plain arguments (its own source) where they are numbers and
    arrays, else the one compiled for their structure (boundary.py)."""
    partial = getattr(made, "__adcompile_partial__", None)
    if partial is not None:  # grad(functools.partial(g, ...)): g's, with the bound arguments
        bound, made = partial
        return _source_at(made, (*bound.args, *args), {**bound.keywords, **kwargs}, annotate)
    boundary = getattr(made, "__adcompile_boundary__", None)
    if boundary is not None:
        f, mode, argnums, optimize, has_aux = boundary.f, boundary.mode, boundary.argnums, \
            boundary.optimize, boundary.has_aux
        plain = boundary.plain is not None  # (as its calls decide)
        values = boundary.arguments(args, kwargs)
    else:
        info = made.__adcompile__
        f, mode, argnums, optimize = info.function, info.mode, info.argnums, info.optimize
        has_aux, plain = getattr(info, "has_aux", False), True
        values = bind(f, args, kwargs)
    trees = tuple(flatten(v)[1] for v in values)
    if plain and all(t.kind == "leaf" for t in trees):
        return source(made, annotate=annotate)
    try:
        return to_source(build(f, mode, argnums, optimize, trees, has_aux=has_aux),
                         annotate=annotate)
    except ADCompileError as e:
        raise trimmed(e)


def _spelled(fn):
    """How the user made `fn`: `hessian(f, (0, 1))`, `jacfwd(grad(f))`, `f`."""
    made = getattr(fn, "__adcompile_hessian__", None) or \
        getattr(fn, "__adcompile_jacobian__", None)
    info = getattr(fn, "__adcompile__", None)
    if made is not None:
        name = "hessian" if hasattr(fn, "__adcompile_hessian__") else \
            "jacfwd" if made[2] else "jacrev"
        of, nums = made[:2]
    elif info is not None and info.mode in ("grad", "value_and_grad"):
        name, of, nums = info.mode, info.function, info.argnums
    else:
        return getattr(fn, "__name__", "f")
    return f"{name}({_spelled(of)}{'' if nums == 0 else f', {nums!r}'})"


def source(fn: Callable[..., Any], mode: str | None = None, argnums: int | Sequence[int] | None = 0,
           optimize: bool = True, annotate: bool = False, at: Sequence[Any] | None = None, *,
           has_aux: bool = False) -> str:
    """The generated source: of a function made by grad & co., or of `fn` in `mode`
    ("flat", "forward", "reverse", "vjp", "value_and_grad"). `at`: arguments whose structure
    (dicts, tuples, dataclasses, ...) the code is generated for (for a function made by grad &
    co., the code a call with them runs). `has_aux`: fn returns (out, aux), as for
    grad(fn, has_aux=True)."""
    info = getattr(fn, "__adcompile__", None)
    made = getattr(fn, "__adcompile_jacobian__", None)
    if made is not None and mode is None:
        g, nums, forward = made[:3]
        of = getattr(g, "__adcompile_jacobian__", None)
        if of is not None:  # (jacfwd(jacrev(f)): the Jacobian of f's tangent code)
            raise ArgumentError(
                f"{_spelled(fn)} is a Jacobian of a Jacobian: it runs the forward-mode code of "
                f"{_spelled(of[0])} (source({_spelled(of[0])}, mode='forward')) differentiated "
                f"again by {'forward' if of[2] else 'reverse'} mode, once per pair of "
                "directions, and has no source of its own")
        code = f"source({_spelled(g)}, mode={'forward' if forward else 'vjp'!r}" + \
            (f", argnums={nums!r})" if nums != 0 else ")")
        raise ArgumentError(
            f"{_spelled(fn)} is a Jacobian made by jacfwd, jacrev or hessian: it runs the code "
            f"generated for {_spelled(g)} once per direction and has no source of its own; "
            f"print that code: {code}")
    if at is not None and info is not None and mode is None:
        return _source_at(fn, tuple(at), {}, annotate)
    if at is not None:  # (the parameters left out take their defaults, as in a call)
        structure = tuple(flatten(a)[1] for a in bind(fn, tuple(at)))
        plain = all(t.kind == "leaf" for t in structure)  # numbers and arrays: grad's code
        trees = None if plain else structure
        try:
            return to_source(build(fn, mode or "reverse", argnums, optimize, trees,
                                   has_aux=has_aux), annotate=annotate)
        except ADCompileError as e:
            raise trimmed(e)
    if info is not None and mode is None:
        if not annotate:
            return info.source
        fn, mode, argnums, optimize = info.function, info.mode, info.argnums, info.optimize
        has_aux = getattr(info, "has_aux", False)
    mode = mode or "reverse"
    if mode not in MODES:
        raise ArgumentError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    try:
        return to_source(build(fn, mode, argnums, optimize, has_aux=has_aux), annotate=annotate)
    except ADCompileError as e:
        raise trimmed(e)
