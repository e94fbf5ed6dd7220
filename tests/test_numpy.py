"""NumPy breadth: every rule checked in both modes. Forward mode against central finite
differences along a random direction, reverse mode against forward mode by the dot-product test
<u, vjp(v)> == <v, jvp(u)>, and grad against finite differences element by element.
Hypothesis draws the shapes, axes and values where shapes matter."""
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from adcompile import ArgumentError, NoDerivativeError, grad, jvp, source, value_and_grad, vjp
from checks import assert_close, inner, numeric_grad

SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
RNG = np.random.default_rng(0)


def check(f, *args, rtol=1e-5, atol=1e-6, seed=0):
    """Both modes of f at args; the gradient of a scalar f against finite differences."""
    rng = np.random.default_rng(seed)
    u = [rng.normal(size=np.shape(a)) if np.ndim(a) else 0.0 if type(a) is int else rng.normal()
         for a in args]  # an int argument (an index) is held fixed
    out, tangent = jvp(f, args, u)
    assert_close(out, f(*args), what=f"{f.__name__}: primal output")
    eps = 1e-6
    hi = f(*[a + eps * d if type(a) is not int else a for a, d in zip(args, u)])
    lo = f(*[a - eps * d if type(a) is not int else a for a, d in zip(args, u)])
    assert_close(tangent, (np.asarray(hi) - lo) / (2 * eps), rtol=rtol, atol=atol,
                 what=f"{f.__name__}: forward mode against finite differences")
    value, pullback = vjp(f, *args)
    v = rng.normal(size=np.shape(value)) if np.ndim(value) else rng.normal()
    grads = pullback(v)
    for g, a in zip(grads, args):
        assert np.shape(g) == np.shape(a), f"{f.__name__}: gradient shape {np.shape(g)}"
    assert np.isclose(inner(grads, u), inner([v], [tangent]), rtol=1e-7, atol=1e-8), \
        f"{f.__name__}: reverse mode disagrees with forward mode"
    if np.size(out) == 1 and sum(np.size(a) for a in args) <= 40:
        every = tuple(i for i, a in enumerate(args) if type(a) is not int)
        for i, g in zip(every, grad(f, argnums=every)(*args)):
            assert_close(g, numeric_grad(f, args, i), rtol=max(rtol, 1e-4), atol=1e-5,
                         what=f"{f.__name__}: grad against finite differences, argument {i}")


def arr(*shape, lo=-1.0, hi=1.0):
    return RNG.uniform(lo, hi, size=shape)


# --- indexing ----------------------------------------------------------------------------------
IDX = np.array([0, 2, 2, 1])
MASK = np.array([True, False, True, True])


def index_basic(x):
    return x[1] * x[-1, ::-1] + x[:, 0][:3] @ x[2, ::-1] + x[1, 2] * x[::2, -2].sum()


def index_integer_array(x):
    return np.sum(x[IDX] ** 2) + np.sum(x[[0, 3], 1:]) + x[IDX, IDX[::-1]] @ x[IDX, 1]


def index_boolean_mask(x):
    return np.sum(x[MASK] ** 2) + np.sum(x[x > 0.2] * 3.0) + np.sum(x[:, MASK[:3]])


def index_by_argument(x, i):
    return x[i] * x[i + 1]


def test_indexing():
    x = arr(4, 3)
    check(index_basic, x)
    check(index_integer_array, np.abs(x) + 0.1)
    check(index_boolean_mask, x)
    check(index_by_argument, arr(5), 2)


def test_repeated_indices_accumulate_in_reverse_mode():
    def f(x):
        return np.sum(x[[0, 0, 0, 2]])

    assert list(grad(f)(np.zeros(3))) == [3.0, 0.0, 1.0]
    assert "getitem_grad" in source(grad(f))


