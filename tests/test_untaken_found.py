"""A value computed before an `if` and read only on the branch not taken: its derivative rule
must not run on the path taken (adcompile's semantics: the derivative of the branch taken, as
JAX's with a Python `if`). Found by a tester (T49, finding 0): 0 * inf made NaN in reverse
mode, and a tangent rule raised ZeroDivisionError on Python floats, where the primal does not."""
import math
import warnings

import numpy as np
import pytest

from adcompile import grad, hessian, jvp, source, value_and_grad
from checks import assert_close, numeric_grad


def sqrt_guarded(x):
    r = np.sqrt(x)
    if x <= 0:
        return x
    return r


def math_sqrt_guarded(x):
    r = math.sqrt(x)
    if x <= 0:
        return x
    return r


def log_guarded(x):
    lg = np.log(x)
    if x == 0.0:
        return 2.0 * x
    return lg * x


def normalized_sum(v):
    nv = np.linalg.norm(v)
    if nv < 1e-12:
        return np.sum(v)
    return np.sum(v / nv)


def nested(x, c):
    a = np.sqrt(x)
    b = a * 3.0
    if c > 0:
        if x > 0:
            return b + x
        return 4.0 * x
    return 5.0 * x


def in_a_loop(x, n):
    s = 0.0
    for i in range(n):
        r = math.sqrt(x)
        if x <= 0:
            s = s + x
        else:
            s = s + r * i
    return s


SCALARS = [(sqrt_guarded, 1.0), (math_sqrt_guarded, 1.0), (log_guarded, 2.0)]


@pytest.mark.parametrize("f, slope", SCALARS)
def test_the_rule_of_a_value_read_on_the_untaken_branch_does_not_run(f, slope):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (np.log(0.0) warns in the primal)
        assert grad(f)(0.0) == slope
        assert value_and_grad(f)(0.0) == (0.0, slope)
        assert jvp(f, (0.0,), (1.0,)) == (0.0, slope)
        assert hessian(f)(0.0) == 0.0


@pytest.mark.parametrize("f, slope", SCALARS)
def test_away_from_the_guard_nothing_changes(f, slope):
    for x in (0.3, 2.0):
        want = numeric_grad(f, (x,), 0)
        assert grad(f)(x) == pytest.approx(want, rel=1e-6)
        assert jvp(f, (x,), (1.0,))[1] == pytest.approx(want, rel=1e-6)
        assert hessian(f)(x) == pytest.approx(numeric_grad(grad(f), (x,), 0), rel=1e-5)


