"""Defects in derivative rules that testers found writing statistics and higher-order code
(likelihoods with zeros in the data, scipy.stats keywords, third derivatives), each checked
against finite differences or the exact expected value before its fix."""
import math

import numpy as np
import pytest

import adcompile as ad
from checks import assert_close, numeric_grad, numeric_jacobian

scipy = pytest.importorskip("scipy")
import scipy.special as sp  # noqa: E402
import scipy.stats as st  # noqa: E402


# --- x ** p at a zero base: the second derivatives in p were NaN (0 * log 0 and 0 / 0 in the
# derivatives of pow_dy), the first derivative handled x == 0 --------------------------------
def sum_of_powers(x, p):
    return np.sum(x ** p)


def power(x, p):
    return x ** p


def test_second_derivatives_of_a_power_at_a_zero_base_are_finite():
    x = np.array([0.0, 0.5, 2.0])
    with np.errstate(all="raise"):  # no 0 * inf, no 0 / 0 on the way
        h = ad.hessian(sum_of_powers, 1)(x, 2.5)
        mixed = ad.jacfwd(ad.grad(sum_of_powers, 1), 0)(x, 2.5)
        mixed_rev = ad.jacrev(ad.grad(sum_of_powers, 1), 0)(x, 2.5)
        hx = ad.hessian(sum_of_powers, 0)(x, 2.5)
    expected = sum(v ** 2.5 * math.log(v) ** 2 for v in (0.5, 2.0))
    assert h == pytest.approx(expected, rel=1e-12)
    dp = ad.grad(sum_of_powers, 1)
    with np.errstate(invalid="ignore"):  # (FD steps to a negative base: NaN, not compared)
        fd_p, fd_x = numeric_grad(dp, (x, 2.5), 1), numeric_jacobian(dp, (x, 2.5), 0)
    assert h == pytest.approx(fd_p, rel=1e-6)
    exact = [0.0] + [v ** 1.5 * (1 + 2.5 * math.log(v)) for v in (0.5, 2.0)]  # 0 at x == 0
    assert_close(mixed, exact, rtol=1e-12, what="d2/dx dp")
    assert_close(mixed_rev, exact, rtol=1e-12, what="d2/dx dp, reverse")
    assert_close(mixed[1:], fd_x[1:], what="FD away from 0")
    assert_close(np.diag(hx), [0.0] + [2.5 * 1.5 * v ** 0.5 for v in (0.5, 2.0)], rtol=1e-12)


def test_every_order_of_a_power_of_floats_at_a_zero_base():
    d_p = ad.grad(power, 1)
    d_pp = ad.grad(d_p, 1)
    assert d_pp(0.0, 2.5) == 0.0
    assert ad.grad(d_p, 0)(0.0, 2.5) == 0.0  # x ** 1.5 (1 + 2.5 log x) -> 0
    assert ad.grad(d_pp, 1)(0.0, 2.5) == 0.0
    assert ad.grad(d_pp, 0)(0.0, 2.5) == 0.0
    assert ad.grad(ad.grad(ad.grad(power, 0), 1), 0)(0.0, 2.5) == 0.0
    for x, p in ((0.7, 2.5), (1.8, -0.5)):  # away from zero: the same as before, by FD
        assert d_pp(x, p) == pytest.approx(numeric_grad(d_p, (x, p), 1), rel=1e-6)
        assert ad.grad(d_pp, 1)(x, p) == pytest.approx(numeric_grad(d_pp, (x, p), 1), rel=1e-6)
        assert ad.grad(d_pp, 0)(x, p) == pytest.approx(numeric_grad(d_pp, (x, p), 0), rel=1e-6)
        d_xp = ad.grad(ad.grad(power, 0), 1)
        assert ad.grad(d_xp, 0)(x, p) == pytest.approx(numeric_grad(d_xp, (x, p), 0), rel=1e-6)


