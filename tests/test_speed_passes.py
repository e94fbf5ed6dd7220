"""The passes that make generated code cheaper (issue 11): each keeps the derivative exact and
shows in the generated source. Speed itself is measured in benchmarks/, never here."""
import math

import numpy as np
import pytest

from adcompile import grad, logsumexp, source, value_and_grad
from checks import numeric_jacobian
from test_regressions import check
from test_study_found import newton as newton_sqrt


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
    assert "+ -" not in src and "= -" not in src, src   # `-a + b` is `b - a`
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


def exp_read_twice(z):
    m = np.max(z, axis=1, keepdims=True)
    e = np.exp(z - m)
    lse = np.log(np.sum(e, axis=1, keepdims=True)) + m
    return np.sum(lse) + np.sum(e * z)  # e depends on m: m keeps an adjoint, lse does not


def row_lse(V):
    m = np.max(V, axis=1, keepdims=True)
    return np.sum(np.log(np.sum(np.exp(V - m), axis=1, keepdims=True)) + m)


def idiom_twice(W, s):
    t = 0.0
    for i in range(2):
        if s < 3.0:
            t = t + row_lse(W * s) * s
    return t + row_lse(W)


def test_each_stabilizer_gets_a_name_of_its_own():
    """Two log-sum-exp idioms (a helper inlined twice) gave both stabilizers the same new
    name, and the tape pushed one the loop had not assigned: UnboundLocalError (the fuzzer)."""
    rng = np.random.default_rng(12)
    check(idiom_twice, rng.normal(size=(2, 3)), 0.7)
    src = source(idiom_twice, mode="grad")
    maxima = [line.split("=")[0].strip() for line in src.splitlines() if "np.max(" in line]
    assert len(maxima) == 2 and len(set(maxima)) == 2, src
    check(idiom_in_a_while_loop, np.array([-1.48, -0.17, 0.58]),
          np.array([[-1.0, 1.45, -0.04], [1.23, -1.02, 1.42]]), -0.37)


def idiom_in_a_while_loop(x, W, s):
    def g9(p10):
        mx11 = np.max(W, axis=1, keepdims=True)
        t12 = np.sum(np.log(np.sum(np.exp(W - mx11), axis=1, keepdims=True)) + mx11)  # noqa: F841
        return np.sin(x[0] * 0.5 + p10)
    if s >= 3.0:
        if g9(s) < 1.0:
            pass
    k21 = 0
    while k21 < 2 and abs(s) < 4.0:
        k21 += 1
        s = g9(g9(s))
    return s + np.sum(W)


def test_the_log_sum_exp_idiom_has_no_adjoint_for_its_stabilizer():
    rng = np.random.default_rng(1)
    W, x = rng.normal(size=(4, 3)), rng.normal(size=(5, 4))
    y = np.eye(3)[[0, 2, 1, 1, 0]]
    src = source(xent, mode="grad", argnums=(0,))
    assert "m = stop_gradient(" in src and "max_weights" not in src, src
    assert src.count("np.exp(") == 1, src  # the adjoint of exp reuses the forward's exp(z - m)
    check(xent, W, x, y, argnums=(0,))
    check(full_lse, rng.normal(size=6))
    assert "m = stop_gradient(" in source(full_lse, mode="grad")
    src = source(exp_read_twice, mode="grad")
    assert "max_shift(z, axis=1)" in src and "stop_gradient" not in src, src  # (logsumexp's
    assert src.count("np.exp(") == 2, src  # steps: the adjoint reads their exp, none of its own)
    check(exp_read_twice, rng.normal(size=(3, 4)))
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


# --- one push per step: the new state of a carried value is the next step's old one ----------

def rnn(W, h, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h)


def tanh_chain(w, y):
    for _ in range(4):
        y = math.tanh(w * y)   # the backward step reads y before and after it changes
    return y


def rnn_in_epochs(W, h, xs):
    total = 0.0
    for _ in range(2):
        g = h
        for t in range(xs.shape[0]):
            g = np.tanh(W @ g + xs[t])
        total = total + np.sum(g)
        h = h * 0.5
    return total


def chain_in_epochs(w, y):
    for _ in range(3):
        for _ in range(2):
            y = math.tanh(w * y)
        y = y + 0.25
    return y


def sometimes_stepped(w, y):
    for i in range(5):
        if i % 2 == 0:
            y = math.tanh(w * y)
    return y * y


