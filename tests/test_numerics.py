"""Tests for adcompile.numerics: accuracy, extremes, dtypes, shapes and dispatch.

Every test runs with NumPy floating-point errors raised (np.errstate(all="raise")) and
RuntimeWarnings (plus any warning from adcompile) turned into errors, so any overflow,
underflow, divide or invalid flag fails the test unless a test explicitly expects it.
"""

import math
import warnings
from decimal import MAX_EMAX, MIN_EMIN, Decimal, Overflow, localcontext

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from adcompile.numerics import (
    log_sigmoid,
    log_softmax,
    logsumexp,
    relu,
    sigmoid,
    softmax,
    softplus,
)

# RuntimeWarning is what NumPy's floating-point warnings are; anything warned from adcompile itself
# also fails. (A blanket "error" also catches unrelated DeprecationWarnings that hypothesis's own
# failure reporting triggers on import, turning a test failure into a pytest INTERNALERROR.)
pytestmark = [
    pytest.mark.filterwarnings("error::RuntimeWarning"),
    pytest.mark.filterwarnings("error:::adcompile"),
]

inf = math.inf
ELEMENTWISE = [sigmoid, softplus, log_sigmoid, relu]
AXIS_FUNCS = [logsumexp, softmax, log_softmax]
ALL_FUNCS = ELEMENTWISE + AXIS_FUNCS
FLOAT_DTYPES = [np.float32, np.float64]


@pytest.fixture(autouse=True, scope="module")
def _raise_on_fp_errors():
    # Module scope so that hypothesis tests are covered too (it rejects function-scoped fixtures).
    with np.errstate(all="raise"):
        yield


def test_strict_mode_is_active():
    assert set(np.geterr().values()) == {"raise"}
    with pytest.raises(FloatingPointError):
        np.exp(np.float64(-1000.0))
    with pytest.raises(RuntimeWarning):
        warnings.warn("must be an error", RuntimeWarning, stacklevel=2)


# ---------------------------------------------------------------- references
# Exact references in Decimal (50 digits, unbounded exponent range), rounded once to float.


def _decimal(fn):
    with localcontext() as ctx:
        ctx.prec = 50
        ctx.Emax, ctx.Emin = MAX_EMAX, MIN_EMIN
        ctx.traps[Overflow] = False  # exp(huge) -> Infinity, which the formulas handle
        return float(fn())


def _softplus_dec(d):
    e = (-abs(d)).exp()  # in [0, 1]
    tail = e - e * e / 2 if e < Decimal("1e-20") else (1 + e).ln()  # log1p(e)
    return max(d, 0) + tail


REFERENCE = {
    sigmoid: lambda x: _decimal(lambda: 1 / (1 + (-Decimal(x)).exp())),
    softplus: lambda x: _decimal(lambda: _softplus_dec(Decimal(x))),
    log_sigmoid: lambda x: _decimal(lambda: -_softplus_dec(-Decimal(x))),
    relu: lambda x: max(x, 0.0),
}


def _close(got, want, dtype):
    """Within 4 ulp of the exact value, or absolutely within the smallest normal number."""
    fi = np.finfo(dtype)
    return math.isclose(got, want, rel_tol=4 * float(fi.eps), abs_tol=float(fi.tiny))


def assert_allclose(actual, desired, **tolerances):
    # Only the comparison is lenient: its own arithmetic (rtol * |desired|) may underflow.
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(actual, desired, **tolerances)


