"""Numerical defects testers found at the edges of rules (a zero base of a power, weights of 0,
deviations of 0, one observation), each checked against finite differences, NumPy's own answer
or the exact expected error before its fix."""
import math
import warnings

import numpy as np
import pytest

import adcompile as ad
from adcompile.errors import ADCompileError
from checks import assert_close, numeric_grad, numeric_jacobian

try:
    import scipy.special as sp
except ImportError:  # (the logsumexp tests need SciPy)
    sp = None
needs_scipy = pytest.mark.skipif(sp is None, reason="needs SciPy")


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


def test_a_zero_tangent_through_a_power_known_at_run_time_at_a_zero_base_gives_zero():
    # an exponent known at run time: times_pow, 0 where the tangent or adjoint is 0
    assert ad.hessian(clamped_power_of)(-1.0, 1.5) == 0.0
    assert ad.grad(ad.grad(clamped_power_of))(-1.0, 1.5) == 0.0
    assert ad.jvp(clamped_power_of, (-1.0, 0.5), (1.0, 0.0))[1] == 0.0
    assert ad.hessian(clamped_power_of)(2.0, 1.5) == pytest.approx(0.75 * 2.0 ** -0.5)
    assert ad.hessian(clamped_power_of, 1)(2.0, 1.5) == pytest.approx(
        numeric_grad(ad.grad(clamped_power_of, 1), (2.0, 1.5), 1))


