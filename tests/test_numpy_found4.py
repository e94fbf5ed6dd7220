"""NumPy programs a tester's sweep (T43) found wrong, crashing or refused with a misleading
message: views and the array itself handed back by x.real, x.conj(), np.real_if_close, ...,
changed in place afterwards; np.polymul's dropped leading zeros in its rules; NaN tangents of
the operand np.fmax ignores; np.mean/np.median over an axis while another is empty;
np.polyfit (its warnings.warn), np.cross's axes by position. Each checked against NumPy and
central finite differences, or refused at the user's line."""
import inspect

import numpy as np
import pytest

import adcompile as ad
from adcompile import UnsupportedSyntaxError
from checks import assert_close, directional, numeric_grad, numeric_jacobian

A = np.array([1.0, 2.0, 3.0])


def _check(f, *args):
    """The value, grad and jvp of f at args against NumPy and central differences."""
    value, g = ad.value_and_grad(f)(*args)
    assert np.isclose(value, f(*args))
    assert_close(g, numeric_grad(f, args, 0), what="grad")
    d = np.cos(np.arange(np.size(args[0])) + 0.5).reshape(np.shape(args[0]))
    tangents = (d,) + tuple(np.zeros_like(a) for a in args[1:])
    assert np.isclose(ad.jvp(f, args, tangents)[1], directional(f, args, tangents), rtol=1e-5,
                      atol=1e-7)


def _refused_at(f, x, line_text):
    """f is refused (grad and jvp) with UnsupportedSyntaxError at its line holding line_text."""
    lines, start = inspect.getsourcelines(f)
    line = start + next(i for i, t in enumerate(lines) if line_text in t)
    for run in (lambda: ad.value_and_grad(f)(x), lambda: ad.jvp(f, (x,), (np.ones_like(x),))):
        with pytest.raises(UnsupportedSyntaxError) as e:
            run()
        assert f":{line}" in str(e.value), str(e.value)


# --- 1. a view (or the array itself) of x, then x or the view changed in place ---------------
def real_then_x_changed(a):
    x = a.copy()
    r = x.real
    x[0] = 3.0 * x[1]
    return np.sum(r * r)


def conj_method_changed(a):
    x = a.copy()
    r = x.conj()
    r *= 2.0
    return np.sum(x)


def conjugate_method_changed(a):
    x = a.copy()
    r = x.conjugate()
    x[0] = 10.0
    return np.sum(r)


def imag_of_complex(a):
    x = a * (1.0 + 1.0j)
    r = x.imag
    x[0] = 10.0
    return np.sum(r)


def real_if_close_then_changed(a):
    x = a.copy()
    r = np.real_if_close(x)
    x[0] = 10.0
    return np.sum(r)


def trim_zeros_then_changed(a):
    x = a.copy()
    r = np.trim_zeros(x)
    x[0] = 10.0
    return np.sum(r)


def diag_then_changed(a):
    x = np.outer(a, a)
    r = np.diag(x)
    x[0, 0] = 10.0
    return np.sum(r)


def einsum_then_changed(a):
    x = np.outer(a, a)
    r = np.einsum("ij->ji", x)
    x[0, 1] = 10.0
    return np.sum(r * a)


def rollaxis_then_changed(a):
    x = np.outer(a, a)
    r = np.rollaxis(x, 1)
    x[0, 0] = 10.0
    return np.sum(r)


def float64_then_changed(a):
    x = a.copy()
    r = np.float64(x)
    x[0] = 10.0
    return np.sum(r)


def diff0_then_changed(a):
    x = a.copy()
    r = np.diff(x, 0)
    x[0] = 10.0
    return np.sum(r)


def polyder0_then_changed(a):
    x = a.copy()
    r = np.polyder(x, 0)
    x[0] = 10.0
    return np.sum(r)


def matrix_power1_then_changed(a):
    x = np.outer(a, a)
    r = np.linalg.matrix_power(x, 1)
    x[0, 0] = 10.0
    return np.sum(r)


@pytest.mark.parametrize("f, line", [
    (real_then_x_changed, "x[0] = 3.0"), (conj_method_changed, "r *= 2.0"),
    (conjugate_method_changed, "x[0] = 10.0"), (imag_of_complex, "x[0] = 10.0"),
    (real_if_close_then_changed, "x[0] = 10.0"), (trim_zeros_then_changed, "x[0] = 10.0"),
    (diag_then_changed, "x[0, 0] = 10.0"), (einsum_then_changed, "x[0, 1] = 10.0"),
    (rollaxis_then_changed, "x[0, 0] = 10.0"), (float64_then_changed, "x[0] = 10.0"),
    (diff0_then_changed, "x[0] = 10.0"), (polyder0_then_changed, "x[0] = 10.0"),
    (matrix_power1_then_changed, "x[0, 0] = 10.0")])
def test_a_view_changed_in_place_is_refused(f, line):
    _refused_at(f, A, line)


def conj_of_complex_is_a_copy(a):
    x = a * (1.0 + 2.0j)
    r = x.conj()
    r *= 2.0
    return np.sum(np.real(x * r))


def real_unchanged_after(a):
    x = a * 2.0
    r = x.real
    return np.sum(r * x)


def test_a_copy_or_an_unchanged_view_still_works():
    _check(conj_of_complex_is_a_copy, A)
    _check(real_unchanged_after, A)


