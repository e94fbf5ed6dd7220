"""NumPy and SciPy call forms testers wrote that were refused or mishandled: starred unpacking of
a call's tuple (c, *_ = lstsq(...)), scipy.special.logsumexp with b= and return_sign=, np.var
and np.std with correction=, mean= and where=, np.cov and np.corrcoef of two variables,
np.average with returned= or differentiated weights, np.cross of 2-vectors, np.complex128 of a
real value, np.interp with a period, the np.polynomial evaluators, np.pad's other modes,
np.angle(deg=True), np.fft.hfft, weighted quantiles."""
import numpy as np
import pytest

from adcompile import grad, hessian, jvp, vjp
from adcompile.errors import ADCompileError
from checks import assert_close, directional, inner, numeric_grad, numeric_jacobian

RNG = np.random.default_rng(7)
A = RNG.normal(size=(6, 3))
X5 = np.array([0.3, -1.2, 0.8, 1.7, -0.4])
Y5 = np.array([1.1, 0.2, -0.7, 0.5, 1.9])
W5 = np.array([1.5, 0.5, 2.0, 1.0, 0.25])


def _check(f, args, argnums=None, second=False, rtol=1e-5, atol=1e-7):
    """grad and jvp of the scalar f against central differences, the dot-product test of vjp
    against jvp, and (second=True) the Hessian in the first argument."""
    argnums = tuple(range(len(args))) if argnums is None else argnums
    g = grad(f, argnums=argnums)(*args)
    for k, i in enumerate(argnums):
        assert_close(g[k], numeric_grad(f, args, i), rtol, atol, what=f"grad {i}")
    direction = [RNG.normal(size=np.shape(a)) if i in argnums else np.zeros_like(a)
                 for i, a in enumerate(args)]
    value, tangent = jvp(f, tuple(args), tuple(direction))
    assert_close(value, f(*args), what="value")
    assert_close(tangent, directional(f, args, direction), rtol, atol, what="jvp")
    _, back = vjp(f, *args)
    grads = back(1.0)
    assert inner(grads, direction) == pytest.approx(float(tangent), rel=1e-8, abs=1e-10)
    if second:
        h = hessian(f)(*args)
        numeric = numeric_jacobian(lambda x: numeric_grad(f, (x,) + tuple(args[1:]), 0,
                                                          eps=1e-5), (args[0],), 0, eps=1e-4)
        assert_close(h, numeric, rtol=1e-4, atol=1e-5, what="hessian")


def _refused(f, args, words):
    with pytest.raises(ADCompileError) as info:
        grad(f)(*args)
    text = str(info.value)
    assert f"{__file__}:" in text or info.value.filename == __file__, text
    for w in words:
        assert w in text, text
    return text


# --- 7: starred unpacking of a call's tuple result ------------------------------------------------
def _lstsq_starred(b):
    c, *_ = np.linalg.lstsq(A, b, rcond=None)
    return np.sum(c * c)


def _lstsq_starred_rest(b):
    c, res, *rest = np.linalg.lstsq(A, b, rcond=None)
    return np.sum(c) + res[0] + rest[0] * 0.0 + len(rest)


def _starred_array(x):
    first, *others = x
    return first * others[0] + sum(others)


def _starred_middle(x):
    first, *others, last = x * 2.0
    return first + last


def test_starred_unpacking_of_a_call_result():
    b = RNG.normal(size=6)
    _check(_lstsq_starred, (b,))
    _check(_lstsq_starred_rest, (b,))
    _refused(_starred_array, (X5,), ["starred", "xs[1:]"])  # (an array's rest: its rows)
    _refused(_starred_middle, (X5,), ["starred", "xs[1:]"])


# --- 1: scipy.special.logsumexp with b= and return_sign= -----------------------------------------
special = pytest.importorskip("scipy.special")
M23 = np.array([[0.3, -1.2, 0.8], [1.7, -0.4, 0.1]])
B23 = np.array([[1.5, 0.5, 2.0], [1.0, 0.25, 3.0]])