@SETTINGS
@given(st.data())
def test_slices_of_drawn_shapes(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=False, allow_ellipsis=False))
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2)))

    def take(x):
        return np.sum(np.sin(x[INDEX]))

    globals()["INDEX"] = index
    g = grad(take)(x)
    expected = np.zeros_like(x)
    np.add.at(expected, index, np.cos(x[index]))
    assert_close(g, expected)


# --- shapes --------------------------------------------------------------------------------
def shape_ops(x):
    a = np.reshape(x, (3, 4)).T @ x.reshape(4, 3).T
    b = np.ravel(x) * x.flatten()[::-1]
    c = np.transpose(np.expand_dims(x, 0), (2, 0, 1)) * np.moveaxis(x.T[None], 0, 1)
    d = np.swapaxes(x, 0, 1) @ x + x.swapaxes(0, 1).sum()
    return np.sum(a ** 2) + np.sum(b) + np.sum(np.squeeze(c) ** 2) + np.sum(d * np.flip(d, 0))


def stacks(x, y, s):
    a = np.concatenate([x, y * s], axis=0)
    b = np.concatenate((x.T, y.T), axis=1)
    c = np.stack([x, y], axis=1) * np.stack((y, x)) [0][:, None]
    d = np.hstack([x, y]) * np.vstack([x, y, x])[:3, :1]
    e = np.hstack([x[0], y[1], np.ravel(s)]) @ np.vstack((x, y)).ravel()[:9]
    return np.sum(a ** 2) + np.sum(b * b.T.sum()) + np.sum(c ** 3) + np.sum(d ** 2) + e


def stack_negative_axis(x, y):
    return np.sum(np.stack([x, y * x], axis=-1) ** 2 * np.arange(2.0))


def concatenate_flat(x, y):
    return np.sum(np.concatenate([x, y], axis=None) ** 3)


def split_tile_repeat(x):
    a, b = np.split(x, 2, axis=1)
    c = np.tile(x[0], (2, 3)) * np.tile(x, 2)[:, :4].sum()
    d = np.repeat(x, 2, axis=0) ** 2 + np.repeat(x[:, :1], 3, axis=1).sum()
    e = np.repeat(x, 2) + x.repeat(np.array([1, 0, 2, 1]), axis=1).sum()
    return np.sum(a * b) + np.sum(c ** 2) + np.sum(d) + np.sum(np.sin(e)) + \
        np.sum(np.broadcast_to(x[0], (3, 4)) ** 2)


def array_of_scalars(a, b, c):
    v = np.array([a * b, a + c, 2.0, c])
    m = np.array([[a, b], [b * c, 1.0]])
    return v @ v + np.sum(m @ m)


def test_shapes():
    x, y = arr(3, 4), arr(3, 4)
    check(shape_ops, x)
    check(stacks, x, y, 0.7)
    check(stack_negative_axis, arr(5), arr(5))
    check(concatenate_flat, x, arr(2))
    check(split_tile_repeat, x)
    check(array_of_scalars, 0.5, -1.5, 2.0)


def test_sequence_rules_read_well():
    src = source(grad(stack_negative_axis, argnums=(0, 1)))
    assert "np.stack((x, s0), axis=-1)" in src and "[..., 1]" in src and "[..., 0]" in src
    fwd = source(stack_negative_axis, mode="forward", argnums=(0, 1))
    assert "zeros_like" not in fwd  # the two one-slot tangents are merged into one np.stack
    src = source(grad(array_of_scalars, argnums=(0, 1, 2)))
    assert "grad_v[0]" in src and "np.array((s0, s1, 2.0, c))" in src


# --- elementwise ---------------------------------------------------------------------------
def elementwise(x):
    return np.sum(np.log1p(x) + np.expm1(x) + np.log2(x + 1) * np.log10(x + 2) + np.arcsin(x / 2)
                  + np.arccos(x / 3) + np.arctan(x) + np.sinh(x) * np.cosh(x) + np.reciprocal(x + 2)
                  + np.cbrt(x + 2) + np.exp2(x) + np.arcsinh(x) + np.arctanh(x / 2) + np.fabs(x))


