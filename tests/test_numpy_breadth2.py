"""NumPy breadth, continued (test_numpy_breadth.py's table style): indices and counts, which
have derivative zero, and float_power, vdot, ptp, diagflat, quantiles, trapezoid, interp,
polyval, cov and corrcoef, each checked forward against finite differences, reverse against
forward and (order 2) their second derivatives."""
import numpy as np
import pytest

from adcompile import NoDerivativeError, grad, jvp
from adcompile.higher import check_grads
from test_numpy_breadth import arr, case, distinct

R = np.random.default_rng(2)
XP = np.array([0.0, 0.3, 0.6, 1.0])


def steps(*shape, axis=-1):
    """Increasing sample points: cumulative sums of positive steps."""
    return np.cumsum(R.uniform(0.5, 1.0, size=shape), axis=axis)


# --- integer and boolean results: derivative zero ------------------------------------------------
def lower_triangle(w): return np.sum(w[np.tril_indices(3)] ** 2)
def upper_triangle(w):
    r, c = np.triu_indices(w.shape[0], 1)
    return np.sum(np.sin(w[r, c])) + np.sum(w[np.tril_indices(3, -1, 4)] ** 3)
def diagonal_indices(w): return np.sum(w[np.diag_indices(3)] ** 2) * w[0, 1]
def index_grid(w): return np.sum(w ** 2 * np.indices((3, 4))[0] + w * np.indices((3, 4))[1])
def counted(x): return x[0] * np.count_nonzero(x > 0.5) + np.sum(x * np.count_nonzero(x, axis=0))
def binned(x):
    bins = np.array([0.2, 0.6])
    return np.sum(x ** 2 * np.searchsorted(bins, x)) + np.sum(x * np.digitize(x, bins, right=True))


def test_tril_indices_route_the_gradient_to_the_triangle():
    w = arr(3, 3)
    np.testing.assert_allclose(grad(lower_triangle)(w), 2 * np.tril(w))


# --- differentiable ------------------------------------------------------------------------------
POS = arr(2, 3, lo=0.3, hi=1.5)


def float_powers(x): return np.float_power(x, 2.5) + np.float_power(x, x[::-1]) * 2.0
def vdots(x): return np.vdot(x, x[::-1] ** 2) * x
def ptps(x): return np.ptp(x, axis=1) ** 2 + np.ptp(x) + np.sum(np.ptp(x, 0, keepdims=True) * x)
def diagflats(x): return np.diagflat(x, 1) ** 2 + np.diagflat(x[0], -1).sum()
def medians(x): return np.median(x, axis=1) ** 2 + np.median(x) * x[:, 0]
def medians_kept(x): return np.median(x ** 2, axis=(0, 2), keepdims=True) * x
def percentiles(x): return np.percentile(x, 30, axis=0, keepdims=True) * x + np.percentile(x, 95)
def quantiles(x): return np.quantile(x, np.array([0.2, 0.7]), axis=1) ** 2
def quantiles_3d(x): return np.quantile(x ** 2, [0.1, 0.5], axis=(0, 2)) + np.quantile(x, 0.4, -1)
def trapezoids(y): return np.trapezoid(y ** 2) + np.trapezoid(y, dx=0.3, axis=0).sum()
def trapezoid_x(y, x): return np.trapezoid(y ** 2, x) * np.trapezoid(np.sin(y), x=x ** 2)
def trapezoid_axis(y, x): return np.trapezoid(y ** 2, x, axis=0)
def interps(x, fp): return np.interp(x, XP, fp) ** 2
def interps_ends(x, fp): return np.interp(x, XP, fp, left=0.5, right=-1.0) * x
def polyvals(p, x): return np.polyval(p, x) ** 2
def polyval_number(p, x): return np.polyval(p, x[0, 0]) * p
def covs(m): return np.cov(m) ** 2
def covs_columns(m): return np.cov(m, rowvar=False, bias=True) + np.cov(m[:, 0], ddof=0)
def corrcoefs(m): return np.corrcoef(m) ** 2
def corrcoefs_columns(m): return np.sin(np.corrcoef(m, rowvar=False))


