"""Pathwise derivatives of random draws with the standard draws exact (fixrng2).

The rules read the standard draw z back from the drawn value: (x - loc) / scale, and for a
lognormal (log(x) - mean) / sigma. That lost z where x had lost it: a lognormal that underflowed
to 0 gave NaN (log(0) = -inf), and a draw with |loc| >> |scale * z| (loc = 1e8, scale = 1e-3)
kept only the few digits of z that x holds, a gradient wrong from the 5th digit. The uniform rule
also read u back twice. Now the standard draws are drawn again from a copy of the generator taken
before the draw: exactly NumPy's, whatever the drawn value kept of them. Each test compares with
the answer computed by hand from z drawn by the same seed (NumPy draws loc + scale * z)."""
from __future__ import annotations

import numpy as np
import pytest

import adcompile
from adcompile import grad, jvp, value_and_grad
from adcompile.errors import OutsideRuleError
from checks import assert_close, numeric_grad


def lognormal_sum(m, s):
    return np.sum(np.random.default_rng(0).lognormal(m, s, size=50))


def test_an_underflowed_lognormal_has_its_derivative_not_nan():
    z = np.random.default_rng(0).standard_normal(50)
    for m, s in ((-800.0, 1.0), (-740.0, 3.0), (0.0, 400.0)):
        with np.errstate(over="ignore", invalid="ignore"):
            x = np.exp(m + s * z)  # (underflowed to 0, subnormal, or overflowed to inf)
            assert np.any(x == 0.0) and (np.any(x < 1e-300) or np.any(x == np.inf))
            g_m, g_s = grad(lognormal_sum, argnums=(0, 1))(m, s)
            _, tangent = jvp(lognormal_sum, (m, s), (0.0, 1.0))
        assert g_m == np.sum(x)
        assert not np.isnan(g_s)
        np.testing.assert_allclose(g_s, np.sum(x * z), rtol=1e-15, atol=1e-320)
        if np.all(np.isfinite(x)):  # (0 * inf: the tangent in m, 0, times x = inf is NaN)
            np.testing.assert_allclose(tangent, np.sum(x * z), rtol=1e-15, atol=1e-320)


def normal_sum(loc, scale):
    return np.sum(np.random.default_rng(1).normal(loc, scale, size=200))


def legacy_normal_sum(loc, scale):
    np.random.seed(1)
    return np.sum(np.random.normal(loc, scale, size=200))


def uniform_sum(low, width):
    return np.sum(np.random.default_rng(1).uniform(low, low + width, size=200) ** 2)


def test_a_large_loc_keeps_every_digit_of_the_standard_draw():
    z = np.random.default_rng(1).standard_normal(200)
    # (x - loc) / scale kept 1e-16 * 1e8 / 1e-3 = 1e-5 of z: measured relative error 2e-6
    assert_close(grad(normal_sum, argnums=1)(1e8, 1e-3), np.sum(z), rtol=1e-13)
    np.random.seed(1)
    z = np.random.standard_normal(200)
    assert_close(grad(legacy_normal_sum, argnums=1)(1e8, 1e-3), np.sum(z), rtol=1e-13)
    u = np.random.default_rng(1).random(200)
    low, width = 1e8, 1e-3
    x = low + ((low + width) - low) * u
    g_low, g_width = grad(uniform_sum, argnums=(0, 1))(low, width)
    assert_close(g_width, np.sum(2 * x * u), rtol=1e-13)
    assert_close(g_low, np.sum(2 * x), rtol=1e-13)


def scale_zero(mu, sigma):
    return np.sum(np.random.default_rng(0).normal(mu, sigma, size=3))


def test_at_scale_zero_the_derivative_is_the_standard_draw():
    # x = loc + 0 * z is loc whatever z was, but z is drawn again: d x / d scale = z
    z = np.random.default_rng(0).standard_normal(3)
    assert_close(grad(scale_zero, argnums=1)(0.5, 0.0), np.sum(z), rtol=1e-15)


def uniform_draw(a, b, rng):
    return np.sum(np.sin(rng.uniform(a, a + b, size=3)))


