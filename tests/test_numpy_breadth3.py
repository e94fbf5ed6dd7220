"""NumPy breadth, continued (test_numpy_breadth.py's table style): conversions that keep the values
(np.asarray and its kin, np.astype, np.real_if_close), integer and boolean results used in
differentiated code and as indices (np.nonzero, np.isclose, np.lexsort, ...), np.bincount in its
weights, the elementwise np.copysign, np.fmod, np.ldexp, np.modf, np.nextafter and the rounding
functions, and the windows; each checked forward against finite differences, reverse against
forward and (order 2) their second derivatives."""
import numpy as np
import pytest

from adcompile import NoDerivativeError, grad, jvp
from adcompile.higher import check_grads
from test_numpy_breadth import arr, case, distinct
from checks import numeric_grad

BINS = np.array([0, 2, 1, 2, 0, 4])
C = np.array([0.5, 2.0, -1.0])


# --- conversions that keep the values ------------------------------------------------------------
def as_arrays(x): return np.asarray(x) ** 2 + np.asanyarray(x * 2.0) * np.ascontiguousarray(x)
def as_fortran(x): return np.sin(np.asfortranarray(x.T)) + np.asarray_chkfinite(x, float).T
def as_array_of_numbers(x): return np.asarray([x[0], x[1] ** 2, 3.0]) * np.asarray((x[2],))
def as_array_nested(x): return np.sum(np.asanyarray([[x[0], x[1]], [x[2], 1.0]]) ** 3)
def as_array_float(x): return np.asarray(x, dtype=np.float64) ** 2 + np.asarray(x, float, "C")
def as_array_loop(x):
    rows = []
    for i in range(3):
        rows.append(x * i + x ** 2)
    return np.asarray(rows) ** 2
def as_array_number(x): return np.asarray(x[0] * x[1]) ** 2 * np.asarray(2.0)
def as_type(x): return np.astype(x, np.float64) ** 2 if hasattr(np, "astype") else x ** 2
def real_if_close(x): return np.real_if_close(x ** 2 + 0j) * x + np.real_if_close(x)


# --- integer and boolean results: derivative zero, and indices ----------------------------------
def predicates(x):
    t = np.isclose(x, 0.5) + np.signbit(x) * 2.0 + np.isneginf(x) + np.isposinf(x)
    return x ** 2 * t + x * np.isreal(x) + x * np.iscomplex(x) + np.allclose(x, x) * x
def equalities(x):
    return np.sum(x ** 2) * np.array_equal(x, x) + np.array_equiv(x, x[0]) * x + \
        np.isin(x, x[:2]) * x ** 3
def nonzero_index(x): return np.sum(x[np.nonzero(x > 0)] ** 2)
def nonzero_unpacked(x):
    r, c = np.nonzero(x > 0)
    return np.sin(x[r, c]) + x[np.argwhere(x > 0)[:, 0], 0]
def flat_index(x): return np.ravel(x)[np.flatnonzero(x < 0.5)] ** 2
def unravel(x):
    r, c = np.unravel_index(np.argmax(x), x.shape)
    return x[r, c] ** 2 + x[np.unravel_index(np.array([1, 4]), x.shape)]
def ravel_multi(x): return np.ravel(x)[np.ravel_multi_index((np.array([0, 1]), np.array([2, 0])),
                                                            x.shape)] ** 3
def triangles_from(x):
    return np.sum(x[np.tril_indices_from(x)] ** 2) + np.sum(np.sin(x[np.triu_indices_from(x, 1)]))\
        + np.sum(x[np.diag_indices_from(x)] ** 3)
def nan_args(x): return x[np.nanargmax(x)] ** 2 * x[np.nanargmin(x, axis=0)]
def lexsorted(x): return x[np.lexsort((x, -x ** 2))] * np.arange(5.0)
def counts(x): return np.sum(x[:5] * np.bincount(BINS)) + np.bincount(BINS, minlength=7)[:6] * x


# --- linear in the weights ----------------------------------------------------------------------
def bincounts(x): return np.bincount(BINS, x ** 2) * np.bincount(BINS, weights=x, minlength=6)[:5]


# --- elementwise --------------------------------------------------------------------------------
def copysigns(x): return np.copysign(x ** 2, x[::-1]) + np.copysign(C, x) * x
def copysign_number(x): return np.copysign(x, -1.0) * np.copysign(2.0, x) + np.copysign(x, C) ** 3
def fmods(x, y): return np.fmod(x ** 2, y) * x + np.fmod(x, 0.3) ** 2 + np.fmod(2.5, y) ** 2
def roundings(x): return x ** 2 * np.trunc(x * 3) + x * FIX(x * 2) + np.rint(x * 4) * x ** 3


