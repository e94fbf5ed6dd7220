"""Regression tests: programs that once compiled to a wrong value or gradient, or crashed.

Each case is checked the same way: the forward sweep's value equals the function's, reverse mode
equals forward mode by the dot-product test, and both equal central finite differences.
"""
import math

import numpy as np
import pytest

from adcompile import ADCompileError, UnsupportedSyntaxError, grad, hessian, jvp, source, value_and_grad, vjp
from checks import assert_close, numeric_grad


def check(f, *args, argnums=None):
    """Value, reverse against forward, and both against finite differences."""
    argnums = tuple(range(len(args))) if argnums is None else argnums
    expected = f(*args)
    value, grads = value_and_grad(f, argnums=argnums)(*args)
    assert_close(value, expected, what="value_and_grad's value")
    for k, i in enumerate(argnums):
        tangents = tuple(np.ones_like(a) if j == i else np.zeros_like(a)
                         for j, a in enumerate(args))
        out, tangent = jvp(f, args, tangents)
        assert_close(out, expected, what="jvp's value")
        fd = numeric_grad(f, args, i)
        assert_close(grads[k], fd, rtol=1e-5, atol=1e-6, what=f"grad of argument {i}")
        assert_close(tangent, np.sum(fd), rtol=1e-5, atol=1e-6, what=f"jvp along argument {i}")


# --- issue 8: the known wrong results ---------------------------------------------------------

def and_in_loop(x, y):
    for i in range(2):
        if y > 0.0 and y < 2.0:
            x = x * y
    return x


def deferred_adjoint_after_loop(x):
    v = x
    for i in range(2):
        v = 0.5 * v
    return x * v


def swap_in_loop(a, b):
    for i in range(3):
        a, b = b, a
    return b


def _halve_twice(p):
    for i in range(2):
        p = p * 0.5
    return p


def helper_rebinds_parameter(x):
    y = 2.0 * x
    return _halve_twice(y) + y


def two_names_merged(x, y):
    if y <= 0.8:
        x = x * 2.0
        v = x
    else:
        v = x + 1.0
    return v