def test_a_convergence_test_on_a_norm():
    v = np.zeros(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(grad(normalized_sum)(v), [1.0, 1.0])
        np.testing.assert_array_equal(hessian(normalized_sum)(v), np.zeros((2, 2)))
    w = np.array([0.3, -1.2])
    np.testing.assert_allclose(grad(normalized_sum)(w), numeric_grad(normalized_sum, (w,), 0),
                               rtol=1e-6, atol=1e-8)
    rows = [numeric_grad(lambda u, k=k: grad(normalized_sum)(u)[k], (w,), 0) for k in range(2)]
    np.testing.assert_allclose(hessian(normalized_sum)(w), rows, rtol=1e-5, atol=1e-7)


def test_nested_branches_and_a_chain_of_values_before_them():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert grad(nested)(0.0, 1.0) == 4.0
        assert grad(nested)(0.0, -1.0) == 5.0
        assert jvp(lambda x: nested(x, 1.0), (0.0,), (1.0,)) == (0.0, 4.0)
    for c in (1.0, -1.0):
        assert grad(nested)(0.7, c) == pytest.approx(numeric_grad(nested, (0.7, c), 0))


def test_inside_a_loop():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert grad(in_a_loop)(0.0, 3) == 3.0
        assert jvp(in_a_loop, (0.0, 3), (1.0, 0))[1] == 3.0
    assert grad(in_a_loop)(0.7, 3) == pytest.approx(numeric_grad(in_a_loop, (0.7, 3), 0))


def test_the_primal_still_raises_where_python_does():
    with pytest.raises(ValueError):
        grad(math_sqrt_guarded)(-1.0)
    with pytest.raises(ValueError):
        jvp(math_sqrt_guarded, (-1.0,), (1.0,))


def test_the_rule_moves_into_the_branch_that_reads_the_value():
    code = source(grad(sqrt_guarded))
    assert "zeros_like(r)" not in code
    assert "    else:\n        grad_r = 1.0\n        grad_x = grad_x + grad_r * 0.5 / r" in code \
        or "0.5 / r" in code.split("else:")[-1]


@pytest.mark.parametrize("f, slope", SCALARS)
def test_jit_agrees(f, slope):
    pytest.importorskip("numba")
    from adcompile import jit
    assert jit(grad(f))(0.0) == slope
    assert jit(grad(f))(1.7) == pytest.approx(grad(f)(1.7), rel=1e-12)


def read_in_a_loop(x, n):
    r = np.sqrt(x)
    s = x
    for i in range(n):
        s = s + r * i
    return s


def read_late_in_a_loop(x, n):
    r = math.sqrt(x)
    b = r * 2.0
    s = x
    for i in range(n):
        if i > 1:
            s = s + b
    return s


@pytest.mark.parametrize("f", [read_in_a_loop, read_late_in_a_loop])
def test_a_value_read_only_in_a_loop_that_adds_nothing(f):
    """The loop runs no step, or never takes the branch reading r: its adjoint stays zero and
    its rule (flagged) does not run."""
    assert grad(f)(0.0, 0) == 1.0
    assert value_and_grad(f)(0.0, 0) == (0.0, 1.0)
    assert grad(f)(0.0, 2) == (math.inf if f is read_in_a_loop else 1.0)
    for n in (0, 2, 4):
        assert grad(f)(1.3, n) == pytest.approx(numeric_grad(f, (1.3, n), 0))
        assert jvp(f, (1.3, n), (1.0, 0))[1] == pytest.approx(numeric_grad(f, (1.3, n), 0))
    assert "_set = False" in source(grad(f))
    # forward mode computes the tangent of r where the loop reads it (tests/test_fwdloop_found.py)
    assert jvp(f, (0.0, 0), (1.0, 0)) == (0.0, 1.0)
    if f is read_late_in_a_loop:  # (the branch reading it never taken)
        assert jvp(f, (0.0, 2), (1.0, 0)) == (0.0, 1.0)


@pytest.mark.parametrize("f", [read_in_a_loop, read_late_in_a_loop])
def test_jit_agrees_on_the_flags(f):
    pytest.importorskip("numba")
    from adcompile import jit
    assert jit(grad(f))(0.0, 0) == 1.0
    assert jit(grad(f))(1.3, 4) == pytest.approx(grad(f)(1.3, 4), rel=1e-12)


# --- fuzz case (numpy seed 3905012943): an adjoint flagged by one rule's flag (a value whose
# own adjoint is never set: `if False:`) that a later flagged rule added to kept the first flag,
# so its rule (s0 = W[0]) never ran: grad 0 where the derivative is 6 * W[0]
def rows_then_squares(a):
    t1, t2, a = (a, a ** 2, a + 0.0)
    t1 = a
    L3 = [np.sum(t2) for r5 in t1]
    return sum(L3)


def first_row(W):
    return rows_then_squares(W[0])


def test_an_adjoint_two_flagged_rules_add_to_runs_its_rule_when_either_did():
    W = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    expected = np.zeros_like(W)
    expected[0] = 6 * W[0]
    assert_close(grad(first_row)(W), expected)
    assert_close(grad(first_row)(W), numeric_grad(first_row, (W,), 0))


# --- fuzz case (scalar seed 3906012702): y_1's adjoint flagged by abs's rule (its value never
# read: `if False:`), then added to at every step of a loop: the loop's steps did not clear the
# flag, so grad_y stayed 0 where the derivative is 1
def carried_then_swapped(x, y):
    y += 0.25
    for i1 in range(1, 2):
        L2 = []
        t4 = y
    x, y = (y, x)
    x = abs(x)
    for r8 in (t4, t4, t4, 1.0):
        if y:
            break
        t10, y = (y, 0.5)
        x, t11, t12 = (L2, t4, t10)  # noqa: F841
    return t4


def test_an_adjoint_a_loop_adds_to_at_every_step_runs_its_rule_past_another_flag():
    args = (-1.6189, 1.749597)
    assert grad(carried_then_swapped, argnums=(0, 1))(*args) == (0.0, 1.0)
    assert_close(grad(carried_then_swapped, argnums=1)(*args),
                 numeric_grad(carried_then_swapped, args, 1))