def _naive_lse(x, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


def _naive_softmax(x, axis=-1):
    e = np.exp(x)
    return e / np.sum(e, axis=axis, keepdims=True)


# ---------------------------------------------------------------- strategies

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


@st.composite
def wide_arrays(draw, allow_infinity=True):
    """float32/float64 arrays of values of any magnitude (no NaN), with many in [-800, 800]
    where exp() of them is neither 0 nor inf, the range that exposes lost accuracy."""
    dtype = np.dtype(draw(st.sampled_from(FLOAT_DTYPES)))
    elements = st.one_of(
        hnp.from_dtype(dtype, allow_nan=False, allow_infinity=allow_infinity),
        hnp.from_dtype(dtype, min_value=-800, max_value=800),
    )
    return draw(hnp.arrays(dtype, shapes, elements=elements))


@st.composite
def moderate_arrays_with_axis(draw, dtypes=tuple(FLOAT_DTYPES)):
    """Arrays small enough in magnitude for the naive formulas, plus a valid axis argument."""
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    bound = 50 if dtype == np.float64 else 20
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    elements = hnp.from_dtype(dtype, min_value=-bound, max_value=bound)
    x = draw(hnp.arrays(dtype, shape, elements=elements))
    n = len(shape)
    axis = draw(
        st.one_of(
            st.none(),
            st.integers(-n, n - 1),
            st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True).map(tuple),
        )
    )
    return x, axis


def _tols(dtype):
    return dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- scalar fast path


@pytest.mark.parametrize("f", ELEMENTWISE)
@pytest.mark.parametrize("x", [2.0, -2.0, 0.0, 3, -3, 0, 10**6, -(10**6)])
def test_python_number_returns_python_float(f, x):
    assert type(f(x)) is float


@pytest.mark.parametrize("f", ELEMENTWISE)
@given(n=st.integers(-10**6, 10**6))
def test_int_input_matches_float_input(f, n):
    assert f(n) == f(float(n))


@pytest.mark.parametrize("f", ELEMENTWISE)
@given(x=st.floats(allow_nan=False))
def test_float_path_accurate_over_whole_range(f, x):
    got = f(x)
    assert type(got) is float
    assert _close(got, REFERENCE[f](x), np.float64), (x, got, REFERENCE[f](x))


