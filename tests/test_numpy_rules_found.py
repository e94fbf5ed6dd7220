"""Defects a tester found in NumPy rules (T25): np.transpose with negative axes reversed by
np.argsort of the axes as written, np.cumprod's rules dividing by x (NaN at a zero entry), and
reverse over reverse through np.angle of a complex value (imag_grad's rule took the real part
of a complex operand), np.cumulative_prod dividing by x as np.cumprod did, np.dstack of a list
a loop builds refused. Each checked against central finite differences."""
import numpy as np
import pytest

import adcompile as ad
from checks import assert_close, numeric_grad, numeric_jacobian

W = np.arange(24.0).reshape(4, 2, 3) / 10


def _transpose_neg(T):
    return np.sum(np.transpose(T, (-1, 0, -2)) ** 2 * W)


def _transpose_method_neg(T):
    return np.sum(T.transpose(-1, 0, 1) ** 2 * W)


def _transpose_method_tuple_neg(T):
    return np.sum(T.transpose((-1, 0, -2)) ** 2 * W)


def _moveaxis_neg(T):
    return np.sum(np.moveaxis(T, (-1, 0), (0, -1)) ** 2 * W.reshape(4, 3, 2))


def _swapaxes_neg(T):
    return np.sum(np.swapaxes(T, -1, 0) ** 2 * W.reshape(4, 3, 2))


TRANSPOSES = [_transpose_neg, _transpose_method_neg, _transpose_method_tuple_neg, _moveaxis_neg,
              _swapaxes_neg]
if hasattr(np, "permute_dims"):  # (NumPy 2.0)
    def _permute_dims_neg(T):
        return np.sum(np.permute_dims(T, (-1, 0, -2)) ** 2 * W)
    TRANSPOSES.append(_permute_dims_neg)


@pytest.mark.parametrize("f", TRANSPOSES, ids=lambda f: f.__name__)
def test_transpose_with_negative_axes_in_every_mode(f):
    T = np.linspace(0.5, 2.0, 24).reshape(2, 3, 4)
    expected = numeric_grad(f, (T,), 0)
    assert_close(ad.grad(f)(T), expected, what="grad")
    assert_close(ad.vjp(f, T)[1](1.0)[0], expected, what="vjp")
    d = np.cos(np.arange(24.0)).reshape(T.shape)
    assert np.isclose(ad.jvp(f, (T,), (d,))[1], np.sum(expected * d))
    # a Jacobian and reverse over reverse (the transposed rule transposed again)
    x = T.ravel()[:6]

    def h(v):
        return ad.grad(f)(np.concatenate([v, T.ravel()[6:]]).reshape(T.shape))

    hess = numeric_jacobian(lambda v: h(v).ravel()[:6], (x,), 0)
    assert_close(ad.jacrev(lambda v: h(v).ravel()[:6])(x), hess, rtol=1e-4, atol=1e-5)
    assert_close(ad.jacfwd(lambda v: h(v).ravel()[:6])(x), hess, rtol=1e-4, atol=1e-5)


def _cumsum_of_cumprod(x):
    return np.sum(np.cumprod(x) * np.array([1.0, 2.0, -1.0, 0.5, 3.0])[:np.size(x)])


def _cumprod_axis0(x):
    return np.sum(np.cumprod(x, axis=0) * np.arange(1.0, 1.0 + x.size).reshape(x.shape))


def _cumprod_axis_last(x):
    return np.sum(np.cumprod(x, axis=-1) * np.arange(1.0, 1.0 + x.size).reshape(x.shape))


def _cumprod_flat(x):
    return np.sum(np.cumprod(x) * np.arange(1.0, 1.0 + x.size))


CUMPRODS = [
    (_cumsum_of_cumprod, np.array([2.0, 0.0, 3.0])),
    (_cumsum_of_cumprod, np.array([0.0, 2.0, 3.0])),
    (_cumsum_of_cumprod, np.array([2.0, 3.0, 0.0])),
    (_cumsum_of_cumprod, np.array([2.0, 0.0, 3.0, 0.0, 1.5])),  # two zeros
    (_cumsum_of_cumprod, np.array([0.0, 0.0, 3.0, 1.0])),
    (_cumsum_of_cumprod, np.array([2.0, -1.5, 3.0, 0.7])),  # none
    (_cumprod_axis0, np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0], [2.0, 1.5, 0.0]])),
    (_cumprod_axis_last, np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0], [2.0, 1.5, 4.0]])),
    (_cumprod_flat, np.array([[1.0, 2.0, 0.5], [0.0, 3.0, 0.0]])),
]


