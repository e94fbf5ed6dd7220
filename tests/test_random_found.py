"""Pathwise (reparameterised) derivatives of NumPy's random draws in their parameters (T50 §4),
and two messages of the lowering (T49 §6, §7).

With the stream fixed (a Generator made from a seed inside f, or np.random.seed), NumPy draws
normal(loc, scale) as loc + scale * z, lognormal(mean, sigma) as exp(mean + sigma * z),
exponential(scale) as scale * e and uniform(low, high) as low + (high - low) * u, one standard
draw per element (numpy/random/src/distributions/distributions.c, legacy-distributions.c): the
derivative in the parameters is read from the drawn value, without drawing again."""
from __future__ import annotations

import numpy as np
import pytest

from adcompile import NoDerivativeError, UnsupportedSyntaxError, grad, jvp, value_and_grad, vjp
from checks import assert_close, numeric_grad


def mc_relu(mu, sigma):  # T50 §4
    rng = np.random.default_rng(0)
    return np.mean(np.maximum(rng.normal(mu, sigma, size=500), 0.0))


def test_the_normal_draw_has_its_pathwise_derivative():
    value, (g_mu, g_sigma) = value_and_grad(mc_relu, argnums=(0, 1))(0.1, 0.5)
    assert value == mc_relu(0.1, 0.5)  # one draw, the user's stream
    assert_close(g_mu, numeric_grad(mc_relu, (0.1, 0.5), 0), rtol=1e-6)
    assert_close(g_sigma, numeric_grad(mc_relu, (0.1, 0.5), 1), rtol=1e-6)


def gen_normal(a, b):
    return np.sum(np.sin(np.random.default_rng(3).normal(a, b, size=(4, 3))))


def gen_lognormal(a, b):
    return np.sum(np.sqrt(np.random.default_rng(3).lognormal(a, b, size=(4, 3))))


def gen_exponential(a, b):
    return np.sum(np.sin(np.random.default_rng(3).exponential(np.exp(a) * b, size=(4, 3))))


def gen_uniform(a, b):
    return np.sum(np.sin(np.random.default_rng(3).uniform(a, a + b, size=(4, 3))))


def gen_keywords(a, b):  # scale by keyword, loc left to its default; then loc alone
    rng = np.random.default_rng(3)
    return np.sum(np.sin(rng.normal(scale=b, size=3) + rng.normal(a, size=3)))


def legacy_normal(a, b):
    np.random.seed(4)
    return np.sum(np.sin(np.random.normal(a, b, (4, 3))))


def legacy_lognormal(a, b):
    np.random.seed(4)
    return np.sum(np.sqrt(np.random.lognormal(a, b, (4, 3))))


def legacy_exponential(a, b):
    np.random.seed(4)
    return np.sum(np.sin(np.random.exponential(np.exp(a) * b, (4, 3))))


def legacy_uniform(a, b):
    np.random.seed(4)
    return np.sum(np.sin(np.random.uniform(a, a + b, (4, 3))))


DRAWS = [gen_normal, gen_lognormal, gen_exponential, gen_uniform, gen_keywords, legacy_normal,
         legacy_lognormal, legacy_exponential, legacy_uniform]


@pytest.mark.parametrize("f", DRAWS, ids=lambda f: f.__name__)
def test_each_pathwise_draw_against_differences_and_both_modes(f):
    # the first parameter an array (broadcast against size), the second a number
    a, b = np.array([0.3, -0.2, 0.5]), 0.7
    value, (ga, gb) = value_and_grad(f, argnums=(0, 1))(a, b)
    assert value == f(a, b)
    assert_close(ga, numeric_grad(f, (a, b), 0), rtol=1e-6, what="a")
    assert_close(gb, numeric_grad(f, (a, b), 1), rtol=1e-6, what="b")
    ta, tb = np.array([1.0, -2.0, 0.5]), 0.3
    out, tangent = jvp(f, (a, b), (ta, tb))
    assert out == f(a, b)
    assert_close(tangent, np.sum(ga * ta) + gb * tb, rtol=1e-10, what="jvp . t == <grad, t>")
    out, back = vjp(f, a, b)
    assert_close(back(1.0)[0], ga, rtol=1e-12)