def test_third_derivatives_of_a_power_of_arrays_at_a_zero_base():
    x = np.array([0.0, 0.5, 2.0])
    d_pp = ad.grad(ad.grad(sum_of_powers, 1), 1)
    with np.errstate(all="raise"):
        third = ad.grad(d_pp, 1)(x, 2.5)
        mixed = ad.grad(d_pp, 0)(x, 2.5)
    assert third == pytest.approx(sum(v ** 2.5 * math.log(v) ** 3 for v in (0.5, 2.0)))
    with np.errstate(invalid="ignore"):
        fd_p, fd_x = numeric_grad(d_pp, (x, 2.5), 1), numeric_grad(d_pp, (x, 2.5), 0)
    assert third == pytest.approx(fd_p, rel=1e-6)
    assert mixed[0] == 0.0
    assert_close(mixed[1:], fd_x[1:], what="d3/dx dp2")


def test_the_gradient_of_a_power_of_floats_stays_one_helper_call():
    assert "    grad_p = pow_dy(s0, x)\n" in ad.source(ad.grad(power, 1))
    assert ad.grad(power, 1)(0.0, 2.5) == 0.0
    assert type(ad.grad(power, 1)(1.5, 2.5)) is float


# --- xlogy(0, y) is 0 for every y: its derivative in y is 0 there, y == 0 included (NaN for
# arrays, a raw ZeroDivisionError for floats) ----------------------------------------------------
def bernoulli(eta, y):
    p = sp.expit(eta)
    return np.sum(sp.xlogy(y, p) + sp.xlogy(1.0 - y, 1.0 - p))


def bernoulli_of_floats(p, y):
    return sp.xlogy(y, p) + sp.xlogy(1.0 - y, 1.0 - p)


def xlog1py_of(y, x):
    return np.sum(sp.xlog1py(x, y))


def test_xlogy_has_derivative_zero_in_y_where_x_is_zero():
    eta, y = np.array([40.0, 0.3]), np.array([1.0, 0.0])
    g = ad.grad(bernoulli)(eta, y)
    assert np.all(np.isfinite(g))
    assert_close(g, numeric_grad(bernoulli, (eta, y), 0), what="FD")
    assert_close(g[1], -sp.expit(0.3))
    assert np.all(np.isfinite(ad.hessian(bernoulli)(eta, y)))
    assert ad.grad(bernoulli_of_floats)(1.0, 1.0) == pytest.approx(1.0)
    assert ad.grad(ad.grad(bernoulli_of_floats))(1.0, 1.0) == pytest.approx(-1.0)
    # where x != 0 the rule is unchanged
    assert ad.grad(bernoulli_of_floats)(0.3, 0.4) == pytest.approx(
        numeric_grad(bernoulli_of_floats, (0.3, 0.4), 0), rel=1e-6)
    assert ad.grad(bernoulli_of_floats, 1)(0.3, 0.4) == pytest.approx(
        numeric_grad(bernoulli_of_floats, (0.3, 0.4), 1), rel=1e-6)
    y1, x1 = np.array([-1.0, 0.5]), np.array([0.0, 2.0])
    assert_close(ad.grad(xlog1py_of)(y1, x1), [0.0, 2.0 / 1.5])


# --- scipy.stats with scale= and no loc=: refused with "scale= is not supported; supported
# keywords: ..., scale"; SciPy binds a left-out loc to its default ------------------------------
X = np.array([0.5, 1.2, 2.0])


def gamma_scaled(a, s):
    return np.sum(st.gamma.logpdf(X, a, scale=s))


def gamma_located(a, s):
    return np.sum(st.gamma.logpdf(X, a, loc=0.0, scale=s))


def norm_scaled(s):
    return np.sum(st.norm.pdf(X, scale=s))


def t_scaled(df, s):
    return np.sum(st.t.logpdf(X, df, scale=s))


def beta_scaled(a, b):
    return np.sum(st.beta.logpdf(X / 3, a, b, scale=1.0))


def norm_located(m):
    return np.sum(st.norm.logpdf(X, loc=m))


@pytest.mark.parametrize("f, args", [(gamma_scaled, (2.5, 1.3)), (norm_scaled, (1.3,)),
                                     (t_scaled, (4.0, 1.3)), (beta_scaled, (2.0, 3.0)),
                                     (norm_located, (0.4,))])
def test_stats_keywords_bind_as_scipy_binds_them(f, args):
    argnums = tuple(range(len(args)))
    got = ad.grad(f, argnums)(*args)
    for i in argnums:
        assert got[i] == pytest.approx(numeric_grad(f, args, i), rel=1e-6), i
    assert ad.value_and_grad(f, argnums)(*args)[0] == pytest.approx(f(*args))