@pytest.mark.parametrize("f, x", CUMPRODS, ids=[f"{f.__name__}-{i}" for i, (f, _) in
                                                   enumerate(CUMPRODS)])
def test_cumprod_exact_at_zero_entries(f, x):
    _exact_at_zero_entries(f, x)


def _exact_at_zero_entries(f, x):
    """grad and every jvp along an axis of f at x, against finite differences, with NumPy
    raising at a division by zero or an invalid value."""
    expected = numeric_grad(f, (x,), 0)
    with np.errstate(all="raise"):  # (no 0 / 0 on the way)
        assert_close(ad.grad(f)(x), expected, what="grad")
        for idx in np.ndindex(x.shape):
            e = np.zeros_like(x)
            e[idx] = 1.0
            assert np.isclose(ad.jvp(f, (x,), (e,))[1], expected[idx], atol=1e-9), idx


def test_cumprod_reported_point():
    def f(x):
        return np.sum(np.cumprod(x))
    x = np.array([2.0, 0.0, 3.0])
    assert_close(ad.grad(f)(x), [1.0, 8.0, 0.0])
    assert np.isclose(ad.jvp(f, (x,), (np.array([0.0, 1.0, 0.0]),))[1], 8.0)


@pytest.mark.parametrize("f, x", CUMPRODS, ids=[f"{f.__name__}-{i}" for i, (f, _) in
                                                   enumerate(CUMPRODS)])
def test_cumprod_second_derivatives(f, x):
    expected = numeric_jacobian(ad.grad(f), (x,), 0)
    flat = expected.reshape(x.size, x.size)
    assert_close(ad.hessian(f)(x).reshape(flat.shape), flat, rtol=1e-5, atol=1e-5)
    assert_close(ad.jacrev(ad.grad(f))(x).reshape(flat.shape), flat, rtol=1e-5, atol=1e-5)


def _angle(x):
    return np.angle(x[0] + 1j * x[1])


def _angle_squared(x):
    return np.angle((x[0] + 1j * x[1]) ** 2 * (x[2] - 0.5j))


def _imag_of_complex(x):
    z = x[0] + 1j * x[1]
    return np.imag(z * z * x[2]) + (z * z).imag * x[0]


def _real_conj_of_complex(x):
    z = x[0] + 1j * x[1] * x[2]
    return np.real(np.conj(z) * z * z) + np.abs(z) ** 2


@pytest.mark.parametrize("f", [_angle, _angle_squared, _imag_of_complex, _real_conj_of_complex],
                         ids=lambda f: f.__name__)
def test_second_derivatives_through_complex_parts(f):
    x = np.array([0.6, 0.8, 1.3])
    expected = numeric_jacobian(ad.grad(f), (x,), 0)
    assert_close(ad.hessian(f)(x), expected, rtol=1e-5, atol=1e-6, what="hessian")
    assert_close(ad.jacrev(ad.grad(f))(x), expected, rtol=1e-5, atol=1e-6, what="jacrev")
    assert_close(ad.jacfwd(ad.grad(f))(x), expected, rtol=1e-5, atol=1e-6, what="jacfwd")
    assert_close(ad.grad(lambda x: ad.grad(f)(x)[0])(x), expected[0], rtol=1e-5, atol=1e-6)


def test_nancumprod_exact_at_zero_entries():
    def f(x):
        return np.sum(np.nancumprod(x) * np.array([1.0, 2.0, -1.0, 0.5]))
    x = np.array([2.0, np.nan, 0.0, 3.0])
    expected = numeric_grad(f, (x,), 0)
    expected[1] = 0.0  # (a NaN entry: no derivative, 0 as np.nansum's)
    assert_close(ad.grad(f)(x), expected)
    e = np.array([0.0, 0.0, 1.0, 0.0])
    assert np.isclose(ad.jvp(f, (x,), (e,))[1], expected[2])


