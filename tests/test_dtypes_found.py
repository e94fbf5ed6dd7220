"""Inputs of unusual types and sizes (tester T34): NumPy scalars given to math functions, Python
floats large enough that a rule's square overflows, and results that are broadcast views."""
import math

import numpy as np
import pytest

from adcompile import grad, jvp, value_and_grad, vjp
from checks import numeric_grad


def test_math_pow_gives_a_python_float_whatever_it_is_given():
    # math.pow was lowered as x ** y, which keeps a NumPy scalar's precision (float16: inf)
    def scaled(x):
        return math.pow(x, 2.0) * 1e5

    def root(x):
        return math.pow(x, 2.5)

    value, g = value_and_grad(scaled)(np.float16(1.0))
    assert value == scaled(np.float16(1.0)) == 1e5 and type(value) is float
    assert np.isclose(g, 2e5)
    value, g = value_and_grad(root)(np.float32(0.43))
    assert value == root(np.float32(0.43)) and type(value) is float
    assert np.isclose(g, 2.5 * math.pow(float(np.float32(0.43)), 1.5), rtol=1e-6)
    assert jvp(root, (0.43,), (1.0,))[1] == pytest.approx(2.5 * 0.43 ** 1.5)
    with pytest.raises(ValueError, match="math domain error"):
        grad(root)(-0.5)  # (as math.pow does: x ** 2.5 would give a complex number)


DERIVATIVES = [(np.arctan, lambda x: 1 / (1 + x * x)), (math.atan, lambda x: 1 / (1 + x * x)),
               (np.arcsinh, lambda x: 1 / math.sqrt(x * x + 1)),
               (math.asinh, lambda x: 1 / math.sqrt(x * x + 1)),
               (math.erf, lambda x: 0.0), (math.erfc, lambda x: 0.0),
               (math.lgamma, lambda x: math.log(x) - 0.5 / x)]  # (digamma, far out)


@pytest.mark.parametrize("f, derivative", DERIVATIVES)
def test_rules_of_large_python_floats_do_not_overflow(f, derivative):
    # `1 / (1 + x ** 2)`: Python's float ** raises OverflowError where * gives inf (and
    # math.lgamma's digamma summed powers of x)
    def h(x):
        return f(x)

    for x in (1e200, 3e15, 2.5):
        expected = derivative(x) if x > 1e3 else numeric_grad(h, (x,), 0)
        assert np.isclose(grad(h)(x), expected, rtol=1e-6, atol=1e-300)


def test_two_argument_rules_of_large_python_floats():
    def angle(x, y):
        return math.atan2(x, y) + np.arctan2(y, x)

    g = grad(angle, argnums=(0, 1))(1e200, 2e200)
    assert np.allclose(g, (0.0, 0.0))


def _real_sum(z):
    return np.sum(np.real(z))


def _twice_real(z):
    return np.sum(z.real) * 2.0


def _real_of_conj(z):
    return np.sum(np.real(np.conj(z)) * 3.0)


@pytest.mark.parametrize("f, slope", [(_real_sum, 1.0), (_twice_real, 2.0),
                                      (_real_of_conj, 3.0)])
def test_gradient_of_a_complex_argument_through_its_real_part_is_complex(f, slope):
    # np.real's adjoint is real: the gradient came back float64 (float32, a float) for a
    # complex argument
    for z in (np.array([1 + 2j, 3 - 1j]), np.array([1 + 2j], dtype=np.complex64),
              np.complex128(1 + 2j), np.complex64(1 - 1j), 1 + 2j):
        g = grad(f)(z)
        assert type(g) is type(z) and np.shape(g) == np.shape(z)
        assert getattr(g, "dtype", None) == getattr(z, "dtype", None)
        assert np.allclose(g, slope)
        u = np.ones_like(z) * (0.3 - 0.7j)  # (checks.check_complex_direction, by hand)
        numeric = (f(z + 1e-3 * u) - f(z - 1e-3 * u)) / 2e-3
        assert np.isclose(np.real(np.sum(g * u)), np.sum(numeric), rtol=1e-3)  # (complex64)


def _total(x):
    return np.sum(x)


def _sinc(x):
    return np.sinc(x)


def _first(x):
    return np.reshape(x, (1,))[0]


def _sin(x):
    return np.sin(x)


