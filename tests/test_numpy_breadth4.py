"""NumPy breadth, continued (test_numpy_breadth.py's table style): the reductions and scans that
ignore NaN (nanvar, nanstd, nanprod, nancumsum, nancumprod, nanmedian, nanpercentile,
nanquantile) and NumPy 2's array-API names (cumulative_sum, cumulative_prod, vecdot, matvec,
vecmat, matrix_transpose, linalg.vector_norm, matrix_norm, svdvals, cond, and linalg's trace,
diagonal, outer, cross, tensordot, matmul, vecdot), each checked forward against finite
differences, reverse against forward and (order 2) their second derivatives."""
import numpy as np
import pytest

from adcompile import NoDerivativeError, grad, hessian, jvp
from adcompile.higher import check_grads
from checks import check_complex_direction
from test_numpy_breadth import arr, case, distinct

NUMPY_2_1 = hasattr(np, "cumulative_sum")
NUMPY_2_2 = hasattr(np, "matvec")


def holes(x, *where):
    """x with NaN at the given indices."""
    x = np.array(x, dtype=float)
    for index in where:
        x[index] = np.nan
    return x


# --- reductions and scans that ignore NaN --------------------------------------------------------
def nanvars(x): return np.nanvar(x, axis=1) ** 2 + np.nanvar(x) * np.nanmean(x, axis=1)
def nanvars_ddof(x):
    return np.nanvar(x, 0, ddof=1, keepdims=True) * np.nan_to_num(x) + np.nanvar(x, ddof=2)
def nanstds(x): return np.nanstd(x, axis=0) ** 2 + np.nanstd(x, ddof=1)
def nanstds_kept(x): return np.nanstd(x * 2.0, axis=(0, 2), keepdims=True) * np.nan_to_num(x)
def nanprods(x): return np.nanprod(x, axis=1) + np.nanprod(x) * np.nansum(x, axis=1)
def nanprods_kept(x): return np.nanprod(x, axis=0, keepdims=True) * np.nan_to_num(x)
def nancumsums(x): return np.nancumsum(x, axis=1) ** 2 + np.nancumsum(x)[-1]
def nancumprods(x): return np.nancumprod(x, axis=0) * 2.0 + np.nancumprod(x)[-1] ** 2
def nanmedians(x): return np.nanmedian(x, axis=1) ** 2 + np.nanmedian(x) * np.nanmax(x, axis=1)
def nanmedians_kept(x): return np.nanmedian(x * 2.0, axis=(0, 2), keepdims=True) * np.nan_to_num(x)
def nanpercentiles(x):
    kept = np.nanpercentile(x, 30, axis=0, keepdims=True)
    return kept * np.nan_to_num(x) + np.nanpercentile(x, 95)
def nanquantiles(x): return np.nanquantile(x, np.array([0.2, 0.7]), axis=1) ** 2


def nan_total(x):
    return np.sum(np.nanvar(x, axis=0) * np.nanstd(x, axis=0, ddof=1)) + np.nanprod(x) + \
        np.sum(np.nancumsum(x) ** 2) + np.sum(np.nancumprod(x, axis=1) ** 2) + \
        np.nanmedian(x) ** 2 + np.sum(np.nanquantile(x, [0.3, 0.6], axis=1) ** 2)


X = distinct(3, 4)
XN = holes(X, (0, 1), (2, 3))  # one NaN in two rows and two columns
X3 = holes(distinct(2, 3, 4), (0, 1, 2), (1, 0, 0))
POS = holes(arr(3, 4, lo=0.5, hi=1.5), (1, 1), (2, 0))

