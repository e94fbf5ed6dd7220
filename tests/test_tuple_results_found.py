"""NumPy functions that return a tuple (np.modf, np.linalg.slogdet) inside loops, to second
order (tester T30): the tangent of such a result is a tuple of the parts' tangents, and the
adjoints of one are added part by part, never joined end to end."""
import numpy as np

import adcompile as ad
from checks import assert_close, numeric_grad, numeric_jacobian


def slogdet_in_a_loop(x):
    S = x.reshape(2, 2) + 2 * np.eye(2)
    tot = 0.0
    for k in range(2):
        tot = tot + np.linalg.slogdet(S)[1]
        S = S * x[0]
    return tot


def modf_in_a_loop(x):
    y = x * 3.3
    tot = 0.0
    for k in range(2):
        r = np.modf(y)
        tot = tot + r[0] ** 2
        y = y * 1.1
    return tot


X = np.array([0.7, 0.3, -0.4, 0.9])


def test_slogdet_in_a_loop_forward_and_second_order():
    # its tangent was an array of the two parts, spread by the loop over each part (a crash)
    fd = numeric_grad(slogdet_in_a_loop, (X,), 0)
    assert_close(ad.grad(slogdet_in_a_loop)(X), fd, rtol=1e-6)
    t = np.cos(np.arange(4.0))
    assert np.isclose(ad.jvp(slogdet_in_a_loop, (X,), (t,))[1], fd @ t, rtol=1e-6)
    assert_close(ad.jacfwd(slogdet_in_a_loop)(X), fd, rtol=1e-6)
    H = numeric_jacobian(ad.grad(slogdet_in_a_loop), (X,), 0)
    assert_close(ad.hessian(slogdet_in_a_loop)(X), H, rtol=1e-5, atol=1e-6)
    assert_close(ad.jacrev(ad.grad(slogdet_in_a_loop))(X), H, rtol=1e-5, atol=1e-6)


def test_modf_in_a_loop_reverse_over_reverse():
    # the adjoint of the pair started as a list of zeros, and two of them were joined into a
    # list of four before the part's gradient was added (a crash; a sum elsewhere)
    x = 0.7
    g = numeric_grad(modf_in_a_loop, (x,), 0)
    assert np.isclose(ad.grad(modf_in_a_loop)(x), g, rtol=1e-6)
    h = numeric_grad(ad.grad(modf_in_a_loop), (x,), 0)
    assert np.isclose(ad.grad(ad.grad(modf_in_a_loop))(x), h, rtol=1e-5)
    assert np.isclose(ad.hessian(modf_in_a_loop)(x), h, rtol=1e-5)