@pytest.mark.parametrize("f", ELEMENTWISE)
@given(x=st.floats(-30, 30))
def test_float_path_matches_naive_formula_on_moderate_inputs(f, x):
    naive = {
        sigmoid: 1 / (1 + math.exp(-x)),
        softplus: math.log(1 + math.exp(x)),
        log_sigmoid: math.log(1 / (1 + math.exp(-x))),
        relu: x if x > 0 else 0.0,
    }[f]
    # the naive formulas lose absolute, not relative, accuracy near 0 of the log terms
    assert math.isclose(f(x), naive, rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize("f", ELEMENTWISE)
@given(x=st.floats(-700, 700))
def test_float_path_matches_array_path(f, x):
    arr = f(np.array([x]))[0]
    assert math.isclose(f(x), arr, rel_tol=2e-15, abs_tol=1e-300)


# ---------------------------------------------------------------- elementwise arrays


@pytest.mark.parametrize("f", ELEMENTWISE)
@given(x=wide_arrays())
def test_array_path_accurate_dtype_and_shape(f, x):
    before = x.copy()
    out = f(x)
    assert out.dtype == x.dtype
    assert np.shape(out) == x.shape
    np.testing.assert_array_equal(x, before)  # input untouched
    for xi, yi in zip(x.ravel().tolist(), np.ravel(out).tolist()):
        want = REFERENCE[f](xi)
        assert _close(yi, want, x.dtype), (x.dtype, xi, yi, want)


EXTREMES = [
    # f, x, exact expected value
    (sigmoid, -1000.0, 0.0),
    (sigmoid, 1000.0, 1.0),
    (sigmoid, -1e308, 0.0),
    (sigmoid, 1e308, 1.0),
    (sigmoid, -inf, 0.0),
    (sigmoid, inf, 1.0),
    (sigmoid, 0.0, 0.5),
    (softplus, 1000.0, 1000.0),
    (softplus, -1000.0, 0.0),
    (softplus, 1e308, 1e308),
    (softplus, -1e308, 0.0),
    (softplus, inf, inf),
    (softplus, -inf, 0.0),
    (log_sigmoid, -1000.0, -1000.0),
    (log_sigmoid, 1000.0, 0.0),
    (log_sigmoid, -1e308, -1e308),
    (log_sigmoid, 1e308, 0.0),
    (log_sigmoid, -inf, -inf),
    (log_sigmoid, inf, 0.0),
    (relu, -1000.0, 0.0),
    (relu, 1e308, 1e308),
    (relu, -inf, 0.0),
    (relu, inf, inf),
]


@pytest.mark.parametrize("f, x, want", EXTREMES)
def test_elementwise_extremes_exact_and_quiet(f, x, want):
    assert f(x) == want
    assert f(np.float64(x)) == want
    got = f(np.array([[x, x]]))
    assert got.dtype == np.float64 and got.tolist() == [[want, want]]
    if abs(x) <= 1000 or math.isinf(x):  # representable in float32
        got32 = f(np.array([x], dtype=np.float32))
        assert got32.dtype == np.float32 and got32[0] == np.float32(want)


@pytest.mark.parametrize("f", ELEMENTWISE)
def test_nan_propagates(f):
    assert math.isnan(f(math.nan))
    # np.logaddexp (softplus, log_sigmoid) may flag 'invalid' for a NaN input; the value is NaN
    with np.errstate(invalid="ignore"):
        out = f(np.array([math.nan, 1.0]))
    assert np.isnan(out[0]) and out[1] == f(1.0)


def test_relu_keeps_integer_arrays_integer():
    out = relu(np.array([-2, 0, 3]))
    assert out.dtype.kind == "i" and out.tolist() == [0, 0, 3]
    assert relu(3) == 3.0 and relu(-3) == 0.0


# ---------------------------------------------------------------- dtypes and numpy scalars


@pytest.mark.parametrize("f", ALL_FUNCS)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_dtype_preserved(f, dtype):
    x = np.array([[-3.0, 0.5, 1000.0], [-1000.0, 2.0, 0.0]], dtype=dtype)
    assert f(x).dtype == dtype
    if f in ELEMENTWISE:
        # NumPy scalars are not Python floats: they take the array path and keep their type
        assert type(f(dtype(1.5))) is dtype


def test_logsumexp_full_reduction_returns_numpy_scalar():
    out = logsumexp(np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32))
    assert type(out) is np.float32
    assert out == pytest.approx(_naive_lse(np.array([1.0, 2.0, 3.0, 4.0])), rel=1e-6)


# ---------------------------------------------------------------- axis functions vs naive


@given(data=moderate_arrays_with_axis(), keepdims=st.booleans())
def test_logsumexp_matches_naive(data, keepdims):
    x, axis = data
    out = logsumexp(x, axis=axis, keepdims=keepdims)
    want = _naive_lse(x.astype(np.float64), axis=axis, keepdims=keepdims)
    assert out.dtype == x.dtype
    assert np.shape(out) == np.shape(want)
    assert_allclose(out, want, **_tols(x.dtype))


@given(data=moderate_arrays_with_axis())
def test_softmax_matches_naive(data):
    x, axis = data
    out = softmax(x, axis=axis)
    assert out.dtype == x.dtype and out.shape == x.shape
    assert_allclose(out, _naive_softmax(x.astype(np.float64), axis), **_tols(x.dtype))
    assert_allclose(np.sum(out, axis=axis), 1.0, rtol=1e-5 if x.dtype == np.float32 else 1e-13)


@given(data=moderate_arrays_with_axis())
def test_log_softmax_matches_naive(data):
    x, axis = data
    out = log_softmax(x, axis=axis)
    assert out.dtype == x.dtype and out.shape == x.shape
    want = np.log(_naive_softmax(x.astype(np.float64), axis))
    assert_allclose(out, want, **_tols(x.dtype))


