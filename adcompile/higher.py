"""Higher-order derivatives: derivative code is itself input for the compiler.

`grad(grad(f))` works source to source: the generated gradient is Python in `linecache`, so the
pipeline parses and lowers it like any user function. Its loop tape (a list pushed and popped)
lowers to a list built with `xs + [v]` and read back with `xs[-1]`, which the rule tables
differentiate like any list, and the helpers derivative code calls (`unbroadcast`, `unreduce`,
`matmul_grad_left`, ...) have rules of their own in `rules.py`; so the result transforms again,
to any depth.

On top of that: `jacfwd`, `jacrev`, `hessian` (forward over reverse), `hvp` (a Hessian-vector
product without the Hessian) and `check_grads` (finite differences and the dot-product test).
"""
from __future__ import annotations

import dataclasses
import functools
import math
import types
from typing import Any, Callable, Sequence

import numpy as np

from .draws import Draws
from .errors import ADCompileError, ArgumentError, public, trimmed
from .parse import signature_of
from .runtime import NOT_SCALAR

ONE_OUTPUT = "grad needs one scalar output"  # (reverse.py's words for several outputs)

def _nums(argnums):
    """argnums as a tuple of ints (checked)."""
    from .boundary import checked_argnums
    nums = checked_argnums(argnums)
    return (nums,) if isinstance(nums, int) else nums


def _jacobian(f, args, kwargs, argnums, forward, has_aux=False, holomorphic=False,
              what=None):
    """jacfwd(f, argnums)(*args, **kwargs), or jacrev: as JAX gives it, the output's structure
    holding, for each of its leaves, the arguments' structure (a tuple of them for a tuple
    argnums) of blocks shaped (the output leaf's shape + the argument leaf's shape); None where
    a leaf gets no derivative (an int, a bool). Containers are matched by key at every level.
    With has_aux, f returns (out, aux): (the Jacobian of out, aux). `holomorphic`: JAX's
    option (complex arguments and outputs; f'(z), right only where f is holomorphic); without
    it a complex argument is refused, as JAX refuses it. `what`: the transform, in messages."""
    from .api import _constant, forward_at, reverse_at
    from .boundary import bind, must_pass, name_of, place_of, refuse_unpassed
    from .pytree import flatten
    if hasattr(f, "__adcompile_jacobian__"):  # a Jacobian of a Jacobian
        if has_aux:
            raise ArgumentError("has_aux=True takes a function returning (out, aux), not a "
                                "Jacobian made by jacfwd or jacrev", *place_of(f))
        return _jacobian_of_jacobian(f, args, kwargs, argnums, forward, holomorphic)
    refuse_unpassed(f, must_pass(f, argnums), args, kwargs)  # (a default is data: JAX's rule)
    values = bind(f, args, kwargs)
    nums, single = _checked_nums(f, argnums, len(values)), isinstance(argnums, int)
    flat = [flatten(v) for v in values]
    for k in nums:
        if flat[k][1].kind == "leaf" and not flat[k][1].diff:
            raise ArgumentError(
                f"{'jacfwd' if forward else 'jacrev'}({name_of(f)}): argument {k} in argnums is "
                f"{_constant(values[k])}; derivatives are taken with respect to floating-point "
                "arguments: pass floats or leave it out of argnums",
                *place_of(f))
    wrt = [leaf for k in nums for leaf, node in zip(flat[k][0], flat[k][1].leaves()) if node.diff]
    what = what or ('jacfwd' if forward else 'jacrev')
    _complex_arguments(f, [k for k in nums for leaf, node in zip(flat[k][0], flat[k][1].leaves())
                           if node.diff], wrt, holomorphic, what)
    zeros = [_zero(w) for w in wrt]
    blocks = []  # per differentiable output leaf: one block per leaf in wrt
    aux = []  # with has_aux: the aux, as the last pass computed it
    if forward:
        push = forward_at(f, values, flat, nums, has_aux)
        columns = []  # per leaf in wrt: per element of it, the output's tangent leaves
        out = None
        draws = Draws(f, [leaf for leaves, _ in flat for leaf in leaves])  # one call's draws
        for j, w in enumerate(wrt):
            columns.append([])
            for e in _basis(w):
                draws.restore()
                out, d_out, *aux = push(zeros[:j] + [e] + zeros[j + 1:])
                columns[j].append(d_out)
        if out is None:  # (nothing to differentiate: empty arrays)
            out, *aux = f(*values) if has_aux else (f(*values),)
        out_leaves, out_tree = _output(out)
        _complex_outputs(f, out_leaves, out_tree, holomorphic, what)
        columns = [[_parts(out_tree, out_leaves, c) for c in cols] for cols in columns]
        for o, (value, node) in enumerate(zip(out_leaves, out_tree.leaves())):
            if node.diff:
                blocks.append([_block([c[o] for c in cols], np.shape(value), np.shape(w), False)
                               for cols, w in zip(columns, wrt)])
    else:
        out, pullback, *aux = reverse_at(f, values, flat, nums, has_aux)
        out_leaves, out_tree = _output(out)
        _complex_outputs(f, out_leaves, out_tree, holomorphic, what)
        no_cotangent = [_zero(v) for v in out_leaves]
        for o, (value, node) in enumerate(zip(out_leaves, out_tree.leaves())):
            if node.diff:
                def row(e, o=o):
                    return list(pullback(_unflatten(out_tree, no_cotangent[:o] + [e] +
                                                    no_cotangent[o + 1:])))
                rows = [row(e) for e in _basis(value)]
                if np.iscomplexobj(value) and not holomorphic:  # (real inputs: checked)
                    # J = pullback(e) - 1j pullback(1j e); holomorphic: pullback(e) is f'(z)
                    rows = [[None if a is None else a - 1j * (0.0 if b is None else b)
                             for a, b in zip(r, row(1j * e))] for r, e in zip(rows, _basis(value))]
                blocks.append([_block([r[j] for r in rows], np.shape(value), np.shape(w), True)
                               for j, w in enumerate(wrt)])
    jacobian = _assemble(out_tree, blocks, [flat[k][1] for k in nums], single)
    return (jacobian, *aux) if has_aux else jacobian


