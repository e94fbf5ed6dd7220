"""Forward mode and values read only inside a loop (fixer fixfwdloop, from the "left alone" list
of a stop): a tangent of a value computed before a loop and read only in the loop, or only in a
branch inside it, was computed before the loop, so its rule ran where the value is never read:
`r = math.sqrt(x)` at x = 0 made `jvp` raise ZeroDivisionError (`d_x * 0.5 / r`) where the primal
runs and reverse mode (its `grad_r_set` flag) gives the answer. Forward mode now computes such a
tangent where it is read, once, under a flag the first computation clears."""
import math
import warnings

import numpy as np
import pytest

from adcompile import grad, hessian, jacfwd, jvp, source
from checks import assert_close, numeric_grad


def branch_in_for(x, n):
    r = math.sqrt(x)
    s = x
    for i in range(n):
        if i > 100:
            s += r
    return s


def branch_in_while(x, n):
    r = math.sqrt(x)
    s = x
    i = 0
    while i < n:
        if i > 100:
            s += r * x
        i += 1
    return s


def read_in_for(x, n):
    r = math.sqrt(x)
    q = r * 3.0
    s = 2.0 * x
    for i in range(n):
        s = s + q * i
    return s


def operand_changes_in_loop(x, n):
    r = math.sqrt(x)
    s = 0.0
    y = x
    for i in range(n):
        if i == 2:
            s = s + r * y
        y = y * 2.0
    return s + y


def read_in_nested_loop(x, n):
    r = np.sqrt(x)
    s = x
    for i in range(n):
        for j in range(n):
            if i + j > 100:
                s = s + r
    return s


@pytest.mark.parametrize("f, n", [(branch_in_for, 3), (branch_in_while, 3), (read_in_for, 0),
                                  (branch_in_for, 0), (branch_in_while, 0)])
def test_tangent_of_value_not_read_is_not_computed(f, n):
    out, d = jvp(f, (0.0, n), (1.0, 0))
    assert out == f(0.0, n)
    assert d == grad(f)(0.0, n)
    assert d == (2.0 if f is read_in_for else 1.0)


