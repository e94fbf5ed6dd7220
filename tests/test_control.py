"""Control flow: golden source of a loop and a branch, the tape, and the errors."""
import math
import re

import numpy as np
import pytest

from adcompile import UnsupportedSyntaxError, grad, hessian, jvp, source, value_and_grad, vjp
from checks import assert_close, numeric_grad
from corpus_control import branches, counted_loop, rnn, two_calls


def test_golden_branch():
    # the forward sweep keeps the user's if/elif/else; the backward sweep re-takes the branch;
    # nothing is overwritten outside a loop, so nothing is taped
    src = source(grad(branches, argnums=(0, 1)))
    assert src.startswith("def grad_branches(x, y):\n    s0 = x > 0.5\n    if s0:\n"
                          "        z = x * y\n    else:\n        s1 = x < -0.5\n        if s1:\n")
    lines = [line.strip() for line in src.splitlines()]
    assert lines.count("if s0:") == 2 and lines.count("if s1:") == 1 and "elif s1:" in lines
    assert "grad_x = grad_x + unbroadcast(grad_z_1 * math.cos(x), x)" in lines
    assert "tape" not in src


def test_golden_loop():
    # on Python floats nothing but the backward sweep runs: the sum s is the output, which
    # grad does not return, and sin(x * i), all the backward step would pop, is redone there
    assert source(grad(counted_loop)) == '''def grad_counted_loop(x):
    if type(x) is float:
        grad_x = 0.0
        for i in reversed(range(5)):
            s0 = x * i
            grad_x = grad_x + math.sin(s0) + x * math.cos(s0) * i
        return grad_x
    s = 0.0
    for i in range(5):
        s0 = x * i
        s = s + math.sin(s0) * x
    grad_x = zeros_like(x)
    for i in reversed(range(5)):
        s0 = x * i
        grad_x = grad_x + math.sin(s0) + x * math.cos(s0) * i
    if type(s) is type(x) is float:
        return grad_x
    check_scalar(s, x)
    return unbroadcast(grad_x, x)
'''


def test_golden_loop_shape():
    src = source(grad(two_calls))
    lines = [line.strip() for line in src.splitlines()]
    assert "for i in range(5):" in lines and "for i in reversed(range(5)):" in lines
    # two math calls are taped, x * i and x + i are recomputed; s, carried by the loop, needs no
    # tape, and on Python floats the forward sweep does not compute it (only the tape needs the
    # loop there)
    assert lines.count("tape.append((s1, s3))") == 2 and lines.count("s1, s3 = tape.pop()") == 2
    assert not any(line.startswith("tape.append(s)") for line in lines)
    floats = src.split("    tape = []\n    s = 0.0")[0]
    assert "s = s +" not in floats and "s = s + s1 * s3" in src
    assert_close(grad(two_calls)(0.7), numeric_grad(two_calls, (0.7,), 0))
    assert_close(grad(two_calls)(np.float64(0.7)), numeric_grad(two_calls, (0.7,), 0))


def test_rnn_tapes_only_the_overwritten_state():
    src = source(grad(rnn, argnums=(0, 1, 2)))
    assert "for t in reversed(range(" in src
    pushed = set()
    for line in src.splitlines():
        if "tape.append(" in line:
            pushed |= set(re.findall(r"\w+", line.split("tape.append(", 1)[1]))
    assert pushed and not pushed & {"W", "xs"}  # loop-invariant values are never taped


def test_one_push_per_iteration_and_a_correct_gradient():
    def relax(x):
        for i in range(1000):
            x = x * 0.999 + 0.001 * math.sin(x)
        return x
    src = source(grad(relax))
    assert src.count("tape.append(") == 1 and src.count("tape.pop()") == 1
    numeric = (relax(0.5 + 1e-6) - relax(0.5 - 1e-6)) / 2e-6
    assert math.isclose(grad(relax)(0.5), numeric, rel_tol=1e-6)