@pytest.mark.parametrize("f", [_total, _sinc, _first, _sin])
@pytest.mark.parametrize("kind", [np.float64, np.float32])
def test_gradient_of_a_numpy_scalar_is_a_numpy_scalar(f, kind):
    # some rules gave a 0-d array (np.sum, np.sinc, a reshape) where the argument is a scalar
    x = kind(0.43)
    expected = numeric_grad(lambda v: float(f(v)), (0.43,), 0)
    for g in (grad(f)(x), vjp(f, x)[1](kind(1.0))[0], value_and_grad(f)(x)[1]):
        assert type(g) is kind
        assert np.isclose(g, expected, rtol=1e-3)
    assert type(grad(f)(np.array(0.43))) is np.ndarray  # (a 0-d array stays one)


def test_tangent_of_a_math_function_is_a_python_float():
    # d_x * partial kept a NumPy float16's precision: 41510 * (1e5 as float16) overflowed
    def f(x):
        return math.erf(x) * 1e5

    def h(x):
        return math.exp(x) * 1e5 + math.sin(x)

    for x in (np.float16(1.0), np.float32(1.0), np.array(1.0, np.float16), 1.0):
        for fn in (f, h):
            value, tangent = jvp(fn, (x,), (np.ones_like(x),))
            assert type(value) is float and type(tangent) is float
            assert tangent == pytest.approx(numeric_grad(fn, (1.0,), 0), rel=1e-6)


def test_tangent_has_the_dtype_of_the_output():
    # np.logaddexp's rule read the Python float 0.3 as a float64 array: a float64 tangent
    def g(x):
        return np.logaddexp(x, 0.3)

    for x in (np.float32(0.43), np.array([0.43, -2.0], np.float32)):
        value, tangent = jvp(g, (x,), (np.ones_like(x),))
        assert type(tangent) is type(value) and tangent.dtype == value.dtype == np.float32
        assert np.allclose(tangent, 1 / (1 + np.exp(0.3 - x)), rtol=1e-6)


def _max0(x):
    return np.max(x, initial=0.0)


def _min_rows(x):
    return np.sum(np.min(x, axis=1, initial=0.5))


def _amax_where(x):
    return np.sum(np.amax(x, axis=0, where=x < 2.0, initial=-1.0))


@pytest.mark.parametrize("f", [_max0, _min_rows, _amax_where])
def test_max_with_initial_of_empty_and_of_full_arrays(f):
    # lowered as np.maximum(np.max(x), initial): np.max of an empty array raised
    for x in (np.zeros((0,)), np.zeros((3, 0)), np.zeros((0, 2))):
        if f is _max0 or x.ndim == 2:
            g = grad(f)(x)
            assert g.shape == x.shape and jvp(f, (x,), (x,))[1] == 0.0
    x = np.array([[0.3, -0.4, 0.9], [-0.2, -0.7, 2.5], [1.7, 0.1, 0.2]])
    g = grad(f)(x)
    assert np.allclose(g, numeric_grad(f, (x,), 0))
    assert np.isclose(jvp(f, (x,), (x,))[1], np.sum(g * x))


def test_max_with_an_initial_that_is_differentiated():
    # the initial value wins where every entry is smaller: its gradient is 1 there
    def f(x, c):
        return np.sum(np.max(x, axis=1, initial=c) * np.array([1.0, 2.0, 4.0]))

    x, c = np.array([[0.3, -0.4], [-0.2, -0.7], [1.7, 0.1]]), 0.5
    gx, gc = grad(f, argnums=(0, 1))(x, c)
    assert np.allclose(gx, numeric_grad(f, (x, c), 0)) and np.isclose(gc, 3.0)
    assert np.isclose(jvp(f, (x, c), (x, 1.0))[1], np.sum(gx * x) + gc)
    assert grad(f, argnums=1)(np.zeros((3, 0)), c) == 7.0


def test_max_with_initial_compiled_by_numba():
    pytest.importorskip("numba")
    from adcompile import jit

    def f(x, c):
        return np.max(x, initial=c) - 2.0 * np.min(x, initial=-0.5)

    for x in (np.array([[1.0, -2.0], [-1.0, -3.0]]), np.array([0.2, 0.3]), np.zeros((0,))):
        for c in (0.4, 5.0):
            expected = grad(f, argnums=(0, 1))(x, c)
            got = jit(grad(f, argnums=(0, 1)))(x, c)
            assert np.allclose(got[0], expected[0]) and got[1] == expected[1]