@pytest.mark.parametrize("c", [-1000.0, 1000.0, -1e5, 1e5])
@given(data=moderate_arrays_with_axis(dtypes=(np.float64,)))
def test_axis_functions_shift_invariant_far_from_zero(c, data):
    # The naive formulas give 0/0, inf/inf or log(0) here; the stable ones must not.
    x, axis = data
    y = x + c
    atol = 64 * math.ulp(c)  # x + c itself is rounded to ulp(c)
    assert_allclose(logsumexp(y, axis=axis), _naive_lse(x, axis) + c, rtol=0, atol=atol)
    assert_allclose(softmax(y, axis=axis), _naive_softmax(x, axis), rtol=1e-9, atol=1e-300)
    assert_allclose(log_softmax(y, axis=axis), np.log(_naive_softmax(x, axis)), rtol=0, atol=atol)


# ---------------------------------------------------------------- shapes, axis, keepdims


@pytest.mark.parametrize(
    "axis, shape, shape_keepdims",
    [
        (None, (), (1, 1, 1)),
        (0, (3, 4), (1, 3, 4)),
        (1, (2, 4), (2, 1, 4)),
        (-1, (2, 3), (2, 3, 1)),
        ((0, 2), (3,), (1, 3, 1)),
        ((-1, 0), (3,), (1, 3, 1)),
        ((0, 1, 2), (), (1, 1, 1)),
    ],
)
def test_logsumexp_axis_and_keepdims_shapes(axis, shape, shape_keepdims):
    x = np.arange(24.0).reshape(2, 3, 4) / 7
    out = logsumexp(x, axis=axis)
    kept = logsumexp(x, axis=axis, keepdims=True)
    assert np.shape(out) == shape
    assert kept.shape == shape_keepdims
    np.testing.assert_array_equal(np.reshape(kept, shape), out)
    assert_allclose(out, _naive_lse(x, axis=axis), rtol=1e-14)


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (2, 1)])
def test_softmax_normalises_over_the_given_axes(axis):
    x = np.arange(24.0).reshape(2, 3, 4) * np.array([1.0, -3.0, 0.5, 2.0])
    out = softmax(x, axis=axis)
    assert out.shape == x.shape
    assert_allclose(np.sum(out, axis=axis), 1.0, rtol=1e-14)
    assert_allclose(np.exp(log_softmax(x, axis=axis)), out, rtol=1e-13)


def test_default_axis_is_last_for_softmax_and_none_for_logsumexp():
    x = np.array([[0.0, 1.0], [2.0, 5.0]])
    assert_allclose(softmax(x), _naive_softmax(x, axis=-1), rtol=1e-14)
    assert_allclose(log_softmax(x), np.log(_naive_softmax(x, axis=-1)), rtol=1e-13)
    assert np.ndim(logsumexp(x)) == 0


def test_axis_functions_accept_lists():
    assert logsumexp([1000, 1000]) == 1000 + math.log(2)
    assert softmax([0.0, 0.0]).tolist() == [0.5, 0.5]


# ---------------------------------------------------------------- axis functions at extremes


@pytest.mark.parametrize(
    "x, want",
    [
        ([1000.0, 1000.0], 1000 + math.log(2)),
        ([-1000.0, -1000.0], -1000 + math.log(2)),
        ([1000.0, -1000.0], 1000.0),
        ([1e308, 1e308], 1e308),
        ([1e308, -1e308], 1e308),
        ([-inf, 0.0], 0.0),
        ([-inf, -inf], -inf),
        ([inf, 1000.0], inf),
        ([inf, -inf], inf),
        ([inf, inf], inf),
    ],
)
def test_logsumexp_extremes(x, want):
    assert logsumexp(np.array(x)) == want
    if all(abs(v) <= 1000 or math.isinf(v) for v in x):  # representable in float32
        got32 = logsumexp(np.array(x, dtype=np.float32))
        assert got32.dtype == np.float32 and got32 == pytest.approx(np.float32(want), rel=1e-7)


