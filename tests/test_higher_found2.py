"""Regressions found by testing derivatives of derivatives: a loop calling grad of a looping
helper, differentiated again; Jacobians and partials called inside differentiated code; the
wording of refusals of composed transforms."""
import functools
import inspect
import math

import numpy as np
import pytest

from adcompile import (ArgumentError, UnsupportedSyntaxError, grad, hessian, jacfwd, jacrev,
                       jvp, source, value_and_grad)
from checks import assert_close, numeric_grad, numeric_jacobian


def looped(x):
    s = 0.0
    for i in range(2):
        s = s + math.sin(x * s + x)
    return s


def calls_grad_in_loop(x):
    t = 0.0
    for k in range(2):
        t = t + grad(looped)(x)
    return t


def calls_grad_unrolled(x):
    return grad(looped)(x) + grad(looped)(x)


def calls_value_and_grad_in_loop(x):
    t = 0.0
    for k in range(3):
        v, g = value_and_grad(looped)(x * k)
        t = t + v * g
    return t


def test_second_derivative_of_a_loop_calling_grad_of_a_loop():
    # the inner gradient's tape, made on one path of its float test inside the loop, was read
    # as unbound at the top of the second derivative (a look ahead emitted Python's error)
    x = 0.3
    expected = numeric_grad(grad(calls_grad_in_loop), (x,), 0)
    assert_close(grad(grad(calls_grad_in_loop))(x), expected, rtol=1e-5)
    assert_close(grad(grad(calls_grad_in_loop))(x), grad(grad(calls_grad_unrolled))(x))
    assert_close(hessian(calls_grad_in_loop)(x), expected, rtol=1e-5)
    assert_close(jacrev(grad(calls_grad_in_loop))(x), expected, rtol=1e-5)
    assert_close(jvp(grad(calls_grad_in_loop), (x,), (1.0,))[1], expected, rtol=1e-5)
    expected = numeric_grad(grad(calls_value_and_grad_in_loop), (x,), 0)
    assert_close(grad(grad(calls_value_and_grad_in_loop))(x), expected, rtol=1e-5)


def looped_array(q):
    s = np.zeros_like(q)
    for i in range(2):
        s = s + np.sin(q * s + q)
    return np.sum(s ** 2)


def calls_grad_in_loop_array(q):
    t = 0.0
    for k in range(2):
        t = t + np.sum(grad(looped_array)(q) * q)
    return t


def test_hessian_of_a_loop_calling_grad_of_a_loop_on_arrays():
    q = np.array([0.3, -0.5, 0.8])
    expected = numeric_jacobian(grad(calls_grad_in_loop_array), (q,), 0)
    assert_close(hessian(calls_grad_in_loop_array)(q), expected, rtol=1e-5, atol=1e-6)
    assert_close(jacrev(grad(calls_grad_in_loop_array))(q), expected, rtol=1e-5, atol=1e-6)
    u = np.array([1.0, 2.0, -1.0])
    assert_close(jvp(grad(calls_grad_in_loop_array), (q,), (u,))[1], expected @ u,
                 rtol=1e-5, atol=1e-6)


def energy(q):
    return np.sum(np.cos(q) * q ** 2)


HESSIAN_OF_ENERGY = hessian(energy)
JACFWD_OF_GRAD = jacfwd(grad(energy))
JACREV_OF_ENERGY = jacrev(energy)


def uses_hessian(q):
    return np.trace(HESSIAN_OF_ENERGY(q))  # the user's line


def uses_jacfwd(q):
    return np.sum(JACFWD_OF_GRAD(q))  # the user's line


def uses_jacrev(q):
    return np.sum(JACREV_OF_ENERGY(q))  # the user's line


def line_of(f, text):
    lines, start = inspect.getsourcelines(f)
    return start + next(k for k, line in enumerate(lines) if text in line)


@pytest.mark.parametrize("f", [uses_hessian, uses_jacfwd, uses_jacrev])
def test_a_jacobian_called_inside_is_refused_at_the_users_line(f):
    # the inliner walked into adcompile's own wrapper (an error placed in higher.py)
    q = np.array([0.3, -0.8, 1.1])
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(f)(q)
    assert info.value.filename == __file__ and info.value.line == line_of(f, "the user's line")
    assert "made by adcompile's jacfwd, jacrev or hessian" in info.value.message
    assert "outside" in info.value.message and "grad" in info.value.message


def energy_k(q, k):
    return k * np.sum(np.cos(q) * q ** 2)


def energy_kq(k, q):
    return np.sum(k * np.cos(q) * q ** 2)


def uses_partial(q):
    return np.sum(grad(functools.partial(energy_k, k=2.0))(q))


def uses_partial_bound_at_run_time(q):
    k = np.sum(q ** 2)
    return np.sum(grad(functools.partial(energy_kq, k))(q) * q)


