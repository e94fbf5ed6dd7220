"""Defects a tester found in SciPy special functions and distributions: a Bessel function's
derivative in its real order taken as zero, multivariate_normal.logpdf with a scalar or diagonal
covariance, frozen distributions, and jit of math.lgamma's derivative (digamma)."""
import math

import numpy as np
import pytest

import adcompile as ad
from checks import assert_close, numeric_grad

special = pytest.importorskip("scipy.special")
stats = pytest.importorskip("scipy.stats")


def _check(f, args, argnums=None):
    """grad in each argument (or those of argnums), and jvp along each where all are
    differentiated, against central differences."""
    for i in range(len(args)) if argnums is None else argnums:
        want = numeric_grad(f, args, i)
        assert_close(ad.grad(f, i)(*args), want, what=f"grad {i}")
        if argnums is None:  # (jvp differentiates every argument it is given)
            tangents = tuple(np.ones_like(a) if k == i else np.zeros_like(a)
                             for k, a in enumerate(args))
            assert_close(ad.jvp(f, args, tangents)[1], np.sum(want), what=f"jvp {i}")


# --- the order v of iv and ive is a real number: its derivative was silently 0 (d/dv I_v(x) has
# no closed form): refused by name at the user's line; integer orders (polygamma's) stay zero ----
def modified_bessel(v, x):
    return special.iv(v, x)


def log_scaled_bessel(v, x):
    return np.log(special.ive(v, x))


@pytest.mark.parametrize("f", [modified_bessel, log_scaled_bessel])
def test_bessel_order_refused(f):
    for run in (lambda: ad.grad(f, 0)(1.5, 2.0), lambda: ad.jvp(f, (1.5, 2.0), (1.0, 0.0))):
        with pytest.raises(ad.NoDerivativeError) as info:
            run()
        assert info.value.line == f.__code__.co_firstlineno + 1
        assert info.value.filename == f.__code__.co_filename
        assert "argument v" in str(info.value) and "special.iv" in str(info.value)


@pytest.mark.parametrize("f", [modified_bessel, log_scaled_bessel])
def test_bessel_argument_still_differentiated(f):
    _check(f, (1.5, 2.0), argnums=(1,))
    assert_close(ad.jvp(lambda x: f(1.5, x), (2.0,), (1.0,))[1],
                 numeric_grad(f, (1.5, 2.0), 1), rtol=1e-6)
    x_twice = ad.grad(ad.grad(f, 1), 1)(1.5, 2.0)  # (the order v - 1 of the rule: not active)
    assert_close(x_twice, numeric_grad(ad.grad(f, 1), (1.5, 2.0), 1), rtol=1e-5)


def bessels(v, x):
    return special.jv(v, x) + special.yv(v, x) * special.kv(v, x) + special.kve(v, x) \
        + special.jve(v, x) * special.yve(v, x)


def test_other_bessels_in_x_refused_in_v():
    _check(bessels, (1.3, 2.2), argnums=(1,))
    assert_close(ad.jvp(lambda x: bessels(1.3, x), (2.2,), (1.0,))[1],
                 numeric_grad(bessels, (1.3, 2.2), 1), rtol=1e-6)
    assert_close(ad.grad(ad.grad(bessels, 1), 1)(1.3, 2.2),
                 numeric_grad(ad.grad(bessels, 1), (1.3, 2.2), 1), rtol=1e-5)
    with pytest.raises(ad.NoDerivativeError, match="argument v"):
        ad.grad(bessels, 0)(1.3, 2.2)


def polygamma_of(n, x):
    return special.polygamma(n, x) * x


def test_polygamma_order_is_an_integer():
    assert_close(ad.grad(polygamma_of, 1)(2, 1.7), numeric_grad(polygamma_of, (2, 1.7), 1),
                 rtol=1e-6)


# --- multivariate_normal.logpdf with cov a number (c I) or a vector (the diagonal), as SciPy
# reads them: the rules inverted cov as given (LinAlgError) ------------------------------------
X2 = np.array([0.1, 0.3])
X3 = np.array([0.1, 0.3, 0.5])


def mvn_of(x, m, c):
    return stats.multivariate_normal.logpdf(x, m, c)


def mvn_scalar(m, c):
    return stats.multivariate_normal.logpdf(X2, m, c)


def mvn_points(m, c):  # dim 1: the entries of X3 are three points
    return np.sum(stats.multivariate_normal.logpdf(X3, m, c) * np.array([1.0, 2.0, 3.0]))


def mvn_batch(m, c):
    x = np.array([[0.1, 0.3], [0.4, -0.2], [1.0, 0.5]])
    return np.sum(stats.multivariate_normal.logpdf(x, m, c) ** 2)


@pytest.mark.parametrize("f, args", [
    (mvn_scalar, (np.array([0.2, -0.1]), 1.7)),
    (mvn_scalar, (np.array([0.2, -0.1]), np.array([1.5, 0.7]))),
    (mvn_points, (0.2, 1.7)),
    (mvn_points, (np.array([0.2]), np.array([1.7]))),
    (mvn_points, (0.2, np.array([[1.7]]))),
    (mvn_batch, (np.array([0.2, -0.1]), 1.3)),
    (mvn_batch, (np.array([0.2, -0.1]), np.array([1.5, 0.7]))),
    (mvn_of, (np.array([0.4, -0.3]), np.array([0.2, -0.1]), 0.8)),
    (mvn_of, (0.4, np.array([0.2, -0.1]), np.array([1.5, 0.7]))),
    (mvn_of, (0.4, 0.1, 1.3)),
    (mvn_of, (np.array([[0.4, -0.3]]), np.array([0.2, -0.1]), np.array([1.5, 0.7]))),
])
def test_mvn_scalar_and_diagonal_cov(f, args):
    _check(f, args)


