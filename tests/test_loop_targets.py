"""A `for` loop's target read after the loop holds what Python leaves in it: the value the body
last bound it to (the body may rebind it), or, when the loop does not run, what it held before
(tester T13: a range loop's target read after the loop was its last number even when the body
rebound it, silently wrong in every mode; a loop that did not run crashed on its earlier value,
or in reverse mode on a read of it that Python never makes)."""
import numpy as np
import pytest

from adcompile import grad, hessian, jit, jvp, value_and_grad, vjp
from checks import assert_close, numeric_grad, numeric_jacobian


def check(f, args, argnum=0):
    """Value, grad, jvp, vjp and hessian in argument `argnum` against f and central
    differences."""
    args = list(args)
    value, g = value_and_grad(f, argnums=argnum)(*args)
    assert_close(value, f(*args), what="value")
    expected = numeric_grad(f, args, argnum)
    assert_close(g, expected, what="grad")
    tangents = tuple(1.0 if k == argnum else None if isinstance(a, int) else 0.0
                     for k, a in enumerate(args))
    out, t = jvp(f, tuple(args), tangents)
    assert_close(out, f(*args), what="jvp value")
    assert_close(t, expected, what="jvp")
    assert_close(vjp(f, *args)[1](1.0)[argnum], expected, what="vjp")
    h = hessian(f, argnums=argnum)(*args)
    numeric = numeric_jacobian(lambda *a: grad(f, argnums=argnum)(*a), args, argnum)
    assert_close(h, numeric, rtol=1e-4, atol=1e-5, what="hessian")


def rebound_in_body(x):
    for i in range(3):
        i = x * 2.0
    return i * x


def rebound_on_some_iterations(x, n):
    for i in range(n):
        if i % 2 == 0:
            i = x * i
    return i * x + x


def rebound_in_reversed(x):
    for i in reversed(range(4)):
        i = i * x + x
    return i + x * x


def kept_when_the_loop_does_not_run(x, n):
    k = x * x
    for k in range(n):
        pass
    return k * 2.0


def read_only_when_the_loop_ran(x, n):
    s = x
    for i in range(n):
        s = s * x
    if n > 0:
        return s + i
    return s


def inner_target_read_in_outer_loop(x, n):
    s = x
    for j in range(3):
        for i in range(n):
            i = s * x
        s = s + i * 0.5
    return s


@pytest.mark.parametrize("f, args", [
    (rebound_in_body, (0.7,)),
    (rebound_on_some_iterations, (0.7, 3)),
    (rebound_on_some_iterations, (0.7, 4)),
    (rebound_in_reversed, (0.7,)),
    (kept_when_the_loop_does_not_run, (0.7, 0)),
    (kept_when_the_loop_does_not_run, (0.7, 2)),
    (read_only_when_the_loop_ran, (0.7, 0)),
    (read_only_when_the_loop_ran, (0.7, 3)),
    (inner_target_read_in_outer_loop, (0.7, 2)),
], ids=lambda v: getattr(v, "__name__", repr(v)))
def test_a_loop_target_after_the_loop(f, args):
    check(f, args)


def last_row(xs):
    s = 0.0
    for i in range(xs.shape[0] - 1):
        s = s + xs[i] * xs[i + 1]
    return s + xs[i]


def test_the_last_index_still_indexes_an_array():
    xs = np.array([0.5, -1.0, 2.0, 1.5])
    assert_close(grad(last_row)(xs), numeric_grad(last_row, [xs], 0))


def test_the_last_index_under_jit():
    pytest.importorskip("numba")
    xs = np.array([0.5, -1.0, 2.0, 1.5])
    assert_close(jit(grad(last_row))(xs), grad(last_row)(xs))
    assert_close(jit(grad(rebound_in_body))(0.7), grad(rebound_in_body)(0.7))


def loop_over_an_array_of_floats(x):
    a = x * 0.5
    b = x
    for a in np.array([x * 0.9]):
        b = x * 0.9
    a = b * 2
    return a * b


def test_the_float_path_keeps_the_zero_gradient_of_an_array_made_of_floats():
    """T14: on Python floats the gradient of `np.array([x * 0.9])` (looped over, its items
    never read) started as the number 0.0, then indexed: `0.0[0]`, a TypeError. Only values
    proven to be Python numbers lose their shape helpers there."""
    check(loop_over_an_array_of_floats, (0.37,))


def def_in_a_loop_called_after(x):
    total = 0.0
    for k in range(3):
        def g(y):
            return y * k + x  # noqa: B023
        total = total + g(x)
    return total + g(1.0)


def lambda_in_a_loop_called_after(x):
    total = 0.0
    for k in range(3):
        g = lambda y: y * k + x  # noqa: E731, B023
        total = total + g(x)
    return total + g(1.0)


def def_in_a_loop_called_inside(x):
    total = 0.0
    for k in range(3):
        def g(y):
            return y * k + x  # noqa: B023
        total = total + g(x)
    return total


@pytest.mark.parametrize("f, line", [(def_in_a_loop_called_after, 3),
                                     (lambda_in_a_loop_called_after, 3)])
def test_a_function_a_loop_defines_and_the_code_after_it_calls_is_refused_by_name(f, line):
    """T14: the message was `calling g, a constant` (or spoke of a run-time value): it names the
    function defined in the loop, and what to write instead."""
    from adcompile import UnsupportedSyntaxError
    with pytest.raises(UnsupportedSyntaxError, match="g, a function defined in a loop and used "
                       "after it.*define g before the loop") as info:
        grad(f)(0.7)
    assert info.value.line == f.__code__.co_firstlineno + line
    assert grad(def_in_a_loop_called_inside)(0.7) == pytest.approx(6.0)


def enumerate_changed_in_place(v):
    u = v * 1.0
    for k, ui in enumerate(u):
        u[-1] += ui * 0.5
    return np.sum(u * u)


def indexed_changed_in_place(v):
    u = v * 1.0
    for k in range(len(u)):
        u[-1] += u[k] * 0.5
    return np.sum(u * u)


def test_changing_in_place_what_enumerate_iterates_is_refused_with_what_to_write():
    """T14: the message said the loop changed u `other than by assigning its items`, which it
    did not; the loop it suggests gives what Python gives."""
    from adcompile import UnsupportedSyntaxError
    v = np.array([0.3, 0.5, 0.2])
    with pytest.raises(UnsupportedSyntaxError, match=r"enumerate\(\.\.\.\) of u that changes u "
                       r"in place.*range\(len\(u\)\)"):
        grad(enumerate_changed_in_place)(v)
    assert_close(grad(indexed_changed_in_place)(v), numeric_grad(enumerate_changed_in_place,
                                                                 [v], 0))
