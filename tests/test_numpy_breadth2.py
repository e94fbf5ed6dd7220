"""NumPy breadth, continued (test_numpy_breadth.py's table style): indices and counts, which
have derivative zero, and float_power, vdot, ptp, diagflat, quantiles, trapezoid, interp,
polyval, cov and corrcoef, each checked forward against finite differences, reverse against
forward and (order 2) their second derivatives."""
import tracemalloc

import numpy as np
import pytest

from adcompile import NoDerivativeError, grad, hessian, jacfwd, jacrev
from adcompile.higher import check_grads
from checks import check_complex_direction, check_refused_at_its_line
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
def interps_total(x, fp): return np.sum(np.interp(x, XP, fp) ** 2 * x)
def interps_number(x, fp): return np.interp(x, XP, fp ** 2, right=2.0) * np.sin(x)
def interps_grid(x, fp): return np.interp(x, XP, np.cos(fp), left=-0.5) * x
def interps_grid_total(x, fp): return np.sum(np.interp(x, XP, fp, left=0.5, right=-1.0) * x ** 2)
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
    case(interps_total, distinct(6) * 1.4 - 0.2, arr(4), order=2),
    case(interps_total, np.array([-0.1, 0.2, 0.5, 0.8, 1.1]), arr(4), order=3),  # helpers' rules
    case(interps_number, np.array(0.45), arr(4), order=2),
    case(interps_number, 1.15, arr(4), order=2),
    case(interps_grid, np.array([[-0.15, 0.1, 0.45], [0.7, 0.95, 1.2]]), arr(4), order=2),
    case(interps_grid_total, np.array([[-0.15, 0.1, 0.45], [0.7, 0.95, 1.2]]), arr(4), order=2),
    case(polyvals, arr(4), arr(2, 3), order=2), case(polyvals, arr(1), arr(3)),
    case(polyval_number, arr(3), arr(2, 3), order=2),
    case(covs, arr(3, 5), order=2), case(covs, arr(2, 4)), case(covs_columns, arr(5, 3), order=2),
    case(corrcoefs, arr(3, 5), order=2), case(corrcoefs_columns, arr(6, 3), order=2),
]


@pytest.mark.parametrize("f, args, order, tol", BREADTH)
def test_breadth(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


def test_interp_second_derivatives_in_x_and_fp_agree_with_differences():
    x, fp = np.array([[-0.15, 0.1, 0.45], [0.7, 0.95, 1.2]]), arr(4)
    for f in (interps_total, interps_grid_total):
        gradient = grad(f, argnums=(0, 1))
        eps, numeric = 1e-6, []
        for i, a in enumerate((x, fp)):
            blocks = []
            for k in range(a.size):
                step = np.zeros(a.size)
                step[k] = eps
                up, down = ((x, fp + s) if i else (x + s.reshape(x.shape), fp) for s in
                            (step.reshape(a.shape), -step.reshape(a.shape)))
                blocks.append([(u - d) / (2 * eps) for u, d in zip(gradient(*up), gradient(*down))])
            numeric.append(blocks)
        for second in (hessian(f, (0, 1)), jacfwd(gradient, (0, 1)), jacrev(gradient, (0, 1))):
            h = second(x, fp)
            for i, a in enumerate((x, fp)):  # h[r][i]: gradient r differentiated in argument i
                for r in range(2):
                    expected = np.stack([b[r] for b in numeric[i]], axis=-1)
                    np.testing.assert_allclose(np.reshape(h[r][i], expected.shape), expected,
                                               rtol=1e-5, atol=1e-7)


def large_interp(x, xp, fp): return np.sum(np.interp(x, xp, fp) ** 2)


def test_interp_gradient_needs_no_dense_matrix():
    """200000 points among 2000 samples: a matrix of len(x) * len(xp) floats would be 3.2 GB."""
    xp = np.linspace(0.0, 1.0, 2000)
    fp = np.sin(6 * xp) + xp
    x = np.random.default_rng(5).uniform(-0.05, 1.05, 200_000)
    gradient = grad(large_interp)
    gradient(x[:10], xp, fp)  # compiled
    tracemalloc.start()
    try:
        g = gradient(x, xp, fp)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6, f"peak {peak / 1e6:.0f} MB"
    far = np.abs(x - xp[np.clip(np.searchsorted(xp, x), 1, 1999) - 1]) > 1e-4  # from kinks
    far &= np.abs(x - xp[np.clip(np.searchsorted(xp, x), 0, 1999)]) > 1e-4
    picks = np.concatenate([np.flatnonzero(far & (x < 0))[:2], np.flatnonzero(far & (x > 1))[:2],
                            np.flatnonzero(far & (x > 0) & (x < 1))[:6]])
    eps = 1e-6
    for k in picks:
        up, down = x.copy(), x.copy()
        up[k] += eps
        down[k] -= eps
        numeric = (large_interp(up, xp, fp) - large_interp(down, xp, fp)) / (2 * eps)
        np.testing.assert_allclose(g[k], numeric, rtol=1e-4, atol=1e-5)
    assert np.all(g[x < 0] == 0) and np.all(g[x > 1] == 0)


def complex_vdot(z):
    return np.real(np.vdot(z, z * (1 + 2j))) + np.imag(np.vdot(z[::-1], z))


def test_vdot_conjugates_its_first_argument():
    z = arr(3) + 1j * arr(3)
    u = arr(3) + 1j * arr(3)
    check_complex_direction(complex_vdot, z, u)


def complex_cov(m):
    return np.sum(np.abs(np.cov(m)) ** 2)


def test_cov_of_complex_rows():
    m = arr(2, 4) + 1j * arr(2, 4)
    u = arr(2, 4) + 1j * arr(2, 4)
    check_complex_direction(complex_cov, m, u)


# --- variants without a rule: refused at the user's line, never silently wrong --------------------
def nearest(x): return np.percentile(x, 30, method="nearest")
def lower_quantile(x): return np.quantile(x, 0.3, method="lower")
def computed_q(x): return np.quantile(x, x[0])
def weighted_cov(x): return np.sum(np.cov(x, aweights=XP + 1.0))
def moving_dx(x): return np.trapezoid(x, dx=x[0])


@pytest.mark.parametrize("f", [nearest, lower_quantile, computed_q, weighted_cov,
                               moving_dx])  # (np.cov(x, y): test_npgaps_found; moving_xp: a rule)
def test_variants_without_a_rule_are_refused_at_the_users_line(f):
    check_refused_at_its_line(f, distinct(4), NoDerivativeError)
