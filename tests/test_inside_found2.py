"""Defects found by a tester (T53) taking derivatives inside a differentiated function: each a
regression test before its fix."""
import math

import numpy as np
import pytest

from adcompile import grad, hessian, jvp, source, value_and_grad, vjp
from adcompile.errors import ArgumentError, UnsupportedSyntaxError
from checks import assert_close, numeric_grad


# --- (1) vjp's pullback inside a differentiated function, of a function with a `for` loop: the
# pullback's default `s0=locals().get('s0')` (a name the pullback recomputes before reading it)
# was read again as code and refused with "the method .get()"; a tape holding a tuple at some
# steps and one value at others was then read back as a list of lists -------------------------
def loop_sum(y):
    s = 0.0
    for k in range(3):
        s = s + math.sin(y + k)
    return s


def loop_tanh(w):
    z = w
    for i in range(3):
        z = np.tanh(z) + w
    return z


def loop_append(y):
    xs = []
    for k in range(3):
        xs.append(math.sin(y * k))
    return sum(xs)


def loop_indexed(w):  # the tape holds s at one push, (s1, s2) at the other
    s = np.ones(2)
    for k in range(3):
        s = s + np.sin(w + k) * s[0]
    return s


def loop_in_a_branch(y):  # s bound by the loop on one path only
    s = y
    if y > 0:
        for k in range(3):
            u = math.exp(s)
            s = s * u
    return s


@pytest.mark.parametrize("h, x", [(loop_sum, 0.4), (loop_tanh, np.array([0.3, 0.5])),
                                  (loop_append, 0.4), (loop_indexed, np.array([0.3, 0.6])),
                                  (loop_in_a_branch, 0.4), (loop_in_a_branch, -0.3)])
def test_a_pullback_of_a_loop_is_differentiated_inside(h, x):
    def f(x):
        out, pb = vjp(h, x)
        return np.sum(pb(x)[0] * out)

    expected = numeric_grad(f, (x,), 0)
    assert_close(grad(f)(x), expected, rtol=1e-6, what=h.__name__)
    assert_close(jvp(f, (x,), (np.ones_like(x),))[1], np.sum(expected), rtol=1e-6)
    assert "locals()" not in source(h, mode="vjp")


def test_a_pullback_reads_no_name_it_recomputes():
    head = source(loop_sum, mode="vjp").split("def pullback")[1].split("\n")[0]
    assert head == "(grad_s):"


# --- (2) grad(grad(g)), value_and_grad(grad(g)) and jvp(grad(g)) of g defined in the
# differentiated function were refused with internal names ("grad expects a function, got
# LocalTransform", "jvp of <argument2>"); the PINN idiom u_xx = grad(grad(lambda t: net(w, t))) -
def net(w, x):
    return np.sum(w[1] * np.tanh(w[0] * x))


def pinn_loss(w, xs):
    total = 0.0
    for x in xs:
        u_xx = grad(grad(lambda t: net(w, t)))(x)
        total = total + (u_xx + net(w, x)) ** 2
    return total


def test_grad_of_grad_of_a_local_lambda_inside():
    w, xs = np.array([[0.5, -1.0], [1.0, 2.0]]), np.array([0.1, 0.5])
    assert_close(grad(pinn_loss)(w, xs), numeric_grad(pinn_loss, (w, xs), 0), rtol=1e-5)


def twice(x):
    h = lambda y: x * y ** 3  # noqa: E731
    return grad(grad(h))(x)  # 6 x * x


def value_and_second(x):
    def h(y):
        return x * y ** 3
    value, second = value_and_grad(grad(h))(x)  # 3 x**3, 6 x * x
    return value + second


def tangent_of_grad(x):
    h = lambda y: x * y ** 3  # noqa: E731
    return jvp(grad(h), (x,), (1.0,))[1]  # 6 x * x


@pytest.mark.parametrize("f, derivative", [(twice, lambda x: 12 * x),
                                           (value_and_second, lambda x: 9 * x ** 2 + 12 * x),
                                           (tangent_of_grad, lambda x: 12 * x)])
def test_nested_transforms_of_a_local_function_inside(f, derivative):
    assert grad(f)(0.6) == pytest.approx(derivative(0.6))
    assert jvp(f, (0.6,), (1.0,))[1] == pytest.approx(derivative(0.6))


def test_a_lambda_reading_a_local_function_is_taken():
    # was refused (T53 §8, then named); now h is defined again inside the lambda's function made
    # (closures.closed): jvp(lambda y: grad(h)(y)) = 6 x * x at y = x, derivative 12 x
    def f(x):
        h = lambda y: x * y ** 3  # noqa: E731
        return jvp(lambda y: grad(h)(y), (x,), (1.0,))[1]

    assert grad(f)(0.6) == pytest.approx(12 * 0.6)
    assert jvp(f, (0.6,), (1.0,))[1] == pytest.approx(12 * 0.6)


# --- (3) grad(loss_fn) inside, of a function passed as an argument, a default or a dict field:
# refused as "a function defined in the differentiated function" (sq is defined at module level),
# while the same meta called from another function worked: now compiled at the call, where the
# function is known ---------------------------------------------------------------------------
def sq(w, x):
    return np.sum((w * x) ** 2)


def meta(w, x, loss_fn):
    return loss_fn(w - 0.1 * grad(loss_fn)(w, x), x)