def two_operands(x, y):
    return np.sum(np.arctan2(y, x) + np.hypot(x, y) + np.logaddexp(x, y) * np.sign(x - y))


def clip_where(x, lo):
    a = np.clip(x, -0.5, 0.5) + x.clip(lo, 0.3) * x.clip(None, 0.2)
    b = np.where(x > 0, x ** 2, np.sin(x)) + np.where(x < lo, lo, x * 2)
    return np.sum(a * b)


def test_elementwise():
    x = np.array([0.3, -0.45, 0.7, 0.15, -0.8])
    check(elementwise, x)
    check(two_operands, x, arr(5, lo=0.1))
    check(clip_where, np.array([-0.9, -0.55, -0.2, 0.1, 0.4, 0.7, 0.95]), 0.05)


def test_sign_has_zero_derivative_and_no_zero_product():
    def f(x):
        return np.sum(np.sign(x) * x)

    assert list(grad(f)(np.array([-2.0, 3.0]))) == [-1.0, 1.0]
    assert not re.search(r"(?<![\w.])0 \*", source(grad(f)))


# --- reductions ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "var", "std"])
@SETTINGS
@given(data=st.data())
def test_reductions_with_drawn_axes(name, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1) | st.just(
        tuple(range(len(shape)))[:2]))
    keepdims = data.draw(st.booleans())
    # distinct values away from 0: max and min have no ties, prod no zeros
    n = int(np.prod(shape))
    values = data.draw(st.permutations(list(range(n)))) if n else []
    x = (np.array(values, dtype=float).reshape(shape) / max(n, 1) + 0.5) * data.draw(
        st.sampled_from([1.0, -1.0]))
    reduced = n // max(np.size(np.sum(x, axis=axis)), 1)
    assume(name != "std" or reduced > 1)  # the std of one number is 0, where it has no derivative
    globals().update(AXIS=axis, KEEP=keepdims)
    check(REDUCERS[name], x, rtol=1e-4)


def reduce_sum(x):
    return np.sum(np.sin(np.sum(x, axis=AXIS, keepdims=KEEP)))


def reduce_mean(x):
    return np.sum(np.sin(x.mean(axis=AXIS, keepdims=KEEP)))


def reduce_prod(x):
    return np.sum(np.sin(np.prod(x, axis=AXIS, keepdims=KEEP)))


def reduce_max(x):
    return np.sum(np.sin(x.max(axis=AXIS, keepdims=KEEP)))


def reduce_min(x):
    return np.sum(np.sin(np.min(x, axis=AXIS, keepdims=KEEP)))


def reduce_var(x):
    return np.sum(np.sin(np.var(x, axis=AXIS, keepdims=KEEP)))


def reduce_std(x):
    return np.sum(np.sin(x.std(axis=AXIS, ddof=0, keepdims=KEEP) + 1.0))


REDUCERS = {"sum": reduce_sum, "mean": reduce_mean, "prod": reduce_prod, "max": reduce_max,
            "min": reduce_min, "var": reduce_var, "std": reduce_std}


def reductions_misc(x):
    return np.var(x, ddof=1) + np.std(x, axis=0, ddof=1).sum() + np.sum(np.cumsum(x, axis=1) ** 2) \
        + np.sum(np.cumsum(x) * np.arange(12.0)) + x.cumsum(0)[-1] @ x[0] + np.amax(x) * np.amin(x)


def norms(x, v):
    return np.linalg.norm(v) + np.linalg.norm(x) + np.linalg.norm(x, axis=1) @ v[:3] \
        + np.sum(np.linalg.norm(x, axis=0, keepdims=True) * x) + np.linalg.norm(v, ord=1) \
        + np.linalg.norm(v, np.inf) + np.linalg.norm(x, "fro") + np.linalg.norm(v, 3)