def uses_value_and_grad_of_partial(q):
    v, g = value_and_grad(functools.partial(energy_kq, np.sum(q)), argnums=0)(q)
    return v * np.sum(g)


WEIGHTS = np.array([1.0, 2.0, 3.0])
GRAD_OF_PARTIAL = grad(functools.partial(energy_kq, WEIGHTS))
GRAD_OF_KEYWORD_PARTIAL = grad(functools.partial(energy_k, k=2.0))


def uses_module_level_grads_of_partials(q):  # (was: refused as "calling adcompile.energy_kq")
    return np.sum(GRAD_OF_PARTIAL(q) * q) + np.sum(GRAD_OF_KEYWORD_PARTIAL(q) ** 2)


@pytest.mark.parametrize("f", [uses_partial, uses_partial_bound_at_run_time,
                               uses_value_and_grad_of_partial,
                               uses_module_level_grads_of_partials])
def test_grad_of_a_partial_inside(f):
    # was: ArgumentError "grad expects a function, got Partial" (no place, an internal class)
    q = np.array([0.3, -0.8, 1.1])
    assert_close(grad(f)(q), numeric_grad(f, (q,), 0), rtol=1e-5)


class Sys:
    def __init__(self, k):
        self.k = k

    def energy(self, q):
        return 0.5 * self.k * np.sum(q ** 2) + np.sum(np.sin(q))

    def force_sq(self, q):
        return np.sum(grad(Sys.energy, 1)(self, q) ** 2)  # the user's line


def test_grad_of_a_method_with_its_object_inside_is_taken():
    # was refused ("a derivative compiled at each call for the structure of its arguments");
    # now compiled for the object's structure known while lowering (lower/structured.py)
    q = np.array([0.3, -0.8, 1.1])
    f = Sys(1.3).force_sq
    assert_close(grad(f)(q), numeric_grad(f, (q,), 0), rtol=1e-5)


def vecf(x):
    return np.array([x[0] * x[1], np.sin(x[2]) * x[0], x[1] ** 3])


def f3(a, b, c):
    return a * b ** 2 + np.sin(c) * a


def two(a, b):
    return np.sum(a ** 2 * b)


def dict_sum(p):
    return np.sum(p["a"] ** 3) * p["c"]


def test_source_of_a_jacobian_names_the_code_it_runs():
    with pytest.raises(ArgumentError) as info:
        source(jacfwd(jacrev(vecf)))
    message = info.value.message
    assert message.startswith("jacfwd(jacrev(vecf)) is a Jacobian of a Jacobian")
    assert "source(vecf, mode='forward')" in message and "again by reverse mode" in message
    with pytest.raises(ArgumentError) as info:
        source(hessian(f3, (0, 1)))
    message = info.value.message
    assert message.startswith("hessian(f3, (0, 1)) is a Jacobian")
    suggested = "source(grad(f3, (0, 1)), mode='forward', argnums=(0, 1))"
    assert suggested in message
    assert "def jvp_grad_f3(a, b, c, d_a, d_b)" in source(grad(f3, (0, 1)), mode="forward",
                                                         argnums=(0, 1))
    with pytest.raises(ArgumentError, match=r"source\(f3, mode='vjp', argnums=1\)"):
        source(jacrev(f3, 1))


def test_grad_of_a_gradient_with_several_outputs_is_refused_in_the_users_words():
    a, b = np.array([0.5, 1.0]), np.array([2.0, -1.0])
    with pytest.raises(ArgumentError) as info:
        grad(grad(two, (0, 1)))(a, b)
    message = info.value.message
    assert info.value.filename == __file__ and "grad_two returns a tuple or list of 2" in message
    assert "`" not in message and "type(" not in message  # (no generated code quoted)
    assert "hessian" in message


def test_grad_of_a_function_returning_a_dict_says_so():
    p = {"a": np.array([0.3, 0.5]), "c": 1.5}
    with pytest.raises(ArgumentError) as info:
        grad(grad(dict_sum))(p)
    message = info.value.message
    assert "returns a dict" in message and "shape" not in message
    assert "hessian" in message
    with pytest.raises(ArgumentError, match="returns a dict"):
        grad(lambda p: {"a": p["a"] ** 2, "c": p["c"]})(p)


def test_argnums_of_a_numpy_integer_and_the_wording_of_the_refusal():
    a, b = 0.5, 2.0
    assert_close(grad(two, np.int64(1))(a, b), a ** 2)
    assert_close(grad(two, [np.int64(0), 1])(a, b), (2 * a * b, a ** 2))
    with pytest.raises(ArgumentError, match=r"an int or a non-empty tuple or list of ints, not "
                                            r"1\.0"):
        grad(two, 1.0)