def test_a_scale_without_loc_is_the_default_loc():
    assert ad.grad(gamma_scaled, (0, 1))(2.5, 1.3) == pytest.approx(
        ad.grad(gamma_located, (0, 1))(2.5, 1.3))


# --- third derivatives through np.abs, np.sinc and np.prod: refused naming the helpers of
# derivative code (phase_vjp, d2sinc, prod_others_tangent) ---------------------------------------
def cube_of_abs(x):
    return np.abs(x) ** 3


def sinc_and_prod(x):
    return np.sum(np.sinc(x)) + np.prod(x)


def sinc_of(x):
    return np.sinc(x)


def prod_of(x):
    return np.prod(x * x, axis=1)[0]


def test_third_derivatives_of_abs():
    d3 = ad.grad(ad.grad(ad.grad(cube_of_abs)))
    assert d3(-1.5) == pytest.approx(-6.0)
    assert d3(np.float64(0.7)) == pytest.approx(6.0)
    x = np.array([-1.5, 0.4])
    h = ad.hessian(lambda v: np.sum(np.abs(v) ** 3))
    assert_close(ad.jacfwd(h)(x), numeric_jacobian(h, (x,), 0), rtol=1e-6, what="FD")


def test_third_and_fourth_derivatives_of_sinc():
    d2 = ad.grad(ad.grad(sinc_of))
    d3 = ad.grad(d2)
    d4 = ad.grad(d3)
    for x in (0.3, -0.6, 2.5, 1e-4, 0.0, 7.3):
        assert d3(x) == pytest.approx(numeric_grad(d2, (x,), 0, eps=1e-5), rel=1e-5, abs=1e-6)
        assert d4(x) == pytest.approx(numeric_grad(d3, (x,), 0, eps=1e-5), rel=1e-5, abs=1e-6)
    assert d3(0.0) == 0.0 and d4(0.0) == pytest.approx(math.pi ** 4 / 5)


def test_third_derivatives_of_sinc_and_prod():
    x = np.array([0.3, -0.6, 0.8])
    h = ad.hessian(sinc_and_prod)
    assert_close(ad.jacfwd(h)(x), numeric_jacobian(h, (x,), 0), rtol=1e-6, atol=1e-7)
    assert_close(ad.jacrev(h)(x), numeric_jacobian(h, (x,), 0), rtol=1e-6, atol=1e-7)


def prod_of_line(s):
    return np.prod(s * np.array([1.0, 2.0, -1.0, 0.5]) + np.array([-1.0, 0.3, 2.0, 1.0]))


def test_third_and_fourth_derivatives_of_prod_with_a_zero_entry():
    x = np.array([[0.0, 1.5, -0.7, 2.0], [1.0, 2.0, 3.0, 0.5]])
    h = ad.hessian(prod_of)
    third = ad.jacfwd(h)(x)
    assert_close(third, numeric_jacobian(h, (x,), 0), rtol=1e-6, atol=1e-6, what="3rd")
    assert_close(ad.jacrev(h)(x), third, rtol=1e-12, atol=1e-12, what="3rd, reverse")
    d3 = ad.grad(ad.grad(ad.grad(prod_of_line)))
    d4 = ad.grad(d3)
    line = np.polynomial.Polynomial.fromroots([1.0, -0.15, 2.0, -2.0]) * -1.0  # (an entry is 0)
    assert d3(1.0) == pytest.approx(line.deriv(3)(1.0), rel=1e-12)
    assert d4(1.0) == pytest.approx(line.deriv(4)(1.0), rel=1e-12)
    assert d4(1.0) == pytest.approx(numeric_grad(d3, (1.0,), 0), rel=1e-6)


def complex_cube(x):
    return np.abs(x * (1.0 + 2.0j)) ** 3


def test_a_third_derivative_of_abs_of_a_complex_value_names_np_abs():
    d2 = ad.grad(ad.grad(complex_cube))
    assert d2(0.5) == pytest.approx(numeric_grad(ad.grad(complex_cube), (0.5,), 0), rel=1e-6)
    with pytest.raises(ad.ADCompileError, match=r"np\.abs.*third derivative") as info:
        ad.grad(d2)(0.5)
    assert info.value.line == complex_cube.__code__.co_firstlineno + 1