def _lse_b(x, w):
    return special.logsumexp(x, b=w)


def _lse_b_axis(x, w):
    return np.sum(special.logsumexp(x, axis=1, b=w, keepdims=True) ** 2)


def _lse_b_broadcast(x, w):
    return np.sum(special.logsumexp(x, axis=0, b=w[0]) * np.array([1.0, 2.0, 3.0]))


def _lse_signed(x, w):
    r, s = special.logsumexp(x, b=w - 1.0, return_sign=True)
    return r * s


def _lse_sign_only(x):
    r, s = special.logsumexp(x * 2.0, axis=1, return_sign=True)
    return np.sum(r * s)


def test_logsumexp_with_weights_and_sign():
    _check(_lse_b, (X5, W5), second=True)
    _check(_lse_b_axis, (M23, B23), second=True)
    _check(_lse_b_broadcast, (M23, B23))
    _check(_lse_signed, (X5, W5), second=True)
    _check(_lse_sign_only, (M23,), second=True)
    w = W5.copy()
    w[2] = 0.0  # (a huge x where b is 0 is left out of the shift, as SciPy does)
    x = X5.copy()
    x[2] = 1000.0
    with np.errstate(over="ignore", invalid="ignore"):  # (the tangent overflows there)
        assert jvp(_lse_b, (x, w), (X5, W5))[0] == pytest.approx(special.logsumexp(x, b=w))
    assert np.isnan(jvp(_lse_b, (X5, W5 - 2.0), (X5, W5))[0])  # (a negative sum: SciPy's NaN)
    assert jvp(_lse_signed, (X5, W5 - 2.0), (X5, W5))[0] == pytest.approx(
        _lse_signed(X5, W5 - 2.0))


# --- 4: np.var and np.std with correction=, mean= and where= -------------------------------------
MASK23 = np.array([[True, False, True], [True, True, False]])


def _var_correction(x):
    return np.var(x, correction=1) + np.std(x * 2.0, axis=0, correction=1.5)[1]


def _var_mean(x):
    m = np.mean(x, axis=1, keepdims=True)
    return np.sum(np.var(x, axis=1, mean=m)) + np.std(x, mean=0.5, ddof=1)


def _var_where(x):
    return np.sum(np.var(x, axis=1, where=MASK23, ddof=1)) + np.std(x, where=MASK23) + \
        x.var(where=x > 0.0, ddof=1)


def _std_mean_where(x):
    m = np.mean(x, axis=0, keepdims=True, where=MASK23)
    s = np.std(x, axis=0, mean=m, where=MASK23, keepdims=True)
    return np.sum(s * np.array([1.0, 2.0, 3.0]))


def _var_both(x):
    return np.var(x, ddof=1, correction=1)


def test_var_and_std_with_numpy2_keywords():
    _check(_var_correction, (M23,), second=True)
    _check(_var_mean, (M23,), second=True)
    _check(_var_where, (M23,), second=True)
    _check(_std_mean_where, (M23,))  # (columns of one entry: derivative 0, as np.std)
    z = M23 + 1j * B23  # (complex: |x - mean| ** 2, as NumPy)
    assert jvp(lambda x: np.var(x, where=MASK23), (z,), (z,))[0] == pytest.approx(
        np.var(z, where=MASK23))
    _refused(_var_both, (X5,), ["ddof= and correction="])
    with pytest.raises(TypeError, match="unexpected keyword argument 'correction'") as info:
        grad(_method_correction)(X5)  # (NumPy's own error: the method has no correction=)
    assert f"{__file__}:" in str(info.value)


def _method_correction(x):
    return x.std(correction=1)


# --- 2: np.cov and np.corrcoef of two variables --------------------------------------------------
def _cov_xy(x, y):
    return np.cov(x, y)[0, 1] + np.cov(x, y=y, bias=True)[1, 1]


def _cov_columns(a, b):
    return np.sum(np.cov(a, b, rowvar=False) * np.arange(1.0, 26.0).reshape(5, 5))


def _corrcoef_xy(x, y):
    return np.corrcoef(x, y)[0, 1] + np.corrcoef(x, y=y * 2.0)[1, 0]