FIX = np.fix if np.lib.NumpyVersion(np.__version__) < "2.4.0" else np.trunc  # (fix: deprecated)
def ldexps(x): return np.ldexp(x, 2) ** 2 + np.ldexp(x[0], np.array([1, -1, 3]))
def modfs(x):
    frac, whole = np.modf(x * 3)
    return frac ** 2 * whole + np.modf(x)[0] * x
def modf_whole(x): return np.modf(x * 3)[1] * x ** 2
def steps(x): return np.nextafter(x, 0.0) ** 2 + np.nextafter(x ** 3, x) + np.spacing(x) * x


# --- windows: constants in M ------------------------------------------------------------------
def windows(x):
    n = x.shape[0]
    return x * np.hanning(n) + x ** 2 * np.hamming(n) + np.blackman(n) * np.sin(x) + \
        np.bartlett(n) * x ** 3 + np.kaiser(n, 4.0) * x + np.sum(np.kaiser(5, beta=2.0) * x[:5])


POS = arr(3, lo=0.6, hi=1.2)
BREADTH = [
    case(as_arrays, arr(2, 3), order=2), case(as_fortran, arr(3, 2), order=2),
    case(as_array_of_numbers, arr(3), order=2), case(as_array_nested, arr(3), order=2),
    case(as_array_float, arr(4), order=2), case(as_array_loop, arr(2), order=3),  # (helpers)
    case(as_array_number, arr(2), order=3), case(as_type, arr(2, 2), order=2),
    case(real_if_close, arr(3), order=2),
    case(predicates, np.array([0.5, -0.3, 0.8, -0.9]), order=2), case(equalities, arr(4), order=2),
    case(nonzero_index, arr(5), order=2), case(nonzero_index, arr(3, 4), order=2),
    case(nonzero_unpacked, arr(3, 3), order=2), case(flat_index, arr(2, 3), order=2),
    case(unravel, distinct(2, 3), order=2), case(ravel_multi, arr(2, 3), order=2),
    case(triangles_from, arr(3, 3), order=2), case(triangles_from, arr(2, 2)),
    case(nan_args, distinct(4), order=2), case(lexsorted, distinct(5), order=2),
    case(counts, arr(6), order=2), case(bincounts, arr(6), order=2),
    case(copysigns, arr(3), order=2), case(copysign_number, arr(3), order=2),
    case(fmods, arr(3, lo=0.1, hi=0.9), arr(3, lo=0.35, hi=0.45), order=2),
    case(fmods, arr(2, 3, lo=-0.9, hi=-0.1), POS, order=2),
    case(roundings, distinct(2, 3), order=2), case(ldexps, arr(3), order=2),
    case(modfs, arr(4) + 2.05, order=2), case(modfs, -distinct(2, 2), order=2),
    case(modf_whole, arr(3), order=2), case(steps, POS, order=2), case(steps, -POS),
    case(windows, arr(6), order=2),
]