def _complex_arguments(f, where, wrt, holomorphic, what):
    """Refuse, as JAX does, a complex argument differentiated without holomorphic=True (a
    Jacobian along its real parts alone, wrong for a function that is not holomorphic: np.conj,
    np.abs), and a real one with it. `where`: the argument of each leaf in `wrt`."""
    from .boundary import name_of, place_of
    for k, w in zip(where, wrt):
        if np.iscomplexobj(w) != holomorphic:
            raise ArgumentError(
                f"{what}({name_of(f)}): argument {k} is complex; its derivative is the complex "
                "derivative f'(z) only where the function is holomorphic (not of np.conj, "
                "np.abs, np.real, ...). Pass holomorphic=True for a holomorphic function, or "
                "differentiate a function of the real and imaginary parts (lambda x, y: "
                "f(x + 1j * y)); grad of a real-valued function takes complex arguments "
                "(JAX's convention)" if not holomorphic else
                f"{what}({name_of(f)}, holomorphic=True) takes complex arguments, as JAX's "
                f"does, but argument {k} is real; pass it as a complex number (x + 0j)",
                *place_of(f))


def _complex_outputs(f, leaves, tree, holomorphic, what):
    """With holomorphic=True, a real output is refused, as JAX refuses it."""
    from .boundary import name_of, place_of
    if holomorphic and any(node.diff and not np.iscomplexobj(v)
                           for v, node in zip(leaves, tree.leaves())):
        raise ArgumentError(f"{what}({name_of(f)}, holomorphic=True) needs complex outputs, as "
                            "JAX's does, but the function returned a real one; without "
                            "holomorphic=True, take grad of a real-valued function of complex "
                            "arguments", *place_of(f))