@pytest.mark.parametrize("f, args", [
    (and_in_loop, (0.3, 0.5)),
    (deferred_adjoint_after_loop, (0.5,)),
    (swap_in_loop, (0.3, 0.7)),
    (helper_rebinds_parameter, (0.5,)),
    (two_names_merged, (0.5, 1.0)),
    (two_names_merged, (0.5, 0.3)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_known_wrong_results(f, args):
    check(f, *args)


# --- issue 8: leaving a loop or a function from inside a nested branch -------------------------

def break_from_nested_if(x, y):
    s = 0.0
    for i in range(4):
        if x > 0.5:
            if y > 0.2:
                s = s + x * y
                break
        s = s + math.sin(x)
    return s


def return_from_nested_if_in_loop(x, y):
    s = x
    for i in range(4):
        if s > 2.0:
            if y > 0.2:
                return s * y
        s = s * 1.7
    return s


def continue_from_nested_if(x):
    s = 0.0
    for i in range(3):
        if x > 0.0:
            if i == 1:
                continue
        s = s + x * i
    return s


def return_in_elif_then_more_code(x):
    if x > 1.0:
        return x * 2.0
    elif x > 0.0:
        return x * 3.0
    y = x * x
    return y


def break_or_continue(x):
    s = x
    for i in range(5):
        if s > 2.0:
            break
        elif s < 0.0:
            s = s + 1.0
            continue
        s = s * 1.5
    return s


def math_only_on_some_iterations(x):
    s = x
    for i in range(5):
        if s > 3.0:
            break
        t = s * s
        s = s + math.sin(t)
    return s


@pytest.mark.parametrize("f, args", [
    (break_from_nested_if, (0.7, 0.5)), (break_from_nested_if, (0.7, 0.1)),
    (break_from_nested_if, (0.3, 0.5)),
    (return_from_nested_if_in_loop, (0.9, 0.5)), (return_from_nested_if_in_loop, (0.9, 0.1)),
    (continue_from_nested_if, (0.5,)), (continue_from_nested_if, (-0.5,)),
    (return_in_elif_then_more_code, (1.5,)), (return_in_elif_then_more_code, (0.5,)),
    (return_in_elif_then_more_code, (-0.5,)),
    (break_or_continue, (0.9,)), (break_or_continue, (-0.6,)),
    (math_only_on_some_iterations, (0.5,)), (math_only_on_some_iterations, (5.0,)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_leaving_from_nested_branches(f, args):
    check(f, *args)


# --- issue 8: shapes in reverse mode ----------------------------------------------------------

def times_a_computed_float(W):
    c = math.sqrt(2.0)
    return np.sum(np.sum(W, axis=1) * c)


def rows_of_a_broadcast_sum(x, W):
    W = W + x
    s = 0.0
    for row in W:
        s = s + np.sum(row * row)
    return s


def loop_index_after_the_loop(x):
    for i in range(3):
        x = x * 1.1
    return x * i


def loop_element_after_the_loop(x, W):
    for row in W:
        x = x + np.sum(row) * x
    return x * np.sum(row)


W23 = np.arange(6.0).reshape(2, 3) / 7 - 0.3


@pytest.mark.parametrize("f, args", [
    (times_a_computed_float, (W23,)),
    (rows_of_a_broadcast_sum, (0.3, W23)),
    (loop_index_after_the_loop, (0.5,)),
    (loop_element_after_the_loop, (0.5, W23)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_shapes_and_names_after_loops(f, args):
    check(f, *args)


def _module(tmp_path, name, text):
    import importlib.util
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_six_hundred_math_calls(tmp_path):
    # the float fast path's test was one nested `and` per math call: RecursionError
    lines = "".join(f"    s = s + math.sin(x * {i}.0)\n" for i in range(600))
    m = _module(tmp_path, "many_calls", f"import math\ndef f(x):\n    s = 0.0\n{lines}    return s\n")
    check(m.f, 0.3)
    src = grad(m.f).__adcompile__.source
    assert "type(x) is float" in src and src.count("is float") <= 3  # the input stands for all


def test_the_tape_plan_grows_linearly_with_the_loops(tmp_path, monkeypatch):
    # the names loops assign were gathered again for every loop: a build quadratic in the number
    # of loops (the fuzzer's 10 s timeout). Counted in calls, not timed: twice the loops, at most
    # about twice the work
    import adcompile.tape as tape
    calls = []
    original = tape.targets_of
    monkeypatch.setattr(tape, "targets_of", lambda s: calls.append(1) or original(s))
    counts = []
    for k in (10, 40):
        loop = "    for i in range(3):\n        x = x * 0.9 + math.sin(y * i)\n"
        m = _module(tmp_path, f"loops_{k}", f"import math\ndef f(x, y):\n{loop * k}    return x\n")
        calls.clear()
        grad(m.f, argnums=(0, 1))
        counts.append(len(calls))
    assert counts[1] < 5 * counts[0], counts


def list_never_read(x, W, s, u):
    def g6(p7):
        t8, p7 = (1.0, np.sum(W))
        return p7
    L9 = [g6(s)]
    for i10 in range(1, 3):
        L9.append(s)
    return s


def test_an_array_whose_zero_adjoint_reaches_an_input_blocks_the_float_path():
    # the fuzzer: the output s is a float, so the float path returned W's gradient unfitted:
    # the zeros the list L9 (grown by the loop, never read) handed back to np.sum(W), shape ()
    rng = np.random.default_rng(13)
    x, W, u = rng.normal(size=3), rng.normal(size=(2, 3)), rng.normal(size=3)
    grads = grad(list_never_read, argnums=(0, 1, 2, 3))(x, W, -1.3, u)
    assert [np.shape(g) for g in grads] == [(3,), (2, 3), (), (3,)]
    check(list_never_read, x, W, -1.3, u)


def scaled_root(x, y):
    for i in range(3):
        x = x * y
    return (x - 2.0) ** 0.5


def test_a_power_that_turns_complex_keeps_the_output_check():
    # Python's (-1.0) ** 0.5 is complex: the float path (no output check) returned complex
    # gradients where grad must refuse a complex output, as the general path does
    from adcompile.errors import ComplexOutputError
    with pytest.raises(ComplexOutputError):
        grad(scaled_root, argnums=(0, 1))(1.0, 1.0)
    assert_close(grad(scaled_root, argnums=(0, 1))(3.0, 1.0), (1 / 2, 9 / 2))  # y**3 / 2r, 3xy**2 / 2r


def test_six_hundred_squarings_in_a_loop(tmp_path):
    # collect joined the backward step's 600 single-use adjoints into one expression, nested
    # 600 deep: RecursionError
    lines = "".join("        t = t * t * 0.5 + 0.1\n" for _ in range(600))
    m = _module(tmp_path, "squarings",
                f"def f(x):\n    for i in range(2):\n        t = x\n{lines}        x = t * 0.5\n"
                "    return x\n")
    h = 1e-6
    assert_close(grad(m.f)(0.3), (m.f(0.3 + h) - m.f(0.3 - h)) / (2 * h), rtol=1e-5, atol=1e-6,
                 what="grad")


@pytest.mark.parametrize("term", ["np.sum(np.sin(x * {i}.0))", "np.sin(x * {i}.0)"])
def test_six_hundred_contributions_to_one_adjoint(tmp_path, term):
    # the adjoint of x added 600 terms in one expression, nested 600 deep: RecursionError
    lines = "".join(f"    s = s + {term.format(i=i)}\n" for i in range(600))
    m = _module(tmp_path, "many_terms",
                f"import numpy as np\ndef f(x):\n    s = 0.0 * x\n{lines}    return np.sum(s)\n")
    check(m.f, np.array([0.3, -0.2]))


# --- found by tools/fuzz.py -------------------------------------------------------------------

def adjoint_made_in_one_branch(x, y):
    t7 = x
    if x < 0.5:
        t7 += t7
        if x:
            y = t7
    return x + 0.0 * y


def closure_reads_the_current_value(x, y):
    g = lambda p: y  # noqa: E731
    t = y
    for i in range(2):
        k = 0
        while k < 3:
            k += 1
            t -= g(x)
            y += t
    return y


def list_literal_carried_out_of_a_loop(x, y):
    for i in range(0, 4, 2):
        L = [x]
    L.append(y)
    return sum(L)


def _unpack_parameters(a, b):
    t1, t2 = (a, b)  # (t2 once took over the name of the caller's value of b)
    return sum([b])


def helper_argument_unpacked(x, y):
    g = lambda p: _unpack_parameters(1.25, x ** 3)  # noqa: E731
    return g(y)


def output_without_derivative(x, y, n):
    if not y >= 2.0:
        x = y
    return float(n)


def recomputed_value_changed_later_in_the_loop(W, s, u):
    for i in range(1):
        c = W + 0.0
        k = 0
        while k < 3 and s < 2.0:
            s = s + 0.5
            c[0, 2] = 1.5
        u = u[1:] @ c - u
    return np.sum(u)


U3 = np.array([1.579374, 0.090976, -1.437552])


def slice_read_by_a_loop_that_sums(x, W, u):
    # the adjoint of x after its reset was unbroadcast(its copy), the same array, and the
    # slice's share was added into it in place (scatter_add): the copy, read later for u's
    # gradient, changed with it
    s = 0.0
    for k in range(3):
        s = s + np.mean(x)
        u = u ** 2
        x = x + x[:2] @ W * u
    return s


def math_call_of_an_outer_loops_value(x, y, z):
    # the float path redid tanh(x) in the inner loop's backward step, from the x of the outer
    # step's end (the tape kept that one, not the x the step had read): a wrong gradient
    for i9 in range(0, 5, 2):
        k10 = 0
        while abs(y) < 2.0 and k10 < 4:
            k10 += 1
            if x > z:
                continue
            y += math.tanh(x)
        x -= y * y
    return x


@pytest.mark.parametrize("f, args", [
    (adjoint_made_in_one_branch, (-0.7, 0.4)), (adjoint_made_in_one_branch, (0.7, 0.4)),
    (closure_reads_the_current_value, (-0.98, -1.2)),
    (list_literal_carried_out_of_a_loop, (0.3, 0.6)),
    (helper_argument_unpacked, (-0.08, 1.7)),
    (recomputed_value_changed_later_in_the_loop, (W23, -0.96, U3)),
    (math_call_of_an_outer_loops_value, (0.163071, -1.338298, 0.738748)),
    (slice_read_by_a_loop_that_sums, (U3, W23 * 0.5, np.array([-1.2, -0.9, 0.45]))),
], ids=lambda v: getattr(v, "__name__", ""))
def test_fuzz_findings(f, args):
    check(f, *args)


def test_output_without_derivative():
    assert value_and_grad(output_without_derivative, argnums=(0, 1))(0.5, 0.3, 2) == \
        (2.0, (0.0, 0.0))


# --- changes in place that another name sees -------------------------------------------------

def in_place_update_of_a_shared_array(W, s):
    W = s + W
    r = W
    W *= W
    return np.sum(r[1:])


def item_write_to_a_shared_array(W):
    c = W + 0.0
    d = c
    c[0, 0] = 5.0
    return np.sum(d * W)


def in_place_update_of_a_shared_float(x, s):
    r = x
    x *= 2.0
    return r + x * s


def in_place_update_of_a_loop_copy(W):
    r = W + 0.0
    c = r
    for i in range(2):
        c *= 2.0
    return np.sum(r)


@pytest.mark.parametrize("f, args", [
    (in_place_update_of_a_shared_array, (W23, 0.5)),
    (item_write_to_a_shared_array, (W23,)),
    (in_place_update_of_a_loop_copy, (W23,)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_a_shared_array_changed_in_place_is_refused(f, args):
    # Python changes the array for every name that holds it; flat code makes a new one
    with pytest.raises(UnsupportedSyntaxError, match="changed in place"):
        grad(f)(*args)
    with pytest.raises(UnsupportedSyntaxError, match="changed in place"):
        jvp(f, args, args)


def test_a_shared_float_changed_in_place_is_fine():
    check(in_place_update_of_a_shared_float, 1.5, 0.5)


def loop_returning_inside_a_branch(x, y):
    if x > 0.0:
        for i in range(3):
            if x * i > y:
                return x * i
    return y * 2.0


@pytest.mark.parametrize("args", [(0.5, 0.7), (0.5, 2.0), (-0.5, 1.0)])
def test_loop_returning_inside_a_branch(args):
    check(loop_returning_inside_a_branch, *args)


def reversed_loop_with_break(x, n):
    s = x
    for i in reversed(range(n)):
        if s > 3.0:
            break
        s = s * (1.0 + 0.1 * i)
    return s


def reversed_loop_with_step_and_return(x, a, b):
    s = x
    for i in reversed(range(a, b, 3)):
        s = s * 1.5 + i * 0.01
        if s > 2.0:
            return s * x
    return s


def reversed_loop_with_negative_step(x, a, b):
    s = x
    for i in reversed(range(a, b, -2)):
        s = s * 1.2 + i * 0.01
        if s > 2.0:
            break
    return s


@pytest.mark.parametrize("f, args", [
    (reversed_loop_with_break, (0.5, 9)), (reversed_loop_with_break, (0.5, 0)),
    (reversed_loop_with_negative_step, (0.3, 9, -4)),
    (reversed_loop_with_negative_step, (0.3, 9, 12)),
    (reversed_loop_with_negative_step, (0.3, 8, -40)),
    (reversed_loop_with_step_and_return, (0.3, 1, 11)),
    (reversed_loop_with_step_and_return, (0.3, 1, -4)),
    (reversed_loop_with_step_and_return, (0.1, 2, 3)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_reversed_loops_that_stop_early(f, args):
    check(f, *args, argnums=(0,))


def loop_over_a_list_with_break(x, y):
    s = 0.0
    for v in [x, 2.0 * x, y]:
        if v > 1.0:
            break
        s = s + v * v
    return s


def loop_over_a_tuple_with_return(x, y):
    for v in (x, y * 3.0):
        if v > 1.0:
            return v * x
    return y


@pytest.mark.parametrize("f, args", [
    (loop_over_a_list_with_break, (0.4, 0.3)), (loop_over_a_list_with_break, (0.7, 0.3)),
    (loop_over_a_list_with_break, (0.3, 2.0)),
    (loop_over_a_tuple_with_return, (1.5, 0.2)), (loop_over_a_tuple_with_return, (0.5, 0.5)),
    (loop_over_a_tuple_with_return, (0.5, 0.2)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_loops_over_known_lists_that_stop_early(f, args):
    check(f, *args)


def list_of_different_lengths_on_each_path(x, y):
    if y > 0.5:
        L = [x, y]
    else:
        L = [x * 2.0]
    L.append(x * y)
    return sum(L) + L[0] * y


@pytest.mark.parametrize("args", [(0.4, 0.7), (0.4, 0.3)])
def test_list_of_different_lengths_on_each_path(args):
    check(list_of_different_lengths_on_each_path, *args)


def in_place_update_seen_through_a_view(W, s):
    t = W + 0.0
    r = t[0]
    t += s
    return np.sum(r)


def in_place_update_of_a_view(W, s):
    t = W + 0.0
    r = t[0]
    r *= s
    return np.sum(t)


@pytest.mark.parametrize("f", [in_place_update_seen_through_a_view, in_place_update_of_a_view])
def test_in_place_update_through_a_view_is_refused(f):
    with pytest.raises(UnsupportedSyntaxError, match="changed in place"):
        grad(f)(W23, 0.5)


def _loop_index_read_later(x, s):
    for i in range(1, 4):
        pass
    total = 0.0
    for v in x:
        total = total + min(s, i) * v
    return total


def test_vjp_reads_a_loop_index_after_its_loop():
    x = np.array([0.5, -0.3, 0.2])
    out, pullback = vjp(_loop_index_read_later, x, 0.5)
    (gx, gs) = pullback(1.0)
    assert_close(gx, numeric_grad(_loop_index_read_later, (x, 0.5), 0))
    assert_close(gs, numeric_grad(_loop_index_read_later, (x, 0.5), 1))


def closure_called_after_a_loop_rebinds_its_variable(x, y):
    def g(p):
        q, t = (y, x)
        return q
    t9 = y
    y, t12, t13 = (1.5, t9, t9)
    for i in range(1):
        y, t9 = (t13, 1.0)
    return g(x)


def closure_calls_closure_after_an_early_return(x, y):
    g1 = lambda p: x + -y  # noqa: E731

    def g3(p):
        return p * g1(p) if g1(x) < 0.25 else math.log(1.0 + p ** 2)
    x, y = (y, x)
    t9 = g3(x) + y
    if 0.5 < t9 ** 2 < 2.0:
        if t9 > y and 0.5 < x < 1.5:
            return 0.7
    y = y * 2.0
    return g3(y) + t9


def _h0(a, b):
    return a * a + b / (1.0 + b ** 2)


def returns_in_nested_elifs(x, y):
    if x / (1.0 + x ** 2) < y * y:
        if x >= 0.1 and y >= 3.0:
            pass
        elif y - x > _h0(x, 1.0):
            x = _h0(x, _h0(x, y))
            if 0.5 < y < 1.0 or x < 3.0:
                return x
        else:
            if y > 0.7:
                return x
            if (x if x > y else y) >= x:
                y, x = (x, y)
            else:
                x = max(x, y) + 1.5
    return min(1.5, x + y)


@pytest.mark.parametrize("f, args", [
    (closure_called_after_a_loop_rebinds_its_variable, (-0.32, -1.44)),
    (closure_calls_closure_after_an_early_return, (1.65, -0.40)),
    (closure_calls_closure_after_an_early_return, (0.2, 0.9)),
    (returns_in_nested_elifs, (-1.28, 0.59)), (returns_in_nested_elifs, (0.5, 0.6)),
    (returns_in_nested_elifs, (2.0, 0.2)), (returns_in_nested_elifs, (0.05, 0.8)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_closures_and_nested_returns(f, args):
    check(f, *args)


def _last_row(x, W, s):
    t = x
    for r in t:
        pass
    return r


def test_vjp_of_a_loop_element_read_after_the_loop():
    x = np.array([-1.3, -0.5, -1.8])
    out, pullback = vjp(_last_row, x, W23, 0.5)
    assert out == x[-1]
    assert_close(pullback(1.0)[0], [0.0, 0.0, 1.0])


def list_indexed_by_a_loop_index(x, y):
    L = [x, y * 2.0, x * y]
    s = 0.0
    for i in range(3):
        s = s + L[i] * L[2 - i]
    return s + (x, y)[i % 2]


def test_list_indexed_by_a_computed_index():
    check(list_indexed_by_a_loop_index, 0.3, -0.7)


def constant_output_after_a_loop(x, b):
    b = np.sqrt(x)
    for i in range(len(x)):
        b += b
    return 0.5


def test_constant_output_after_a_loop():
    x = np.array([0.09, 0.04, 0.05])
    value, grads = value_and_grad(constant_output_after_a_loop, argnums=(0, 1))(x, 0.3)
    assert value == 0.5 and np.all(grads[0] == 0) and grads[1] == 0


def inactive_value_overwritten_in_a_loop(x, y, n):
    t5, t7 = (y, n)
    for i in range(n):
        x, y, t11 = (x * t7, t5, t7)
        t7 += t11
    return x


def recomputed_in_an_inner_loop_from_an_outer_one(x, y):
    k = 0
    while y > -2.0 and k < 2:
        k += 1
        y += y
        for i in range(1, -1, -1):
            y = 0.5 * k * y
    return y


def inner_loop_in_an_unrolled_loop(x, y, z, n):
    for r in (z, x, 1.0):
        x, y = (y, x)
        t, x = (z, z)
        for i in range(n):
            z, x, t10 = (0.1, r, y)
    return y


@pytest.mark.parametrize("f, args, argnums", [
    (inactive_value_overwritten_in_a_loop, (1.49, 0.44, 3), (0, 1)),
    (recomputed_in_an_inner_loop_from_an_outer_one, (1.7, -1.47), (0, 1)),
    (inner_loop_in_an_unrolled_loop, (-0.73, -1.25, -0.46, 1), (0, 1, 2)),
    (inner_loop_in_an_unrolled_loop, (-0.73, -1.25, -0.46, 0), (0, 1, 2)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_values_loops_overwrite(f, args, argnums):
    check(f, *args, argnums=argnums)


def noisy(x):
    a = np.random.randn(3)
    b = np.random.randn(3)
    c = np.random.normal(0.0, 0.5, size=3)
    return np.sum(x * (a - b) + c * x ** 2)


def test_random_draws_are_constants_drawn_anew():
    # each call draws anew (two equal calls are not one draw), as the function itself does
    x = np.array([0.5, -0.2, 0.3])
    np.random.seed(3)
    expected = noisy(x)
    rs = np.random.RandomState(3)
    a, b = rs.randn(3), rs.randn(3)
    c = rs.normal(0.0, 0.5, size=3)
    np.random.seed(3)
    value, g = value_and_grad(noisy)(x)
    assert_close(value, expected)
    assert_close(g, (a - b) + 2 * c * x)
    np.random.seed(3)
    out, tangent = jvp(noisy, (x,), (np.ones(3),))
    assert_close(out, expected)
    assert_close(tangent, np.sum((a - b) + 2 * c * x))


def test_generator_draws_print_as_method_calls_and_stay_in_place():
    # the primitive half of rng.standard_normal(...) and friends (the lowering of a method call
    # on a Generator is the other half, below)
    from adcompile.ir import Const, Op, Var
    from adcompile.primitives import _DRAWS, EFFECTS, GENERATOR_METHODS, PATHWISE
    from adcompile.unparse import expr_source
    assert set(GENERATOR_METHODS) == {"standard_normal", "random", "permutation", "choice",
                                      "integers", "standard_exponential",
                                      "standard_gamma"} | set(_DRAWS) | set(PATHWISE) | {
                                          "rand", "randn", "random_sample", "randint"}  # (a
    # RandomState's own: test_numpy_found5.py)
    assert set(GENERATOR_METHODS.values()) | {"np.random.default_rng"} <= EFFECTS
    draw = Op("Generator.normal", (Var("rng"), Const(0.0), Const(2.0)), (("size", Const(3)),))
    assert expr_source(draw) == "rng.normal(0.0, 2.0, size=3)"
    assert expr_source(Op("Generator.standard_normal", (Var("rng"),),
                          (("size", Const((2, 3))),))) == "rng.standard_normal(size=(2, 3))"


def generator_noise(x, rng):
    a = rng.standard_normal(3)
    b = rng.normal(0.0, 0.5, size=3) + rng.uniform(-1.0, 1.0, 3) * rng.random(3)
    return np.sum(x * a + b * x ** 2)


def generator_made_inside(x):
    rng = np.random.default_rng(5)
    return np.sum(x * rng.standard_normal(3)) + np.sum(x * rng.standard_normal(3))


def test_generator_draws_are_constants_drawn_anew():
    x = np.array([0.5, -0.2, 0.3])
    rs = np.random.default_rng(4)
    a = rs.standard_normal(3)
    b = rs.normal(0.0, 0.5, size=3) + rs.uniform(-1.0, 1.0, 3) * rs.random(3)
    value, g = value_and_grad(generator_noise)(x, np.random.default_rng(4))
    assert_close(value, generator_noise(x, np.random.default_rng(4)))
    assert_close(g, a + 2 * b * x)
    rs = np.random.default_rng(5)
    a, b = rs.standard_normal(3), rs.standard_normal(3)
    assert_close(grad(generator_made_inside)(x), a + b)


def return_from_a_loop_over_rows(x, s):
    L = [x]
    for r in x:
        L.append(x / x ** 2)
        if r > 0.5:
            return 1.5
    return s


def value_assigned_on_one_path_of_a_nested_branch(x, y, z, n):
    for i3 in range(1, -1, -1):
        if z > 0.5:
            for i4 in x:
                x, y = (y, x)
                y *= z
        elif x >= n:
            y, z = (z, y)
            x, z = (z, x)
    return x


@pytest.mark.parametrize("f, args", [
    (return_from_a_loop_over_rows, (np.array([-0.9, 1.6, -1.6]), -1.4)),
    (return_from_a_loop_over_rows, (np.array([-0.9, 0.2, -1.6]), -1.4)),
    (value_assigned_on_one_path_of_a_nested_branch, (-0.067, 1.05, -1.65, 3)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_tape_records_on_every_path(f, args):
    check(f, *args, argnums=(0, 1) if len(args) == 2 else (0, 1, 2))


def while_left_by_a_return(x, y, z, n):
    k = 0
    while k < 5 and abs(z) < 4.0:
        k += 1
        z += 0.75
        if x:
            return y
    return x


@pytest.mark.parametrize("args", [(0.54, 0.41, -1.27, 3), (0.54, 0.41, 3.5, 3)])
def test_while_left_by_a_return(args):
    # the loop's test is evaluated again only on the paths that go on, after the tape record
    check(while_left_by_a_return, *args, argnums=(0, 1, 2))


def _draw_around(mu):
    return np.sum(np.random.normal(mu, 1.0, size=3))


def test_a_draw_is_not_constant_in_a_differentiated_loc():
    """np.random.normal(mu, ...) with mu differentiated gave gradient 0 (the draw was treated as
    a constant in every argument), where the reparameterized derivative is 3; it was refused,
    and is now that derivative (the draw is mu + 1.0 * z: tests/test_random_found.py)."""
    assert grad(_draw_around)(0.5) == 3.0


def test_plain_floats_stay_plain_floats():
    """abs of a Python float once had the adjoint np.sign(x), a NumPy scalar, and from there every
    float operation of the backward sweep ran on NumPy scalars (75x slower than on floats)."""
    def f(x, y):
        for _ in range(3):
            x = x * y + 1.0
        return abs(x - 2.0) * y

    for g in grad(f, argnums=(0, 1))(0.5, -1.5) + (jvp(f, (0.5, -1.5), (1.0, 0.0))[1],):
        assert type(g) is float
    check(f, 0.5, -1.5)


def test_float_loops_run_without_shape_helpers():
    """A loop over plain floats once called unbroadcast, add_fitted and zeros_like on floats in
    its backward sweep and taped values only their shapes needed; it now has a path of its own
    for floats, while arrays still take the general one."""
    def f(a, b, x):
        for _ in range(4):
            x = x + (a - x) * b
        return abs(x - 1.0)

    from adcompile import source
    src = source(grad(f, argnums=(0, 1, 2)))
    assert src.splitlines()[1].startswith("    if type(a) is type(b) is type(x) is float")
    floats = src.split("\n    tape = []")[0]
    assert "unbroadcast" not in floats and "zeros_like" not in floats and "add_fitted" not in floats
    assert all(type(g) is float for g in grad(f, argnums=(0, 1, 2))(0.5, 0.3, 2.0))
    check(f, 0.5, 0.3, 2.0)


def tuple_loop_over_a_name_a_loop_overwrites(x, y):
    t1 = x * 1.0
    for r3 in (x, t1):  # the tuple is read once, at the loop's start: r3 is t1's first value
        k4 = 0
        while k4 < 2:
            k4 += 1
            t1, x = (x, t1)
            t1 += y
            x = r3
    return t1


def test_unrolled_tuple_loop_keeps_its_elements():
    """A loop over a known tuple runs once per element at transformation time; a while loop in
    the first pass carried t1 under its own name and overwrote it, so the second pass read the
    new t1 as its element (f's value wrong in every mode; fuzz seed 1000003005521)."""
    check(tuple_loop_over_a_name_a_loop_overwrites, -0.7, 0.4)
    check(tuple_loop_over_a_name_a_loop_overwrites, 0.1, -0.3)


def loop_index_read_after_the_loop(x, y, z, n):
    k8 = 0
    while abs(z) < 2.0 and k8 < 4:
        k8 += 1
        for i9 in range(1, n + 1):
            x, z, t10 = (y, x, x)
        y = y * i9  # the index's last value, read after its loop
    return x


def test_a_loop_index_read_after_its_loop_survives_the_backward_loop():
    """The backward sweep ran `for i9 in reversed(range(...))` over the same name, so from the
    second backward iteration on `grad_y * i9` read 1, not the last index (fuzz seed
    1000003004887: grad 1.0 where 9.0 is right)."""
    check(loop_index_read_after_the_loop, 0.3, 0.5, 0.2, 3, argnums=(0, 1, 2))


def float_loop_with_a_count(x, r, n):
    for _ in range(n + 1):
        x = r * x * (1.0 - x)
    return x


def test_an_int_argument_keeps_the_float_path():
    """The float path's guard asked every parameter the code reads to be a float, so an int trip
    count sent every call down the general path with its shape helpers."""
    from adcompile import source
    text = source(grad(float_loop_with_a_count, (0, 1)))
    first = text.splitlines()[1]
    assert first.startswith("    if type(x) is type(r) is float") and "type(n) is int" in first
    check(float_loop_with_a_count, 0.3, 3.7, 5, argnums=(0, 1))


def indexes_its_argument(x):
    return x[0] ** 2 * x[1] + np.sum(x ** 3)


def test_a_derivative_of_a_function_that_indexes_its_argument_differentiates_again():
    """grad of such a function is a thin function over the generated code (its argument might be
    a container); differentiating it again bound the arguments to that function's (*args,
    **kwargs) and crashed with an IndexError. It has the user's signature now."""
    x = np.array([0.3, -0.7, 1.1])
    g = grad(indexes_its_argument)
    v = np.array([0.5, 1.0, -2.0])
    _, pullback = vjp(g, x)
    _, tangent = jvp(g, (x,), (v,))
    assert_close(pullback(v)[0], tangent, rtol=1e-10)  # the Hessian is symmetric
    assert_close(grad(lambda y: np.sum(g(y) * v))(x), tangent, rtol=1e-10)


def carried_value_read_only_by_a_recomputation(x, y):
    t4 = 0.1
    k8 = 0
    while t4 < 2.0 and k8 < 3:
        k8 += 1
        for i11 in range(4):
            y, t12 = (0.1, x)
            y = math.sin(y + x)
        y, x = (x, y)
    return y


def test_a_carried_value_a_recomputation_reads_is_restored_not_taped_at_the_end():
    """The backward inner loop recomputes `s1 = 0.1 + x_1`; only that recomputation read x_1, and
    it was added after the restores of overwritten carried values were laid, so the enclosing
    loop taped x_1 at the end of its body, after `x_1 = y_2` overwrote it (grad 0.743, right
    0.813; fuzz seed 3000009001480, the float path, where no shape helper read x_1 too)."""
    check(carried_value_read_only_by_a_recomputation, 0.3, 0.7)


def every_path_of_a_loop_body_returns(x, y):
    k2 = 0
    while k2 < 5 and y > -2.0:
        k2 += 1
        if 1.0 < x:
            return y
        x = 1.5
        return x
    return y


def test_a_loop_body_whose_every_path_returns_leaves_the_loop():
    """Both paths of the body returned, so the flag saying whether the loop broke was the
    constant True, and `if broke: break` (written only for a flag computed at run time) was left
    out: the loop ran on and f returned y, not 1.5 (fuzz seed 7000021007936)."""
    check(every_path_of_a_loop_body_returns, 0.3, 0.7)
    check(every_path_of_a_loop_body_returns, 1.3, 0.7)


def row_view_changed_by_an_augmented_item_assignment(W, s):
    c = np.copy(W)
    for r in c:  # r is a view of c's last row after the loop
        pass
    c[1, 0] *= s  # Python changes r too
    return np.sum(r)


def test_an_augmented_item_assignment_checks_the_views_it_changes():
    """`c[1, 0] *= s` changes c in place, and r (a row of c) with it; only `c[i] = v` and `c *= s`
    were checked for other names holding the same array, so f's value came out as if r kept
    its old row (silently wrong; fuzz seed 8000024022294). It is refused at run time now."""
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(UnsupportedSyntaxError, match="changed in place"):
        value_and_grad(row_view_changed_by_an_augmented_item_assignment, (0, 1))(W, 2.0)


def loop_bound_changed_in_the_loop(x, m):
    n = m * 1
    for i in range(n):  # range(n) is taken once; the body changes n
        n = n + 1
        x = x * 2.0 + i
    return x * x


def nested_loop_bound_changed_in_the_loop(x, m):
    for k in range(2):
        n = m + k
        for i in range(1, n):
            n = n - 1
            x = math.sin(x) * i
    return x


def test_a_loop_bound_the_body_changes_is_read_before_the_loop():
    """`for i in range(n)` evaluates range(n) once, and the body changed n: the backward loop ran
    over range of n's final value, popped more than the forward loop pushed, and crashed (found
    while making reverse over reverse work; the tape of a generated gradient pops its trip
    count inside the loop the count bounds)."""
    check(loop_bound_changed_in_the_loop, 0.5, 2, argnums=(0,))
    check(nested_loop_bound_changed_in_the_loop, 0.4, 3, argnums=(0,))


def while_a_flag(x):
    go = True
    while go:  # the flag the body sets is read only by the test
        x = x * 0.5
        go = x > 0.1
    return x


def test_a_while_flag_set_in_the_body_is_carried():
    """`go = True; while go: ...; go = x > 0.1`: go was read only by the test, so the loop did
    not carry it and the test was the constant True: the generated code looped forever (found
    while differentiating generated code again, whose while loops have this form)."""
    import signal

    def hung(*_):
        raise TimeoutError("the generated loop does not end")
    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        check(while_a_flag, 1.0)
        check(while_a_flag, 0.05)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def float_mask_negated(x):
    m = 1.0 * (x > 0.0)  # a float mask: 1.0 * keeps it a float array
    return np.sum(-m * x + (x < 0.2) / 1.0)


def test_one_times_a_comparison_stays_a_float():
    """`m = 1.0 * (x > 0.0)` was simplified to `m = s0`, a boolean array, once the comparison
    had its own name in flat code: `-m` raised TypeError (numpy boolean negative) in every mode
    (found by tools/fuzz.py --order 2 in generated code read again)."""
    check(float_mask_negated, np.array([0.5, -0.3, 1.2]))


def index_list_in_a_name(W):
    idx = [0, 1]  # a list: rows 0 and 1
    return np.sum(W[idx])


def index_tuple_from_branches(W, s):
    if s > 0:
        idx = (0, 1)  # a tuple: one entry
    else:
        idx = (1, 0)
    return np.sum(W[idx]) * s


def index_list_from_branches(W, s):
    if s > 0:
        idx = [0, 1]
    else:
        idx = [1, 0]
    return np.sum(W[idx]) * s


def index_tuple_with_a_computed_entry(W, s):
    i = 1
    idx = (0, i)
    return np.sum(W[idx] * s)


@pytest.mark.parametrize("f, args", [
    (index_list_in_a_name, (np.arange(6.0).reshape(2, 3),)),
    (index_tuple_from_branches, (np.arange(6.0).reshape(2, 3), 1.0)),
    (index_tuple_from_branches, (np.arange(6.0).reshape(2, 3), -1.0)),
    (index_list_from_branches, (np.arange(6.0).reshape(2, 3), 1.0)),
    (index_tuple_with_a_computed_entry, (np.arange(6.0).reshape(2, 3), 0.5)),
])
def test_a_list_and_a_tuple_index_differ(f, args):
    """W[idx] takes rows for a list idx and one entry for a tuple; lists and tuples known while
    lowering were one kind of value, so `idx = [0, 1]; W[idx]` took one entry (f = 1, Python:
    15) and a tuple merged after an if became a list (15 where 1 is right): silently wrong."""
    check(f, *args)


def _take(W, idx):
    return np.sum(W[idx])


def index_passed_to_a_helper(W, s):
    rows = [0, 1]
    return (_take(W, rows) + _take(W, (1, 2)) + _take(W, [1, 0])) * s


def index_tuples_in_a_loop(W, s):
    total = 0.0
    for idx in [(0, 1), (1, 2)]:
        total = total + W[idx] * s
    for rows in ([0, 1], [1, 1]):
        total = total + np.sum(W[rows]) * s
    return total


def test_the_kind_of_an_index_passes_into_helpers_and_loops():
    """A list or tuple index handed to a helper, or taken from a list of displays by a loop,
    keeps its kind (refused before the kinds were passed on: neither kind was known); a name
    bound to both kinds is refused, with its line."""
    W = np.arange(6.0).reshape(2, 3)
    check(index_passed_to_a_helper, W, 0.5)
    check(index_tuples_in_a_loop, W, 0.5)
    with pytest.raises(UnsupportedSyntaxError, match="indexing with idx"):
        value_and_grad(index_of_two_kinds)(W)


def index_of_two_kinds(W):
    idx = (0, 1)
    a = W[idx]
    idx = [0, 1]
    return a + np.sum(W[idx])


def test_a_lambda_with_star_parameters_is_not_called_stale():
    """`lambda *a: ...` was re-read as `lambda: ...`, whose code differs: StaleSourceError."""
    f = lambda *a, **k: np.sum(a[0] * a[1])  # noqa: E731
    assert_close(grad(f)(2.0, 3.0), (3.0, 2.0))  # the gradient of `a`, as for a def
    g = lambda x, /, y, *, z: x * y * z  # noqa: E731
    assert_close(grad(g, argnums=(0, 1))(2.0, 3.0, z=4.0), (12.0, 8.0))


# The tape that keeps a carried value and redoes cheap arithmetic of it (tape.py, _from_carried)
# gave three wrong gradients found by the fuzzer before it shipped:
def redo_reads_a_name_a_nested_loop_changes(x, y, z, n):
    """t8 = 0.5 * y was redone from y, but the while loop assigns t8 again."""
    for _ in range(n):
        t8 = 0.5 * y
        k = 0
        while t8 > -2.0 and k < 4:
            k += 1
            y, t8, t9 = (z, x, x)
            t8 = t8 / x
    return y * y + t8


def redo_reads_two_carried_values(x, y, z):
    """x - y was redone after x's restore, but y was never restored."""
    for _ in range(0, 3, 2):
        z = (x - y) ** 3
        x += y
        k = 0
        while k < 4 and z > -2.0:
            k += 1
            y = x
            z += x
    return z * x


def redo_reads_what_the_outer_loop_changes(a, b):
    """s2 + a was redone in the inner loop, reading i * 0.25 that only the outer loop changes."""
    for i in range(0, 3, 2):
        for _ in range(0, 2, 2):
            a = a * ((b if b > -1.25 else 0.7) * (i * 0.25 + a))
    return np.sum(a)


def test_redone_arithmetic_reads_only_values_restored_for_it():
    check(redo_reads_a_name_a_nested_loop_changes, -1.441002, 1.170303, 0.711522, 2,
          argnums=(0, 1, 2))
    check(redo_reads_two_carried_values, -0.950113, 0.997129, -1.653573)
    check(redo_reads_what_the_outer_loop_changes, np.array([-1.155938, -1.390737, -1.805485]),
          0.3)


def loose_times_a_smaller_operand(x, W, s):
    """g * x has x's shape, smaller than W - s: handed on as it was, s's gradient summed 3
    entries, not 6 (the loose adjoint of a sum, times the other operand, fitted late)."""
    return 0.5 * np.sum((W - s) * x)


def loose_times_a_smaller_operand_twice(x, W, s):
    t2 = np.exp(np.tanh(s)) * (W[:, 1] + s)
    return s + np.sum(x) - np.sum(W.T @ W[:, 1]) + np.sum(t2)


def test_a_loose_adjoint_times_a_smaller_operand_is_fitted_to_its_operand_at_once():
    x, W = np.array([-1.388951, 0.298833, -0.167599]), np.arange(6.0).reshape(2, 3) / 7
    check(loose_times_a_smaller_operand, x, W, 0.804158)
    check(loose_times_a_smaller_operand_twice, x, W, 1.386061)


def cancelling_huge_contributions(x, s):
    """t3 = s - s is 0, but its adjoint is huge (t2 grows as (2 t2) ** 3): s's gradient was
    5.06 + 1e80 - 1e80 = 0, summed in that order. One statement's two contributions to s are
    now added first, as forward mode adds d_s - d_s."""
    t2, t3 = x + 0.0, s - s
    k = 0
    while s > -2.0 and k < 4:
        k += 1
        s = s * 1.5 + 0.25
        t2 = (t2 + t2) ** 3
    return s + t3 * np.sum(t2)


def test_one_statements_contributions_to_an_operand_are_added_first():
    x = np.array([1.428763, 0.216943])
    assert_close(grad(cancelling_huge_contributions, argnums=1)(x, 1.618971), 1.5 ** 4)
    assert_close(grad(lambda a: a * a - a / a)(3.0), 6.0)


# --- bitwise operators on masks and integers: an internal KeyError ('BitAnd', 'Invert') ---------
def masks_combined(x):
    inside = (x > 0) & (x < 2)
    outside = ~inside | (x > 2.5)
    odd = (x > 0) ^ (x < 1)
    return np.sum(np.where(inside, x ** 2, 0.0)) + np.sum(x[outside] ** 3) + np.sum(x[odd]) \
        + (3 << 1) * x[0] + (16 >> 2) * x[1] + (5 & 3) * x[2] + (5 | 2) * x[3]


def flags_combined(a, b):
    keep = (a > 0) & (b > 0) | (a <= b) ^ (b > 2.0)  # (~ of a bool: deprecated in Python)
    return a * b if keep else a - b


def test_bitwise_operators_on_masks():
    check(masks_combined, np.array([1.2, -2.0, 3.0, 0.5, 1.5]))
    check(flags_combined, 0.7, 1.3)
    check(flags_combined, 0.7, -1.3)


# --- a list repeated with *: the tuple was multiplied like a number ----------------------------
def repeated_then_set(x):
    acc = [0.0] * 2
    acc[0] = x
    return acc[0] * 3.0 + acc[1]


def repeated_values(x, y):
    acc = [x, y] * 2
    acc[1] = acc[1] * 2.0
    return acc[0] + acc[1] * acc[2] + acc[3] * x


def accumulate_into_repeated(x):
    acc = 3 * [0.0]
    for i in range(5):
        acc[i % 3] += x * i
    return acc[0] * acc[1] + acc[2]


def test_list_repetition():
    check(repeated_then_set, 0.5)
    check(repeated_values, 0.5, -1.5)
    check(accumulate_into_repeated, 0.5)


# --- `in` and `not in`: an internal KeyError ('In') ----------------------------------------------
def member_of_written(x, mode):
    if mode in ("a", "b"):
        x = x * 2.0
    n = 3
    if n not in (1, 2) and "w" not in mode:
        x = x * x
    return x


def key_of_dict(p, x):
    if "w" in p and "v" not in p:
        return p["w"] * x
    return x


def member_at_run_time(x, k):
    if k in (1, 2):
        return x * 2.0
    return x * 3.0


def test_membership():
    for mode, expected in (("a", 2 * 2 * 2.6), ("c", 2 * 1.3)):
        assert grad(member_of_written)(1.3, mode) == pytest.approx(expected)
    assert grad(key_of_dict, 1)({"w": 2.0}, 1.5) == pytest.approx(2.0)
    assert grad(key_of_dict, 1)({"u": 2.0}, 1.5) == pytest.approx(1.0)
    assert grad(member_at_run_time)(1.0, 2) == 2.0 and grad(member_at_run_time)(1.0, 3) == 3.0


# --- x[idx] = v with a repeated index: NumPy keeps the last write, reverse mode gave every write
# its gradient (forward mode and finite differences agreed with NumPy) ----------------------------
W3 = np.array([1.0, 2.0, 3.0])


def scatter_repeated(v, x):
    y = x.copy()
    y[np.array([2, 0, 2])] = v * v
    return np.sum(y * W3)


def scatter_add_repeated(v, x):
    y = x ** 2
    y[[2, 2, 1]] += v * x[:3]
    return np.sum(y * W3)


def scatter_scalar_repeated(s, x):
    y = x.copy()
    y[np.array([[1, 1], [0, 1]])] = s
    return np.sum(y * W3) * s


def scatter_rows_repeated(v, m):
    out = m * 1.0
    out[np.array([1, 0, 1]), 1:] = v
    return np.sum(out ** 2 * np.arange(6.0).reshape(2, 3))


def test_scatter_with_repeated_indices_keeps_the_last_write():
    v = np.array([0.3, -0.7, 1.1])
    x = np.array([0.5, -1.5, 2.5])
    check(scatter_repeated, v, x)
    assert_close(grad(scatter_repeated)(v, x), [0.0, 2 * -0.7 * 1.0, 2 * 1.1 * 3.0])
    check(scatter_add_repeated, v, x)
    check(scatter_scalar_repeated, 0.4, x)
    check(scatter_rows_repeated, np.arange(6.0).reshape(3, 2) * 0.1, np.ones((2, 3)))
    h = hessian(scatter_repeated)(v, x)
    np.testing.assert_allclose(h, np.diag([0.0, 2.0, 6.0]))


def list_index_rows(v):
    y = np.zeros((3, 3, 3))
    y[[0, 2, 1]] = v  # rows 0, 2 and 1 (lowered as the entry y[0, 2, 1] before)
    return np.sum(y * np.arange(27.0).reshape(3, 3, 3))


def test_assigning_at_a_list_index_takes_rows():
    v = np.arange(9.0).reshape(3, 3) * 0.1
    assert list_index_rows(v) == pytest.approx(np.sum(np.arange(27.0)) * 0.0 + np.sum(
        np.arange(27.0).reshape(3, 3, 3) * v))
    check(list_index_rows, v)


# --- functions without a rule called on values that are not differentiated: constants of the
# derivative (they were refused: "no derivative rule for math.factorial") ------------------------
def taylor_exp(x):
    s = 0.0
    for k in range(12):
        s = s + x ** k / math.factorial(k) * math.comb(k + 2, 2) / math.comb(k + 2, 2)
    return s * np.float64(2.0)


def meshgrid_of_constants(a):
    xs, ys = np.ix_(np.linspace(0.0, 1.0, 3), np.linspace(0.0, 1.0, 2))
    return np.sum(np.exp(-a * (xs ** 2 + ys ** 2)))


def factorial_of_differentiated(x):
    return math.factorial(x) * x  # (a TypeError in Python too: here refused before running)


def gamma_via_opaque(x):
    return math.lgamma(x) + math.isqrt(int(x)) * x


def test_calls_without_rules_on_constants():
    check(taylor_exp, 0.7)
    assert grad(taylor_exp)(0.7) == pytest.approx(2 * math.exp(0.7), rel=1e-9)
    check(meshgrid_of_constants, 0.8)
    check(gamma_via_opaque, 5.3)
    assert "math.factorial(k)" in source(grad(taylor_exp)) or \
        "factorial(k)" in source(grad(taylor_exp))


def test_a_differentiated_value_into_a_function_without_rule_is_refused_at_its_line():
    with pytest.raises(ADCompileError) as info:
        grad(factorial_of_differentiated)(3.0)
    line = factorial_of_differentiated.__code__.co_firstlineno + 1
    assert f"{__file__}:{line}" in str(info.value) and "factorial" in str(info.value)


# --- second order through a function returning parts of unequal shapes, one of which enters
# linearly (its gradient has no tangent): np.shape of a ragged tuple of gradients raised ---------
def split_unequal(x):
    a, b = np.split(x, [1])
    return np.sum(a ** 2) + np.sum(b)


def qr_tall(A):
    Q, R = np.linalg.qr(A)
    return np.sum(R ** 2) + np.sum(Q)


def svd_tall(A):
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return np.sum(s ** 2) + np.sum(U[:, 0]) * 0.0 + np.sum(Vt[0] ** 2)


@pytest.mark.parametrize("f, x", [
    (split_unequal, np.array([1.0, 2.0, 3.0])),
    (qr_tall, np.array([[2.0, 1.0], [0.5, 3.0], [1.0, -1.0]])),
    (svd_tall, np.array([[2.0, 1.0], [0.5, 3.0], [1.0, -1.0]])),
])
def test_hessian_through_ragged_tuples(f, x):
    h = hessian(f)(x)
    eps = 1e-5
    cols = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = eps
        step = step.reshape(x.shape)
        cols.append((grad(f)(x + step) - grad(f)(x - step)) / (2 * eps))
    expected = np.moveaxis(np.array(cols).reshape(x.shape + x.shape), range(x.ndim),
                           range(x.ndim, 2 * x.ndim))
    np.testing.assert_allclose(h, expected, rtol=1e-4, atol=1e-5)


# --- appending to a list another name holds: Python grows it for both, flat code grew one (a
# silently wrong value and gradient) ---------------------------------------------------------------
def appends_to_a_shared_list(x):
    xs = [x, 2.0 * x]
    a = xs
    xs.append(x * x)
    return sum(a)


def appends_after_a_copy(x):
    xs = [x, 2.0 * x]
    a = list(xs)
    xs.append(x * x)
    return sum(a) + sum(xs)


def test_appending_to_a_list_another_name_holds():
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(appends_to_a_shared_list)(3.0)
    line = appends_to_a_shared_list.__code__.co_firstlineno + 3
    assert f"{__file__}:{line}" in str(info.value) and "a holds the same value" in str(info.value)
    check(appends_after_a_copy, 3.0)


# --- an item of a list made at run time assigned (hs[t] = h; states[-1] = ...): setitem called
# .copy() of the tuple that holds the list, or of its gradient ------------------------------------
def states_in_a_preallocated_list(W, xs):
    hs = [None] * len(xs)
    h = np.zeros(3)
    for t in range(len(xs)):
        h = np.tanh(W @ h + xs[t])
        hs[t] = h
    return sum(np.sum(v ** 2) for v in hs)


def last_state_overwritten(W, xs):
    states = [np.zeros(3)]
    for x in xs:
        states.append(np.tanh(W @ states[-1] + x))
        states[-1] = 0.5 * states[-1] + 0.5 * states[-2]
    return np.sum(states[-1] ** 2)


@pytest.mark.parametrize("f", [states_in_a_preallocated_list, last_state_overwritten])
def test_assigning_items_of_a_list_built_at_run_time(f):
    rng = np.random.default_rng(3)
    W, xs = 0.5 * rng.standard_normal((3, 3)), rng.standard_normal((4, 3))
    g = grad(f)(W, xs)
    assert_close(g, numeric_grad(f, (W, xs), 0))
    u = rng.standard_normal((3, 3))
    assert jvp(f, (W, xs), (u, np.zeros_like(xs)))[1] == pytest.approx(np.sum(g * u), rel=1e-9)


# --- a number read from an array, then the array changed in place (Gauss-Seidel): refused as if
# the number were a view; a real view is still refused, at the line that changes the array --------
def gauss_seidel(b):
    u = np.zeros(5)
    for sweep in range(3):
        for i in range(1, 4):
            left = u[i - 1]
            u[i] = 0.5 * (left + u[i + 1] + b[i])
    return np.sum(u ** 2)


def row_view_then_change(W):
    W = W * 1.0
    row = W[0]
    W[0, 1] = 3.0
    return np.sum(row ** 2)


def test_a_number_read_from_an_array_is_not_a_view():
    check(gauss_seidel, np.array([1.0, 0.5, -0.3, 0.8, 0.2]))
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(row_view_then_change)(np.ones((2, 2)))
    line = row_view_then_change.__code__.co_firstlineno + 3
    assert str(info.value).startswith(f"{__file__}:{line}: W is changed in place, and row")


# --- a list updated item by item in a loop: its tangent was added with + (joining the lists), so
# jvp read 0.0 (a wrong derivative), and grad's setitem called .copy() of a TupleGrad --------------
def list_state(k):
    s = [1.0, 0.5]
    for it in range(3):
        s[0] = s[0] * k
        s[1] = s[1] + s[0]
    return s[0] + s[1]


def list_filled_by_index(k):
    vals = [0.0, 0.0, 0.0]
    for i in range(3):
        vals[i] = i * k * vals[i - 1] + k
    return sum(vals)


@pytest.mark.parametrize("f", [list_state, list_filled_by_index])
def test_lists_updated_item_by_item_in_a_loop(f):
    check(f, 0.7)
    assert hessian(f)(0.7) == pytest.approx(numeric_grad(grad(f), (0.7,), 0), rel=1e-5)


# --- a library function whose source cannot be differentiated, called on constants (quadrature
# nodes, FFT frequencies): refused before ("try/except at polyutils.py"); now a constant -----------
def gauss_legendre(a):
    xs, ws = np.polynomial.legendre.leggauss(12)
    t = 0.5 * a * (xs + 1)
    return 0.5 * a * np.sum(ws * np.exp(-t * t))


def spectral_smooth(x):
    k = np.fft.rfftfreq(x.shape[0])
    return np.sum(np.fft.irfft(np.fft.rfft(x) * np.exp(-(k / 0.1) ** 2), n=x.shape[0]) ** 2)


def leggauss_of_a_differentiated_degree(a):
    xs, ws = np.polynomial.legendre.leggauss(int(a))  # (int: a constant; fine)
    return np.sum(ws * xs ** 2) * a + np.sum(np.polynomial.legendre.legint(np.ones(3) * a))


def test_library_functions_on_constants_run_as_written():
    assert grad(gauss_legendre)(1.4) == pytest.approx(math.exp(-1.4 ** 2), rel=1e-9)
    check(spectral_smooth, np.cos(np.arange(8.0)))


def test_a_differentiated_value_into_such_a_function_is_refused_with_why():
    with pytest.raises(ADCompileError) as info:
        grad(leggauss_of_a_differentiated_degree)(3.0)
    msg = str(info.value)
    line = leggauss_of_a_differentiated_degree.__code__.co_firstlineno + 2
    assert f"{__file__}:{line}" in msg and "legint" in msg and "differentiated value" in msg


# --- float32 parameters in code that promotes to float64 (q @ k.T / np.sqrt(d): a float64 scalar
# under NumPy 2): the gradient came back float64, so an SGD step turned the parameters float64 ----
def attention_scores(Wq, Wk, x):
    q, k = x @ Wq, x @ Wk
    s = q @ k.T / np.sqrt(q.shape[-1])
    return np.sum(np.exp(s - np.max(s, axis=1, keepdims=True)))


def test_gradients_keep_the_parameters_dtype():
    rng = np.random.default_rng(0)
    Wq, Wk = (rng.standard_normal((3, 2)).astype(np.float32) for _ in range(2))
    x = rng.standard_normal((4, 3))  # float64 data
    gq, gk = grad(attention_scores, (0, 1))(Wq, Wk, x)
    assert gq.dtype == np.float32 and gk.dtype == np.float32
    expected = grad(attention_scores, (0, 1))(Wq.astype(float), Wk.astype(float), x)
    np.testing.assert_allclose(gq, expected[0], rtol=1e-5)


# --- grad of abs(s) at a Python float returned the int -1 (sign's value, once 1.0 * sign(s) is
# simplified), which jacrev then took for a constant: the fuzzer's second-order check crashed ------
def abs_of_one(x, s):
    return abs(s) + np.sum(x)


def test_the_gradient_of_abs_of_a_float_is_a_float():
    g = grad(abs_of_one, 1)(np.ones(2), -0.7)
    assert type(g) is float and g == -1.0
    from adcompile import jacrev
    assert jacrev(grad(abs_of_one, 1), 1)(np.ones(2), -0.7) == 0.0