def read_after_loop(w, y):
    for _ in range(3):
        y = math.tanh(w * y)
    return y * w


@pytest.mark.parametrize("f", [tanh_chain, sometimes_stepped, read_after_loop])
def test_a_carried_value_goes_on_the_tape_once_per_step(f):
    """Where the backward step reads a carried value both before and after its step, it is
    pushed once per step: the value after step k is the one before step k + 1 (or the loop's
    result), already restored when the backward sweep reaches step k."""
    src = source(f, mode="grad")
    loop = src[src.index("for "):src.index("reversed(")]
    assert loop.count("tape.append(y_1)") == 1 and "tape.append((" not in loop, src
    check(f, 0.7, 0.4)


def test_the_rnn_pushes_its_state_once_per_step():
    rng = np.random.default_rng(4)
    W, h, xs = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3), rng.normal(size=(4, 3))
    src = source(rnn, mode="grad", argnums=(0, 1, 2))
    pushes = [line.strip() for line in src.splitlines() if "tape.append(" in line]
    assert pushes == ["tape.append(h_1)"], src  # W @ h and xs[t] are not kept for their shapes
    check(rnn, W, h, xs)
    check(rnn_in_epochs, W, h, xs)


@pytest.mark.parametrize("f", [chain_in_epochs, tanh_chain, sometimes_stepped])
def test_one_push_per_step_in_nested_loops_and_higher_order(f):
    from adcompile import hessian
    from checks import numeric_grad
    check(f, 0.7, 0.4)
    np.testing.assert_allclose(hessian(f, argnums=0)(0.7, 0.4),
                               numeric_grad(grad(f, argnums=0), (0.7, 0.4), 0), rtol=1e-5)


def accumulated_then_scaled(x, w):
    s = 0.0
    for i in range(20):
        s = s + math.sin(x * i)
    return s * w


def accumulated_in_nested_loops(x, w):
    s = 0.0
    for j in range(3):
        for i in range(4):
            s = s + math.sin(x * i + j)
        s = s * w
    return s * x


def counter_read_after(x, w):
    for i in range(5):
        x = math.tanh(w * x)
    return x * i


@pytest.mark.parametrize("f, pushes", [
    (accumulated_then_scaled, []),
    (accumulated_in_nested_loops, ["s1", "s_1", "s1", "s_1"]),
    (counter_read_after, ["x_1", "x_1"])])
def test_a_value_read_only_before_its_backward_loop_is_not_taped(f, pushes):
    """`return s * w` reads the loop's result s (`unbroadcast(w, s)` on arrays) before the
    backward loop, where s still holds it: no step of the backward loop reads s, so it goes on
    no tape (it went on the tape every step). In nested loops the outer loop's s is read by no
    backward step either (the inner one's s_1 is, on arrays). A range's counter read after its
    loop is not taped; the x that tanh's backward step reads is (on both paths)."""
    src = source(f, mode="grad")
    assert [line.strip()[len("tape.append("):-1] for line in src.splitlines()
            if "tape.append(" in line] == pushes, src
    check(f, 0.7, 0.4)


# --- kept dimensions: a reduction's adjoint broadcasts by itself --------------------------------

def kept_sum_then_exp(z, w):
    return np.sum(w * np.log(np.sum(np.exp(z), axis=1, keepdims=True)))


def kept_then_dropped(x, w):
    a = np.sum(x, axis=2)                      # (n, c): dimensions dropped
    return np.sum(w * np.sum(a, axis=1, keepdims=True))


def kept_times_constant(x, w):
    b = 2.0 * np.mean(x, axis=0, keepdims=True)
    return np.sum(w * (b - 1.0))


def kept_into_several(x, w):
    s = np.sum(x * x, axis=-1, keepdims=True)
    return np.sum(w * s * x) + np.sum(np.mean(x, axis=(0, 2), keepdims=True) * s)


def test_a_sum_with_kept_dimensions_hands_back_a_loose_adjoint():
    """The adjoint of `np.sum(e, axis=1, keepdims=True)` broadcasts against e by itself: no
    helper spreads it (softmax cross-entropy's backward step), and nothing takes it for one
    number where it is not: through a sum that drops dimensions, times constants, added to
    other contributions."""
    rng = np.random.default_rng(5)
    z, w = rng.normal(size=(3, 4)), rng.normal(size=(3, 1))
    src = source(kept_sum_then_exp, mode="grad")
    assert "unreduce" not in src, src
    check(kept_sum_then_exp, z, w)
    check(kept_then_dropped, rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 1)))
    check(kept_times_constant, rng.normal(size=(3, 4)), rng.normal(size=(2, 3, 4)))
    check(kept_into_several, rng.normal(size=(2, 3, 4)), rng.normal(size=(3, 1)))
    check(kept_into_several, rng.normal(size=(2, 3, 4)).astype(np.float32).astype(float),
          rng.normal(size=4))


