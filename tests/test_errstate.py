"""`with np.errstate(...)` in differentiated code: the statements of its body, and the derivative
statements made from them, run under the same NumPy floating-point settings, so a gradient does
not warn where the user silenced the function. Other `with` blocks are refused with their line."""
import math
import warnings

import numpy as np
import pytest

from adcompile import UnsupportedSyntaxError, grad, hessian, jacfwd, jacrev, jvp, source
from checks import numeric_grad

HERE = __file__


def log_where_positive(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(x > 0, np.log(x), 0.0)
    return np.sum(y * x)


def nested_in_loop(x):
    s = 0.0 * x
    for i in range(3):
        with np.errstate(all="ignore"):
            r = np.where(x != 0, np.sin(x) / x, 1.0)
            with np.errstate(divide="warn"):  # inner settings override the outer ones
                s = s + r * (i + 1)
        s = s * 0.5
    return np.sum(s)


def returns_inside(x):
    with np.errstate(invalid="ignore"):
        r = np.sqrt(x)
        return np.sum(np.where(np.isnan(r), 0.0, r) * x)


def quiet_ratio(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):  # (its gradient divides 0 by 0)
        return np.where(b != 0, a / b, 0.0)


def calls_a_helper(x):
    return np.sum(quiet_ratio(x ** 2, x - 1.0))


def scalar_body(x):
    with np.errstate(over="ignore"):
        y = math.sin(x) * x
    return y * y


X = np.array([0.0, -1.0, 0.5, 2.0])


def loud(f):
    """`f` run with every warning an error: a gradient that warns fails the test."""
    def run(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return f(*args)
    return run


@pytest.mark.parametrize("f, args", [
    (log_where_positive, (X,)), (nested_in_loop, (X,)), (returns_inside, (X,)),
    (calls_a_helper, (np.array([0.5, 1.0, 2.0, -3.0]),)), (scalar_body, (0.7,)),
])
def test_gradients_run_under_the_users_error_settings(f, args):
    g = loud(grad(f))(*args)
    x = np.asarray(args[0], dtype=float)
    ok = np.isfinite(g)
    assert ok.any()
    expected = numeric_grad(f, args, 0)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(np.where(ok, g, 0.0), np.where(ok, expected, 0.0), rtol=1e-5,
                                   atol=1e-7)
    # forward against reverse where the derivative is finite (elsewhere 0 * inf is NaN)
    x = x[ok] if x.ndim else x
    _, dy = loud(jvp)(f, (x,), (np.ones_like(x),))
    np.testing.assert_allclose(dy, np.sum(loud(grad(f))(x)), rtol=1e-9)


def test_second_order_keeps_the_settings():
    x = np.array([0.0, 0.5, 2.0])
    h = loud(hessian(log_where_positive))(x)
    np.testing.assert_allclose(h[1:, 1:], np.diag(1 / x[1:]), rtol=1e-9)  # d2(x log x) = 1/x
    np.testing.assert_allclose(loud(jacfwd(grad(returns_inside)))(np.array([0.5, 2.0])),
                               loud(jacrev(grad(returns_inside)))(np.array([0.5, 2.0])))


def test_the_listing_shows_the_block_around_the_statements_it_covers():
    text = source(grad(log_where_positive))
    assert text.count("with np.errstate(divide='ignore', invalid='ignore'):") == 2  # two sweeps
    inner = source(grad(nested_in_loop))
    assert "with np.errstate(all='ignore'):" in inner
    assert "with np.errstate(divide='warn', over='ignore', under='ignore', invalid='ignore'):" \
        in inner
    lines = inner.splitlines()
    halving = [i for i, line in enumerate(lines) if "* 0.5" in line and "grad" not in line]
    assert halving and all(not lines[i - 1].strip().startswith("with") for i in halving)


def test_statements_outside_the_block_still_warn():
    def outside(x):
        with np.errstate(divide="ignore"):
            y = np.log(x)
        return np.sum(y + 1.0 / x)
    # (a def in a file: its source is readable)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        grad(outside)(np.array([0.0, 1.0]))
    assert any("divide" in str(w.message) for w in seen)


def with_open(x):
    with open("log.txt"):
        y = x
    return y


def with_raise(x):
    with np.errstate(all="raise"):
        y = np.log(x)
    return y


def with_name(x):
    with np.errstate(divide="ignore") as state:  # noqa: F841
        y = np.log(x)
    return y


def with_variable(x, how):
    with np.errstate(divide=how):
        y = np.log(x)
    return y


@pytest.mark.parametrize("f, text, words", [
    (with_open, 'with open("log.txt")', "np.errstate"),
    (with_raise, 'with np.errstate(all="raise")', "'raise'"),
    (with_name, "as state", "as"),
    (with_variable, "np.errstate(divide=how)", "written"),
])
def test_other_with_blocks_are_refused_at_their_line(f, text, words):
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(f)(np.array([1.0, 2.0]), *(["ignore"] if f is with_variable else []))
    line = next(i for i, s in enumerate(open(HERE).read().splitlines(), 1) if text in s)
    assert f"{HERE}:{line}" in str(info.value) and words in str(info.value), str(info.value)


def test_jit_compiles_the_body_without_the_block():
    pytest.importorskip("numba")
    from adcompile import jit
    np.testing.assert_allclose(jit(grad(scalar_body))(0.7), grad(scalar_body)(0.7), rtol=1e-12)