def meta_default(w, x, loss_fn=sq):
    return loss_fn(w - 0.1 * grad(loss_fn)(w, x), x)


def meta_dict(w, x, cfg):
    return cfg["loss"](w - 0.1 * grad(cfg["loss"])(w, x), x)


def meta_plain(w, x):
    return sq(w - 0.1 * 2 * w * x * x, x)


W, X = np.array([1.0, 2.0]), np.array([0.5, -1.0])


@pytest.mark.parametrize("call", [lambda: grad(meta)(W, X, sq), lambda: grad(meta_default)(W, X),
                                  lambda: grad(meta_dict)(W, X, {"loss": sq})])
def test_grad_of_a_function_argument_inside(call):
    assert_close(call(), numeric_grad(meta_plain, (W, X), 0), rtol=1e-6)


@pytest.mark.parametrize("bad, what", [(3.0, "a value known only when the function runs"),
                                       ([sq, sq], "a tuple or list")])
def test_grad_of_what_is_not_a_function_says_what_it_is(bad, what):
    with pytest.raises(UnsupportedSyntaxError) as e:
        grad(meta)(W, X, bad)
    assert f"grad(loss_fn) of {what}" in str(e.value)
    assert "defined in the differentiated function" not in str(e.value)
    assert e.value.filename == __file__


# --- (4) messages naming what the user did not write: hessian's refusals in grad's and jacfwd's
# words, a lambda named lambda_ ---------------------------------------------------------------
def test_hessian_of_a_tuple_output_says_hessian():
    with pytest.raises(ArgumentError) as e:
        hessian(lambda x: (np.sum(x ** 3), np.sum(x ** 2)))(np.array([0.3, 0.7]))
    message = str(e.value)
    assert "hessian needs a scalar output" in message and "<lambda> returns a tuple" in message
    assert "grad needs" not in message and "lambda_" not in message
    assert e.value.filename == __file__


def test_hessian_of_an_int_in_argnums_says_hessian():
    with pytest.raises(ArgumentError, match=r"hessian\(<lambda>\): argument 1 in argnums is an "
                                            r"integer") as e:
        hessian(lambda a, n: a ** n, (0, 1))(2.0, 3)
    assert "jacfwd" not in str(e.value)


# --- (5) f(a, *REST) of a global or closure tuple was refused as "a sequence known only at run
# time": its items are known when the derivative is built, as any global's --------------------
def four(a, b, c, d):
    return a * b + c * d ** 2


def several(a, *bs):
    return a * sum(bs)


REST = (2.0, 3.0, 4.0)
SOME = (1.0, 2.0)


def test_spreading_a_global_tuple():
    global REST, SOME
    g = lambda a: four(a, *REST)  # noqa: E731
    assert grad(g)(1.0) == 2.0 and jvp(g, (1.0,), (1.0,)) == (50.0, 2.0)
    REST = (5.0, 3.0, 4.0)  # (rebound: the derivative is made again)
    try:
        assert grad(g)(1.0) == 5.0
    finally:
        REST = (2.0, 3.0, 4.0)
    h = lambda a: several(a, *SOME) * a  # noqa: E731
    assert grad(h)(1.5) == pytest.approx(6 * 1.5)
    SOME = (1.0, 2.0, 3.0)  # (another length)
    try:
        assert grad(h)(1.5) == pytest.approx(12 * 1.5)
    finally:
        SOME = (1.0, 2.0)


def test_spreading_a_slice_of_a_closure_tuple():
    def make(rest):
        return lambda a: four(a, *rest[1:]) * rest[0]

    assert grad(make((10.0, 2.0, 3.0, 4.0)))(1.0) == 20.0
    assert grad(make((3.0, 1.0, 2.0, 2.0)))(1.0) == 3.0


# --- (4) grad(f_kw)(x, scale=s) inside, of a function with a keyword-only parameter, was refused
# blaming "an object, a dict, a list" for arrays and numbers; then refused for its keyword-only
# parameter; now compiled for the arguments passed (lower/structured.py), as outside -
def sines_kw(x, *, scale=1.0):
    return np.sum(np.sin(x) * scale)


def sines_args(x, *ws):
    return np.sum(np.sin(x) * ws[0])


def test_grad_of_a_keyword_only_function_inside_is_taken():
    def outer(x, s):
        return np.sum(grad(sines_kw)(x, scale=s) ** 2)

    def outer_args(x, s):
        return np.sum(grad(sines_args)(x, s) ** 2)

    x = np.array([0.4, -0.3])
    for f in (outer, outer_args):
        assert_close(grad(f, 1)(x, 1.5), numeric_grad(f, (x, 1.5), 1), rtol=1e-5)
        assert_close(grad(f, 1)(x, 1.5), 2 * 1.5 * np.sum(np.cos(x) ** 2))


def grad_me(y, z):
    return y * y * z


def test_a_refused_jvp_inside_names_what_the_user_wrote():
    def f(x):
        return jvp(grad(grad_me), (x,), (1.0,))[1]  # (one primal for two parameters)

    with pytest.raises(UnsupportedSyntaxError) as e:
        grad(f)(0.5)
    assert "jvp of grad(grad_me) inside" in str(e.value) and "<argument" not in str(e.value)


def test_a_call_missing_an_argument_names_the_users_function():
    with pytest.raises(TypeError) as e:
        grad(lambda a, b: a * b)(1.0)
    assert "grad(<lambda>)() missing 1 required positional argument: 'b'" in str(e.value)
