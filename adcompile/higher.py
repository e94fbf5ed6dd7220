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

import functools
import math
from typing import Any, Callable, Sequence

import numpy as np

from .errors import ADCompileError, ArgumentError, public

def _nums(argnums, n):
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _lists_at_most(args):
    """Whether the arguments are numbers, arrays and lists or tuples of them (the plain path)."""
    from .pytree import flatten

    def plain(tree):
        return tree.kind in ("leaf", "tuple", "list") and all(map(plain, tree.children))
    return all(plain(flatten(a)[1]) for a in args)


def _stacked(cols, out_shape, leaf_shape, rows_first):
    """Per-element derivatives as one array shaped out_shape + leaf_shape."""
    stacked = np.stack([np.asarray(c) for c in cols])
    if rows_first:  # one row per output element, each shaped like the leaf
        return np.reshape(stacked, tuple(out_shape) + tuple(leaf_shape))
    moved = np.moveaxis(np.reshape(stacked, (len(cols),) + tuple(out_shape)), 0, -1)
    return np.reshape(moved, tuple(out_shape) + tuple(leaf_shape))


def _zero_tangent(x):
    """A tangent of zeros shaped like `x`, a structure (a leaf without a gradient kept)."""
    from .pytree import flatten, unflatten
    leaves, tree = flatten(x)
    if tree.kind == "leaf":
        return _zero(x)
    return unflatten(tree, [_zero(v) if n.diff else v for v, n in zip(leaves, tree.leaves())])


def _tree_jacobian(f, args, argnums, forward):
    """jacfwd/jacrev where an argument or the result is a dict, a dataclass or an object: the
    result's structure holding, for each of its leaves, the argument's structure of arrays
    shaped (that leaf's shape + the argument leaf's shape); None where a leaf gets no gradient."""
    from .api import jvp, vjp
    from .pytree import flatten, unflatten
    nums = _nums(argnums, len(args))
    args = tuple(args)
    flat = {k: flatten(args[k]) for k in nums}
    wanted = {k: [i for i, n in enumerate(tree.leaves()) if n.diff or tree.kind == "leaf"]
              for k, (_, tree) in flat.items()}
    if forward:
        columns = {}  # (k, leaf index) -> per element of that leaf: the result's tangent leaves
        for k in nums:
            leaves, tree = flat[k]
            for i in wanted[k]:
                columns[k, i] = []
                for e in _basis(leaves[i]):
                    tangents = [_zero_tangent(a) for a in args]
                    parts = flatten(tangents[k])[0]
                    parts[i] = e
                    tangents[k] = unflatten(tree, parts) if tree.kind != "leaf" else e
                    out, d_out = jvp(f, args, tuple(tangents))
                    columns[k, i].append(flatten(d_out)[0])
        out_leaves, out_tree = flatten(out)
    else:
        out, pullback = vjp(f, *args)
        out_leaves, out_tree = flatten(out)
        rows = []  # per result leaf: per element, the gradients of every argument
        for o, value in enumerate(out_leaves):
            rows.append([pullback(unflatten(out_tree, [e if j == o else _zero(v) for j, v in
                                                      enumerate(out_leaves)]))
                         for e in _basis(value)])
    results = []
    for k in nums:
        leaves, tree = flat[k]
        per_out = []
        for o, value in enumerate(out_leaves):
            parts = []
            for n, i in enumerate(wanted[k]):
                if forward:
                    cols = [c[o] for c in columns[k, i]]
                else:
                    cols = [flatten(r[k])[0][n] for r in rows[o]]
                parts.append(_stacked(cols, np.shape(value), np.shape(leaves[i]), not forward))
            per_out.append(unflatten(tree, parts, only_diff=True) if tree.kind != "leaf"
                           else parts[0])
        results.append(unflatten(out_tree, per_out))
    return results[0] if isinstance(argnums, int) else tuple(results)


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


def _jacobian(columns, out_shape, x, rows_first):
    """Stack per-element derivatives into an array shaped out_shape + x's shape; for a list or
    tuple `x`, one such array per part, in x's structure (as a tuple)."""
    if isinstance(x, (list, tuple)):
        leaves, parts, start = _leaves(x), [], 0
        for k, leaf in enumerate(leaves):
            if rows_first:  # each row is a gradient shaped like x
                parts.append(_jacobian([_leaves(r)[k] for r in columns], out_shape, leaf, True))
            else:  # the columns run over x's parts in turn
                n = int(np.size(leaf))
                parts.append(_jacobian(columns[start:start + n], out_shape, leaf, False))
                start += n
        return tuple(_rebuild(x, iter(parts)))
    in_shape = np.shape(x)
    stacked = np.stack([np.asarray(c) for c in columns])   # (n, *other)
    if rows_first:  # columns are rows of the Jacobian: one per output element
        return np.reshape(stacked, tuple(out_shape) + tuple(in_shape))
    moved = np.moveaxis(np.reshape(stacked, (len(columns),) + tuple(out_shape)), 0, -1)
    return np.reshape(moved, tuple(out_shape) + tuple(in_shape))


