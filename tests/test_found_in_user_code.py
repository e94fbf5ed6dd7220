"""Defects found by running code written the way users write it (simulations, lecture code,
model code) through every transformation: each a regression test before its fix."""
import math

import numpy as np
import pytest

from adcompile import grad, hessian, jvp, source, value_and_grad
from test_regressions import check


# --- (-1) ** k printed as -1 ** k, which Python reads as -(1 ** k): alternating series had a
# wrong value and wrong derivatives in every mode ------------------------------------------------
def alternating(x, n):
    return (-1) ** n * x + (-2.5) ** 2 * x


def taylor_sin(x):
    s = 0.0
    for k in range(8):
        s += (-1) ** k * x ** (2 * k + 1) / math.factorial(2 * k + 1)
    return s


def test_a_negative_constant_raised_to_a_power():
    assert value_and_grad(alternating)(0.9, 2) == pytest.approx((0.9 + 6.25 * 0.9, 7.25))
    assert "(-1) ** n" in source(alternating, mode="grad")
    check(alternating, 0.9, 3, argnums=(0,))
    v, g = value_and_grad(taylor_sin)(0.9)
    assert v == pytest.approx(math.sin(0.9)) and g == pytest.approx(math.cos(0.9))
    assert jvp(taylor_sin, (0.9,), (1.0,))[1] == pytest.approx(math.cos(0.9))