# --- a backward step's arithmetic collected: the logistic map's is one statement ----------------

def logistic_with(x, r):
    for _ in range(6):
        x = r * x * (1.0 - x)
    return x


def cubic_map(x, a, b):
    for i in range(5):
        x = a * x * x * x - b * x + 0.1 * i
    return x


def shifted_and_cancelled(x, w):
    for i in range(4):
        y = x + 1.0
        x = w * (y - x) + x * 0.5    # y - x is 1.0: x must not vanish from the adjoint's shape
    return x


def test_the_logistic_maps_backward_step_is_one_statement():
    """The issue's example: `g = g * (4 - 8 * x)`, not six statements."""
    src = source(logistic, mode="grad")
    loop = src[src.index("reversed("):]
    assert "grad_x_1 = grad_x_1 * (4.0 - 8.0 * x_1)" in loop, src
    assert loop.count("\n") - loop[loop.index("grad_x_1 = grad_x_1"):].count("\n") == 2, src


def summed_logistic(x, r):
    return np.sum(logistic_with(x, r))


def summed_cubic(x, a, b):
    return np.sum(cubic_map(x, a, b))


def summed_shifted(x, w):
    return np.sum(shifted_and_cancelled(x, w))


@pytest.mark.parametrize("f,args", [
    (logistic_with, (0.3, 3.7)), (cubic_map, (0.2, 0.5, -0.3)), (shifted_and_cancelled, (0.4, 0.9)),
    (summed_logistic, (np.array([0.2, 0.3]), 3.7)), (summed_logistic, (0.3, np.array([3.1, 3.9]))),
    (summed_cubic, (np.array([[0.2], [0.1]]), np.array([0.5, 0.4, 0.3]), -0.3)),
    (summed_shifted, (np.array([0.4, 0.5, 0.6]), np.array([[0.9], [1.1]]))),
])
def test_collected_arithmetic_gives_the_same_derivatives(f, args):
    check(f, *args)


def test_collected_arithmetic_differentiated_again():
    from adcompile import hessian
    from checks import numeric_grad
    for f, args in [(logistic_with, (0.3, 3.7)), (cubic_map, (0.2, 0.5, -0.3))]:
        np.testing.assert_allclose(hessian(f, argnums=0)(*args),
                                   numeric_grad(grad(f), args, 0), rtol=1e-5)


# --- a reduction that keeps its dimensions broadcasts into its operand's shape ------------------

def centered_power(x, w):
    c = x - np.mean(x, axis=0, keepdims=True)
    return np.sum(w * c * c / np.sum(c * c, axis=0, keepdims=True))