def _output(out):
    """flatten(out), where an int (not a bool) is a floating-point leaf: the function's value,
    which on the path taken may be `return 0` or hold one; its derivative is zero, as grad's and
    jvp's (a bool or an integer array gets none)."""
    from .pytree import Tree, flatten
    leaves, tree = flatten(out)
    it, floats = iter(leaves), []

    def of(node):
        if node.kind == "leaf":
            value = next(it)
            whole = _whole_number(value)
            floats.append(float(value) if whole else value)
            return Tree("leaf", diff=True) if whole else node
        if node.kind == "static":
            if not _whole_number(node.cls.value):
                return node
            floats.append(float(node.cls.value))
            return Tree("leaf", diff=True)
        return dataclasses.replace(node, children=tuple(of(c) for c in node.children))
    tree = of(tree)
    return floats, tree


def _whole_number(x):
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _checked_nums(f, argnums, n):
    from .boundary import name_of, place_of
    out = []
    for i in _nums(argnums):
        if not -n <= i < n:
            raise ArgumentError(f"argnums {i} is out of range: {name_of(f)} has {n} parameter(s) "
                                f"here; use 0 to {n - 1}", *place_of(f))
        out.append(i % n)
    if len(set(out)) != len(out):
        raise ArgumentError(f"argnums {argnums!r} repeats a parameter", *place_of(f))
    return tuple(out)


def _parts(tree, like, value):
    """The leaves of `value` (derivative code's tangent of an output shaped by `tree`), found by
    key, one per leaf of `tree`; a list for a tuple is fine."""
    from .pytree import match
    return match(tree, like, value, "", "", strict=False)


def _unflatten(tree, leaves):
    from .pytree import unflatten
    return unflatten(tree, leaves)


def _block(parts, out_shape, in_shape, rows):
    """One block of a Jacobian, shaped out_shape + in_shape, from `parts`: one per output
    element, each shaped like the input leaf (rows), or one per input element, each shaped like
    the output leaf. A part that derivative code left as a zero (0.0, None) is broadcast."""
    each = tuple(in_shape if rows else out_shape)
    stacked = np.stack([np.zeros(each) if p is None else np.broadcast_to(np.asarray(p), each)
                        for p in parts]) if parts else np.zeros((0,) + each)
    if rows:
        return np.reshape(stacked, tuple(out_shape) + tuple(in_shape))
    moved = np.moveaxis(np.reshape(stacked, (len(parts),) + tuple(out_shape)), 0, -1)
    return np.reshape(moved, tuple(out_shape) + tuple(in_shape))


def _assemble(out_tree, blocks, in_trees, single):
    """The output's structure holding, per differentiable leaf, its blocks put in the arguments'
    structures (`in_trees`; the one argument's own for a single int argnums)."""
    from .pytree import unflatten
    per_out = []
    for row in blocks:
        it = iter(row)
        parts = [unflatten(tree, it, only_diff=True) for tree in in_trees]
        per_out.append(parts[0] if single else tuple(parts))
    return unflatten(out_tree, per_out, only_diff=True)


def _innermost(f):
    """The user's function a nest of Jacobians (and a grad) is made of."""
    while hasattr(f, "__adcompile_jacobian__"):
        f = f.__adcompile_jacobian__[0]
    info = getattr(f, "__adcompile__", None)
    return info.function if info is not None else f


