"""A name a loop's body may read before that iteration binds it (bound on one path of an if, in
an earlier iteration) holds the last iteration's value, as in Python (T49: a false
UnboundLocalError on valid code, the "previous value" pattern)."""
import numpy as np
import pytest

from adcompile import grad, hessian, jvp, value_and_grad
from checks import assert_close, numeric_grad


def read_inside(x, n):
    z = 0.0
    for i in range(n):
        if i == 0:
            y = x * x
        z = z + y
    return z


def prev_value(x, n):
    s = 0.0
    for i in range(n):
        if i > 0:
            s = s + prev * x  # noqa: F821  (bound by the iteration before)
        prev = x * i + 1.0  # noqa: F841  (read by the next iteration)
    return s


def while_first(x, n):
    z, i = 0.0, 0
    while i < n:
        if i == 0:
            y = np.sin(x)
        z = z + y * i
        i += 1
    return z


def np_first(w, n):
    acc = np.zeros_like(w)
    for i in range(n):
        if i == 0:
            base = w * w
        acc = acc + base * (i + 1)
    return np.sum(acc)


def read_too_soon(x, n):
    z = 0.0
    for i in range(n):
        if i == 1:
            y = x * x
        z = z + y
    return z


@pytest.mark.parametrize("f, args", [(read_inside, (0.5, 3)), (prev_value, (0.5, 4)),
                                     (prev_value, (1.5, 1)), (while_first, (0.7, 4)),
                                     (read_inside, (0.5, 0))])
def test_a_name_bound_in_an_earlier_iteration_is_read_in_a_later_one(f, args):
    value, g = value_and_grad(f)(*args)
    assert value == pytest.approx(f(*args))
    assert_close(g, numeric_grad(f, list(args), 0), what=f.__name__)
    assert_close(jvp(f, args, (1.0, 0))[1], g)
    assert_close(hessian(f)(*args), numeric_grad(grad(f), list(args), 0), rtol=1e-4,
                 atol=1e-5)


def test_an_array_bound_in_the_first_iteration():
    w = np.array([0.3, -1.2, 2.0])
    assert_close(grad(np_first)(w, 3), numeric_grad(np_first, [w, 3], 0))


def test_read_before_any_iteration_bound_it_raises_as_python():
    with pytest.raises(UnboundLocalError):
        read_too_soon(0.5, 3)
    with pytest.raises(UnboundLocalError):
        grad(read_too_soon)(0.5, 3)
    assert grad(read_too_soon)(0.5, 0) == 0.0  # (no read at all)


def test_under_jit():
    pytest.importorskip("numba")
    from checks import agree
    agree(read_inside, 0.5, 3)
    agree(prev_value, 0.5, 4)


def gates(W, xs):
    h = np.zeros(2)
    for t in range(len(xs)):
        i, o = np.tanh(xs[t] @ W), np.sin(xs[t] @ W)  # (LSTM-style gates, unpacked)
        h = i * h + o
    return np.sum(h)


def test_names_a_tuple_assignment_binds_before_the_body_reads_them_are_not_carried():
    """(T51: `i, o = ...` did not count as binding i and o for the body's later reads, so both
    were carried: UNBOUND placeholders, two tape pushes and zeroed adjoints per step, and jit
    refused it saying o was read after the loop, which it is not.)"""
    import adcompile
    W = np.array([[0.3, -0.2], [0.1, 0.4], [0.5, 0.2]])
    xs = np.array([[0.1, 0.2, -0.3], [0.4, -0.5, 0.6], [0.2, 0.1, 0.0]])
    flat = adcompile.source(gates, "flat")
    assert "UNBOUND" not in flat and "i = s" not in flat, flat
    assert_close(grad(gates)(W, xs), numeric_grad(gates, (W, xs), 0))
    if _has("numba") and _has("scipy"):  # (jit; Numba's @ needs SciPy)
        assert_close(adcompile.jit(grad(gates))(W, xs), grad(gates)(W, xs), rtol=1e-13)


def _has(module):
    import importlib.util
    return importlib.util.find_spec(module) is not None