def normalized_rows(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    p = e / np.sum(e, axis=-1, keepdims=True)
    return np.sum(p * np.arange(x.shape[-1]))


def kept_of_length_one(x):
    return np.sum(np.sin(x - np.sum(x * x, axis=1, keepdims=True)) * x)


def whole_kept(x, y):
    return np.sum((x - np.sum(x, keepdims=True)) * y + np.max(x * y, axis=(0, 1), keepdims=True))


def test_a_kept_reductions_adjoint_is_summed_at_once_and_the_other_operand_needs_no_fitting():
    """`z - lse` with lse a log-sum-exp of z over axis 1 that keeps its dimensions: z's share
    has z's shape (no helper), lse's share is summed to lse's shape at once, before the
    rules of log and exp read it (softmax cross-entropy's backward step), negated after the
    sum, on lse's elements rather than z's (exactly the same numbers)."""
    src = source(xent, mode="grad", argnums=(0,))
    assert "add_fitted" not in src and "grad_lse = -unbroadcast(grad_s" in src, src
    assert "unbroadcast(grad_lse" not in src, src
    rng = np.random.default_rng(7)
    check(centered_power, rng.normal(size=(4, 3)), rng.normal(size=(4, 3)))
    check(centered_power, rng.normal(size=(4, 3)), rng.normal(size=3))
    check(kept_of_length_one, rng.normal(size=(3, 1)))
    check(normalized_rows, rng.normal(size=(3, 5)))
    check(normalized_rows, rng.normal(size=(2, 3, 1)))
    check(whole_kept, rng.normal(size=(2, 3)), rng.normal(size=(2, 3)))
    check(whole_kept, rng.normal(size=(2, 3)), rng.normal(size=(1, 3)))


def test_softmax_cross_entropy_differentiated_again():
    from adcompile import hessian
    rng = np.random.default_rng(8)
    W, x = rng.normal(size=(3, 2)), rng.normal(size=(4, 3))
    y = np.eye(2)[[0, 1, 1, 0]]
    numeric = numeric_jacobian(grad(xent), (W, x, y), 0)
    np.testing.assert_allclose(hessian(xent)(W, x, y), numeric, rtol=1e-5, atol=1e-7)


def sine_sum(x):
    s = 0.0
    for i in range(10):
        s = s + math.sin(x * i) * x
    return s


def draws_in_loop(x):
    rng = np.random.default_rng(0)
    s = 0.0
    for i in range(3):
        a = rng.normal()
        s = s + x * a + math.sin(x * i) * a
    return s


def test_a_backward_step_joins_its_single_use_temporaries():
    """The sine sum's backward step is one statement, as a person writes its derivative; a
    random draw stays where it is (moving it would change the draws)."""
    src = source(sine_sum, mode="grad")
    assert "grad_x = grad_x + math.sin(s0) + x * math.cos(s0) * i" in src, src
    check(sine_sum, 0.7)
    check(draws_in_loop, 0.3)



# --- the helpers of `@` and indexing sum an adjoint with broadcast axes themselves -------------

def product_broadcast(W, h, B):
    return np.sum(np.tanh(W @ h + B) * B)


def row_broadcast(x, B):
    return np.sum(np.sin(x[1] + B) * B) + np.sum(np.cos(x[[0, 2]] + B[:, :2]))


def stacked_broadcast(A, v, B):
    return np.sum(np.sin(A @ v + B))


@pytest.mark.parametrize("f,shapes", [
    (product_broadcast, [(3, 4), (4,), (2, 3)]),
    (product_broadcast, [(3, 4), (4, 2), (5, 3, 2)]),
    (row_broadcast, [(3, 4), (2, 3, 4)]),
    (stacked_broadcast, [(2, 3, 4), (4,), (5, 2, 3)]),
    (stacked_broadcast, [(2, 3, 4), (2, 4, 2), (2, 3, 2)]),
])
def test_products_and_indexing_under_a_broadcasting_addition(f, shapes):
    rng = np.random.default_rng(9)
    check(f, *[rng.normal(size=s) for s in shapes])


def test_products_under_a_broadcasting_addition_differentiated_again():
    from adcompile import jacfwd, jacrev
    rng = np.random.default_rng(10)
    W, h, B = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(2, 3))
    g = grad(product_broadcast, argnums=1)
    numeric = numeric_jacobian(g, (W, h, B), 1)
    for jac in (jacfwd, jacrev):
        np.testing.assert_allclose(jac(g, argnums=1)(W, h, B), numeric, rtol=1e-5, atol=1e-7)


def eigh_broadcast(a):
    w, v = np.linalg.eigh(a @ a.T + np.diag([0.0, 1.0, 2.0]))
    return np.sum(w * v * v)  # w, an element of eigh's tuple, broadcast against v


def list_elements_broadcast(xs, w):
    s = 0.0
    for i in range(len(xs)):
        s = s + np.sum(np.sin(xs[i] * w))
    return s + np.sum(xs[0] * w)


def test_an_element_of_a_tuple_or_list_gets_its_own_shape_back():
    """The helpers of indexing sum a gradient with broadcast axes for arrays, and for the
    elements of a tuple (np.linalg.eigh's result) or a list argument too (its gradient buffer
    is a list): the first version handed the broadcast shape back."""
    rng = np.random.default_rng(11)
    check(eigh_broadcast, rng.normal(size=(3, 3)))
    xs = [rng.normal(size=3), rng.normal(size=3)]
    value, (g_xs, g_w) = value_and_grad(list_elements_broadcast, argnums=(0, 1))(
        xs, rng.normal(size=(2, 1)))
    assert [np.shape(g) for g in g_xs] == [(3,), (3,)] and np.shape(g_w) == (2, 1)
    w = rng.normal(size=(2, 1))
    g = grad(list_elements_broadcast, argnums=0)(xs, w)
    for k in range(2):
        for j in range(3):
            e = [np.zeros(3), np.zeros(3)]
            e[k][j] = 1e-6
            up = list_elements_broadcast([x + d for x, d in zip(xs, e)], w)
            down = list_elements_broadcast([x - d for x, d in zip(xs, e)], w)
            np.testing.assert_allclose(g[k][j], (up - down) / 2e-6, rtol=1e-5, atol=1e-7)
    check(floats_in_a_list, 0.3, 0.5, rng.normal(size=(2, 1)))