def draws_from(mu, sigma, rng):
    return np.sum(rng.normal(mu, sigma, size=(2, 3)) ** 2) + np.sum(rng.exponential(sigma, 3))


def test_the_derivative_draws_once_and_advances_the_stream_as_the_function_does():
    mine, theirs = np.random.default_rng(7), np.random.default_rng(7)
    mu = np.array([0.1, 0.2, 0.3])
    value, _ = value_and_grad(draws_from, argnums=(0, 1))(mu, 0.4, mine)
    assert value == draws_from(mu, 0.4, theirs)
    assert mine.bit_generator.state == theirs.bit_generator.state  # no second draw
    fixed = lambda m, s: draws_from(m, s, np.random.default_rng(7))  # noqa: E731
    g = grad(draws_from, argnums=(0, 1))(mu, 0.4, np.random.default_rng(7))
    assert_close(g[0], numeric_grad(fixed, (mu, 0.4), 0), rtol=1e-6)
    assert_close(g[1], numeric_grad(fixed, (mu, 0.4), 1), rtol=1e-6)


def scale_zero(mu, sigma):
    return np.sum(np.random.default_rng(0).normal(mu, sigma, size=3))


def test_at_scale_zero_the_standard_draw_is_drawn_again():
    # x = loc + 0 * z is loc whatever z was, so z cannot be read back from x (it was refused);
    # drawn again from a copy of the generator (fixrng2), d x / d scale = z is given
    z = np.random.default_rng(0).standard_normal(3)
    assert_close(grad(scale_zero, argnums=1)(0.5, 0.0), np.sum(z), rtol=1e-15)
    assert_close(jvp(scale_zero, (0.5, 0.0), (0.0, 1.0))[1], np.sum(z), rtol=1e-15)
    assert grad(scale_zero, argnums=0)(0.5, 0.0) == 3.0  # d x / d loc is 1
    u = np.random.default_rng(0).random(3)
    g = grad(lambda a: np.sum(np.random.default_rng(0).uniform(a, 1.0, size=3)))(1.0)
    assert_close(g, np.sum(1 - u), rtol=1e-15)


def gamma_scale(x):
    return np.sum(np.random.default_rng(0).gamma(2.0, x, 3))


def laplace_scale(x):
    return np.sum(np.random.default_rng(0).laplace(0.0, x, 3))


def test_other_distributions_are_still_refused():
    with pytest.raises(NoDerivativeError, match="gamma has no derivative .* scale"):
        grad(gamma_scale)(2.0)
    with pytest.raises(NoDerivativeError, match="laplace has no derivative .* scale"):
        grad(laplace_scale)(2.0)


# --- T49 §6: a name that is not defined, in a helper on a path not taken ------------------------
def appends_to_undefined(u):
    L.append(u)  # noqa: F821  (L is defined nowhere)
    return u


def calls_it_if(x, c):
    if c:
        return appends_to_undefined(x)
    return x * 2.0


def test_an_undefined_list_raises_pythons_name_error_where_it_is_reached():
    # Python runs calls_it_if(1.0, False) (the helper is not called): so does the gradient
    assert grad(calls_it_if)(1.0, False) == 2.0
    with pytest.raises(NameError, match="name 'L' is not defined"):
        calls_it_if(1.0, True)
    with pytest.raises(NameError, match="name 'L' is not defined"):
        grad(calls_it_if)(1.0, True)


# --- T49 §7: a list of lambdas built in a loop ----------------------------------------------------
def late_binding(x):
    fs = []
    for i in range(3):
        fs.append(lambda t: t * i)  # noqa: B023  (the user's late binding, T49 §7)
    return sum(g(x) for g in fs)


def test_a_list_of_functions_built_in_a_loop_is_refused_truthfully():
    with pytest.raises(UnsupportedSyntaxError) as e:
        grad(late_binding)(1.0)
    message = str(e.value)
    assert "list written in the function is known" not in message
    assert "built in a loop" in message
