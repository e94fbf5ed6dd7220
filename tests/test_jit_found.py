"""adcompile.jit: defects a tester found (second derivatives of loops, a (1, k) bias,
stop_gradient, messages that name the construct). Skipped without Numba."""
import math

import pytest

from adcompile import grad, jit

numba = pytest.importorskip("numba")


def horner(x):
    s = 0.0
    for i in range(3):
        s = s * x + 1.0
    return s


def sines(x):
    s = 0.0
    for i in range(1, 4):
        s = s + math.sin(x * i)
    return s * x


def squares(x):
    y = x
    for i in range(3):
        y = y * y * 0.5
    return y


@pytest.mark.parametrize("f", [horner, sines, squares])
def test_second_derivative_of_a_loop(f):
    """grad(grad(f)) of a scalar loop: the inner derivative's tapes are popped into names other
    than those pushed (its code was renamed), and are made inside its float path."""
    want = grad(grad(f))(0.5)
    assert jit(grad(grad(f)))(0.5) == pytest.approx(want, rel=1e-12, abs=1e-15)