BREADTH = [
    case(lower_triangle, arr(3, 3), order=2), case(upper_triangle, arr(3, 4), order=2),
    case(diagonal_indices, arr(3, 3), order=2), case(index_grid, arr(3, 4), order=2),
    case(counted, arr(3, 4), order=2), case(binned, arr(2, 3), order=2),
    case(float_powers, POS, order=2), case(float_powers, arr(4, lo=0.3, hi=1.5)),
    case(vdots, arr(2, 3), order=2), case(vdots, arr(4)),
    case(ptps, distinct(3, 4), order=2), case(ptps, distinct(2, 5)),
    case(diagflats, arr(2, 2), order=2), case(diagflats, arr(1, 3)),
    case(medians, distinct(3, 4), order=2), case(medians, distinct(2, 5)),
    case(medians_kept, distinct(2, 3, 4), order=2), case(percentiles, distinct(3, 4), order=2),
    case(percentiles, distinct(5, 2)), case(quantiles, distinct(3, 4), order=2),
    case(quantiles_3d, distinct(2, 3, 4), order=2),
    case(trapezoids, arr(3, 4), order=2), case(trapezoids, arr(2, 5)),
    case(trapezoid_x, arr(3, 4), steps(4), order=2), case(trapezoid_x, arr(2, 3), steps(2, 3)),
    case(trapezoid_axis, arr(3, 4), steps(3), order=2),
    case(interps, distinct(3, 2) * 1.2 - 0.1, arr(4), order=2),
    case(interps_ends, distinct(5) * 1.4 - 0.2, arr(4), order=2),
    case(polyvals, arr(4), arr(2, 3), order=2), case(polyvals, arr(1), arr(3)),
    case(polyval_number, arr(3), arr(2, 3), order=2),
    case(covs, arr(3, 5), order=2), case(covs, arr(2, 4)), case(covs_columns, arr(5, 3), order=2),
    case(corrcoefs, arr(3, 5), order=2), case(corrcoefs_columns, arr(6, 3), order=2),
]


@pytest.mark.parametrize("f, args, order, tol", BREADTH)
def test_breadth(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


def complex_vdot(z):
    return np.real(np.vdot(z, z * (1 + 2j))) + np.imag(np.vdot(z[::-1], z))


def test_vdot_conjugates_its_first_argument():
    z = arr(3) + 1j * arr(3)
    u = arr(3) + 1j * arr(3)
    eps = 1e-6
    numeric = (complex_vdot(z + eps * u) - complex_vdot(z - eps * u)) / (2 * eps)
    np.testing.assert_allclose(jvp(complex_vdot, (z,), (u,))[1], numeric, rtol=1e-6)
    np.testing.assert_allclose(np.real(np.sum(grad(complex_vdot)(z) * u)), numeric,
                               rtol=1e-6)


def complex_cov(m):
    return np.sum(np.abs(np.cov(m)) ** 2)


def test_cov_of_complex_rows():
    m = arr(2, 4) + 1j * arr(2, 4)
    u = arr(2, 4) + 1j * arr(2, 4)
    eps = 1e-6
    numeric = (complex_cov(m + eps * u) - complex_cov(m - eps * u)) / (2 * eps)
    np.testing.assert_allclose(jvp(complex_cov, (m,), (u,))[1], numeric, rtol=1e-6)
    np.testing.assert_allclose(np.real(np.sum(grad(complex_cov)(m) * u)), numeric,
                               rtol=1e-6)


# --- variants without a rule: refused at the user's line, never silently wrong --------------------
def nearest(x): return np.percentile(x, 30, method="nearest")
def lower_quantile(x): return np.quantile(x, 0.3, method="lower")
def computed_q(x): return np.quantile(x, x[0])
def moving_xp(x): return np.sum(np.interp(x[:2], x[1:], x[1:]))
def periodic(x): return np.sum(np.interp(x, XP, XP, period=1.0))
def cov_of_two(x): return np.sum(np.cov(x, x ** 2))
def cov_with_y(x): return np.sum(np.cov(x, XP))
def corrcoef_with_y(x): return np.sum(np.corrcoef(x, XP))
def weighted_cov(x): return np.sum(np.cov(x, aweights=XP + 1.0))
def moving_dx(x): return np.trapezoid(x, dx=x[0])


@pytest.mark.parametrize("f", [nearest, lower_quantile, computed_q, moving_xp, periodic,
                               cov_of_two, cov_with_y, corrcoef_with_y, weighted_cov, moving_dx])
def test_variants_without_a_rule_are_refused_at_the_users_line(f):
    x = distinct(4)
    for mode in (lambda: grad(f)(x), lambda: jvp(f, (x,), (x,))):
        with pytest.raises(NoDerivativeError) as info:
            mode()
        assert info.value.filename == __file__ and info.value.line == f.__code__.co_firstlineno