@pytest.mark.parametrize("f, args, order, tol", BREADTH)
def test_breadth(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


def test_index_functions_route_the_gradient_to_the_entries_they_name():
    x = np.array([[0.5, -1.0, 2.0], [-0.3, 0.7, -0.2]])
    np.testing.assert_allclose(grad(lambda x: np.sum(x[np.nonzero(x > 0)] ** 2))(x),
                               2 * x * (x > 0))
    np.testing.assert_allclose(grad(lambda x: np.sum(x[np.argwhere(x > 0)[:, 0], 0]))(x),
                               [[2.0, 0.0, 0.0], [1.0, 0.0, 0.0]])


def test_bincount_in_its_weights():
    w = arr(6)
    g = grad(lambda w: np.sum(np.bincount(BINS, w) * np.arange(5.0)))(w)
    np.testing.assert_allclose(g, BINS.astype(float))


def test_modf_and_copysign_derivatives():
    x = np.array([1.25, -2.75, 0.5])
    np.testing.assert_allclose(grad(lambda x: np.sum(np.modf(x)[0] * 2.0))(x), [2.0, 2.0, 2.0])
    np.testing.assert_allclose(grad(lambda x: np.sum(np.copysign(x, C)))(x), [1.0, -1.0, -1.0])
    np.testing.assert_allclose(grad(lambda x: np.sum(np.fmod(x, 1.0) ** 2))(x),
                               2 * np.fmod(x, 1.0))


def copysigns32(x): return np.copysign(x ** 2, x[::-1]) + np.copysign(x, -1.0) * x
def fmods32(x): return np.fmod(x ** 2, x[::-1]) + np.fmod(x, 0.3) ** 2
def ldexps32(x): return np.ldexp(x, 2) ** 2 + np.ldexp(x, np.arange(6) - 2)
def predicates32(x): return x ** 2 * np.isclose(x, 0.5) + x * np.signbit(x) + np.isin(x, x[:2]) * x


@pytest.mark.parametrize("f", [as_arrays, as_array_loop, copysigns32, fmods32, roundings,
                               ldexps32, modfs, steps, nonzero_index, predicates32, nan_args])
def test_float32_stays_float32(f):
    x = np.array([0.5, -1.25, 0.75, 2.5, -0.3, 0.2], dtype=np.float32)

    def total(x):
        return np.sum(f(x) ** 2)
    assert grad(total)(x).dtype == np.float32
    assert jvp(total, (x,), (np.ones_like(x),))[1].dtype == np.float32


def test_float32_cast_keeps_float32_input_gradient():
    x = np.array([0.5, -1.25], dtype=np.float32)
    assert grad(lambda x: np.sum(np.asarray(x, dtype=np.float32) ** 2))(x).dtype == np.float32
    np.testing.assert_allclose(grad(lambda x: np.sum(np.asarray(x, np.float32) ** 2))(
        np.array([0.5, -1.25])), [1.0, -2.5])


# --- casts to integers have derivative zero, as int(x) (tests/test_numpy_found.py); a dtype known
# only at run time and what has no rule are refused at the user's line, never silently wrong -----
def to_int(x): return np.sum(np.asarray(x, dtype=int) * x)
def to_bool(x): return np.sum(np.ascontiguousarray(x, bool) * x)
def list_to_int(x): return np.sum(np.asarray([x[0], x[1]], dtype=np.int64) * x[0])
def array_to_int(x): return np.sum(np.array([x[0], x[1]], dtype=int) * x[0])
def array_of_array_to_int(x): return np.sum(np.array(x, dtype=np.int32) * x)
def cast_by_name(x): return np.sum(np.asarray(x ** 2, dtype=x.dtype))
def function_astype_int(x): return np.sum(np.astype(x, int) * x) if hasattr(np, "astype") else \
    np.sum(x.astype(int) * x)
def kaiser_beta(x): return np.sum(np.kaiser(4, x[0]) * x)
def integer_count(x): return np.sum(np.bincount(x.astype(int)) * x[0])


@pytest.mark.parametrize("f", [to_int, to_bool, list_to_int, array_to_int, array_of_array_to_int,
                               function_astype_int, integer_count])
def test_integer_casts_have_derivative_zero(f):
    x = distinct(4) + 1.0
    np.testing.assert_allclose(grad(f)(x), numeric_grad(f, (x,), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(jvp(f, (x,), (x,))[1], np.sum(grad(f)(x) * x), rtol=1e-10)


@pytest.mark.parametrize("f", [cast_by_name, kaiser_beta])
def test_variants_without_a_rule_are_refused_at_the_users_line(f):
    x = distinct(4) + 1.0
    for mode in (lambda: grad(f)(x), lambda: jvp(f, (x,), (x,))):
        with pytest.raises(NoDerivativeError) as info:
            mode()
        assert info.value.filename == __file__ and info.value.line == f.__code__.co_firstlineno


def test_integer_casts_of_constants_still_compute():
    def f(x):
        return np.sum(np.asarray(BINS, dtype=np.int8) * x) + np.sum(np.array([1.5, 2.5],
                                                                             dtype=int)) * x[0]
    np.testing.assert_allclose(grad(f)(arr(6)), BINS + np.eye(6)[0] * 3)


def cube_of_array(x): return np.sum(np.asarray(x * 1.0) ** 3 + np.array(x * 2.0) ** 3)
slope_of_cube = grad(cube_of_array)
def squared_slope(x): return slope_of_cube(x) ** 2


def test_array_of_a_number_differentiates_again_in_reverse():
    """stack_grad's rule (restack), and restack's (stack_grad), on a 0-d array: the slope
    27 x ** 2 squared, differentiated twice, is 729 * 12 x ** 2."""
    assert np.isclose(grad(grad(squared_slope))(0.7), 729 * 12 * 0.49)


def masked_mean32(x): return np.mean(x ** 2, where=x > 0.0) * x
def exp2s32(x): return np.exp2(x) + np.log2(x ** 2 + 1.0) * np.log10(x ** 2 + 2.0)


@pytest.mark.parametrize("f", [masked_mean32, exp2s32])
def test_float32_tangents_stay_float32(f):
    """Found by tester T12: jvp gave float64 values and tangents for float32 inputs (a mean's
    count of where= as float64 ones, np.log(2) a NumPy float64 in the rules of exp2, log2 and
    log10), where the function and grad keep float32."""
    x = np.array([0.5, -1.25, 0.75, 2.5], dtype=np.float32)
    value, tangent = jvp(f, (x,), (np.ones_like(x),))
    assert value.dtype == tangent.dtype == f(x).dtype == np.float32
    assert grad(lambda x: np.sum(f(x)))(x).dtype == np.float32