def test_the_uniform_rule_draws_its_standard_values_once():
    text = adcompile.source(grad(uniform_draw, argnums=(0, 1)))
    assert text.count("standard_draws(") == 1, text
    assert "rng.uniform(a, s0, size=3)\n" in text  # (printed as written)
    rng = np.random.default_rng(4)
    g = grad(uniform_draw, argnums=(0, 1))(0.2, 0.7, rng)
    fixed = lambda a, b: uniform_draw(a, b, np.random.default_rng(4))  # noqa: E731
    assert_close(g[0], numeric_grad(fixed, (0.2, 0.7), 0), rtol=1e-6)
    assert_close(g[1], numeric_grad(fixed, (0.2, 0.7), 1), rtol=1e-6)


def random_state_passed(mu, s, rs):
    return np.sum(np.sin(rs.normal(mu, s, 3)) + rs.uniform(mu, mu + s, 3) ** 2 +
                  rs.exponential(s, 3) * mu + rs.lognormal(mu, s, 3))


def random_state_made(mu, s):
    rs = np.random.RandomState(0)
    return np.sum(np.sin(rs.normal(mu, s, size=(2, 3))) + rs.uniform(mu, mu + s, 3) ** 2 +
                  rs.exponential(s, 3) * mu + rs.lognormal(mu, s, 3))


@pytest.mark.parametrize("f", [random_state_passed, random_state_made],
                         ids=lambda f: f.__name__)
def test_random_state_draws_against_differences(f):
    if f is random_state_passed:
        fixed = lambda mu, s: f(mu, s, np.random.RandomState(0))  # noqa: E731
    else:
        fixed = f
    rs = np.random.RandomState(0)
    args = (0.3, 0.6) + ((rs,) if f is random_state_passed else ())
    value, g = value_and_grad(f, argnums=(0, 1))(*args)
    assert value == fixed(0.3, 0.6)  # the same stream: one draw each
    if f is random_state_passed:
        after = np.random.RandomState(0)
        f(0.3, 0.6, after)
        assert str(rs.get_state()) == str(after.get_state())  # the stream advanced once
    for i in (0, 1):
        assert_close(g[i], numeric_grad(fixed, (0.3, 0.6), i), rtol=1e-6)
    _, tangent = jvp(fixed, (0.3, 0.6), (1.0, -0.5))
    assert_close(tangent, g[0] - 0.5 * g[1], rtol=1e-12)


class NotAGenerator:
    def normal(self, loc, scale, size=None):
        return loc + scale * np.ones(size)


def own_normal(mu, s, obj):
    return np.sum(obj.normal(mu, s, size=3))


def test_a_draw_of_an_object_that_is_not_numpys():
    # its method, Python source, is differentiated as the code it is
    assert grad(own_normal, argnums=(0, 1))(0.1, 0.5, NotAGenerator()) == (3.0, 3.0)
    # and the helper that draws the standard values again knows only NumPy's generators
    from adcompile.runtime_stats import standard_draws
    with pytest.raises(OutsideRuleError, match="NotAGenerator"):
        standard_draws(NotAGenerator(), "normal", 0.1, 0.5, size=3)


@pytest.mark.parametrize("make", [
    lambda: np.random.default_rng(3), lambda: np.random.Generator(np.random.MT19937(3)),
    lambda: np.random.Generator(np.random.Philox(3)),
    lambda: np.random.Generator(np.random.SFC64(3)),
    lambda: np.random.RandomState(3), lambda: np.random.RandomState(np.random.PCG64(3))],
    ids=["PCG64", "MT19937", "Philox", "SFC64", "RandomState", "RandomState-PCG64"])
def test_the_standard_draws_are_the_next_draws_of_any_numpy_generator(make):
    from adcompile.runtime_stats import standard_draws
    rng, fresh = make(), make()
    rng.standard_normal(3)  # (a RandomState keeps one Gaussian of the pair for the next draw)
    fresh.standard_normal(3)
    loc, scale = np.array([[1e8], [-2.0]]), 1e-3
    z = standard_draws(rng, "normal", loc, scale, size=None)
    assert z.shape == (2, 1)
    assert np.array_equal(rng.normal(loc, scale), loc + scale * z)  # rng did not move
    e = standard_draws(rng, "exponential", 2.0, size=(2, 3))
    assert np.array_equal(rng.exponential(2.0, size=(2, 3)), 2.0 * e)
    fresh.normal(loc, scale)
    fresh.exponential(2.0, size=(2, 3))
    assert str(fresh.__getstate__()) == str(rng.__getstate__())