def _jacobian_of_jacobian(jac, args, kwargs, argnums, forward, holomorphic=False):
    """jacfwd/jacrev of J = jacfwd/jacrev(f, inner): J's derivative along a direction u of the
    outer arguments is, second derivatives being symmetric, the inner Jacobian of f's tangent
    along u, which f's forward-mode code computes and can be differentiated again. Stacked
    over the unit directions u: J's structure holding, per leaf, the outer arguments' blocks."""
    from .api import compile_derivative
    from .boundary import _tangents, bind, name_of, place_of, simple
    from .pytree import flatten, unflatten
    f, inner, inner_forward, inner_aux, inner_holomorphic = jac.__adcompile_jacobian__
    if hasattr(f, "__adcompile_jacobian__"):
        raise ArgumentError("a Jacobian of a Jacobian of a Jacobian: two of jacfwd, jacrev and "
                            "hessian nest, not three; for third derivatives make the innermost "
                            "a grad: jacfwd(jacfwd(grad(f))) or jacfwd(hessian(f))",
                            *place_of(_innermost(f)))
    if inner_aux:
        raise ArgumentError(f"a Jacobian of the Jacobian of {name_of(f)} taken with has_aux=True "
                            "is not supported: differentiate a Jacobian taken without has_aux",
                            *place_of(f))
    if not simple(f):
        raise ArgumentError(f"a Jacobian of the Jacobian of {name_of(f)}, which takes *args, "
                            "**kwargs or keyword-only parameters, is not supported; use "
                            "hessian or jacfwd(grad(f)), which are", *place_of(f))
    values = bind(f, args, kwargs)
    n = len(values)
    nums, single = _checked_nums(f, argnums, n), isinstance(argnums, int)
    flat = [flatten(v) for v in values]
    odd = next((k for k, (_, t) in enumerate(flat) if t.kind != "leaf" or
                k in nums and not t.diff), None)
    if odd is not None:
        what = f"is {_kind_of(values[odd])}" if flat[odd][1].kind != "leaf" else \
            "is not a floating-point number or array"
        raise ArgumentError(f"a Jacobian of the Jacobian of {name_of(f)} is taken where every "
                            f"argument is a number or an array, but argument {odd} {what}; use "
                            "hessian(f) or jacfwd(grad(f)), which take it", *place_of(f))
    _complex_arguments(f, nums, [values[k] for k in nums], holomorphic,
                       "jacfwd" if forward else "jacrev")
    inner_nums = _checked_nums(f, inner, n)
    inner = inner_nums[0] if isinstance(inner, int) else inner_nums
    draws = Draws(f, values)  # every run sees the draws of one call
    base = jac(*values)
    base_leaves, base_tree = flatten(base)
    tangent_code = compile_derivative(f, "forward", nums)  # f(*values, *directions)
    out_tree = tangent_code.__adcompile__.out_tree
    zeros = [_zero(values[k]) for k in nums]
    columns = []  # per outer argument: per element of it, the leaves of J's derivative
    for j, k in enumerate(nums):
        columns.append([])
        for e in _basis(values[k]):
            draws.restore()
            u = zeros[:j] + [e] + zeros[j + 1:]
            d_jac = _jacobian(tangent_code, tuple(values) + tuple(u), {}, inner, inner_forward,
                              holomorphic=inner_holomorphic)[1]
            if out_tree is not None:  # (f returns a container: the code, its leaves)
                d_jac = unflatten(_tangents(out_tree), d_jac)
            columns[j].append(_parts(base_tree, base_leaves, d_jac))
    blocks = [[_block([c[o] for c in cols], np.shape(value), np.shape(values[k]), False)
               for cols, k in zip(columns, nums)]
              for o, (value, node) in enumerate(zip(base_leaves, base_tree.leaves())) if node.diff]
    return _assemble(base_tree, blocks, [flat[k][1] for k in nums], single)


def _kind_of(v):
    """A container or other argument in words: `a list`, `a function`."""
    kind = "function" if callable(v) else type(v).__name__
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}"


def _leaves(x):
    """The arrays and numbers in `x`, a (nested) list or tuple argument or output, in order."""
    return [y for item in x for y in _leaves(item)] if isinstance(x, (list, tuple)) else [x]


def _rebuild(like, leaves):
    """`leaves` (an iterator) put back in the shape of `like`: its lists as lists, the rest as
    tuples (the way grad hands back a list argument's gradient)."""
    if not isinstance(like, (list, tuple)):
        return next(leaves)
    parts = [_rebuild(item, leaves) for item in like]
    return parts if type(like) is list else tuple(parts)