def test_nested_loop_numpy_no_warning():
    x = np.array([0.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, d = jvp(read_in_nested_loop, (x, 3), (np.ones(2), 0))
    assert_close(d, np.ones(2))


@pytest.mark.parametrize("f, n", [(branch_in_for, 103), (branch_in_while, 104), (read_in_for, 4),
                                  (operand_changes_in_loop, 5), (read_in_nested_loop, 60)])
def test_read_where_taken_agrees_with_reverse_and_differences(f, n):
    x = 1.7
    out, d = jvp(f, (x, n), (1.0, 0))
    assert_close(out, f(x, n))
    assert_close(d, grad(f)(x, n), rtol=1e-10)
    assert_close(d, numeric_grad(lambda v: f(v, n), (x,), 0), rtol=1e-6)


def test_computed_once_under_a_flag():
    """The tangent is computed where it is read (in the loop's branch), once, not at each step."""
    src = source(branch_in_for, mode="forward")
    lines = [ln.strip() for ln in src.splitlines()]
    rule = [k for k, ln in enumerate(lines) if ln.startswith("d_r = ")]
    assert len(rule) == 1, src
    loop = next(k for k, ln in enumerate(lines) if ln.startswith("for i in"))
    assert rule[0] > loop, src
    assert lines[rule[0] - 1].startswith("if "), src  # under the flag


def test_hessian_and_jacfwd_on_floats():
    def f(x, n):
        r = math.sqrt(x)
        s = x * x
        for i in range(n):
            if i > 100:
                s = s + r * x
        return s
    assert hessian(f)(0.0, 3) == 2.0
    assert jacfwd(f)(0.0, 3) == 0.0
    assert_close(hessian(f)(1.3, 103), numeric_grad(lambda v: grad(f)(v, 103), (1.3,), 0),
                 rtol=1e-6)


def changes_with_the_outer_loop(x, n):
    s = x
    for i in range(n):
        r = math.sqrt(x + i)
        for j in range(n):
            if j == 1:
                s = s + r * x
    return s


def read_in_two_branches(x, a, b):
    r = math.sqrt(x)
    s = x
    if a > 0:
        s = s + r
    if b > 0:
        s = s * r
    return s


def test_flag_set_again_for_each_step_of_an_outer_loop():
    """r changes with the outer loop: its tangent is computed once per run of the inner loop."""
    x, n = 1.3, 4
    d = jvp(changes_with_the_outer_loop, (x, n), (1.0, 0))[1]
    assert_close(d, grad(changes_with_the_outer_loop)(x, n), rtol=1e-12)
    assert_close(d, numeric_grad(lambda v: changes_with_the_outer_loop(v, n), (x,), 0), rtol=1e-6)
    assert jvp(changes_with_the_outer_loop, (0.0, 1), (1.0, 0)) == (0.0, 1.0)


def test_read_in_two_ifs_on_different_tests():
    """Read in two `if`s, neither taken: no tangent; one taken: the same as reverse mode."""
    assert jvp(read_in_two_branches, (0.0, 0, 0), (1.0, 0, 0)) == (0.0, 1.0)
    for a, b in ((1, 0), (0, 1), (1, 1)):
        d = jvp(read_in_two_branches, (2.3, a, b), (1.0, 0, 0))[1]
        assert_close(d, grad(read_in_two_branches)(2.3, a, b), rtol=1e-12)
        assert_close(d, numeric_grad(read_in_two_branches, (2.3, a, b), 0))


@pytest.mark.parametrize("f, n, xs", [(branch_in_for, 3, (0.0, 1.7)),
                                      (branch_in_while, 104, (1.7,)), (read_in_for, 0, (0.0, 1.7)),
                                      (changes_with_the_outer_loop, 4, (1.7,))])
def test_jit_compiles_the_flags(f, n, xs):
    pytest.importorskip("numba")
    from adcompile import jit
    from adcompile.api import compile_derivative
    df = compile_derivative(f, "forward", (0,))
    assert ("_unset" in source(df)) == (f is not read_in_for)

    for x in xs:
        assert jit(df)(x, n, 1.0) == pytest.approx(df(x, n, 1.0), rel=1e-12)


def test_read_at_every_step_before_the_loop_where_it_runs_one():
    """A tangent every step reads (no break): before the loop, under its test that it runs a
    step, not under a flag tested at every step."""
    src = source(read_in_for, mode="forward")
    assert "_unset" not in src
    assert src.index("d_q = ") < src.index("for i in"), src
    assert "    s1 = 0 < n\n    if s1:\n        d_r = " in src, src


# A name first bound in one loop and read in a later loop that does not bind it: checked once,
# before the later loop (where that loop runs a step), not at each step; where the later loop
# reads it only on some steps, or after something that may stop it, at the read (fixfwdloop) --
def later_loop(x, n, m):
    for i in range(n):
        last = x * i
    total = x
    for j in range(m):
        y = x * j
        total = total + last * y
    return total


def later_loop_from(x, n, m):
    for i in range(n):
        last = x * i
    total = x
    for j in range(2, m):
        total = total + last * x
    return total


def later_while(x, n, m):
    for i in range(n):
        last = x * i
    total = x
    j = 0
    while j < m:
        total = total + last * x
        j = j + 1
    return total


def later_loop_reads_on_a_branch(x, n, m):
    for i in range(n):
        last = x * i
    total = x
    for j in range(m):
        if j > 5:
            total = total + last * x
    return total


def later_loop_may_break_first(x, n, m):
    for i in range(n):
        last = x * i
    total = x
    for j in range(m):
        if j == 0:
            break
        total = total + last * x
    return total


LATER = [later_loop, later_loop_from, later_while, later_loop_reads_on_a_branch,
         later_loop_may_break_first]


def _unbound_as_python(call, f, args):
    try:
        expected = f(*args)
    except UnboundLocalError as python:
        with pytest.raises(UnboundLocalError) as ours:
            call(*args)
        assert str(ours.value) == str(python)
        return None
    return expected


@pytest.mark.parametrize("f", LATER)
@pytest.mark.parametrize("n, m", [(0, 0), (0, 1), (0, 3), (0, 8), (2, 0), (3, 4), (3, 9)])
def test_later_loop_raises_where_python_does(f, n, m):
    x = 1.3
    expected = _unbound_as_python(grad(f), f, (x, n, m))
    _unbound_as_python(lambda *a: jvp(f, a, (1.0, 0, 0)), f, (x, n, m))
    _unbound_as_python(hessian(f), f, (x, n, m))
    if expected is not None:
        assert_close(grad(f)(x, n, m), numeric_grad(lambda v: f(v, n, m), (x,), 0))
        assert_close(jvp(f, (x, n, m), (1.0, 0, 0))[1], grad(f)(x, n, m), rtol=1e-12)


@pytest.mark.parametrize("f", [later_loop, later_loop_from, later_while])
def test_later_loop_checks_once_before_it(f):
    flat = source(f, mode="flat")
    checks = [ln for ln in flat.splitlines() if "check_unbound" in ln]
    assert len(checks) == 1 and checks[0].startswith("        check_unbound"), flat
    body = flat.split("total = x")[1]
    assert body.index("check_unbound") < body.index("while" if f is later_while else "for"), flat


@pytest.mark.parametrize("f", [later_loop_reads_on_a_branch, later_loop_may_break_first])
def test_later_loop_checks_at_the_read_where_it_may_not_happen(f):
    flat = source(f, mode="flat")
    loop = flat.split("for j in")[1]
    assert "check_unbound" in loop, flat



@pytest.mark.parametrize("f", [later_loop, later_while])
def test_later_loop_under_jit(f):
    pytest.importorskip("numba")
    from adcompile import jit
    assert jit(grad(f))(1.3, 3, 4) == pytest.approx(grad(f)(1.3, 3, 4), rel=1e-12)
    assert jit(grad(f))(1.3, 0, 0) == 1.0
    _unbound_as_python(jit(grad(f)), f, (1.3, 0, 2))


# A value read in two `if`s on the same test (two comparisons of the same values, as the user
# writes it twice): its rule ran on every path, and at x = 0 (r = sqrt(0), unread there) reverse
# mode gave NaN (ZeroDivisionError on Python floats), and so did every second derivative; the
# two tests are now known to be one (analysis.one_branch) (fixfwdloop) -------------------------
def two_ifs_numpy(x):
    r = np.sqrt(x)
    a = x
    if x > 0:
        a = r
    b = x * 3.0
    if x > 0:
        b = r * 2
    return a * b + x


def two_ifs_math(x):
    r = math.sqrt(x)
    a = x
    if x > 0:
        a = r
    b = x * 3.0
    if x > 0:
        b = r * 2
    return a * b + x


@pytest.mark.parametrize("f", [two_ifs_numpy, two_ifs_math])
@pytest.mark.parametrize("x", [0.0, -1.0, 2.0, -0.5])
def test_read_in_two_ifs_on_the_same_test(f, x):
    if f is two_ifs_math and x < 0:
        with pytest.raises(ValueError):  # (math.sqrt itself: as Python)
            grad(f)(x)
        return
    x = np.float64(x) if f is two_ifs_numpy else x
    first = 3.0 if x > 0 else 6 * x + 1  # 2 x + x, or 3 x ** 2 + x
    second = 0.0 if x > 0 else 6.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if x < 0 else "error")  # (np.sqrt(x) itself warns)
        assert grad(f)(x) == pytest.approx(first)
        assert jvp(f, (x,), (1.0,))[1] == pytest.approx(first)
        assert hessian(f)(x) == pytest.approx(second)
        assert grad(grad(f))(x) == pytest.approx(second)
        assert jacfwd(grad(f))(x) == pytest.approx(second)
    if x != 0:
        assert grad(f)(x) == pytest.approx(numeric_grad(f, (x,), 0))
        assert hessian(f)(x) == pytest.approx(numeric_grad(grad(f), (x,), 0), abs=1e-6)


def merged_then_read_after(W, s):  # (the fuzzer's seed 56 of numpy, minimized)
    if s < 0.1 or s > 0.25:
        s = np.sum(-(1.0 * (W > -0.5)) * W)
        t1 = W[:, 0] + 0.0
        if np.sum(t1) < (s if s > 0.1 else 0.4):
            pass
        else:
            for i in range(1, 3):
                t1 += t1 ** 2
    return (s + s) * np.sum(W[:, 0])


def test_a_rule_whose_adjoint_comes_from_after_the_block_stays():
    """s (merged) is read in a branch of an inner `if` and after the outer one: its rule must
    not move into the inner branch (the relaxed reverse.movable once let it)."""
    W = np.array([[1.624257, -1.41782, 1.474485], [1.977549, 0.968407, 1.193051]])
    V = np.array([[0.449208, 0.088424, -0.528759], [0.213262, -0.281457, 0.178000]])
    g = grad(merged_then_read_after)(W, 0.037885)
    d = jvp(merged_then_read_after, (W, 0.037885), (V, 0.0))[1]
    assert_close(np.sum(g * V), d, rtol=1e-9)


# --- fuzz cases (scalar seeds 3902011748, 3903011746): a tangent copied into a loop to be
# computed once under a flag, read by a tangent that every step reads and that was hoisted
# before the loop without it (NameError / UnboundLocalError of d_y_1 in jvp)
def lists_in_loops(x, y):
    for i1 in range(1, 4):
        L2 = []
        for i3 in range(1, 4):
            L2.append(y + x)
        break
        y += 0.75  # noqa: F841  (after the break: never runs)
    L9 = [0.5]
    for i10 in range(1):
        L9.append(y)
    return sum(L2)


def swapped_in_a_loop(x, y, n):
    t9 = x
    y += x
    t9 -= x if x else y
    for i11 in range(0, 5, 2):
        x, t12 = (math.exp(math.tanh(y)), x)  # noqa: F841
    t13 = x
    return t13


@pytest.mark.parametrize("f, args", [(lists_in_loops, (-1.80082, 0.88642)),
                                     (swapped_in_a_loop, (1.725013, -1.764486, 1))])
def test_a_hoisted_tangent_does_not_read_a_copy_made_once_inside_the_loop(f, args):
    v = (0.23, -0.15)
    _, tangent = jvp(f, args, v + (0.0,) * (len(args) - 2))
    g = grad(f, argnums=(0, 1))(*args)
    assert_close(tangent, v[0] * g[0] + v[1] * g[1], rtol=1e-12)
    assert_close(g[0], numeric_grad(f, args, 0), rtol=1e-6)
    assert_close(g[1], numeric_grad(f, args, 1), rtol=1e-6)