def test_other_reductions_and_norms():
    x = np.arange(12.0).reshape(3, 4) / 7 - 0.8
    check(reductions_misc, x)
    check(norms, x, np.array([0.3, -1.2, 0.5, 0.9]))


def test_max_splits_the_gradient_evenly_among_ties():
    def f(x):
        return np.max(x) + x.min(axis=1).sum()

    g = grad(f)(np.array([[1.0, 3.0, 3.0], [0.0, 0.0, 2.0]]))
    assert_close(g, [[1.0, 0.5, 0.5], [0.5, 0.5, 0.0]])
    _, t = jvp(f, (np.array([[1.0, 3.0, 3.0], [0.0, 0.0, 2.0]]),), (np.ones((2, 3)),))
    assert t == 3.0  # 1 for the max, 1 for each row's min


# --- products and linear algebra -------------------------------------------------------------
def products(A, B, u, v):
    return np.sum(np.dot(A, B) ** 2) + u @ A @ v[:4] + np.sum(np.outer(u, v) ** 2) \
        + np.inner(u, u) + np.sum(np.inner(A, B.T)) + np.sum(np.tensordot(A, B, axes=1)) \
        + np.tensordot(A, A, axes=2) + np.sum(np.tensordot(A, B.T, axes=([1], [1]))) \
        + np.trace(A @ B) + np.trace(np.outer(u, u), offset=1)


def einsums(A, B, C):
    return np.einsum("ij,jk->ik", A, B).sum() + np.einsum("ii->", A @ B) \
        + np.einsum("ij->", A) ** 2 + np.sum(np.einsum("ij,j->i", A, B[:, 0]) ** 2) \
        + np.sum(np.einsum("bij,bjk->bik", C, C)) + np.einsum("ij,jk", A, B).trace() \
        + np.sum(np.einsum("ii->i", B @ A) ** 3) + np.einsum("i,i", A[0], A[1])


def linear_algebra(M, b, R):
    x = np.linalg.solve(M, b)
    X = np.linalg.solve(M, R)
    sign, logdet = np.linalg.slogdet(M)
    return x @ x + np.sum(X ** 2) + np.sum(np.linalg.inv(M) ** 2) + np.linalg.det(M) + logdet \
        + np.linalg.slogdet(M @ M)[1] * sign


def test_products():
    A, B = arr(3, 4), arr(4, 3)
    check(products, A, B, arr(3), arr(5))
    check(einsums, arr(3, 3), arr(3, 3), arr(2, 3, 3))


def test_linear_algebra():
    M = np.eye(3) * 2 + arr(3, 3) * 0.3
    check(linear_algebra, M, arr(3), arr(3, 2))
    src = source(grad(linear_algebra))
    assert "np.linalg.solve(mT(M), " in src and "mT(np.linalg.inv(M))" in src


def test_einsum_gradients_are_einsums():
    src = source(grad(einsums, argnums=(0, 1, 2)))
    assert "np.einsum('ik,kj->ij'" in src or "np.einsum('ik,jk->ij'" in src
    assert "np.eye(" in src  # the diagonal 'ii->' of a matrix


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2 ** 32 - 1))
def test_matmul_and_dot_of_drawn_shapes(n, m, k, seed):
    rng = np.random.default_rng(seed)
    A, B, v = rng.normal(size=(n, m)), rng.normal(size=(m, k)), rng.normal(size=m)
    check(matmuls, A, B, v, seed=seed)


def matmuls(A, B, v):
    return np.sum(np.tanh(A @ B)) + np.sum(np.dot(A, v) ** 2) + v @ B @ B.T @ v


# --- methods, creation, dtypes, errors -----------------------------------------------------
def methods(x):
    return x.max(axis=1).sum() + x.mean() + x.clip(-0.5, 0.5).prod() + x.var() + x.std(axis=0).sum() \
        + x.cumsum().sum() + x.ravel()[2] + x.T.trace() + x.sum(axis=(0, 1), keepdims=True)[0, 0] \
        + x.squeeze().dot(x.T).sum() + x.copy().min()