def _basis(x):
    """The unit tangents of `x` (a Python float, an array, or a list or tuple of them), each
    shaped like `x`."""
    if isinstance(x, (list, tuple)):
        leaves = _leaves(x)
        for k, leaf in enumerate(leaves):
            for e in _basis(leaf):
                yield _rebuild(x, iter([e if j == k else _zero(y) for j, y in enumerate(leaves)]))
        return
    if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        yield 1.0
        return
    dtype = np.result_type(x, 1.0)
    for k in range(np.size(x)):
        e = np.zeros(np.size(x), dtype=dtype)
        e[k] = 1
        yield np.reshape(e, np.shape(x))


def _zero(x):
    if isinstance(x, (list, tuple)):
        return _rebuild(x, iter([_zero(y) for y in _leaves(x)]))
    return 0.0 if np.ndim(x) == 0 and not isinstance(x, np.ndarray) else \
        np.zeros(np.shape(x), dtype=np.result_type(x, 1.0))


@public
def jacfwd(f: Callable[..., Any], argnums: int | Sequence[int] = 0, *,
           has_aux: bool = False, holomorphic: bool = False) -> Callable[..., Any]:
    """The Jacobian of `f` by forward mode, one JVP per input element: `jacfwd(f)(x)` has shape
    `f(x).shape + x.shape`. As in JAX: a tuple `argnums` gives a tuple of Jacobians; a function
    returning a container (a tuple, a dict, ...) gives that container of Jacobians; a container
    argument, its structure of blocks (so `hessian` of a list argument has blocks `H[i][j]`).
    With `has_aux=True`, f returns `(out, aux)`: `(Jacobian of out, aux)`. A complex argument
    needs `holomorphic=True` (JAX's): the complex derivative, right for holomorphic f only."""
    return _jacobian_function(f, argnums, True, has_aux, holomorphic)


@public
def jacrev(f: Callable[..., Any], argnums: int | Sequence[int] = 0, *,
           has_aux: bool = False, holomorphic: bool = False) -> Callable[..., Any]:
    """The Jacobian of `f` by reverse mode, one VJP per output element; shaped as in `jacfwd`.
    With `has_aux=True`, f returns `(out, aux)`: `(Jacobian of out, aux)`; `holomorphic` as
    in jacfwd."""
    return _jacobian_function(f, argnums, False, has_aux, holomorphic)


def _jacobian_function(f, argnums, forward, has_aux=False, holomorphic=False, what=None):
    from .boundary import as_function, checked_argnums, checked_has_aux, of_partial
    f = as_function(f)
    argnums = checked_argnums(argnums, f)
    has_aux = checked_has_aux(has_aux, f)
    if type(holomorphic) is not bool:
        raise ArgumentError(f"holomorphic must be True or False, not {holomorphic!r}")

    def again(g, nums):
        return _jacobian_function(g, nums, forward, has_aux, holomorphic, what)
    method = _of_method(f, argnums, again) or of_partial(f, argnums, again)
    if method is not None:
        return method

    @public
    @functools.wraps(f, updated=())  # (not f's __dict__: a derivative's __adcompile__ is not ours)
    def jacobian(*args, **kwargs):
        return _jacobian(f, args, kwargs, argnums, forward, has_aux, holomorphic, what)
    del jacobian.__wrapped__  # (not f: its source is not this function's)
    try:
        jacobian.__signature__ = signature_of(f)  # called with f's arguments
    except (TypeError, ValueError):
        pass
    # what it is made of: jacfwd and jacrev of it differentiate f again
    jacobian.__adcompile_jacobian__ = (f, argnums, forward, has_aux, holomorphic)
    jacobian.__doc__ = f"Jacobian of {getattr(f, '__name__', f)} by " \
        f"{'forward' if forward else 'reverse'} mode."
    return jacobian


