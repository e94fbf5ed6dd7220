"""Numerical defects testers found at the edges of rules (a zero base of a power, weights of 0,
deviations of 0, one observation), each checked against finite differences, NumPy's own answer
or the exact expected error before its fix."""

import numpy as np
import pytest

import adcompile as ad
from adcompile.errors import ADCompileError
from checks import assert_close, numeric_grad


# --- a zero tangent through a power at a zero base: the second derivative of x ** 1.5, in
# derivative code `0.5 * s ** -0.5`, was evaluated before the zero tangent multiplied it (a bare
# ZeroDivisionError for floats, NaN for arrays) -----------------------------------------------
def clamped_power(x):
    return max(0.0, x - 10.0) ** 1.5


def clamped_arrays(x):
    return np.sum(np.maximum(0.0, x - 10.0) ** 1.5)


def clamped_root(x):
    return max(0.0, x) ** 0.5


def clamped_power_of(x, p):
    return max(0.0, x) ** p


def cube(x):
    return x ** 3.0


def test_a_zero_tangent_through_a_power_at_a_zero_base_gives_zero():
    slope2 = 1.5 * 0.5 * 2.0 ** -0.5
    for d2 in (ad.hessian(clamped_power), ad.grad(ad.grad(clamped_power)),
               ad.jacfwd(ad.grad(clamped_power)), ad.jacfwd(ad.jacfwd(clamped_power))):
        assert d2(5.0) == 0.0
        assert d2(12.0) == pytest.approx(slope2)
    third = ad.grad(ad.grad(ad.grad(clamped_power)))
    assert third(5.0) == 0.0
    assert third(12.0) == pytest.approx(-0.5 * slope2 / 2.0)
    assert ad.jvp(clamped_root, (-1.0,), (1.0,))[1] == 0.0  # first order, forward
    x = np.array([5.0, 12.0])
    with np.errstate(all="raise"):
        h = ad.hessian(clamped_arrays)(x)
    assert_close(h, np.diag([0.0, slope2]))
    # an exponent known at run time
    assert ad.hessian(clamped_power_of)(-1.0, 1.5) == 0.0
    assert ad.jvp(clamped_power_of, (-1.0, 0.5), (1.0, 0.0))[1] == 0.0
    assert ad.hessian(clamped_power_of)(2.0, 1.5) == pytest.approx(0.75 * 2.0 ** -0.5)
    assert ad.hessian(clamped_power_of, 1)(2.0, 1.5) == pytest.approx(
        numeric_grad(ad.grad(clamped_power_of, 1), (2.0, 1.5), 1))


def test_an_infinite_slope_of_a_power_of_floats_is_refused_at_its_line():
    """Where the adjoint reaching x ** 0.5 at x == 0 is not 0 (reverse mode: max's zero comes
    after), the slope is infinite: an error at the user's line, not a bare ZeroDivisionError."""
    with pytest.raises(ADCompileError, match=r"x \*\* 0.5 if x > 0 else 0.0") as info:
        ad.grad(clamped_root)(-1.0)
    assert isinstance(info.value, ZeroDivisionError)
    assert info.value.filename == __file__
    assert info.value.line == clamped_root.__code__.co_firstlineno + 1


def test_plain_float_powers_keep_the_lecture_rule():
    assert "grad_x = 3.0 * x ** 2.0" in ad.source(ad.grad(cube))
    assert "times_pow" not in ad.source(ad.grad(clamped_power))
    assert "times_pow" not in ad.source(clamped_power, mode="forward")
