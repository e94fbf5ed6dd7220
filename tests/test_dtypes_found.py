"""Inputs of unusual types and sizes (tester T34): NumPy scalars given to math functions, Python
floats large enough that a rule's square overflows, and results that are broadcast views."""
import math

import numpy as np
import pytest

from adcompile import grad, jvp, value_and_grad
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