def floats_in_a_list(a, b, w):
    return list_elements_broadcast([a, b], w)


# --- plain floats: grad computes the output only where the backward sweep needs it -------------

def loss_sum(w, b):
    """A sum of squared errors: the backward step needs each error, never the running loss."""
    loss = 0.0
    for i in range(8):
        err = w * i + b - math.cos(i)
        loss = loss + err * err
    return loss


def until_large(x):
    """A loop that breaks, a value set before the break and read after the loop."""
    y = x
    last = 0.0
    for i in range(10):
        last = y * 0.5
        if y > 3.0:
            break
        y = y * 1.3 + math.sin(y)
    return y + last


def counter_after_empty_loop(x):
    for i in range(3):
        pass
    s = 0.0
    for k in range(4):
        s = s + x * i * k
    return s


def sum_then_while(x):
    s = 0.0
    n = 0
    while n < 5:
        s = s + math.exp(x * n) * 0.1
        n = n + 1
    return s * x


@pytest.mark.parametrize("f, args", [(loss_sum, (0.3, -0.2)), (until_large, (0.7,)),
                                      (until_large, (3.5,)), (counter_after_empty_loop, (0.4,)),
                                      (sum_then_while, (0.2,))])
def test_liveness_keeps_what_is_read_and_drops_the_rest(f, args):
    check(f, *args)
    check(f, *(np.float64(a) for a in args))  # (the general path)


def test_the_float_path_does_not_carry_the_loss():
    src = source(loss_sum, mode="grad")
    floats = src.split("\n    loss = 0.0")[0]  # the branch taken on Python floats
    assert "type(w) is float" in floats and "loss" not in floats.split("\n", 2)[2], src
    assert "loss = loss +" in src  # the general path still computes it, to check the output


def test_the_forward_sweep_computes_the_value_bit_for_bit():
    # joined into one statement the forward step does the same operations in the same order:
    # any other rounding would show over the steps of a chaotic map, at one start or another
    src = source(logistic, mode="value_and_grad")
    assert "x_1 = 4.0 * x_1 * (1.0 - x_1)" in src, src
    for x in (0.3, 0.1234, 0.77, np.float64(0.3), np.array([0.3, 0.6, 0.91])):
        value, _ = value_and_grad(lambda v: np.sum(logistic(v)))(x) if np.ndim(x) else \
            value_and_grad(logistic)(x)
        assert value == np.sum(logistic(x))


def printing_loop(x):
    s = 0.0
    for i in range(3):
        t = math.log(x - i)
        print("step", i)
        s = s + t
    return s


def test_nothing_moves_across_a_print(capsys):
    # joined into `s = s + math.log(x - i)` the log would fail after the print of its step
    # instead of before it
    src = source(printing_loop, mode="grad")
    assert "s = s + t" in src, src
    check(printing_loop, 3.5)
    capsys.readouterr()
    with pytest.raises(ValueError, match="math domain error"):
        grad(printing_loop)(1.5)
    assert capsys.readouterr().out == "step 0\nstep 1\n"  # as printing_loop(1.5) prints


def log_sum(x):
    s = 0.0
    for i in range(4):
        s = s + math.log(x - i)
    return s


def test_a_dead_log_still_runs():
    # the float branch computes no output, and 1/(x - i), the log's derivative, has no domain
    # error: the gradient came back where the function raises
    with pytest.raises(ValueError, match="math domain error"):
        log_sum(2.5)
    with pytest.raises(ValueError, match="math domain error"):
        grad(log_sum)(2.5)
    check(log_sum, 4.5)


def max_of_a_sum_and_its_negation(s):
    for i in range(2):
        s = max(i + s, -s)  # the two partials, (a >= b) and (a < b), are booleans
    return s * s


