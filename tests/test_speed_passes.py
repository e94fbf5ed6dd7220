"""The passes that make generated code cheaper (issue 11): each keeps the derivative exact and
shows in the generated source. Speed itself is measured in benchmarks/, never here."""
import math

import numpy as np
import pytest

from adcompile import grad, source
from test_regressions import check


def invariant_in_loop(a, b, x):
    for _ in range(5):
        k = math.exp(-a / b)          # does not change in the loop
        x = x * k + a * b
    return x


def test_loop_invariant_code_moves_in_front_of_the_loop():
    src = source(invariant_in_loop, mode="grad", argnums=(0, 1, 2))
    forward_loop = src[src.index("for _ in range(5)"):]
    assert "math.exp" not in forward_loop.split("\n\n")[0].split("tape.append")[0], src
    check(invariant_in_loop, 0.3, 1.7, 0.9)
    check(invariant_in_arrays, np.array([0.3, 0.2]), 1.7, np.array([0.9, -0.4]))


def invariant_in_arrays(a, b, x):
    for _ in range(5):
        x = x * np.exp(-a / b) + a * b
    return np.sum(x)


def maybe_no_trips(a, n):
    y = a
    for _ in range(n):
        y = y + 1.0 / a  # raises for a = 0, but only when the loop runs
    return y


def breaks_early(a, b):
    y = a
    for i in range(4):
        if i > 0:
            break
        y = y * math.sqrt(b)
    return y


def test_nothing_moves_out_of_a_loop_that_may_not_run_that_far():
    assert grad(maybe_no_trips)(0.0, 0) == 1.0  # the loop does not run: no ZeroDivisionError
    check(maybe_no_trips, 0.7, 3, argnums=(0,))
    src = source(maybe_no_trips, mode="grad")
    assert src.index("for _ in range(n):") < src.index("1.0 / a"), src  # still in the loop
    check(breaks_early, 0.5, 2.0)


def random_in_loop(a):
    y = 0.0
    for _ in range(3):
        y = y + a * np.random.normal()  # each iteration draws anew
    return y


def test_a_random_draw_stays_in_the_loop():
    src = source(random_in_loop, mode="grad")
    assert src.count("np.random.normal()") >= 1
    loop = src[src.index("for _ in range(3):"):]
    assert "np.random.normal()" in loop.split("\n\n")[0]


def logistic(x):
    for _ in range(6):
        x = 4.0 * x * (1.0 - x)
    return x


def test_a_carried_adjoint_is_not_copied_on_the_float_path():
    """The adjoint of `x` was copied to `grad_x_1_1` before it was reset, then copied back."""
    src = source(logistic, mode="grad")
    assert "grad_x_1_1" not in src, src
    assert "grad_s0 * 4.0 - grad_s1" in src, src   # `-a + b` is `b - a`, one statement
    check(logistic, 0.3)


def accumulate(x, y):
    s = x * y
    t = s - x
    return t * t + s


@pytest.mark.parametrize("args", [(0.4, -1.3), (np.array([0.4, 2.0]), -1.3)])
def test_contributions_to_one_adjoint_are_one_sum(args):
    check(lambda x, y: np.sum(accumulate(x, y)), *args)


def xent(W, x, y):
    z = x @ W
    m = np.max(z, axis=1, keepdims=True)
    lse = np.log(np.sum(np.exp(z - m), axis=1, keepdims=True)) + m
    return -np.mean(np.sum(y * (z - lse), axis=1))


def full_lse(z):
    m = np.max(z)
    return np.log(np.sum(np.exp(z - m))) + m


def shifted_only_once(z):
    m = np.max(z, axis=0, keepdims=True)
    s = np.sum(np.exp(z - m), axis=0, keepdims=True)
    return np.sum(np.log(s) + m) + np.sum(m * m)  # m is read elsewhere: its adjoint is not zero


