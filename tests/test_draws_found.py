"""Random draws from NumPy's other distributions (T44): a queue simulated from exponential
interarrival and service times was refused ("the method .exponential() of a random Generator is
not supported", ending in a sentence about object fields). Draws with constant parameters are
constants of the derivative, drawn anew at each call, as rng.normal's are."""
import numpy as np
import pytest

from adcompile import NoDerivativeError, UnsupportedSyntaxError, grad, value_and_grad
from checks import assert_close, numeric_grad


def lindley_wait(lam, mu):
    arr = np.random.default_rng(1).exponential(1.0, 200)
    svc = np.random.default_rng(2).exponential(scale=1.0, size=200)
    t_arr = 0.0
    t_free = 0.0
    wait = 0.0
    for i in range(200):
        t_arr += arr[i] / lam
        start = max(t_arr, t_free)
        wait += start - t_arr
        t_free = start + svc[i] / mu
    return wait / 200


def test_a_queue_from_exponential_draws():
    value, g = value_and_grad(lindley_wait, argnums=(0, 1))(0.8, 1.0)
    assert value == lindley_wait(0.8, 1.0)
    for i in (0, 1):
        assert_close(g[i], numeric_grad(lindley_wait, (0.8, 1.0), i), rtol=1e-6)


def each_draw(x):
    rng = np.random.default_rng(7)
    d = [rng.exponential(2.0, 3), rng.gamma(2.0, 1.5, size=3), rng.beta(2.0, 3.0, 3),
         rng.poisson(4.0, 3), rng.lognormal(0.0, 0.5, 3), rng.binomial(10, 0.3, 3),
         rng.chisquare(3.0, 3), rng.standard_t(5.0, 3), rng.laplace(1.0, 2.0, 3),
         rng.logistic(size=3), rng.gumbel(0.0, 1.0, 3), rng.weibull(1.5, 3), rng.pareto(3.0, 3),
         rng.triangular(0.0, 0.5, 1.0, 3), rng.geometric(0.3, 3), rng.standard_exponential(3),
         rng.standard_gamma(2.0, 3), rng.standard_cauchy(3), rng.rayleigh(2.0, 3),
         rng.multivariate_normal(np.zeros(3), np.eye(3)), rng.dirichlet(np.ones(3)),
         np.random.exponential(1.0, 3) * 0.0]
    return sum(np.sum(np.asarray(v, dtype=float) * x) for v in d)


def test_each_draw_is_numpys_own_and_constant():
    x = np.array([0.5, -1.0, 2.0])
    value, g = value_and_grad(each_draw)(x)
    assert value == each_draw(x)  # the same stream, the same order
    assert_close(g, numeric_grad(each_draw, (x,), 0), rtol=1e-7)


def scaled_by_x(x):
    return np.sum(np.random.default_rng(0).laplace(0.0, x, 3))  # (exponential: pathwise now)


def shaped_by_x(x):
    return np.sum(np.random.default_rng(0).gamma(x, 1.0, 3))


def lambda_mode(x):
    return np.sum(np.random.default_rng(0).triangular(0.0, x, 1.0, 3))


def test_a_draw_whose_parameter_is_differentiated_is_refused():
    with pytest.raises(NoDerivativeError, match="scale") as e:
        grad(scaled_by_x)(2.0)
    assert "fields" not in str(e.value)
    with pytest.raises(NoDerivativeError, match="shape"):  # (named like np.reshape's shape)
        grad(shaped_by_x)(2.0)
    with pytest.raises(NoDerivativeError, match="mode"):
        grad(lambda_mode)(0.5)


def rows_shared(x):
    grid = [[x, 1.0], [2.0, x * 3]]
    g2 = list(grid)
    g2[0][0] = x * x
    return grid[0][0] + g2[1][1]


def rows_copied(x):
    grid = [[x, 1.0], [2.0, x * 3]]
    g2 = list(grid)
    g2 = [list(r) for r in g2]
    g2[0][0] = x * x
    return grid[0][0] + g2[1][1] + g2[0][0]


def test_a_shallow_copy_whose_rows_change_is_told_to_copy_the_rows():
    """T44: the refusal advised `g2 = list(g2)`, the shallow copy the user had made already."""
    with pytest.raises(UnsupportedSyntaxError, match=r"\[list\(r\) for r in g2\]"):
        grad(rows_shared)(1.5)
    assert_close(grad(rows_copied)(1.5), numeric_grad(rows_copied, (1.5,), 0))