def test_collect_does_not_subtract_booleans():
    """In a backward loop, collect joined g * (a >= b) - g * (a < b) into
    g * ((a >= b) - (a < b)): Python subtracts its bools, NumPy refuses to subtract np.bool_
    (the fuzzer: a NumPy float in, TypeError from the pullback)."""
    for s in (0.3, np.float64(0.3), -0.2):
        g = grad(max_of_a_sum_and_its_negation)(s)
        h = 1e-6
        fd = (max_of_a_sum_and_its_negation(s + h) - max_of_a_sum_and_its_negation(s - h)) / (2 * h)
        assert g == pytest.approx(fd, rel=1e-6)
    assert ") - (" not in source(grad(max_of_a_sum_and_its_negation))


def rnn_over_a_list(W, h0, xs):
    hs = [h0]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(W @ hs[-1] + xs[t]))
    return np.sum(hs[-1] ** 2) + 0.5 * np.sum(hs[1] * hs[-2])


def states_read_by_index(W, h0, xs):
    hs = [h0]
    for t in range(xs.shape[0]):
        hs = hs + [np.tanh(W @ hs[t] + 0.5 * hs[0] + xs[t])]
    total = 0.0
    for h in hs:
        total = total + np.sum(h)
    return total


def scalar_states(a, x):
    xs = [x]
    for i in range(4):
        xs.append(a * xs[i] * (1.0 - xs[-1]))
    return xs[-1] + xs[2]


@pytest.mark.parametrize("f", [rnn_over_a_list, states_read_by_index])
def test_reading_a_list_that_a_loop_grows_costs_one_addition_per_step(f):
    """The adjoint of `hs[-1]` goes into its element of the list's adjoint, which the backward
    step owns (a slice of the adjoint it started from), not through a list of zeros added
    element by element: that made a loop over a growing list quadratic in array operations
    (an RNN keeping its states in a list: 28x its forward at 50 steps, 55x at 200)."""
    rng = np.random.default_rng(5)
    W, h, xs = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3), rng.normal(size=(5, 3))
    src = source(f, mode="grad", argnums=(0, 1, 2))
    backward = src[src.index("reversed("):]
    assert "getitem_grad(" not in backward.split("\n\n")[0], src
    check(f, W, h, xs)


def test_a_list_of_floats_grown_in_a_loop_differentiated_twice():
    from adcompile import hessian
    check(scalar_states, 0.9, 0.3)
    H = np.array(hessian(scalar_states, argnums=(0, 1))(0.9, 0.3), dtype=float)
    g = lambda a, x: np.array(grad(scalar_states, argnums=(0, 1))(a, x))  # noqa: E731
    fd = np.stack([numeric_jacobian(g, (0.9, 0.3), i) for i in (0, 1)], axis=1)
    assert np.allclose(H, fd, rtol=1e-5, atol=1e-6), (H, fd)


def test_unbroadcast_fast_path_agrees_with_the_general_walk():
    """NumPy arrays of one dtype and rank take a short path in unbroadcast (summing where x has
    length 1); every other pairing takes the general one. Both give x's shape and dtype."""
    from adcompile.runtime import in_dtype_of, unbroadcast

    rng = np.random.default_rng(3)
    cases = [((3, 4), (3, 1)), ((3, 4), (1, 4)), ((3, 4), (1, 1)), ((3, 4), (3, 4)),
             ((1, 4), (3, 4)), ((4,), (3, 4)), ((2, 3, 4), (3, 1)), ((), ()), ((3, 1), (3, 4))]
    for gshape, xshape in cases:
        for gtype, xtype in [(np.float64, np.float64), (np.float32, np.float32),
                             (np.float64, np.float32)]:
            g = rng.normal(size=gshape).astype(gtype)
            x = np.zeros(xshape, xtype)
            got = unbroadcast(g, x)
            full = np.broadcast_to(g, np.broadcast_shapes(gshape, xshape))
            lead = full.ndim - x.ndim
            want = full.sum(axis=tuple(range(lead)) + tuple(
                lead + i for i, n in enumerate(xshape) if n == 1 and full.shape[lead + i] != 1),
                keepdims=True).reshape(xshape)
            assert got.shape == xshape and got.dtype == xtype, (gshape, xshape, gtype, xtype)
            assert np.allclose(got, want, rtol=1e-5), (gshape, xshape)
    for dtype in (np.float64, np.float32, np.complex128, np.int64):
        x = np.zeros(3, dtype)
        got = in_dtype_of(-1.0, x)
        assert got.dtype == np.result_type(dtype, -1.0) and got == -1.0 and got.ndim == 0