# --- 2. np.polymul drops leading zeros: of a tangent (jvp), of a value (vjp) -------------------
def polymul(a):
    return np.polymul(a, np.array([1.1, 0.7]))


def test_polymul_tangent_with_a_leading_zero():
    a = np.array([0.5, -1.2, 0.3])
    t = np.array([0.0, 1.0, 0.0])
    assert_close(ad.jvp(polymul, (a,), (t,))[1], np.convolve(t, [1.1, 0.7]))
    assert_close(ad.jacfwd(polymul)(a), numeric_jacobian(polymul, (a,), 0))
    assert_close(ad.jacrev(polymul)(a), numeric_jacobian(polymul, (a,), 0))


def test_polymul_of_a_value_with_a_leading_zero():
    a = np.array([0.0, -1.2, 0.3])  # np.polymul's result is np.convolve's without its first
    expected = numeric_jacobian(lambda a: np.convolve(a, [1.1, 0.7]), (a,), 0)[1:]
    assert_close(ad.jacrev(polymul)(a), expected)
    assert_close(ad.jacfwd(polymul)(a), expected)


# --- 3. a NaN tangent of the operand np.fmax ignores, or of a NaN np.nan_to_num replaces -------
def fmax_sqrt(x, y):
    return np.fmax(x, np.sqrt(y))


def fmin_sqrt(x, y):
    return np.fmin(np.sqrt(y), x)


def nan_to_num_sqrt(x):
    return np.nan_to_num(np.sqrt(x), nan=2.0) * 3.0


@pytest.mark.parametrize("f, x", [(fmax_sqrt, [0.3, 0.2]), (fmin_sqrt, [0.1, 0.2])])
def test_fmax_fmin_ignore_the_nan_operand_tangent(f, x):
    x, y = np.array(x), np.array([0.04, -1.0])
    with np.errstate(invalid="ignore"):
        v, t = ad.jvp(f, (x, y), (np.ones(2), np.zeros(2)))
        assert_close(t, [1.0, 1.0])
        assert_close(ad.jacfwd(f, (0, 1))(x, y)[0], np.eye(2))
        assert_close(ad.jacrev(f, (0, 1))(x, y)[0], np.eye(2))


def test_nan_to_num_tangent_of_a_nan_is_zero():
    x = np.array([4.0, -1.0])
    with np.errstate(invalid="ignore"):
        assert_close(ad.jvp(nan_to_num_sqrt, (x,), (np.ones(2),))[1], [0.75, 0.0])
        assert_close(ad.jacfwd(nan_to_num_sqrt)(x), np.diag([0.75, 0.0]))
    # (reverse mode hands sqrt(-1) the adjoint 0, times its NaN derivative: NaN, as JAX gives)


def builtin_max_nan(x, y):
    return max(x, y) * 2.0 + min(x, y)


def test_builtin_max_min_of_a_nan_keep_the_number_python_returns():
    # max(1.0, nan) is 1.0 (nan > 1.0 is False): x gets the derivative, as Python returns x
    assert ad.grad(builtin_max_nan, (0, 1))(1.0, float("nan")) == (3.0, 0.0)


# --- 4, 5. a reduction over an axis while another axis is empty -------------------------------
def mean_var_std(a):
    return np.sum(np.mean(a, axis=0)) + np.sum(np.var(a, axis=0)) + np.sum(np.std(a.T, axis=1))


def median_quantile(a):
    return np.sum(np.median(a, axis=0)) + np.sum(np.quantile(a, 0.5, axis=0))


@pytest.mark.parametrize("f, shape", [(mean_var_std, (2, 0)), (median_quantile, (3, 0))])
def test_reduction_with_another_axis_empty(f, shape):
    a = np.ones(shape)
    value, g = ad.value_and_grad(f)(a)
    assert value == 0.0 and g.shape == shape
    assert ad.jvp(f, (a,), (a,))[1] == 0.0


def mean_var_axis(a):
    return np.sum(np.mean(a, axis=(0, 2)) * np.var(a, axis=-1, ddof=1).sum())


def test_reduction_counts_still_right():
    _check(mean_var_axis, np.arange(1.0, 13.0).reshape(2, 3, 2) ** 1.2)


# --- 6. np.polyfit (warnings.warn on a path not taken runs as written), np.cross's axes -------
def polyfit_y(y):
    return np.sum(np.polyfit(np.linspace(0.0, 1.0, 6), y, 2) ** 2)


def polyfit_x(x, y):
    return np.sum(np.polyfit(x, y, 2) ** 2)


def test_polyfit_differentiated():
    y = np.arange(6.0) ** 1.5
    _check(polyfit_y, y)
    x = np.linspace(0.0, 1.0, 6) + 0.1 * np.sin(np.arange(6.0))
    _check(polyfit_x, x, y)


def cross_positional(a, b):
    return np.sum(np.cross(a, b, 0, 0) ** 2)


def cross_positional_c(a, b):
    return np.sum(np.cross(a, b, 0, 0, 0) * np.arange(6.0).reshape(3, 2))


def test_cross_axes_by_position():
    a, b = np.arange(6.0).reshape(3, 2) ** 1.1, np.cos(np.arange(6.0)).reshape(3, 2)
    _check(cross_positional, a, b)
    _check(cross_positional_c, a, b)