@public
def hessian(f: Callable[..., Any], argnums: int | Sequence[int] = 0, *,
            holomorphic: bool = False) -> Callable[..., Any]:
    """The Hessian of the scalar function `f`: forward mode over the reverse-mode gradient,
    `jacfwd(grad(f, argnums), argnums)`. For `x` of shape `(n,)` it has shape `(n, n)`; a tuple
    `argnums` gives the blocks `H[i][j]` for arrays, and as in JAX `H[i][key][j][key2]` for
    containers: argument i's structure, each leaf holding the tuple over j of argument j's
    structure of blocks shaped (leaf of i).shape + (leaf of j).shape. A complex argument needs
    `holomorphic=True` (JAX's): f''(z) of a holomorphic f, as jacfwd(jacrev(f, holomorphic=True),
    holomorphic=True)."""
    from .api import grad
    from .boundary import as_function, checked_argnums, of_partial
    f = as_function(f)
    argnums = checked_argnums(argnums, f)
    if type(holomorphic) is not bool:
        raise ArgumentError(f"holomorphic must be True or False, not {holomorphic!r}")

    def again(g, nums):
        return hessian(g, nums, holomorphic=holomorphic)
    method = _of_method(f, argnums, again) or of_partial(f, argnums, again)
    if method is not None:
        return method
    try:
        inner = _jacobian_function(f, argnums, False, holomorphic=True) if holomorphic else \
            grad(f, argnums=argnums)  # (grad takes no complex output)
        jacobian = _jacobian_function(inner, argnums, True, holomorphic=holomorphic,
                                      what="hessian")
    except ArgumentError as e:
        raise _in_hessian_words(e) from None

    @functools.wraps(jacobian)  # (its attributes: jacfwd and jacrev of it differentiate it)
    def hessian_of_f(*args, **kwargs):
        try:
            return jacobian(*args, **kwargs)
        except ArgumentError as e:
            raise _in_hessian_words(e) from None
    del hessian_of_f.__wrapped__  # (not f's source)
    hessian_of_f.__adcompile_hessian__ = (f, argnums)  # type: ignore[attr-defined]  # (api.source)
    return hessian_of_f


def _in_hessian_words(e):
    """grad's or jacfwd's refusal `e`, met by hessian (jacfwd(grad(f))), in hessian's words."""
    if e.message.startswith("jacfwd("):  # (an argument in argnums it cannot take)
        return ArgumentError("hessian" + e.message[len("jacfwd"):], e.filename, e.line)
    several = e.message.startswith(ONE_OUTPUT)  # (a tuple, a list, a dict returned)
    if not e.message.startswith(NOT_SCALAR) and not several:
        return e
    returned = e.message[len(ONE_OUTPUT if several else NOT_SCALAR):].split(";")[0]
    return ArgumentError(f"hessian needs a scalar output (it is jacfwd(grad(f))){returned}; "
                         "for the second derivatives of a function with an array output write "
                         "jacfwd(jacrev(f))" + ("; for several outputs, take hessian of each"
                                                if several else ""), e.filename, e.line)


def _of_method(f, argnums, transform):
    """`transform(model.loss, argnums)` of a bound method written in Python: the transform of
    `type(model).loss` with respect to the same parameters (argnums shifted past `self`), called
    with the object first, so its fields are read at each call as arguments' are. None for
    anything else."""
    from .boundary import shift
    if not (isinstance(f, types.MethodType) and isinstance(f.__func__, types.FunctionType)):
        return None
    receiver, of_function = f.__self__, transform(f.__func__, shift(argnums))

    @public
    @functools.wraps(f, updated=())
    def of_method(*args, **kwargs):
        return of_function(receiver, *args, **kwargs)
    del of_method.__wrapped__
    try:
        of_method.__signature__ = signature_of(f)
    except (TypeError, ValueError):
        pass
    return of_method