NAN_REDUCTIONS = [
    case(nanvars, X, order=2), case(nanvars, XN, order=2),
    case(nanvars_ddof, XN, order=2), case(nanvars_ddof, holes(arr(5, 2), (3, 1)), order=2),
    case(nanstds, XN, order=2), case(nanstds, X), case(nanstds_kept, X3, order=2),
    case(nanprods, POS, order=2), case(nanprods, arr(2, 5)), case(nanprods_kept, POS, order=2),
    case(nancumsums, XN, order=2), case(nancumsums, arr(2, 5)),
    case(nancumprods, POS, order=2), case(nancumprods, arr(3, 2, lo=0.5, hi=1.5)),
    case(nanmedians, XN, order=2), case(nanmedians, distinct(2, 5)),
    case(nanmedians, holes(distinct(3, 5), (0, 0), (0, 3), (2, 2))),  # even and odd counts
    case(nanmedians_kept, X3, order=2), case(nanpercentiles, XN, order=2),
    case(nanquantiles, XN, order=2), case(nanquantiles, distinct(2, 6)),
    case(nan_total, POS, order=2),  # (a number: reverse over reverse too)
]


@pytest.mark.parametrize("f, args, order, tol", NAN_REDUCTIONS)
def test_nan_reductions(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


def nansums(x): return np.nansum(x, axis=0) ** 2 + np.nanmean(x, axis=1)[0]
def nanmaxes(x): return np.nanmax(x, axis=0) * np.nanmin(x)


NAN_TOTALS = [nanvars, nanvars_ddof, nanstds, nanprods, nancumsums, nancumprods, nanmedians,
              nanpercentiles, nanquantiles, nansums, nanmaxes]


@pytest.mark.parametrize("f", NAN_TOTALS)
def test_a_nan_gets_no_gradient_and_the_others_a_finite_one(f):
    x = holes(arr(3, 4, lo=0.5, hi=1.5), (0, 1), (2, 3))

    def total(x):
        return np.sum(f(x))
    for g in (grad(total)(x), hessian(total)(x)[0, 1], hessian(total)(x)[1, 2]):
        assert g[0, 1] == 0 and g[2, 3] == 0, g
        assert np.all(np.isfinite(g)), g
    assert jvp(total, (x,), (np.where(np.isnan(x), 1.0, 0.0),))[1] == 0


@pytest.mark.parametrize("f", [f for f in NAN_TOTALS if f not in (nanvars_ddof, nanpercentiles)])
def test_a_nan_tangent_from_before_the_reduction_is_ignored(f):
    """The tangent of x ** 2 is NaN where x is NaN (2 x t): the reductions leave it out. (Not
    through np.nan_to_num, whose tangent t * isfinite(x) is NaN there too.)"""
    x = holes(arr(3, 4, lo=0.5, hi=1.5), (0, 1), (2, 3))

    def total(x):
        return np.sum(f(x ** 2))
    u = arr(3, 4)
    numeric = (total(x + 1e-6 * u) - total(x - 1e-6 * u)) / 2e-6
    np.testing.assert_allclose(jvp(total, (x,), (u,))[1], numeric, rtol=1e-5)


def first_median(x): return np.nanmedian(x, axis=1)[0]
def first_quantile(x): return np.nanquantile(x, 0.3, 1)[0]


@pytest.mark.parametrize("f", [first_median, first_quantile])
def test_a_slice_of_nans_only_has_no_gradient(f):
    x = holes(distinct(3, 4), (0, 0), (0, 1), (0, 2), (0, 3), (1, 2))
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):  # (All-NaN slice)
        np.testing.assert_array_equal(grad(f)(x), np.zeros((3, 4)))


@pytest.mark.parametrize("f", [nanvars_ddof, nanstds, nanprods, nancumsums, nancumprods,
                               nanmedians, nanpercentiles])  # (an array q: float64, as NumPy)
def test_nan_reductions_of_float32_stay_float32(f):
    x = holes(arr(3, 4, lo=0.5, hi=1.5), (0, 1)).astype(np.float32)

    def total(x):
        return np.sum(f(x))
    assert grad(total)(x).dtype == np.float32
    assert np.result_type(jvp(total, (x,), (np.ones_like(x),))[1]) == np.float32


# --- NumPy 2.1's cumulative_sum and cumulative_prod -----------------------------------------------
def cumulative_sums(x): return np.cumulative_sum(x, axis=1) ** 2 + np.cumulative_sum(x[0]) * x[1]
def cumulative_sums_initial(x): return np.cumulative_sum(x ** 2, axis=0, include_initial=True) * 3.0
def cumulative_prods(x): return np.cumulative_prod(x, axis=0) ** 2 + np.cumulative_prod(x[:, 0])[-1]
def cumulative_prods_initial(x):
    return np.cumulative_prod(x, axis=-1, include_initial=True) + np.cumulative_prod(
        x[1], include_initial=True)[:2].sum()