def test_logsumexp_rows_with_extremes():
    x = np.array([[0.0, -inf], [-inf, -inf], [1000.0, 1000.0], [-1e308, 1e308]])
    assert logsumexp(x, axis=1).tolist() == [0.0, -inf, 1000 + math.log(2), 1e308]
    assert logsumexp(x, axis=1, keepdims=True).shape == (4, 1)


def test_logsumexp_nan_propagates_quietly():
    assert math.isnan(logsumexp(np.array([math.nan, 0.0, 1000.0])))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_softmax_and_log_softmax_extremes(dtype):
    def sm(x):
        return softmax(np.array(x, dtype=dtype)).tolist()

    def lsm(x):
        return log_softmax(np.array(x, dtype=dtype)).tolist()

    assert sm([1000, -1000]) == [1.0, 0.0]
    assert sm([-1000, -1000]) == [0.5, 0.5]
    assert sm([1000, 1000, -inf]) == [0.5, 0.5, 0.0]
    assert sm([-inf, 0]) == [0.0, 1.0]
    assert lsm([1000, 0]) == [0.0, -1000.0]
    assert lsm([0, 1000]) == [-1000.0, 0.0]
    assert lsm([-inf, 0]) == [-inf, 0.0]
    big = float(np.finfo(dtype).max)
    assert sm([big, -big]) == [1.0, 0.0]
    assert lsm([big, -big]) == [0.0, -inf]


@pytest.mark.parametrize("f", [softmax, log_softmax])
def test_all_minus_inf_slice_is_nan_with_warning(f):
    # Documented: softmax of all -inf is 0/0; it is NaN and NumPy's 'invalid' warning is kept.
    x = np.array([[-inf, -inf], [0.0, 1.0]])
    with np.errstate(invalid="warn"), pytest.warns(RuntimeWarning, match="invalid"):
        out = f(x)
    assert np.isnan(out[0]).all()
    assert_allclose(out[1], f(np.array([0.0, 1.0])))
    with pytest.raises(FloatingPointError):  # under the strict module setting it raises
        f(x)


# ---------------------------------------------------------------- dispatch and purity


def _unwrap(obj):
    if isinstance(obj, Duck):
        return obj.data
    if isinstance(obj, (tuple, list)):
        return type(obj)(_unwrap(o) for o in obj)
    if isinstance(obj, dict):
        return {k: _unwrap(v) for k, v in obj.items()}
    return obj


class Duck(np.lib.mixins.NDArrayOperatorsMixin):
    """An array type usable only through NumPy's __array_ufunc__/__array_function__ protocols."""

    def __init__(self, data):
        self.data = data

    def __array__(self, *args, **kwargs):
        raise TypeError("Duck must not be converted with np.asarray")

    def __float__(self):
        raise TypeError("Duck must not be converted with float()")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return Duck(getattr(ufunc, method)(*_unwrap(inputs), **_unwrap(kwargs)))

    def __array_function__(self, func, types, args, kwargs):
        return Duck(func(*_unwrap(args), **_unwrap(kwargs)))


@pytest.mark.parametrize("f", ALL_FUNCS)
def test_array_path_dispatches_through_numpy_protocols(f):
    x = np.array([[-1000.0, -1.0, 0.0], [2.0, 1000.0, -inf]])
    out = f(Duck(x.copy()))
    assert isinstance(out, Duck)
    np.testing.assert_array_equal(out.data, f(x))


@pytest.mark.parametrize("f", AXIS_FUNCS)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_axis_functions_do_not_modify_input(f, dtype):
    x = np.array([[-inf, -inf], [1000.0, -1000.0], [3.0, 4.0]], dtype=dtype)
    before = x.copy()
    with np.errstate(invalid="ignore"):  # the all -inf row is NaN for softmax/log_softmax
        f(x, axis=-1)
        f(x, axis=None)
    np.testing.assert_array_equal(x, before)


# ---------------------------------------------------------------- against scipy (optional)


@pytest.fixture(scope="module")
def special():
    return pytest.importorskip("scipy.special")