INTS = np.arange(1, 4)


def times_one_then_power(x):
    y = np.arange(1, 4) * 1.0  # a float array: y ** 50 does not overflow
    return x * np.sum(y ** 50)


def times_one_then_stored(x):
    y = np.arange(3) * 1.0
    y[0] = x  # a float array holds x
    return np.sum(y)


def divided_by_one_then_inverted(x):
    y = INTS / 1  # floats: y ** -1 is allowed
    return x * np.sum(y ** -1)


def a_numpy_integer_divided_by_one(x):
    k = np.int64(7) / 1
    return x * k ** -2


def masks_times_one(x):
    m = (x > 0) * 1  # integers: m - n subtracts
    n = (x < 0) * 1
    return np.sum(x * (m - n))


@pytest.mark.parametrize("f, x", [(times_one_then_power, 2.0), (times_one_then_stored, 2.7),
                                  (divided_by_one_then_inverted, 2.0),
                                  (a_numpy_integer_divided_by_one, 2.0),
                                  (masks_times_one, np.array([1.0, -2.0, 3.0]))])
def test_times_one_keeps_an_integer_a_float(f, x):
    """simplify dropped `* 1.0`, `/ 1` and `* 1` wherever the other operand was not a
    comparison or a known integer: np.arange(1, 4) * 1.0 stayed int64 (y ** 50 overflowed:
    1.2e19 for 1.4e24; y[0] = x stored int(x): 5 and 0.0 for 5.7 and 1.0), INTS / 1 stayed
    integers (y ** -1 raised), (x > 0) * 1 stayed booleans (m - n raised). It drops them now only
    where the operand surely holds floats."""
    value, g = value_and_grad(f)(x)
    assert value == pytest.approx(f(x), rel=1e-12)
    fd = numeric_jacobian(f, (x,), 0)
    np.testing.assert_allclose(g, fd.reshape(np.shape(x)), rtol=1e-6)


def softmax_lse(W, x, y):
    z = x @ W
    return -np.mean(np.sum(y * (z - logsumexp(z, axis=1, keepdims=True)), axis=1))


def test_logsumexp_keeping_dimensions_is_its_steps_where_differentiated():
    """issue 11: the adjoint of logsumexp(z, axis, keepdims=True) computed np.exp(z - lse) again;
    as its steps (max_shift, exp, sum, log: the same operations, the same value) the adjoint
    reads the forward's exp and sum, as hand-written backprop does."""
    rng = np.random.default_rng(2)
    W, x = rng.normal(size=(4, 3)), rng.normal(size=(5, 4))
    y = np.eye(3)[[0, 2, 1, 1, 0]]
    src = source(softmax_lse, mode="grad", argnums=(0,))
    assert "max_shift(z, axis=1)" in src and src.count("np.exp(") == 1, src
    check(softmax_lse, W, x, y, argnums=(0,))
    for row in ([0.5, -np.inf, 2.0], [-np.inf, -np.inf], [np.inf, 1.0, 0.0]):  # (as the
        z = np.array([row])                                                     # function)
        with np.errstate(all="ignore"):
            got = value_and_grad(lambda z: np.sum(logsumexp(z, axis=1, keepdims=True)))(z)[0]
        assert got == logsumexp(z, axis=1, keepdims=True)[0, 0]


def nested_whiles(a, n):
    y = a
    i = 0
    while i < n:
        j = 0
        while j < i + 1:  # the inner loop's trips differ per outer step: taped by the outer
            y = y * 0.9 + math.sin(a * y)
            j += 1
        i += 1
    return y


def early_exit(a):
    y = a
    for i in range(10):
        y = y * 1.1 + 0.01 * a
        if y > 3.0:
            break
    return y


def test_a_loops_own_trip_count_is_not_taped_in_its_own_steps():
    """T40: a while loop's trip count was pushed with each step's values and popped in each
    backward step, never read there: the backward loop reads it once, before it starts."""
    src = source(newton_sqrt, mode="grad")
    assert "trips" in src and "(trips," not in src and "trips = tape.pop()" not in src, src
    check(newton_sqrt, 2.0)
    check(nested_whiles, 0.4, 3, argnums=(0,))
    check(early_exit, 0.7)
    check(early_exit, 2.9)