# --- np.cumulative_prod (NumPy 2.1) divided by x as np.cumprod did: NaN at a zero entry -------

def _cumulative_prod(x):
    return np.sum(np.cumulative_prod(x) * np.array([1.0, 2.0, -1.0, 0.5, 3.0])[:np.size(x)])


def _cumulative_prod_initial(x):
    w = np.array([3.0, 1.0, 2.0, -1.0, 0.5, 2.0])[:np.size(x) + 1]
    return np.sum(np.cumulative_prod(x, include_initial=True) * w)


def _cumulative_prod_axis0(x):
    return np.sum(np.cumulative_prod(x, axis=0) ** 2)


def _cumulative_prod_initial_last(x):
    ans = np.cumulative_prod(x, axis=-1, include_initial=True)
    return np.sum(ans * np.arange(1.0, 1.0 + ans.size).reshape(ans.shape))


CUMULATIVE_PRODS = [
    (_cumulative_prod, np.array([2.0, 0.0, 3.0])),
    (_cumulative_prod, np.array([0.0, 2.0, 0.0, 3.0])),
    (_cumulative_prod_initial, np.array([2.0, 0.0, 3.0])),
    (_cumulative_prod_initial, np.array([2.0, -1.5, 3.0, 0.7])),  # no zero
    (_cumulative_prod_axis0, np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0], [2.0, 1.5, 0.0]])),
    (_cumulative_prod_initial_last, np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.5]])),
]


@pytest.mark.skipif(not hasattr(np, "cumulative_prod"), reason="NumPy < 2.1")
@pytest.mark.parametrize("f, x", CUMULATIVE_PRODS, ids=[f"{f.__name__}-{i}" for i, (f, _) in
                                                           enumerate(CUMULATIVE_PRODS)])
def test_cumulative_prod_exact_at_zero_entries(f, x):
    """np.cumulative_prod's rules divided by x (a NaN gradient and tangent at a zero entry);
    they are np.cumprod's exact ones, the leading 1 of include_initial=True a constant."""
    _exact_at_zero_entries(f, x)
    hess = numeric_jacobian(ad.grad(f), (x,), 0).reshape(x.size, x.size)
    assert_close(ad.hessian(f)(x).reshape(hess.shape), hess, rtol=1e-5, atol=1e-5)
    assert_close(ad.jacrev(ad.grad(f))(x).reshape(hess.shape), hess, rtol=1e-5, atol=1e-5)


# --- np.dstack of a list a loop builds (as np.column_stack's) -----------------------------------

def _stacked(kind):
    def f(a, x):
        rows = []
        for i in range(3):
            rows.append(a * x[i])
        return np.sum(kind(rows) ** 2 * np.arange(1.0, 7.0).reshape(kind([a, a, a]).shape))
    f.__name__ = f"{kind.__name__}_of_built_list"
    return f


@pytest.mark.parametrize("kind", [np.dstack, np.hstack, np.vstack, np.stack, np.concatenate,
                                  np.column_stack], ids=lambda k: k.__name__)
def test_stack_of_a_list_a_loop_builds(kind):
    """np.dstack(rows), rows built by append in a loop, was refused as 'something other than a
    list or tuple'; the others of its family stack such a list already."""
    f = _stacked(kind)
    a, x = np.array([0.5, -1.0]), np.array([1.0, 2.0, 3.0])
    value, g = ad.value_and_grad(f, argnums=(0, 1))(a, x)
    assert value == pytest.approx(f(a, x))
    assert_close(g[0], numeric_grad(f, (a, x), 0), what="grad a")
    assert_close(g[1], numeric_grad(f, (a, x), 1), what="grad x")
    d = np.array([0.3, -0.2])
    assert np.isclose(ad.jvp(f, (a, x), (d, np.zeros(3)))[1], np.sum(g[0] * d))
    hess = numeric_jacobian(ad.grad(f), (a, x), 0)
    assert_close(ad.hessian(f)(a, x), hess, rtol=1e-5, atol=1e-5)