@given(x=wide_arrays(allow_infinity=False))
def test_sigmoid_and_log_sigmoid_match_scipy(special, x):
    with np.errstate(all="ignore"):
        want = special.expit(x)
        want_log = special.log_expit(x) if hasattr(special, "log_expit") else None
    tol = dict(rtol=8 * np.finfo(x.dtype).eps, atol=np.finfo(x.dtype).tiny)
    assert_allclose(sigmoid(x), want, **tol)
    if want_log is not None:
        assert_allclose(log_sigmoid(x), want_log, **tol)


@given(
    data=moderate_arrays_with_axis(dtypes=(np.float64,)),
    keepdims=st.booleans(),
    c=st.sampled_from([0.0, 1e4]),
)
def test_axis_functions_match_scipy(special, data, keepdims, c):
    x, axis = data
    x = x * 20 - c  # gaps up to 2000: scipy and ours both underflow small terms to 0
    with np.errstate(all="ignore"):
        want_lse = special.logsumexp(x, axis=axis, keepdims=keepdims)
        want_sm = special.softmax(x, axis=axis)
        want_lsm = special.log_softmax(x, axis=axis)
    out = logsumexp(x, axis=axis, keepdims=keepdims)
    assert np.shape(out) == np.shape(want_lse)
    assert_allclose(out, want_lse, rtol=1e-13, atol=1e-12)
    assert_allclose(softmax(x, axis=axis), want_sm, rtol=1e-12, atol=1e-300)
    assert_allclose(log_softmax(x, axis=axis), want_lsm, rtol=1e-13, atol=1e-9)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6])
def test_polygamma_the_derivatives_of_lgamma(n):
    """math.lgamma's derivatives of every order (generated code for math.gamma and math.lgamma
    calls them; math has no digamma), against SciPy where it is installed and against the
    recurrence psi(n, x + 1) = psi(n, x) + (-1)^n n! / x^(n + 1) everywhere."""
    from adcompile.numerics import polygamma
    xs = [0.01, 0.3, 1.0, 1.5, 2.0, 7.25, 19.9, 20.1, 55.0, 1e3, 1e6, -0.5, -1.7, -2.2, -10.3]
    for x in xs:
        step = (-1) ** n * math.factorial(n) / x ** (n + 1)
        assert polygamma(n, x + 1) == pytest.approx(polygamma(n, x) + step, rel=1e-12,
                                                    abs=1e-14 * abs(step))  # (cancellation)
    # at 1: -Euler's gamma, pi^2 / 6, -2 zeta(3), 6 zeta(4) = pi^4 / 15
    known = {0: -0.5772156649015329, 1: math.pi ** 2 / 6, 2: -2.4041138063191885,
             3: math.pi ** 4 / 15}
    if n in known:
        assert polygamma(n, 1.0) == pytest.approx(known[n], rel=1e-14)
    assert math.isnan(polygamma(n, -2.0)) and math.isnan(polygamma(n, 0.0))  # the poles
    special = pytest.importorskip("scipy.special")
    for x in xs:
        assert polygamma(n, x) == pytest.approx(float(special.polygamma(n, x)), rel=1e-12), x


def gamma_product(v):
    return math.lgamma(v) * math.gamma(v)


def test_gamma_and_lgamma_differentiate_to_any_order():
    from adcompile import grad, hessian
    x, h = 2.7, 1e-5
    assert grad(math.lgamma)(x) == pytest.approx(0.7967831689911411, rel=1e-12)  # digamma(2.7)
    fd = (grad(math.lgamma)(x + h) - grad(math.lgamma)(x - h)) / (2 * h)
    assert hessian(math.lgamma)(x) == pytest.approx(fd, rel=1e-7)
    fd = (grad(gamma_product)(x + h) - grad(gamma_product)(x - h)) / (2 * h)
    assert hessian(gamma_product)(x) == pytest.approx(fd, rel=1e-6)
