"""Regressions found by testing derivatives of derivatives: a loop calling grad of a looping
helper, differentiated again; Jacobians and partials called inside differentiated code; the
wording of refusals of composed transforms."""
import math

import numpy as np

from adcompile import grad, hessian, jacrev, jvp, value_and_grad
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
