"""The stable primitives' derivative rules at extreme inputs, in both modes, and SciPy's spellings.

The values themselves are tested in test_numerics.py; here the generated derivative code is run at
|x| up to 1000 with NumPy's overflow, divide and invalid flags raising: every derivative must be
finite and accurate (underflow to 0 is the correctly rounded answer and stays quiet)."""
import math

import numpy as np
import pytest

from adcompile import (check_grads, grad, hessian, jvp, log_sigmoid, log_softmax, logsumexp, relu,
                       sigmoid, softmax, softplus, source)
from checks import assert_close

X = np.array([-1000.0, -40.0, -1.5, 0.0, 2.0, 40.0, 1000.0])
LOUD = dict(over="raise", divide="raise", invalid="raise")
# The sigmoid rule is the lecture's `(1 - ans) * ans`: for x > 37, 1 - ans rounds to 0 where the
# derivative is exp(-x) < 1e-16. Its absolute error stays below that.
ATOL = 1e-16


def exact_sigmoid(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sum_sigmoid(x):
    return np.sum(sigmoid(x))


def sum_softplus(x):
    return np.sum(softplus(x))


def sum_log_sigmoid(x):
    return np.sum(log_sigmoid(x))


def sum_relu(x):
    return np.sum(relu(x) * 2.0)


ELEMENTWISE = [
    (sum_sigmoid, lambda x: exact_sigmoid(x) * exact_sigmoid(-x)),
    (sum_softplus, exact_sigmoid),
    (sum_log_sigmoid, lambda x: exact_sigmoid(-x)),
    (sum_relu, lambda x: 2.0 * (x > 0)),
]


@pytest.mark.parametrize("f, derivative", ELEMENTWISE, ids=[f.__name__ for f, _ in ELEMENTWISE])
def test_elementwise_derivatives_at_extremes_in_both_modes(f, derivative):
    with np.errstate(**LOUD):
        g = grad(f)(X)
        for k in range(len(X)):
            e = np.zeros_like(X)
            e[k] = 1.0
            _, t = jvp(f, (X,), (e,))
            assert_close(t, derivative(X)[k], rtol=1e-12, atol=ATOL, what=f"forward, x={X[k]}")
    assert np.all(np.isfinite(g))
    assert_close(g, derivative(X), rtol=1e-12, atol=ATOL, what="reverse")


def scalar_chain(x):
    return sigmoid(x) + softplus(x) - log_sigmoid(-x) + relu(x)


@pytest.mark.parametrize("x", [-1000.0, -745.5, -30.0, 0.0, 30.0, 745.5, 1000.0])
def test_python_floats_at_extremes(x):
    s = float(exact_sigmoid(x))
    expected = s * (1 - s) + s + s + (1.0 if x > 0 else 0.0)
    g = grad(scalar_chain)(x)
    _, t = jvp(scalar_chain, (x,), (1.0,))
    assert type(g) is float and math.isfinite(g)
    assert math.isclose(g, expected, rel_tol=1e-12) and math.isclose(t, expected, rel_tol=1e-12)


def just_log_sigmoid(x):
    return log_sigmoid(x)


def test_log_sigmoid_of_minus_1000():
    assert log_sigmoid(-1000.0) == -1000.0
    assert grad(just_log_sigmoid)(-1000.0) == 1.0 and grad(just_log_sigmoid)(1000.0) == 0.0
    assert jvp(just_log_sigmoid, (-1000.0,), (1.0,)) == (-1000.0, 1.0)


def lse_rows(x):
    return np.sum(logsumexp(x, axis=1) * np.array([1.0, 2.0]))


def lse_keep(x):
    return np.sum(logsumexp(x, axis=0, keepdims=True) ** 2)


def lse_all(x):
    return logsumexp(x)


def softmax_loss(x):
    return np.sum(softmax(x, axis=1) * np.array([[0.0, 1.0, 2.0], [3.0, 0.0, -1.0]]))


def log_softmax_loss(x):
    return -np.sum(log_softmax(x) * np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))


BIG = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 999.0, 1000.0]])


def reference_softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@pytest.mark.parametrize("f", [lse_rows, lse_keep, lse_all, softmax_loss, log_softmax_loss])
def test_axis_primitives_at_extremes(f):
    with np.errstate(**LOUD):
        g = grad(f)(BIG)
        rng = np.random.default_rng(0)
        u = rng.normal(size=BIG.shape)
        _, t = jvp(f, (BIG,), (u,))
    assert np.all(np.isfinite(g)) and np.isfinite(t)
    assert math.isclose(t, float(np.sum(g * u)), rel_tol=1e-12, abs_tol=1e-12)  # both modes agree
    if f is lse_rows:
        assert_close(g, reference_softmax(BIG, 1) * np.array([[1.0], [2.0]]), rtol=1e-12, atol=0)
    if f is lse_all:
        assert_close(g, reference_softmax(BIG.ravel(), 0).reshape(BIG.shape), rtol=1e-12, atol=0)
    if f is log_softmax_loss:  # the gradient of cross-entropy: softmax minus the one-hot target
        target = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        assert_close(g, reference_softmax(BIG, -1) - target, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("f", [sum_sigmoid, sum_softplus, sum_log_sigmoid, lse_rows, lse_keep,
                               softmax_loss, log_softmax_loss])
def test_second_derivatives_of_the_stable_primitives(f):
    x = np.array([[0.3, -1.2, 2.0], [1.5, 0.1, -0.7]]) if f in (
        lse_rows, lse_keep, softmax_loss, log_softmax_loss) else np.array([-3.0, -0.5, 0.2, 4.0])
    check_grads(f, (x,), order=2, rtol=1e-5, atol=1e-7)


def test_hessians_stay_finite_at_extremes():
    with np.errstate(**LOUD):
        h = hessian(sum_softplus)(X)
        assert_close(np.diag(h), exact_sigmoid(X) * exact_sigmoid(-X), rtol=1e-12, atol=ATOL)
        assert np.all(np.isfinite(hessian(lse_all)(BIG)))


def test_rules_read_like_the_lecture():
    assert "(1 - s0) * s0" in source(grad(sum_sigmoid))
    assert "sigmoid(x)" in source(grad(sum_softplus)) and "sigmoid(-x)" in source(
        grad(sum_log_sigmoid))


# --- SciPy's spellings (SciPy is optional: these tests skip without it) ------------------------
try:
    import scipy.special as special
except ImportError:
    special = None


def scipy_functions(x):
    return np.sum(special.expit(x[0]) + special.log_expit(x[1])) \
        + special.logsumexp(x, axis=1) @ np.array([1.0, -1.0]) \
        + np.sum(special.softmax(x) * x) + np.sum(special.log_softmax(x, axis=1) * x) \
        + special.logsumexp(x, axis=0, keepdims=True).sum()


def test_scipy_special_is_recognised():
    pytest.importorskip("scipy.special")
    x = np.array([[0.5, -1.0, 2.0], [1000.0, -1000.0, 3.0]])
    src = source(grad(scipy_functions))
    assert "sigmoid(" in src and "log_sigmoid(" in src and "logsumexp(" in src
    assert "softmax(x, axis=None)" in src  # SciPy's softmax defaults to every axis
    assert "special." not in src
    with np.errstate(**LOUD):
        g = grad(scipy_functions)(x)
    assert np.all(np.isfinite(g))
    check_grads(scipy_functions, (x / 1000,), order=2)
    assert_close(softmax(x, axis=None), special.softmax(x), rtol=1e-12, atol=0)
