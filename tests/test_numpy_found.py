"""Defects a tester found in NumPy simulation code (pairwise distances, particle-in-cell indices,
integrators that kick a velocity in place), each checked against central finite differences
and, where both modes apply, reverse against forward, before its fix."""
import math

import numpy as np
import pytest

import adcompile as ad
from checks import assert_close, numeric_grad, numeric_jacobian

POS = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])


def _modes_agree(f, args, argnums=0):
    """grad of f at args equals central differences, and jvp along each unit direction of
    argument `argnums` equals grad's entry (reverse against forward)."""
    g = ad.grad(f, argnums)(*args)
    assert np.all(np.isfinite(g)), g
    assert_close(g, numeric_grad(f, args, argnums), rtol=1e-5, atol=1e-6, what=f.__name__)
    x = np.asarray(args[argnums], dtype=float)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = 1.0
        tangents = tuple(e if k == argnums else np.zeros_like(np.asarray(a, dtype=float))
                         for k, a in enumerate(args))
        assert np.isclose(ad.jvp(f, args, tangents)[1], np.asarray(g)[idx], rtol=1e-7,
                          atol=1e-10), (f.__name__, idx)
    return g


# --- a norm's derivative at a zero vector: reverse mode multiplied the adjoint (0 there, the
# diagonal is overwritten) by x / |x| = 0 / 0, and the whole gradient came back NaN -----------
def pairwise_inverse(pos):
    r = np.linalg.norm(pos[:, None, :] - pos[None, :, :], axis=-1)
    np.fill_diagonal(r, 1.0)
    return np.sum(1.0 / r)


def pairwise_ord2(pos):
    r = np.linalg.norm(pos[:, None, :] - pos[None, :, :], ord=2, axis=-1)
    r = np.where(np.eye(3) > 0, 1.0, r)
    return np.sum(1.0 / r)


def pairwise_ord3(pos):
    r = np.linalg.norm(pos[:, None, :] - pos[None, :, :], ord=3, axis=2)
    r = np.where(np.eye(3) > 0, 1.0, r)
    return np.sum(1.0 / r)


def pairwise_vector_norm(pos):
    r = np.linalg.vector_norm(pos[:, None, :] - pos[None, :, :], axis=-1)
    r = np.where(np.eye(3) > 0, 1.0, r)
    return np.sum(r ** -2)


def pairwise_hypot(pos):
    r = np.hypot(pos[:, None, 0] - pos[None, :, 0], pos[:, None, 1] - pos[None, :, 1])
    r = np.where(np.eye(3) > 0, 1.0, r)
    return np.sum(1.0 / r)


def pairwise_fro(pos):
    d = pos[:, None, :, None] - pos[None, :, None, :]  # (3, 3, 2, 2): a zero matrix per i == j
    r = np.linalg.norm(d, "fro", axis=(-2, -1))
    r = np.where(np.eye(3) > 0, 1.0, r)
    return np.sum(1.0 / r)


@pytest.mark.parametrize("f", [pairwise_inverse, pairwise_ord2, pairwise_ord3,
                               pairwise_vector_norm, pairwise_hypot, pairwise_fro])
def test_a_norm_at_a_zero_vector_has_derivative_zero(f):
    g = _modes_agree(f, (POS,))
    if f is pairwise_inverse:
        assert np.isclose(g[1, 0], -2.17888, atol=1e-5)


def test_a_norm_of_zero_has_the_subgradient_zero():
    def norm(x):
        return np.linalg.norm(x)

    def norm_of_rows(x):
        return np.sum(np.linalg.norm(x, axis=1) * np.arange(1.0, 3.0))

    assert np.array_equal(ad.grad(norm)(np.zeros(3)), np.zeros(3))
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    assert_close(ad.grad(norm_of_rows)(x), [[0.0, 0.0], [1.2, 1.6]])
    assert ad.jvp(norm, (np.zeros(3),), (np.ones(3),))[1] == 0.0


# --- a cast to an integer or boolean dtype has derivative zero, as int(x): x.astype(int),
# np.asarray(x, dtype=int) and np.int64(x[0]) were refused ("astype has no derivative") -----
INT = np.int32


def cell_fraction(xp, dx):
    i = (xp / dx).astype(int)
    frac = xp / dx - i
    return np.sum(frac ** 2)


def cast_by_asarray(x):
    return np.sum(x * np.asarray(x, dtype=int)) + np.sum(x * np.ascontiguousarray(x, "bool"))