def test_cov_and_corrcoef_of_two_variables():
    _check(_cov_xy, (X5, Y5), second=True)
    _check(_corrcoef_xy, (X5, Y5), second=True)
    a, b = RNG.normal(size=(6, 2)), RNG.normal(size=(6, 3))
    _check(_cov_columns, (a, b))
    _check(lambda x: np.cov(X5, x, ddof=0)[0, 1], (Y5,))


# --- 3: np.average with returned= and differentiated weights --------------------------------------
def _average_weights(x, w):
    return np.average(x, weights=w) + np.sum(np.average(x, axis=0, weights=w) ** 2)


def _average_weights_2d(x, w):
    a, s = np.average(x, axis=1, weights=w, returned=True)
    return np.sum(a * s)


def _average_returned(x):
    a, n = np.average(x, axis=0, returned=True)
    b, s = np.average(x, 1, np.array([1.0, 2.0, 3.0]), True)
    return np.sum(a * n) + np.sum(b * s)


def test_average_returned_and_differentiated_weights():
    _check(_average_weights, (X5, W5), second=True)
    _check(lambda x, w: np.sum(np.average(x, axis=0, weights=w) ** 2), (M23, Y5[:2]))
    _check(_average_weights_2d, (M23, B23), second=True)
    _check(_average_weights_2d, (M23, np.array([0.5, 1.0, 2.0])))
    _check(_average_returned, (M23,), second=True)
    assert jvp(_average_returned, (M23,), (M23,))[0] == pytest.approx(_average_returned(M23))


# --- 10: np.cross of 2-vectors in reverse mode, and with axisa/axisb ------------------------------
def _cross2(x):
    return np.cross(x[:2], x[2:4]) * x[4]


def _cross23(x):
    return np.sum(np.cross(x[:2], x[2:5]) * np.array([1.0, -2.0, 0.5]))


def _cross_axes(a, b):
    return np.sum(np.cross(a, b, axisa=0, axisb=1) * np.arange(1.0, 7.0).reshape(2, 3))


def _cross2_rows(a, b):
    return np.sum(np.cross(a, b, axisb=0) ** 2)


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors are deprecated")
def test_cross_of_2_vectors_and_axes():
    _check(_cross_axes, (RNG.normal(size=(3, 2)), RNG.normal(size=(2, 3))), second=True)
    try:
        np.cross(X5[:2], X5[2:4])
    except ValueError:  # (NumPy after 2.4 refuses 2-vectors: its own error, from the function)
        for f in (_cross2, _cross23):
            with pytest.raises(ValueError):
                grad(f)(X5)
        return
    _check(_cross2, (X5,), second=True)
    _check(_cross23, (X5,), second=True)
    _check(_cross2_rows, (RNG.normal(size=(4, 2)), RNG.normal(size=(2, 4))), second=True)


# --- 8: np.complex128 and np.complex64 of a differentiated real value -----------------------------
def _complex_of_real(x):
    z = np.complex128(x[0]) * (1.0 + 2.0j) + np.complex128(x[1:3]) * 1j
    return np.abs(np.sum(z)) + np.real(np.complex128(x[3]) * x[4])


def _complex_of_complex(x):
    z = np.complex128(x[0] + 1j * x[1]) * (0.5 - 1.0j)
    return np.real(z * z)


def test_complex_types_of_real_values():
    _check(_complex_of_real, (X5,), second=True)
    _check(_complex_of_complex, (X5,), second=True)
    assert grad(_complex_of_real)(X5).dtype == np.float64
    assert_close(grad(_single)(X5), [0.0, 0.0, 0.0, -0.4, 1.7], rtol=1e-6)  # (float32 steps)


def _single(x):
    return np.real(np.complex64(x[3]) * x[4])


# --- 6: np.interp with a period ----------------------------------------------------------------
XP_ANGLES = np.array([350.0, 10.0, 100.0, 200.0, 280.0])


def _periodic(x, fp):
    return np.sum(np.interp(x, XP_ANGLES, fp, period=360.0) ** 2)