def test_the_log_sum_exp_idiom_has_no_adjoint_for_its_stabilizer():
    rng = np.random.default_rng(1)
    W, x = rng.normal(size=(4, 3)), rng.normal(size=(5, 4))
    y = np.eye(3)[[0, 2, 1, 1, 0]]
    src = source(xent, mode="grad", argnums=(0,))
    assert "logsumexp(z, axis=1, keepdims=True)" in src and "max_weights" not in src, src
    check(xent, W, x, y, argnums=(0,))
    check(full_lse, rng.normal(size=6))
    assert "logsumexp(z)" in source(full_lse, mode="grad")
    src = source(shifted_only_once, mode="grad")
    assert "max_weights" in src  # m's own use still gets its gradient
    check(shifted_only_once, rng.normal(size=(3, 2)))


def mean_of_row_sums(x):
    return np.mean(np.sum(x * x, axis=1)) + np.sum(np.mean(x, axis=0))


def test_a_loose_adjoint_passes_through_a_sum_over_some_axes():
    """`np.mean(np.sum(...))` hands every element the same number: no helper spreads it."""
    src = source(mean_of_row_sums, mode="grad")
    assert "unreduce" not in src, src
    check(mean_of_row_sums, np.random.default_rng(2).normal(size=(3, 4)))
    check(mean_of_row_sums, np.random.default_rng(2).normal(size=(2, 3, 4)).astype(np.float32)
          .astype(float))


def test_the_tape_keeps_the_carried_value_and_the_backward_step_redoes_its_arithmetic():
    """The logistic map's step needs `4.0 * x` and `1.0 - x`: one float on the tape, not a pair."""
    src = source(logistic, mode="grad")
    assert "tape.append(x_1)" in src and "tape.append((" not in src, src
    check(logistic, 0.3)
    from adcompile import hessian
    from checks import numeric_grad
    assert_close = np.testing.assert_allclose
    assert_close(hessian(logistic)(0.3), numeric_grad(grad(logistic), (0.3,), 0), rtol=1e-5)


def read_after_overwrite(x):
    y = x
    z = 0.0
    for _ in range(3):
        a = y * 2.0
        b = y + 1.0
        y = a * b
        z = z + a * y      # `a` is read after y changed: redoing it there would be wrong
    return y + z


def nested_carried(x, w):
    y = x
    for i in range(3):
        for _ in range(2):
            a = y * w
            b = 1.0 - y
            y = a * b + 0.1 * i
    return y


def carried_with_break(x):
    y = x
    for i in range(5):
        a = y * 0.5
        b = y - 2.0
        if i == 3:
            break
        y = a * b
    return y


@pytest.mark.parametrize("f,args", [(read_after_overwrite, (0.3,)), (nested_carried, (0.4, 1.7)),
                                    (carried_with_break, (0.6,))])
def test_redone_arithmetic_reads_the_value_it_read_forward(f, args):
    check(f, *args)


def nested_carried_arrays(x, w):
    return np.sum(nested_carried(x, w))


def test_redone_arithmetic_of_arrays():
    check(nested_carried_arrays, np.array([0.4, 0.5]), np.array([1.7, -0.3]))


def broadcast_products(a, b, c):
    return np.mean(a * b) + np.sum(np.sum(a + b, axis=0)) + np.mean(c / a) + np.mean(b * 2.0)


def test_a_loose_adjoint_times_the_other_operand_needs_no_fitting_first():
    """`np.mean(y * x)`: g * y already has the broadcast shape; `a + b` still fits g first."""
    rng = np.random.default_rng(3)
    a, b, c = rng.normal(size=(3, 1)) + 3.0, rng.normal(size=(1, 4)), rng.normal(size=(3, 4))
    check(broadcast_products, a, b, c)
    check(broadcast_products, a, b[0], c)
    src = source(xent, mode="grad", argnums=(0,))  # the mean's loose adjoint times y, unfitted
    assert "grad_s4 = unbroadcast(grad_s6 * y, s4)" in src, src