@public
def hvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> Any:
    """The Hessian of the scalar `f` at `primals` times `tangents`, by forward mode over reverse
    mode without forming the Hessian. One array per primal (the array itself for one primal)."""
    from .api import _check_pairs, _moving, grad, jvp
    from .boundary import as_function, bind, shift
    from .pytree import flatten
    f = as_function(f)
    primals, tangents = _check_pairs(f, primals, tangents)
    try:  # the primals that move (an int or bool one, integer labels: a constant, None)
        moving = _moving(f, [flatten(v) for v in bind(f, primals)], len(primals), "hvp")[0]
    except ADCompileError as e:
        raise trimmed(e)
    nums = 0 if len(primals) == 1 else moving
    if isinstance(f, types.MethodType) and isinstance(f.__func__, types.FunctionType):
        # model.loss: grad of type(model).loss, bound to the object (which jvp holds still)
        df = types.MethodType(grad(f.__func__, argnums=shift(nums)), f.__self__)
        out = jvp(df, primals, tangents)[1]
    else:
        out = jvp(grad(f, argnums=nums), primals, tangents)[1]  # (containers, checks: jvp's)
    if isinstance(nums, int):
        return out
    parts = dict(zip(nums, out))
    return tuple(parts.get(k) for k in range(len(primals)))


# --- checking derivatives ---------------------------------------------------------------------
class GradientCheckError(ADCompileError, AssertionError):
    """A derivative disagrees with finite differences or with the other mode."""


@public
def check_grads(f: Callable[..., Any], args: Sequence[Any], order: int = 2,
                modes: Sequence[str] = ("fwd", "rev"), eps: float = 1e-6, rtol: float = 1e-5,
                atol: float = 1e-6, seed: int = 0) -> None:
    """Check `f`'s derivatives at `args` up to `order`, raising GradientCheckError if one is off.

    "fwd": the JVP along a random direction against a central finite difference.
    "rev": the VJP against the JVP by the dot-product test <u, vjp(v)> == <v, jvp(u)> (against
    finite differences if "fwd" is not among `modes`).
    Order 2 checks the derivative functions themselves the same way: the JVP function (with
    "fwd"), and for a scalar `f` its gradient (forward over reverse, reverse over reverse).
    Reverse mode alone ("rev") needs no forward rules (a function with only a defvjp rule)."""
    from .api import compile_derivative, grad
    from .boundary import as_function, bind, simple
    from .pytree import constant_tree, flatten
    args = tuple(args)
    f = as_function(f)
    if isinstance(f, types.MethodType) and isinstance(f.__func__, types.FunctionType):
        # model.loss: type(model).loss with the object first (its fields checked too)
        return check_grads(f.__func__, (f.__self__, *args), order, modes, eps, rtol, atol, seed)
    for m in modes:
        if m not in ("fwd", "rev"):
            raise ArgumentError(f"unknown mode {m!r} in check_grads; use 'fwd' and/or 'rev'")
    count = getattr(getattr(f, "__code__", None), "co_argcount", len(args))
    if not simple(f) or len(args) < count:  # *args, **kwargs, keyword-only parameters,
        args = tuple(bind(f, args))  # defaults left out: one value per parameter
    flat = [([], constant_tree(a)) if isinstance(a, (int, np.integer)) else flatten(a)
            for a in args]  # an int (a step count) is a constant of the code checked
    if any(tree.kind != "leaf" for _, tree in flat) or not simple(f):
        # containers: f's flat code for their structure is a function of their leaves (and
        # returns the leaves of a container result), checked as any function of arrays is
        for i, (leaves, tree) in enumerate(flat):
            if not all(node.diff for node in tree.leaves()):
                raise ArgumentError(f"check_grads: argument {i} holds an integer array or "
                                    "another object that gets no derivative; check_grads takes "
                                    "floating-point numbers and arrays, and containers of them")
        trees = tuple(tree for _, tree in flat)
        try:
            of_leaves = compile_derivative(f, "flat", None, True, trees)
        except ADCompileError as e:
            raise trimmed(e)
        return check_grads(of_leaves, [leaf for leaves, _ in flat for leaf in leaves], order,
                           modes, eps, rtol, atol, seed)
    for i, a in enumerate(args):
        if np.issubdtype(np.result_type(a), np.integer) or np.result_type(a).kind == "b":
            raise ArgumentError(f"check_grads: argument {i} is an integer; derivatives are taken "
                                "with respect to floating-point arguments")
    name = getattr(f, "__name__", repr(f))
    rng = np.random.default_rng(seed)
    u = tuple(_random_like(a, rng) for a in args)
    fwd = compile_derivative(f, "forward", None) if "fwd" in modes else None
    draws = Draws(f, args)  # every run of f below sees the random draws of the first
    if fwd is not None:  # (reverse mode alone needs no forward rules)
        out, d_out = fwd(*args, *u)
        d_out = _flat(d_out)
    numeric = _difference(f, args, u, eps, draws)
    if fwd is not None:
        _compare(d_out, numeric, rtol, atol,
                 f"forward mode of {name}: the JVP along a random direction disagrees with "
                 "central finite differences")
    if "rev" in modes:
        draws.restore()
        out, pullback = compile_derivative(f, "vjp", None)(*args)
        v = [_random_like(o, rng) for o in _flat(out)]
        gradients = pullback(_rebuild(out, iter(v)))
        reference = d_out if fwd is not None else numeric
        _compare(_dot(gradients, u), _dot(v, reference), rtol, atol,
                 f"reverse mode of {name}: the dot-product test <u, vjp(v)> == <v, jvp(u)> fails "
                 f"(against {'forward mode' if 'fwd' in modes else 'finite differences'})")
    if order > 1:
        if fwd is not None:
            check_grads(fwd, args + u, order - 1, modes, eps, rtol, atol, seed + 1)
        if "rev" in modes and not isinstance(out, tuple) and np.size(out) == 1:
            check_grads(grad(f, argnums=tuple(range(len(args)))), args, order - 1, modes, eps,
                        rtol, atol, seed + 2)