def cast_by_scalar_type(x):
    return x[1] * np.int64(x[0] * 2) + x[2] * np.float64(x[0]) + np.bool_(x[1]) * x[2] ** 2


def cast_by_named_dtype(x):
    dt = np.int64
    return np.sum(x * x.astype(dt)) + np.sum(x * x.astype("int16")) + np.sum(x * x.astype(INT))


def cast_in_a_fill(x):
    return np.sum(np.full(3, x[0] * 2, dtype=int) * x) + np.sum(np.array([x[1], x[2]], int) * x[0])


@pytest.mark.parametrize("f, args", [
    (cell_fraction, (np.array([0.13, 0.47, 0.88]), 0.2)),
    (cast_by_asarray, (np.array([1.3, -2.7, 0.4]),)),
    (cast_by_scalar_type, (np.array([1.3, 2.7, 0.4]),)),
    (cast_by_named_dtype, (np.array([1.3, -2.7, 0.4]),)),
    (cast_in_a_fill, (np.array([1.3, 2.7, 0.4]),))])
def test_a_cast_to_integers_has_derivative_zero(f, args):
    g = _modes_agree(f, args)
    if f is cell_fraction:
        assert_close(g, [6.5, 3.5, 4.0])
        assert np.isclose(ad.grad(f, 1)(*args), numeric_grad(f, args, 1), rtol=1e-6)
    if f is cast_by_scalar_type:  # (a float32 cast passes the derivative on, rounded)
        assert_close(ad.grad(lambda x: x[2] * np.float32(x[0]))(args[0]), [0.4, 0.0, 1.3])


def test_a_cast_to_a_dtype_known_only_at_run_time_is_still_refused():
    def f(x):
        return np.sum(x * x.astype(x.dtype))

    with pytest.raises(ad.NoDerivativeError, match="constant dtype"):
        ad.grad(f)(np.array([1.3, 2.7]))


# --- changing a view in place (`for row in U: row *= s`) is refused with advice to write through
# the array it views: the advice `row = row.copy()` would leave U unscaled, silently ---------
def scale_rows(U, s):
    U = U.copy()
    for row in U:
        row *= s
    return np.sum(U ** 2)


def scale_column(U, s):
    U = U.copy()
    col = U[:, 0]
    col *= s
    return np.sum(U ** 2)


@pytest.mark.parametrize("f", [scale_rows, scale_column])
def test_a_view_changed_in_place_is_refused_with_advice_to_write_through_its_base(f):
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(f, (0, 1))(np.ones((2, 3)), 0.5)
    message = str(info.value)
    assert "view of U" in message and "U[i] *=" in message and "U = U * " in message
    assert "would leave U unchanged" in message


# --- a helper changing its array argument with `v += ...`: the advice `v = v.copy()` (which the
# caller had already written) did not help; the message says what does ---------------------
def kick(v, a, dt):
    v += a * dt


def kicked(v0, a):
    v = v0.copy()
    kick(v, a, 0.1)
    return np.sum(v ** 2)


def kick_items(v, a, dt):
    v[:] += a * dt


def kicked_items(v0, a):
    v = v0.copy()
    kick_items(v, a, 0.1)
    return np.sum(v ** 2)


def test_a_helper_changing_its_argument_in_place_is_followed_into_the_caller():
    """(It was refused with advice to write v[:] += ...; since T52 §12 `v += ...` of an array
    argument is followed as that: the caller sees the change, as in Python.)"""
    for f in (kicked, kicked_items):
        g = ad.grad(f, (0, 1))(np.array([1.0, 2.0]), 0.5)
        assert_close(g[0], np.array([2.1, 4.1]))
        assert_close(g[1], 0.62)


def sum_into_a_0d_array(x):
    acc = np.zeros(())
    for i in range(x.shape[0]):
        acc += x[i] ** 2  # NumPy: a row does not fit a 0-d array
    return np.sum(acc)


def floats_into_ints(q):
    p = np.zeros(2, dtype=int)
    p += np.array([0.5, 1.5]) * q  # NumPy: floats are not written into ints
    return np.sum(p) * 1.0


def sum_of_squared_rows(x):
    acc = np.zeros(x.shape[1])
    for i in range(x.shape[0]):
        acc += x[i] ** 2
    return np.sum(acc * acc)


@pytest.mark.parametrize("f, x, error", [
    (sum_into_a_0d_array, POS, ValueError), (floats_into_ints, 0.3, TypeError)])