def _periodic_moving_xp(x):
    return np.interp(0.5, x, X5, period=2.0)


def test_interp_with_a_period():
    x = np.array([-25.0, 5.0, 355.0, 420.0, 190.0])
    _check(_periodic, (x, Y5), second=True)
    _check(_periodic_moving_xp, (X5 + np.array([0.0, 0.0, 0.05, 0.0, 0.0]),))  # (no ties mod 2)


# --- 5, 9, 11: np.angle(deg=True); refusals that say what to write -------------------------------
def _angle_degrees(x):
    return np.angle(x[0] + 1j * x[1], deg=True) + np.sum(np.angle(x[2:] * (1.0 - 1.0j), True))


def _polyval(c):
    return np.polynomial.polynomial.polyval(0.3, c)


def _legval(c):
    return np.polynomial.legendre.legval(0.3, c)


def _hfft(x):
    return np.sum(np.fft.hfft(x))


def _weighted_quantile(x):
    return np.quantile(x, 0.5, weights=W5, method="inverted_cdf")


def _polyval_instead(c):
    return np.polyval(c[::-1], 0.3)


def test_angle_in_degrees_and_refusals_with_what_to_write():
    _check(_angle_degrees, (X5,), second=True)
    _check(_polyval, (X5,), second=True)  # (refused until their rules: test_numerics_found2)
    _check(_legval, (X5,), second=True)
    _refused(_hfft, (X5,), ["np.fft.irfft(np.conj(a), n) * n"])
    _refused(_weighted_quantile, (X5,), ["weights=", "np.searchsorted"])
    _check(_polyval_instead, (X5,))
    assert _polyval_instead(X5) == pytest.approx(_polyval(X5))
    o = np.argsort(X5)
    c = np.cumsum(W5[o])
    assert X5[o][np.searchsorted(c, 0.5 * c[-1])] == _weighted_quantile(X5)


def _pad_odd(x):
    return np.sum(np.pad(x, 2, mode="reflect", reflect_type="odd") ** 2)


def _pad_ramp(x):
    return np.sum(np.pad(x, 2, mode="linear_ramp", end_values=(1.0, 2.0)) ** 2)


def _pad_mean(x):
    return np.sum(np.pad(x, 2, mode="mean") ** 2)


def _pad_odd_instead(x):
    return np.sum((2 * np.pad(x, 2, mode="edge") - np.pad(x, 2, mode="reflect")) ** 2)


def test_pad_modes_without_a_rule_say_what_to_write():
    _refused(_pad_odd, (X5,), ["reflect_type=", "mode='edge'"])
    _refused(_pad_ramp, (X5,), ["end_values=", "np.linspace"])
    _refused(_pad_mean, (X5,), ["mode='mean'", "np.full(k, np.mean(x))"])
    assert _pad_odd_instead(X5) == pytest.approx(_pad_odd(X5))
    _check(_pad_odd_instead, (X5,))


def _polyval_rows(p, x):
    return np.sum(np.sin(np.polyval(p, x)))


def test_polyval_of_coefficient_rows():
    """np.polyval(p, x) with a 2-D p (each coefficient a row, a polynomial per column): the rules
    multiplied p[:-1] by the powers' arange along the wrong axis, and summed p's adjoint over
    the wrong one: silently wrong derivatives (found by the npgaps fixer)."""
    from test_regressions import check
    from adcompile import hessian
    rng = np.random.default_rng(3)
    p = rng.normal(size=(4, 3))
    check(_polyval_rows, p, 0.7)
    check(_polyval_rows, p, np.array([0.7, -0.3, 1.1]))
    check(_polyval_rows, p, np.array([[0.7], [-0.3]]))
    check(_polyval_rows, p[:, 0], np.array([0.7, -0.3]))  # (one polynomial, as before)
    h = hessian(_polyval_rows, argnums=1)(p, np.array([0.7, -0.3, 1.1]))
    assert np.allclose(h, np.diag(np.diag(h)))  # (each column its own polynomial)