def _flat(x):
    """The arrays in a (nested) tuple or list of outputs, in order (derivative code hands back
    the tangents of a tuple as a list)."""
    return _leaves(x)


def _random_like(x, rng):
    """A random direction shaped like x: complex (both parts random) for a complex x."""
    dtype = np.result_type(x, 1.0)
    if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        return complex(rng.normal(), rng.normal()) if dtype.kind == "c" else float(rng.normal())
    d = rng.normal(size=np.shape(x))
    return (d + 1j * rng.normal(size=np.shape(x)) if dtype.kind == "c" else d).astype(dtype)


def _difference(f, args, u, eps, draws):
    """Central differences of every output of `f` along the direction `u`."""
    draws.restore()
    hi = _flat(f(*[a + eps * d for a, d in zip(args, u)]))
    draws.restore()
    lo = _flat(f(*[a - eps * d for a, d in zip(args, u)]))
    return [(_numbers(h) - _numbers(l_)) / (2 * eps) for h, l_ in zip(hi, lo)]


def _numbers(x):
    """An array of floats, or of complex numbers for complex values (their imaginary parts are
    compared too)."""
    x = np.asarray(x)
    return x.astype(np.result_type(x, 1.0))


def _dot(a, b):
    a = _flat(a) if isinstance(a, tuple) else a if isinstance(a, list) else [a]
    # Re(sum(x * y)): the pairing under which JAX's convention for complex values makes the
    # vjp the transpose of the jvp (d L = Re(g * d z), no conjugate)
    return math.fsum(float(np.real(np.sum(_numbers(x) * _numbers(y)))) for x, y in zip(a, b))


def _compare(actual, expected, rtol, atol, what):
    actual = actual if isinstance(actual, list) else [actual]
    expected = expected if isinstance(expected, list) else [expected]
    for k, (a, e) in enumerate(zip(actual, expected)):
        a, e = _numbers(a), _numbers(e)
        if np.shape(a) != np.shape(e):
            raise GradientCheckError(f"{what}: output {k} has shape {np.shape(a)}, expected "
                                     f"{np.shape(e)}")
        bad = ~(np.abs(a - e) <= atol + rtol * np.maximum(np.abs(a), np.abs(e)))
        if np.any(bad):
            worst = np.unravel_index(np.argmax(np.where(bad, np.abs(a - e), -1)), np.shape(a)) \
                if np.ndim(a) else ()
            raise GradientCheckError(
                f"{what}: output {k}{list(worst) if worst else ''} is {a[worst]!r}, expected "
                f"{e[worst]!r} (rtol={rtol}, atol={atol})")