def test_mvn_second_order_through_diagonal_cov():
    args = (np.array([0.2, -0.1]), np.array([1.5, 0.7]))
    h = ad.hessian(mvn_scalar, 1)(*args)
    assert_close(h, [numeric_grad(lambda m, c, k=k: ad.grad(mvn_scalar, 1)(m, c)[k], args, 1)
                     for k in range(2)], rtol=1e-5)
    args = (np.array([0.2, -0.1]), 1.3)  # (c I: the trace, and back)
    assert_close(ad.hessian(mvn_batch, 1)(*args), numeric_grad(ad.grad(mvn_batch, 1), args, 1),
                 rtol=1e-5)
    assert_close(ad.jacfwd(ad.grad(mvn_batch, 1), 0)(*args),
                 numeric_grad(ad.grad(mvn_batch, 1), args, 0), rtol=1e-5)


# --- a frozen distribution, stats.norm(mu, s).logpdf(x), was refused as "the method .logpdf()
# of a number or array": its methods are the distribution's with the stored arguments ------------
XS = np.array([0.3, 1.2, 2.5])


def frozen_norm(mu, s):
    return np.sum(stats.norm(mu, s).logpdf(XS))


def frozen_t(nu, s):
    d = stats.t(nu, scale=s)
    return np.sum(d.logpdf(XS)) + np.sum(stats.norm(loc=nu).logcdf(XS))


def frozen_gamma(a, s):
    d = stats.gamma(a, loc=0.0, scale=s)
    return np.sum(d.pdf(XS) * XS)


@pytest.mark.parametrize("f, args", [(frozen_norm, (0.2, 1.3)), (frozen_t, (3.5, 1.2)),
                                     (frozen_gamma, (2.5, 1.5))])
def test_frozen_distribution(f, args):
    _check(f, args)


def frozen_mean(mu, s):
    return stats.norm(mu, s).mean()


def frozen_mvn(m, c):
    d = stats.multivariate_normal(m, c)
    return d.logpdf(X2) + np.sum(stats.dirichlet(m + 2.0).logpdf(np.array([[0.3], [0.7]])))


def test_frozen_multivariate():
    _check(frozen_mvn, (np.array([0.2, -0.1]), np.array([1.5, 0.7])))


def test_frozen_without_rule_refused():
    with pytest.raises(ad.NoDerivativeError, match="stats.norm.mean") as info:
        ad.grad(frozen_mean)(0.2, 1.3)
    assert info.value.line == frozen_mean.__code__.co_firstlineno + 1
    assert info.value.filename == frozen_mean.__code__.co_filename


def frozen_fields(mu, s):
    d = stats.norm(loc=mu, scale=s)
    return d.kwds["scale"] * d.dist.logpdf(0.5, d.kwds["loc"], 2.0)


def test_frozen_fields_read():
    _check(frozen_fields, (0.2, 1.3))


# --- jit(grad(f)) of math.lgamma: its derivative calls the helper polygamma (digamma), which had
# no Numba version, and the message did not name it -----------------------------------------
def lgamma_twice(a):
    return math.lgamma(a) * 2.0


def test_jit_of_lgamma_derivative():
    pytest.importorskip("numba")
    for a in (0.3, 2.5, 7.25, 40.0, -1.5):
        got = ad.jit(ad.grad(lgamma_twice))(a)
        assert_close(got, 2 * special.digamma(a), rtol=1e-12, atol=1e-12)
        assert_close(got, ad.grad(lgamma_twice)(a), rtol=1e-13, atol=1e-13)
    second = ad.jit(ad.grad(ad.grad(lgamma_twice)))
    for a in (0.3, 2.5, 25.0):
        assert_close(second(a), 2 * special.polygamma(1, a), rtol=1e-12)


def test_numba_polygamma_is_the_runtimes():
    numba = pytest.importorskip("numba")
    from adcompile import jit_helpers, numerics
    compiled = numba.njit(jit_helpers._polygamma)
    for n in (0, 1, 2, 5):
        for x in (0.01, 0.7, 3.0, 19.5, 33.0, 1e6, -2.5):
            assert_close(compiled(n, x), numerics.polygamma(n, x), rtol=1e-13, atol=0.0)
            assert_close(compiled(n, x), special.polygamma(n, x), rtol=1e-11, atol=0.0)
    assert math.isnan(compiled(0, -2.0)) and math.isnan(compiled(1, 0.0))


def median_of(x):
    return np.median(x) * 2.0


def test_jit_names_the_helper_without_numba_version():
    pytest.importorskip("numba")
    import re
    try:
        ad.jit(ad.grad(median_of))(np.array([0.3, 0.5, 0.9]))
    except ad.ADCompileError as e:
        found = re.search(r"adcompile's helper `(\w+)`", str(e))
        assert found and re.search(rf"\b{found.group(1)}\(", ad.source(ad.grad(median_of)))
        assert e.line == median_of.__code__.co_firstlineno + 1
    else:
        pytest.skip("every helper of np.median's gradient has a Numba version now")