def cumulative_total(x):
    return np.sum(np.cumulative_sum(x, axis=0, include_initial=True) ** 2) + \
        np.sum(np.cumulative_prod(x, axis=1, include_initial=True) ** 2)


CUMULATIVE = [
    case(cumulative_total, arr(3, 4, lo=0.5, hi=1.5), order=2),
    case(cumulative_sums, arr(3, 4), order=2), case(cumulative_sums_initial, arr(3, 2), order=2),
    case(cumulative_sums_initial, arr(2, 3, 2)),
    case(cumulative_prods, arr(3, 4, lo=0.5, hi=1.5), order=2),
    case(cumulative_prods_initial, arr(2, 3, lo=0.5, hi=1.5), order=2),
]


@pytest.mark.skipif(not NUMPY_2_1, reason="np.cumulative_sum: NumPy 2.1")
@pytest.mark.parametrize("f, args, order, tol", CUMULATIVE)
def test_cumulative(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


@pytest.mark.skipif(not NUMPY_2_1, reason="np.cumulative_sum: NumPy 2.1")
def test_cumulative_sum_with_include_initial_is_cumsum_after_a_zero():
    x = arr(4)

    def total(x):
        return np.sum(np.cumulative_sum(x, include_initial=True) * np.arange(5.0))
    np.testing.assert_allclose(grad(total)(x), [10.0, 9.0, 7.0, 4.0])


# --- products ------------------------------------------------------------------------------------
def vecdots(x): return np.vecdot(x, x[::-1] ** 2) + np.vecdot(x, x, axis=0).sum()
def vecdots_broadcast(x): return np.vecdot(x, np.sin(x[0])) ** 2
def linalg_vecdots(x): return np.linalg.vecdot(x ** 2, x, axis=0) * x[0]
def matvecs(x): return np.matvec(x, x[0, 0] ** 2) + np.matvec(x[0], x[:, 1])
def vecmats(x): return np.vecmat(x[0, 0] ** 2, x) ** 2 + np.vecmat(x[:, 1], x[1])
def matvec_total(x): return np.sum(np.matvec(x, x[0, 1]) ** 2) + np.sum(np.vecmat(x[1, 0], x) ** 2)
def transposed(x): return np.matrix_transpose(x) * x ** 2 + np.linalg.matrix_transpose(x) ** 3
def linalg_traces(x): return np.linalg.trace(x) ** 2 + np.linalg.trace(x, offset=1) * x[:, 0, 0]
def linalg_diagonals(x):
    return np.linalg.diagonal(x, offset=-1) ** 2 + np.linalg.diagonal(x)[..., :2]
def linalg_outers(x): return np.linalg.outer(x, x[::-1] ** 2)
def linalg_crosses(x): return np.linalg.cross(x, x[::-1] ** 2) + np.linalg.cross(x[0], x)
def linalg_crosses_axis(x): return np.linalg.cross(x, np.cos(x), axis=0) ** 2
def linalg_tensordots(x): return np.linalg.tensordot(x, x ** 2, axes=1) + np.linalg.tensordot(x, x)
def linalg_matmuls(x): return np.linalg.matmul(x, np.swapaxes(x, -1, -2) ** 2)


def product_total(x):
    return np.sum(np.vecdot(x, x[::-1] ** 2) ** 2) + np.sum(np.linalg.cross(x[0], x) ** 2) + \
        np.sum(np.linalg.trace(x * x[::-1]) ** 2) + np.sum(np.matrix_transpose(x) * x ** 2)


PRODUCTS = [
    case(product_total, arr(2, 3, 3), order=2),
    case(vecdots, arr(3, 3), order=2), case(vecdots, arr(2, 4, 4)),
    case(vecdots_broadcast, arr(3, 4), order=2), case(linalg_vecdots, arr(3, 2), order=2),
    case(transposed, arr(2, 3, 3), order=2), case(transposed, arr(4, 4)),
    case(linalg_traces, arr(2, 3, 3), order=2), case(linalg_traces, arr(3, 2, 4)),
    case(linalg_diagonals, arr(2, 3, 4), order=2), case(linalg_diagonals, arr(3, 3)),
    case(linalg_outers, arr(3), order=2),
    case(linalg_crosses, arr(2, 3), order=2), case(linalg_crosses_axis, arr(3, 2), order=2),
    case(linalg_tensordots, arr(3, 3), order=2), case(linalg_matmuls, arr(2, 3, 2), order=2),
]


@pytest.mark.parametrize("f, args, order, tol", PRODUCTS)
def test_products(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


@pytest.mark.skipif(not NUMPY_2_2, reason="np.matvec and np.vecmat: NumPy 2.2")
@pytest.mark.parametrize("f, args, order, tol", [
    case(matvecs, arr(2, 3, 3), order=2), case(matvecs, arr(3, 4, 4)),
    case(vecmats, arr(2, 3, 3), order=2), case(vecmats, arr(3, 2, 2)),
    case(matvec_total, arr(2, 3, 3), order=2)])
def test_matvec_and_vecmat(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


def complex_vecdot(z):
    return np.sum(np.real(np.vecdot(z, z * (1 + 2j))) + np.imag(np.vecdot(z[::-1], z)))
def complex_vecmat(z): return np.sum(np.abs(np.vecmat(z[0, 0], z) + np.matvec(z, z[1, 1])) ** 2)


@pytest.mark.parametrize("f", [complex_vecdot, complex_vecmat])
def test_vecdot_and_vecmat_conjugate_their_first_argument(f):
    if f is complex_vecmat and not NUMPY_2_2:
        pytest.skip("np.vecmat: NumPy 2.2")
    z = arr(2, 3, 3) + 1j * arr(2, 3, 3)
    u = arr(2, 3, 3) + 1j * arr(2, 3, 3)
    check_complex_direction(f, z, u)


# --- norms, singular values, condition numbers ---------------------------------------------------
def vector_norms(x): return np.linalg.vector_norm(x) + np.linalg.vector_norm(x, axis=1) ** 2
def vector_norms_ord(x):
    return np.linalg.vector_norm(x, ord=1, axis=0) * np.linalg.vector_norm(x, ord=3, axis=-1)[0]
def vector_norms_inf(x):
    return np.linalg.vector_norm(x, ord=np.inf, axis=(0, 2), keepdims=True) * x + \
        np.linalg.vector_norm(x, ord=-np.inf)
def vector_norms_negative(x):
    return np.linalg.vector_norm(x, ord=-1, axis=0) + np.linalg.vector_norm(x, ord=0) * x[0]
def matrix_norms(x):
    return np.sum(np.linalg.matrix_norm(x) ** 2) + np.linalg.matrix_norm(x, keepdims=True) * x
def matrix_norms_svd(x):
    return np.linalg.matrix_norm(x, ord="nuc") + np.linalg.matrix_norm(x, ord=2) ** 2
def matrix_norm_smallest(x): return np.linalg.matrix_norm(x, ord=-2, keepdims=True) * x
def matrix_norms_sums(x):
    return np.linalg.matrix_norm(x, ord=1) + np.linalg.matrix_norm(x, ord=-np.inf) ** 2 + \
        np.linalg.matrix_norm(x, ord=np.inf) * np.linalg.matrix_norm(x, ord=-1)
def singular_values(x): return np.linalg.svdvals(x) ** 2 + np.linalg.svdvals(x[0])[0]
def conds(x): return np.linalg.cond(x) ** 2 + np.linalg.cond(x[0], -2)
def cond_plain(x): return np.linalg.cond(x, 2)


def norm_total(x):
    return np.linalg.vector_norm(x, ord=3) ** 2 + np.sum(np.linalg.matrix_norm(x, ord=2) ** 2) + \
        np.sum(np.linalg.svdvals(x) ** 3) + np.sum(np.linalg.cond(x) ** 2)


NORMS = [
    case(norm_total, arr(2, 3, 3), order=2),
    case(vector_norms, arr(3, 4), order=2), case(vector_norms, arr(2, 3, 4)),
    case(vector_norms_ord, arr(3, 4), order=2), case(vector_norms_inf, distinct(2, 3, 4), order=2),
    case(vector_norms_negative, arr(3, 4, lo=0.2, hi=1.0), order=2),
    case(matrix_norms, arr(2, 3, 4), order=2), case(matrix_norms, arr(3, 3)),
    case(matrix_norms_svd, arr(2, 3, 4), order=2), case(matrix_norms_svd, arr(4, 3)),
    case(matrix_norm_smallest, arr(3, 4, 3), order=2),
    case(matrix_norms_sums, distinct(2, 3, 4)), case(matrix_norms_sums, distinct(4, 3)),
    case(singular_values, arr(2, 3, 4), order=2), case(singular_values, arr(3, 4, 3)),
    case(conds, arr(3, 3, 3), order=2), case(conds, arr(2, 4, 3)),
    case(cond_plain, arr(3, 3), order=2), case(cond_plain, arr(2, 2, 4), order=2),
]


@pytest.mark.parametrize("f, args, order, tol", NORMS)
def test_norms(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


def test_cond_is_the_ratio_of_the_extreme_singular_values():
    x = arr(2, 4, 4)
    u, s, vh = np.linalg.svd(x)
    expected = (u[..., :, :1] * vh[..., :1, :] - np.linalg.cond(x)[:, None, None] *
                u[..., :, -1:] * vh[..., -1:, :]) / s[:, -1:, None]
    np.testing.assert_allclose(grad(lambda x: np.sum(np.linalg.cond(x)))(x), expected, rtol=1e-10)


@pytest.mark.parametrize("f", [vecdots, linalg_crosses, vector_norms_ord, matrix_norms_svd,
                               singular_values, conds, linalg_traces])
def test_products_and_norms_of_float32_stay_float32(f):
    x = arr(2, 3, 3).astype(np.float32)

    def total(x):
        return np.sum(f(x))
    assert grad(total)(x).dtype == np.float32
    assert np.result_type(jvp(total, (x,), (np.ones_like(x),))[1]) == np.float32


def nuclear(x): return np.linalg.matrix_norm(x[0], ord="nuc") + np.linalg.norm(x[1], "nuc")
def spectral(x): return np.linalg.matrix_norm(x[0], ord=2) * np.linalg.cond(x[1])


@pytest.mark.parametrize("f", [nuclear, spectral])
def test_norms_of_one_float32_matrix_stay_float32(f):
    x = arr(2, 3, 3).astype(np.float32)
    assert grad(f)(x).dtype == np.float32


# --- variants without a rule: refused at the user's line, never silently wrong --------------------
def nearest_nan(x): return np.nanpercentile(x, 30, method="nearest")
def computed_nan_q(x): return np.nanquantile(x, x[0, 0])
def computed_ord(x): return np.linalg.vector_norm(x, ord=int(np.sum(x > 0)) + 1)
def cond_fro(x): return np.linalg.cond(x, "fro")
def cond_inf(x): return np.linalg.cond(x, np.inf)


@pytest.mark.parametrize("f", [nearest_nan, computed_nan_q, computed_ord, cond_fro, cond_inf])
def test_variants_without_a_rule_are_refused_at_the_users_line(f):
    x = distinct(3, 3)
    for mode in (lambda: grad(f)(x), lambda: jvp(f, (x,), (x,))):
        with pytest.raises(NoDerivativeError) as info:
            mode()
        assert info.value.filename == __file__ and info.value.line == f.__code__.co_firstlineno


def matrix_norm_once(x): return np.linalg.matrix_norm(x, ord=1)


def test_matrix_norms_of_row_or_column_sums_differentiate_once():
    """Their gradient calls norm_grad, which has no rule of its own: a second derivative is
    refused at the user's line, not computed as zero."""
    x = distinct(3, 3)
    grad(matrix_norm_once)(x)
    with pytest.raises(NoDerivativeError) as info:
        hessian(matrix_norm_once)(x)
    assert info.value.filename == __file__ and \
        info.value.line == matrix_norm_once.__code__.co_firstlineno