def test_pullback_can_run_twice():
    out, pullback = vjp(counted_loop, 0.4)
    assert pullback(1.0) == pullback(1.0)
    assert np.isclose(pullback(2.0)[0], 2 * grad(counted_loop)(0.4))


def test_value_and_grad_returns_the_value_not_a_restored_one():
    value, g = value_and_grad(counted_loop)(0.4)
    assert value == counted_loop(0.4)


def test_branch_on_undefined_derivative_takes_the_branch_the_values_choose():
    def step(x):
        return 1.0 * x if x >= 0 else -2.0 * x
    assert grad(step)(0.0) == 1.0 and grad(step)(-1.0) == -2.0


def returns_on_one_path(x):
    if x > 0:
        return x
    y = x * 2  # noqa: F841


def test_errors_name_the_construct_and_line():
    with pytest.raises(UnsupportedSyntaxError, match="every path"):
        grad(returns_on_one_path)


def list_item_written(x):
    a = [x, 2 * x]
    a[0] = 3.0 * x
    return a[0] * a[1]


def tuple_carried(x):
    t = (x, x)
    for i in range(2):
        t = (t[1], t[0] * 2)
    return t[0] * t[1]


def max_of_a_list(x):
    return max([x, 2.0, x * x])


@pytest.mark.parametrize("f", [list_item_written, tuple_carried, max_of_a_list])
def test_lists_and_tuples_known_at_transformation_time(f):
    for x in (0.7, 1.6):
        numeric = (f(x + 1e-6) - f(x - 1e-6)) / 2e-6
        assert math.isclose(grad(f)(x), numeric, rel_tol=1e-6, abs_tol=1e-6)


def test_max_and_min_of_a_list_built_at_run_time():
    def f(x):
        vals = []
        for i in range(3):
            vals.append(x * (i - 1))
        return max(vals) + 2 * min(vals)
    for x in (0.7, -1.6):
        numeric = (f(x + 1e-6) - f(x - 1e-6)) / 2e-6
        assert math.isclose(grad(f)(x), numeric, rel_tol=1e-6, abs_tol=1e-6)


# --- else clauses of loops: they ran nowhere (a wrong value and derivative, no error) ------------
def for_else_breaking(x):
    for i in range(2):
        if x > 100.0:
            break
        x = x * 2.0
    else:
        x = -x
    return x


def while_else(x):
    i = 0
    while i < 2:
        x = x * x
        i += 1
    else:
        x = x + 1.0
    return x


def nested_else_breaks_outer(x, n):
    for i in range(n):
        for j in range(3):
            if x * j > 5.0:
                break
            x = x + 0.5 * x * j
        else:
            x = x * 0.9
            continue
        x = math.sin(x)
        break
    else:
        x = x * x
    return x


def else_after_return(x):
    while x < 10.0:
        if x > 4.0:
            return x * 3.0
        x = x * 1.5
    else:
        x = x - 1.0
    return x * x


@pytest.mark.parametrize("f, points", [
    (for_else_breaking, [1.0, 150.0]), (while_else, [0.5, 1.3]),
    (nested_else_breaks_outer, [(0.3, 2), (1.7, 3), (2.5, 1), (0.2, 0)]),
    (else_after_return, [1.0, 3.0, 12.0]),
])
def test_loop_else_clauses(f, points):
    for p in points:
        args = p if isinstance(p, tuple) else (p,)
        value, g = value_and_grad(f)(*args)
        assert value == pytest.approx(f(*args), rel=1e-12)
        assert g == pytest.approx(numeric_grad(f, args, 0), rel=1e-6, abs=1e-8)
        if len(args) == 1:  # (an int argument has no tangent)
            assert jvp(f, args, (1.0,))[1] == pytest.approx(g, rel=1e-12)
        assert hessian(f)(*args) == pytest.approx(numeric_grad(grad(f), args, 0), rel=1e-5,
                                                   abs=1e-6)