def jacfwd(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The Jacobian of `f` by forward mode, one JVP per input element: `jacfwd(f)(x)` has shape
    `f(x).shape + x.shape`. A tuple `argnums` gives a tuple of Jacobians; a function returning a
    tuple gives one Jacobian (or tuple of them) per output; a list or tuple argument, a tuple of
    Jacobians, one per part (so `hessian` of a list argument has blocks `H[i][j]`)."""
    from .api import compile_derivative

    @public
    @functools.wraps(f)
    def jacobian(*args):
        nums = _nums(argnums, len(args))
        if not _lists_at_most(args):  # a dict, dataclass or object: structures of Jacobians
            return _tree_jacobian(f, args, argnums, forward=True)
        fwd = compile_derivative(f, "forward", nums)
        per_arg = []
        for k in nums:
            columns = []
            for e in _basis(args[k]):
                tangents = [e if j == k else _zero(args[j]) for j in nums]
                out, d_out = fwd(*args, *tangents)
                columns.append(d_out)
            per_arg.append(columns)
        out = f(*args)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        result = []
        for o, output in enumerate(outs):
            jacs = []
            for k, columns in zip(nums, per_arg):
                cols = [c[o] if isinstance(out, (tuple, list)) else c for c in columns]
                jacs.append(_jacobian(cols, np.shape(output), args[k], False))
            result.append(jacs[0] if isinstance(argnums, int) else tuple(jacs))
        return tuple(result) if isinstance(out, (tuple, list)) else result[0]
    jacobian.__doc__ = f"Jacobian of {getattr(f, '__name__', f)} by forward mode."
    return jacobian


def jacrev(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The Jacobian of `f` by reverse mode, one VJP per output element; shaped as in `jacfwd`."""
    from .api import compile_derivative

    @public
    @functools.wraps(f)
    def jacobian(*args):
        nums = _nums(argnums, len(args))
        if not _lists_at_most(args):
            return _tree_jacobian(f, args, argnums, forward=False)
        out, pullback = compile_derivative(f, "vjp", nums)(*args)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        result = []
        for o, output in enumerate(outs):
            rows = []
            for e in _basis(output):
                ct = tuple(e if j == o else _zero(x) for j, x in enumerate(outs)) \
                    if isinstance(out, (tuple, list)) else e
                rows.append(pullback(ct))
            jacs = tuple(_jacobian([r[i] for r in rows], np.shape(output), args[k], True)
                         for i, k in enumerate(nums))
            result.append(jacs[0] if isinstance(argnums, int) else jacs)
        return tuple(result) if isinstance(out, (tuple, list)) else result[0]
    jacobian.__doc__ = f"Jacobian of {getattr(f, '__name__', f)} by reverse mode."
    return jacobian


@public
def hessian(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The Hessian of the scalar function `f`: forward mode over the reverse-mode gradient,
    `jacfwd(grad(f, argnums), argnums)`. For `x` of shape (n,) it has shape (n, n); a tuple
    `argnums` gives the blocks `H[i][j]`."""
    from .api import grad
    return jacfwd(grad(f, argnums=argnums), argnums)


@public
def hvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> Any:
    """The Hessian of the scalar `f` at `primals` times `tangents`, by forward mode over reverse
    mode without forming the Hessian. One array per primal (the array itself for one primal)."""
    from .api import _check_pairs, compile_derivative, grad
    primals, tangents = _check_pairs(f, primals, tangents)
    nums = 0 if len(primals) == 1 else tuple(range(len(primals)))
    return compile_derivative(grad(f, argnums=nums), "forward", None)(*primals, *tangents)[1]


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
    Order 2 checks the derivative functions themselves the same way: the JVP function in every
    mode, and for a scalar `f` its gradient (forward over reverse, reverse over reverse).
    """
    from .api import compile_derivative, grad
    args = tuple(args)
    for m in modes:
        if m not in ("fwd", "rev"):
            raise ArgumentError(f"unknown mode {m!r} in check_grads; use 'fwd' and/or 'rev'")
    for i, a in enumerate(args):
        if np.issubdtype(np.result_type(a), np.integer) or np.result_type(a).kind == "b":
            raise ArgumentError(f"check_grads: argument {i} is an integer; derivatives are taken "
                                "with respect to floating-point arguments")
    name = getattr(f, "__name__", repr(f))
    rng = np.random.default_rng(seed)
    u = tuple(_random_like(a, rng) for a in args)
    fwd = compile_derivative(f, "forward", None)
    out, d_out = fwd(*args, *u)
    d_out = _flat(d_out)
    numeric = _difference(f, args, u, eps)
    if "fwd" in modes:
        _compare(d_out, numeric, rtol, atol,
                 f"forward mode of {name}: the JVP along a random direction disagrees with "
                 "central finite differences")
    if "rev" in modes:
        out, pullback = compile_derivative(f, "vjp", None)(*args)
        v = [_random_like(o, rng) for o in _flat(out)]
        gradients = pullback(_rebuild(out, iter(v)))
        reference = d_out if "fwd" in modes else numeric
        _compare(_dot(gradients, u), _dot(v, reference), rtol, atol,
                 f"reverse mode of {name}: the dot-product test <u, vjp(v)> == <v, jvp(u)> fails "
                 f"(against {'forward mode' if 'fwd' in modes else 'finite differences'})")
    if order > 1:
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


def _difference(f, args, u, eps):
    """Central differences of every output of `f` along the direction `u`."""
    hi = _flat(f(*[a + eps * d for a, d in zip(args, u)]))
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
