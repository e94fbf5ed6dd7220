"""adcompile.jit and the globals a function reads (tester T42): Numba freezes a global array into
the machine code, grad(f) reads the array it captured at each call. jit passes each global array
the code reads as a hidden argument, so an array changed in place is seen as grad(f) sees it; a
rebound global keeps the old binding in both (captured when the derivative is built). Skipped
without Numba."""
import types

import numpy as np
import pytest

from adcompile import grad, jit, value_and_grad
from adcompile.jit import JitError
from checks import assert_close, numeric_grad

numba = pytest.importorskip("numba")

X = np.array([1.0, 2.0, 3.0])  # a minibatch buffer, refilled in place
W = (np.array([1.0, 1.0]), np.array([2.0, 2.0]))  # a tuple of arrays
CFG = types.SimpleNamespace(A=np.array([1.0, 1.0, 1.0]))  # an attribute's array
LIST = [1.0, 2.0, 3.0]
K = 3.0


def loss(w):
    s = 0.0
    for i in range(3):
        s += (w * X[i] - 1.0) ** 2
    return s


def loss_np(w, scale=2.0):
    return scale * np.sum((w * X - 1.0) ** 2)


def loss_tuple(w):
    return np.sum(w * W[0] * W[1])


def loss_attribute(w):
    return np.sum(np.sin(w * CFG.A))


def loss_scaled(w):
    return K * w * w


def loss_list(w):
    return w * LIST[1]


def loss_dict(p):
    return np.sum((p["a"] * X - 1.0) ** 2)


def closure(data):
    def fit(w):
        return np.sum((w * data) ** 2)
    return fit


def check(f, compiled, w, *rest):
    """compiled(w) == grad(f)(w) == central differences of f, at the current globals."""
    assert_close(compiled(w, *rest), grad(f)(w, *rest))
    assert_close(compiled(w, *rest), numeric_grad(f, (w, *rest), 0), rtol=1e-5)


@pytest.fixture(autouse=True)
def fresh_globals():
    X[:] = [1.0, 2.0, 3.0]
    W[0][:] = 1.0
    CFG.A[:] = 1.0
    yield
    X[:] = [1.0, 2.0, 3.0]


@pytest.mark.parametrize("f", [loss, loss_np])
def test_global_array_changed_in_place_is_read_at_each_call(f):
    g = grad(f)
    compiled = jit(g)
    check(f, compiled, 0.5)
    X[:] = [4.0, 5.0, 6.0]  # the next minibatch
    assert_close(compiled(0.5), 47.0 * (1.0 if f is loss else 2.0))
    check(f, compiled, 0.5)
    assert_close(compiled(0.5), g(0.5))


def test_plain_function_reads_the_array_at_each_call():
    compiled = jit(loss)
    assert_close(compiled(0.5), loss(0.5))
    X[:] = [4.0, 5.0, 6.0]
    assert_close(compiled(0.5), loss(0.5))
    assert_close(jit(loss_np)(0.5, 3.0), loss_np(0.5, 3.0))


def test_value_and_grad_and_defaults_with_a_global_array():
    compiled = jit(value_and_grad(loss_np))
    assert_close(compiled(0.5)[1], grad(loss_np)(0.5))
    X[:] = [4.0, 5.0, 6.0]
    value, g = compiled(0.5)
    assert_close(value, loss_np(0.5))
    assert_close(g, grad(loss_np)(0.5))
    assert_close(compiled(0.5, scale=3.0)[1], grad(loss_np)(0.5, 3.0))
    assert_close(compiled(0.5, 3.0)[1], numeric_grad(loss_np, (0.5, 3.0), 0), rtol=1e-5)


def test_rebound_global_keeps_the_binding_as_grad_does():
    """grad(f) captures the array when it is built; a rebound name does not reach it, an
    in-place change of the captured array does. jit(grad(f)) does the same."""
    global X
    g = grad(loss)
    compiled = jit(g)
    old = X
    try:
        X = np.array([7.0, 8.0, 9.0])
        assert_close(compiled(0.5), g(0.5))
        assert_close(compiled(0.5), 2.0)  # the array captured: [1, 2, 3]
        old[:] = [4.0, 5.0, 6.0]
        assert_close(compiled(0.5), g(0.5))
        assert_close(compiled(0.5), 47.0)
        check(loss, jit(grad(loss)), 0.5)  # built after rebinding: the new array
    finally:
        X = old


def test_global_rebound_between_grad_and_jit_refused():
    """grad(f) keeps the array it was built with; jit would build from the one bound now."""
    global X
    g = grad(loss)
    old = X
    try:
        X = np.array([7.0, 8.0, 9.0])
        with pytest.raises(JitError, match=r"`X` changed after the derivative of loss"):
            jit(g)
    finally:
        X = old


def test_tuple_attribute_and_closure_arrays():
    compiled = jit(grad(loss_tuple))
    check(loss_tuple, compiled, np.array([0.5, 1.5]))  # (Numba compiles at the first call)
    W[0][:] = [3.0, 4.0]
    check(loss_tuple, compiled, np.array([0.5, 1.5]))
    compiled = jit(grad(loss_attribute))
    check(loss_attribute, compiled, 0.7)
    CFG.A[:] = [0.5, 2.0, 3.0]
    check(loss_attribute, compiled, 0.7)
    data = np.array([1.0, 2.0])
    fit = closure(data)
    compiled = jit(grad(fit))
    check(fit, compiled, 0.3)
    data[:] = [3.0, -1.0]
    check(fit, compiled, 0.3)


def test_container_argument_and_global_array():
    compiled = jit(grad(loss_dict))
    assert_close(compiled({"a": 0.5})["a"], 2.0)
    X[:] = [4.0, 5.0, 6.0]
    assert_close(compiled({"a": 0.5})["a"], grad(loss_dict)({"a": 0.5})["a"])
    assert_close(compiled({"a": 0.5})["a"], 47.0)


def test_global_number_is_a_constant_as_in_grad():
    global K
    g = grad(loss_scaled)
    compiled = jit(g)
    assert_close(compiled(2.0), 12.0)
    try:
        K = 5.0
        assert_close(compiled(2.0), g(2.0))
        assert_close(compiled(2.0), 12.0)
    finally:
        K = 3.0


def test_global_list_refused_with_what_to_write():
    """grad(f) reads a global list changed in place; Numba cannot take it: refused at the line
    that reads it, saying to hold the values in an array or tuple."""
    with pytest.raises(JitError, match=r"global list `LIST`.*np\.array") as e:
        jit(grad(loss_list))(1.0)
    assert e.value.filename.endswith("test_jit_globals.py")
    assert e.value.line == loss_list.__code__.co_firstlineno + 1