def creation(x):
    z = np.zeros(3) + np.ones((3,)) * np.arange(3) + np.eye(3)[0] + np.full(3, 2.0)
    w = np.zeros_like(x) + np.ones_like(x) + np.linspace(0.0, 1.0, 3) + np.identity(3)[1]
    return np.sum(x * z * w) + np.sum(np.zeros(3, dtype=np.float32)) + np.sum(np.empty(0))


def test_methods_and_constants():
    check(methods, np.array([[0.3, -0.7, 0.1], [0.9, -0.2, 0.6], [0.45, 0.05, -0.35]]))
    check(creation, arr(3))


def float32_loss(x, W):
    h = np.tanh(W @ x)
    return np.sum(h[[0, 2]] ** 2) + np.max(h) + np.mean(np.clip(x, -0.5, 0.5)) \
        + np.linalg.norm(x) + np.sum(np.concatenate([x, h])) + np.einsum("ij->", W) \
        + np.sum(np.where(x > 0, x, 0.0)) + np.var(W, axis=0).sum() + np.prod(x[:2])


def test_float32_in_float32_out():
    x, W = arr(3).astype(np.float32), arr(3, 3).astype(np.float32)
    gx, gW = grad(float32_loss, argnums=(0, 1))(x, W)
    assert gx.dtype == np.float32 and gW.dtype == np.float32
    _, t = jvp(float32_loss, (x, W), (np.ones(3, np.float32), np.ones((3, 3), np.float32)))
    assert t.dtype == np.float32


def test_integer_arguments_are_not_differentiable():
    def f(x, n):
        return np.sum(x * n)

    with pytest.raises(ArgumentError, match="integer array"):
        grad(f)(np.arange(3), 2.0)
    with pytest.raises(ArgumentError, match="floating-point"):
        value_and_grad(f, argnums=(0, 1))(np.ones(3), 2)
    assert list(grad(f)(np.ones(3), 2)) == [2.0, 2.0, 2.0]  # n is not in argnums


def test_unsupported_forms_name_the_fix():
    def ellipsis(x):  # ('...' first, as in '...i', has a rule)
        return np.einsum("i...->i...", x)

    with pytest.raises(NoDerivativeError, match="einsum"):
        grad(ellipsis)


# --- the rule tables themselves -----------------------------------------------------------------
def test_every_rule_template_parses_into_primitives():
    from adcompile import rules, templates
    for table in (rules.DERIVATIVES, rules.VJP, rules.JVP):
        for prim, entry in table.items():
            if callable(entry):
                continue
            for template in entry:
                if template is not None:
                    templates.parse(template)  # raises for a call to a non-primitive
    for modes in rules.SPECIAL.values():
        for mode, entry in modes.items():
            if mode in ("vjp", "jvp"):
                for template in entry:
                    templates.parse(template)


def test_every_differentiable_primitive_has_rules_in_both_modes():
    from adcompile import rules
    from adcompile.custom import USER
    from adcompile.primitives import PRIMS
    forward = set(rules.DERIVATIVES) | set(rules.JVP) | set(rules.LINEAR)
    reverse = set(rules.DERIVATIVES) | set(rules.VJP)
    # tuples carry no derivative; norm_grad (ord other than None or "fro") is a first-order
    # helper: differentiating it again names it in a NoDerivativeError; the helpers of
    # batch.py are only in code that runs: code differentiated again is built without them;
    # np.gradient's spacing helpers are first-order only (refused again, at the line, by name)
    allowed = {"tuple", "norm_grad", "matmul_steps_left", "matmul_steps_right", "spacing_grad",
               "spacing_jvp"} | USER
    differentiable = {n for n, p in PRIMS.items() if p.kind != "nondiff"} - allowed
    assert not differentiable - forward, "no forward rule"
    assert not differentiable - reverse, "no reverse rule"