def test_in_place_operator_raises_where_numpy_does(f, x, error):
    """`acc += v` on an array writes into it: NumPy raises where the result has another shape or
    a dtype the array cannot hold. Flat code's `acc = acc + v` made a new array and returned a
    value and a gradient for a function that raises (T20)."""
    with pytest.raises(error):
        f(x)
    for run in (lambda: ad.value_and_grad(f)(x), lambda: ad.jvp(f, (x,), (np.ones_like(x),)),
                lambda: ad.vjp(f, x)):
        with pytest.raises(error):
            run()


def test_in_place_operator_that_fits_is_unchanged():
    _modes_agree(sum_of_squared_rows, (POS,))


# --- np.logaddexp of two -inf (log-space recursions with unreachable states): NaN derivatives ----
def forward_with_unreachable_states(x):
    a = x + np.array([0.0, -np.inf, -np.inf])
    b = np.logaddexp(a[1], a[2])  # -inf: both states unreachable
    return np.logaddexp(a[0], b)  # == x[0]


def constant_unreachable_states(x):
    alpha = np.full(3, -np.inf)
    alpha[0] = x[0]
    b = np.logaddexp(alpha[1], alpha[2])
    return np.logaddexp(alpha[0], b) + x[1]


def logaddexp_of_both(x, y):
    return np.sum(np.logaddexp(x, y) + np.logaddexp2(x, 2.0 * y))


def test_logaddexp_of_two_minus_infinities_has_finite_derivatives():
    """exp(x - ans) is exp(-inf + inf) = NaN where both are -inf; the weights are a sigmoid of
    x - y, one half where x == y (the limit along x == y)."""
    import warnings
    x = np.array([0.5, 0.3, 0.1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no inf - inf on the way
        assert_close(ad.grad(forward_with_unreachable_states)(x), [1.0, 0.0, 0.0])
        assert_close(ad.grad(constant_unreachable_states)(x), [1.0, 1.0, 0.0])
        _, t = ad.jvp(constant_unreachable_states, (x,), (np.ones(3),))
        assert_close(t, 2.0)
        _, t = ad.jvp(forward_with_unreachable_states, (x,), (np.array([1.0, 2.0, 3.0]),))
        assert_close(t, 1.0)


def test_logaddexp_derivatives_against_finite_differences():
    x, y = np.array([0.5, -0.2, 1.5]), np.array([0.3, -1.0, 2.0])
    for k in (0, 1):
        g = ad.grad(logaddexp_of_both, argnums=k)(x, y)
        assert_close(g, numeric_grad(logaddexp_of_both, (x, y), k), rtol=1e-6)
    h = ad.hessian(logaddexp_of_both)(x, y)
    numeric = numeric_jacobian(lambda *a: ad.grad(logaddexp_of_both)(*a), (x, y), 0)
    assert_close(h, numeric, rtol=1e-5, atol=1e-6)


def test_logaddexp_with_an_infinite_operand():
    """Against +inf the finite operand has weight 0, against -inf weight 1; two equal
    infinities share it."""
    x, y = np.array([0.5, 0.5, np.inf, -np.inf]), np.array([np.inf, -np.inf, np.inf, -np.inf])
    assert_close(ad.grad(logaddexp_of_both)(x, y), [0.0, 2.0, 1.0, 1.0])


def test_second_derivatives_through_a_norm_at_zero_are_nan_not_zero():
    """The Hessian of |w|**2 written with np.linalg.norm (or np.hypot, math.hypot) at w = 0 was
    0 where it is 2 I, and of cos(|w|) 0 where it is -I (T39: a rotation angle at the identity):
    the subgradient 0 that first derivatives take there loses the curvature, and no rule at the
    point can recover it. Second derivatives there are NaN (JAX's at first order already);
    first derivatives keep the subgradient, and away from zero nothing changes."""
    def sq_norm(w):
        th = np.linalg.norm(w)
        return th * th

    def cos_hypot(p):
        return np.cos(np.hypot(p[0], p[1]))

    def cos_math_hypot(a, b):
        return math.cos(math.hypot(a, b))

    for h in (ad.hessian(sq_norm)(np.zeros(3)), ad.jacrev(ad.grad(sq_norm))(np.zeros(3)),
              ad.hessian(cos_hypot)(np.zeros(2)), ad.grad(ad.grad(cos_math_hypot))(0.0, 0.0)):
        assert np.all(np.isnan(h)), h
    assert np.array_equal(ad.grad(sq_norm)(np.zeros(3)), np.zeros(3))
    assert_close(ad.hessian(sq_norm)(np.array([1e-9, 0.0, 0.0])), 2.0 * np.eye(3))