def test_a_constant_power_at_a_zero_base_keeps_the_lecture_rule_and_its_limit():
    """A constant exponent keeps `y * x ** (y - 1)`, no helper in code on floats (issue 11): a
    zero tangent times the infinite slope of x ** 0.5 at 0 raises, as docs/limits.md says."""
    slope2 = 1.5 * 0.5 * 2.0 ** -0.5
    for d2 in (ad.hessian(clamped_power), ad.grad(ad.grad(clamped_power))):
        assert d2(12.0) == pytest.approx(slope2)
        with pytest.raises(ZeroDivisionError):
            d2(5.0)
    third = ad.grad(ad.grad(ad.grad(clamped_power)))
    assert third(12.0) == pytest.approx(-0.5 * slope2 / 2.0)
    x = np.array([6.0, 12.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        h = ad.hessian(clamped_arrays)(x)
    # (np.maximum's derivative selects, 0 where the other operand wins, where a mask multiplied
    # the infinite slope at 0 by 0, NaN: the exact 0 of a function constant there)
    assert h[1, 1] == pytest.approx(slope2) and h[0, 0] == 0.0


def test_an_infinite_slope_of_a_power_of_floats_is_refused_at_its_line():
    """Where the adjoint reaching x ** p (p known at run time) at x == 0 is not 0 (reverse mode:
    max's zero comes after), the slope is infinite: an error at the user's line, not a bare
    ZeroDivisionError."""
    with pytest.raises(ADCompileError, match=r"if x > 0 else 0.0") as info:
        ad.grad(clamped_power_of)(-1.0, 0.5)
    assert isinstance(info.value, ZeroDivisionError)
    assert info.value.filename == __file__
    assert info.value.line == clamped_power_of.__code__.co_firstlineno + 1


def test_plain_float_powers_keep_the_lecture_rule():
    assert "grad_x = 3.0 * x ** 2.0" in ad.source(ad.grad(cube))
    for f in (clamped_power, clamped_root):
        assert "times_pow" not in ad.source(ad.grad(f))
        assert "times_pow" not in ad.source(f, mode="forward")


# --- scipy.special.logsumexp(a, b=b): b * exp(a - ans) was 0 * inf = NaN where b == 0 and a
# exceeds the result by more than ~709; b given by position was read as keepdims -------------
def weighted_lse(a, b):
    return sp.logsumexp(a, b=b)


def weighted_lse_by_position(a, b):
    return sp.logsumexp(a, None, b)


def weighted_lse_all_by_position(a, b):
    return np.sum(sp.logsumexp(a, 0, b, True, False))


def own_lse_by_position(a):
    return np.sum(ad.logsumexp(a, 0, True))


@needs_scipy
def test_weighted_logsumexp_is_finite_where_a_weight_is_zero():
    a, b = np.array([1000.0, 0.0, 1.0]), np.array([0.0, 1.0, 2.0])
    s = 1.0 + 2.0 * math.e
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = ad.grad(weighted_lse)(a, b)
        tangent = ad.jvp(weighted_lse, (a, b), (np.ones(3), np.zeros(3)))[1]
        h = ad.hessian(weighted_lse)(a, b)
    assert_close(g, [0.0, 1.0 / s, 2.0 * math.e / s])
    assert tangent == pytest.approx(1.0)
    assert np.all(np.isfinite(h))
    a2 = np.array([3.0, 0.0, 1.0])
    assert_close(ad.grad(weighted_lse, 1)(a2, b), numeric_grad(weighted_lse, (a2, b), 1))
    assert_close(ad.hessian(weighted_lse)(a2, b), numeric_jacobian(
        ad.grad(weighted_lse), (a2, b), 0), atol=1e-5)


@needs_scipy
def test_weighted_logsumexp_takes_b_by_position():
    a, b = np.array([0.5, 0.0, 1.0]), np.array([0.5, 1.0, 2.0])
    assert ad.grad(weighted_lse_by_position)(a, b) == pytest.approx(ad.grad(weighted_lse)(a, b))
    assert_close(ad.grad(weighted_lse_by_position, 1)(a, b),
                 numeric_grad(weighted_lse_by_position, (a, b), 1))
    a2, b2 = np.array([[0.5, 0.0], [1.0, 2.0]]), np.array([[1.0, 2.0], [0.5, 0.0]])
    assert_close(ad.grad(weighted_lse_all_by_position)(a2, b2),
                 numeric_grad(weighted_lse_all_by_position, (a2, b2), 0))
    assert_close(ad.grad(own_lse_by_position)(a2), numeric_grad(own_lse_by_position, (a2,), 0))


# --- np.average with weights computed at run time that sum to 0: NumPy raises
# ZeroDivisionError, the derivatives gave inf and NaN ------------------------------------------
def average_of_shifted(x, w):
    return np.average(x, weights=w - 1.0)


def average_along(x, w):
    return np.sum(np.average(x, axis=0, weights=w * 2.0))


def test_average_with_weights_summing_to_zero_raises_as_numpy():
    x, w = np.array([1.0, 2.0]), np.array([0.0, 2.0])
    with pytest.raises(ZeroDivisionError, match="Weights sum to zero, can't be normalized"):
        average_of_shifted(x, w)  # NumPy's own
    for call in (lambda: ad.grad(average_of_shifted)(x, w),
                 lambda: ad.grad(average_of_shifted, 1)(x, w),
                 lambda: ad.jvp(average_of_shifted, (x, w), (x, w))):
        with pytest.raises(ZeroDivisionError, match="Weights sum to zero, can't be normalized"):
            call()
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ZeroDivisionError, match="Weights sum to zero"):
        ad.grad(average_along)(m, np.array([1.0, -1.0]))
    w2 = np.array([0.5, 2.0])
    assert_close(ad.grad(average_of_shifted, 1)(x, w2), numeric_grad(average_of_shifted,
                                                                      (x, w2), 1))


# --- np.std with where= or mean=: the second derivative was NaN where a deviation is 0 (the
# rule np.std's own rule gives there is finite) --------------------------------------------------
W = np.array([[True, True, False], [True, False, True]])


def std_where_rows(x):
    return np.sum(np.std(x * np.ones((2, 3)), axis=1, where=W))


def std_of_picked_rows(x):
    return np.std(x[np.array([0, 1])]) + np.std(x[np.array([0, 2])])


def std_given_mean(x):
    return np.std(x, mean=np.mean(x, keepdims=True))


def plain_std(x):
    return np.std(x)


def test_std_with_where_or_mean_has_np_stds_second_derivative_at_zero_deviation():
    for x in (np.array([2.0, 2.0, 5.0]), np.array([1.0, 0.5, 1.0]), np.array([2.0, 1.0, 3.0])):
        h = ad.hessian(std_where_rows)(x)
        assert np.all(np.isfinite(h))
        assert_close(h, ad.hessian(std_of_picked_rows)(x), atol=1e-12)
    x = np.array([1.0, 1.0, 1.0])
    assert_close(ad.hessian(std_given_mean)(x), ad.hessian(plain_std)(x), atol=1e-12)
    x = np.array([2.0, 1.0, 3.0])
    assert_close(ad.hessian(std_given_mean)(x),
                 numeric_jacobian(ad.grad(std_given_mean), (x,), 0), atol=1e-5)


# --- np.cov(m, rowvar=False) of one row: NumPy 2.2 and later read its columns as variables
# (one observation each), the rules read the row as one variable --------------------------------
def cov_of_columns(m):
    return np.cov(m, rowvar=False, ddof=0)


def squared_cov_of_columns(m):
    return np.sum(np.cov(m, rowvar=False, ddof=0) ** 2)


def test_cov_of_one_row_with_rowvar_false_follows_numpy():
    for m in (np.array([[1.0, 2.0, 4.0]]), np.array([[1.0], [2.0], [4.0]]),
              np.array([[1.0, 2.0, 4.0], [0.5, 3.0, 1.0]])):
        expected = numeric_jacobian(cov_of_columns, (m,), 0)
        assert_close(ad.jacfwd(cov_of_columns)(m), expected, atol=1e-6)
        assert_close(ad.jacrev(cov_of_columns)(m), expected, atol=1e-6)
        assert_close(ad.grad(squared_cov_of_columns)(m),
                     numeric_grad(squared_cov_of_columns, (m,), 0), atol=1e-6)


# --- forward mode of the builtin max(x, y) adds both tangents times 0 or 1: a NaN tangent of the
# operand not chosen makes the result's NaN (docs/limits.md); the branch it names instead picks
# the chosen operand's tangent ----------------------------------------------------------------
def max_by_branch(x, y):
    return x if x >= y else y


def test_the_branch_limits_md_names_for_max_picks_the_chosen_tangent():
    assert ad.jvp(max_by_branch, (2.0, 1.0), (1.0, math.nan)) == (2.0, 1.0)
    assert ad.jvp(max_by_branch, (1.0, 2.0), (math.inf, 3.0)) == (2.0, 3.0)
