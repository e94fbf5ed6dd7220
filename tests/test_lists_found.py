"""Lists (and tuples) whose length is known only at run time (built by a comprehension or an
append loop over range(n), n a parameter), joined (`a + b`), repeated (`a * 2`), copied
(`list(a)`, `a.copy()`) or grown as tuples (`acc + (v,)`): each case is checked by
value_and_grad, jvp, vjp and hessian against finite differences, and by grad(grad)."""
import numpy as np
import pytest

from adcompile import UnsupportedSyntaxError, grad, hessian, jvp, value_and_grad, vjp
from checks import assert_close, numeric_grad

H = 1e-5


def fd(f, x, *rest):
    return (f(x + H, *rest) - f(x - H, *rest)) / (2 * H)


def check_modes(f, x=1.5, n=3, second=True):
    """f(x, n)'s value, grad, jvp, vjp, hessian and grad(grad) against f and differences."""
    value, g = value_and_grad(f)(x, n)
    assert type(value) is type(f(x, n)), "the value keeps Python's type"
    assert_close(value, f(x, n), what="value")
    expected = fd(f, x, n)
    assert_close(g, expected, rtol=1e-6, atol=1e-6, what="grad")
    out, t = jvp(lambda x: f(x, n), (x,), (1.0,))
    assert_close(out, f(x, n), what="jvp value")
    assert_close(t, expected, rtol=1e-6, atol=1e-6, what="jvp")
    _, pullback = vjp(f, x, n)
    assert_close(pullback(1.0)[0], expected, rtol=1e-6, atol=1e-6, what="vjp")
    if second:
        second_fd = fd(lambda x, n: grad(f)(x, n), x, n)
        assert_close(hessian(f)(x, n), second_fd, rtol=1e-5, atol=1e-5, what="hessian")
        assert_close(grad(grad(f))(x, n), second_fd, rtol=1e-5, atol=1e-5, what="grad(grad)")


def squares(vals):
    s = 0.0
    for v in vals:
        s = s + v * v
    return s


# --- a + b: each operand gets its own part of the gradient, by its run-time length -----------

def join_constants(x, n=3):
    vals = [x / (k + 1) for k in range(n)] + [2.0, 3.0]
    s = 0.0
    for v in vals:
        s = s + v * v
    return s


def join_two(x, n=3):
    a = [x / (k + 1) for k in range(n)]
    b = [x * k for k in range(n)]
    s = 0.0
    for v in a + b:
        s = s + v * v
    return s


def join_in_place(x, n=3):
    a = [x * (k + 1) for k in range(n)]
    b = [2.0 * x * (k + 1) for k in range(n)]
    a += b
    s = 0.0
    for v in a:
        s = s + v * v
    return s


def max_of_joined(x, n=3):
    a = [x * (k + 1) for k in range(n)]
    b = [0.5 * x * (k + 1) for k in range(n)]
    return max(a + b)


def insert_in_the_middle(x, n=3):
    a = [x * (k + 1) for k in range(n)]
    b = a[:2] + [x * 10.0] + a[2:]
    s = 0.0
    for v in b:
        s = s + v * v
    return s


def slices_joined(x, n=4):
    a = [x * (k + 1) for k in range(n)]
    b = a[1:3] + a[3:]
    s = 0.0
    for v in b:
        s = s + v * v * v
    return s


def joined_appended(x, n=3):
    a = []
    b = []
    for k in range(n):
        a.append(x / (k + 1))
        b.append(x * k)
    s = 0.0
    for v in a + b:
        s = s + v * v
    return s


def constant_first(x, n=3):  # forward mode shifted every tangent by the constant's length
    a = [x * (k + 1) for k in range(n)]
    b = [1.0] + a
    s = 0.0
    for i in range(len(b) - 1):
        s = s + (i + 1) * b[i] * b[i]
    return s


def constants_after(x, n=3):
    a = [x * (k + 1) for k in range(n)]
    b = a + [2.0, 3.0]
    s = 0.0
    for v in b:
        s = s + v * v
    return s


def ghost_cells(x, n=4):
    u = [x * (k + 1) ** 0.5 for k in range(n)]
    g = [0.0] + u + [0.0]
    s = 0.0
    for i in range(1, len(g) - 1):
        s = s + (g[i + 1] - 2.0 * g[i] + g[i - 1]) ** 2 * g[i]
    return s


# --- a * 2: each copy's part of the gradient, summed ------------------------------------------

def repeated(x, n=3):
    a = [x / (k + 1) for k in range(n)]
    s = 0.0
    for v in a * 2:
        s = s + v * v
    return s


def repeated_left(x, n=3):
    a = [x * x / (k + 1) for k in range(n)]
    return squares(3 * a) + sum(a * 0)


# --- copies: list(a), tuple(a), a.copy() are new lists of the same items ----------------------

def copy_method(x, n=3):
    a = [x * (k + 1) for k in range(n)]
    b = a.copy()
    b[0] = b[0] * 3.0
    return a[0] * a[0] + b[1] * b[0]


def copy_method_known(x, n=2):
    a = [x, 2.0 * x]
    b = a.copy()
    b[0] = b[0] * 3.0
    return a[0] * x + b[0]


def copy_with_list(x, n=3):
    a = [x * (k + 1) for k in range(n)]
    b = list(a)
    b[0] = b[0] * 3.0
    return a[0] * b[0] + b[n - 1]


def copy_with_tuple(x, n=3):
    a = [x * (k + 1) for k in range(n)]
    b = tuple(a)
    return squares(b) + b[0] * a[1]


# --- a tuple grown in a loop stays a tuple ----------------------------------------------------

def tuple_grown(x, n=3):
    acc = ()
    for k in range(n):
        acc = acc + (x * x * k,)
    return sum(acc)


def tuple_grown_from_one(x, n=3):
    acc = (x,)
    for k in range(n):
        acc = acc + (x * acc[k],)
    return squares(acc)


CASES = [join_constants, join_two, join_in_place, max_of_joined, insert_in_the_middle,
         slices_joined, joined_appended, constant_first, constants_after, ghost_cells, repeated,
         repeated_left, copy_method, copy_method_known, copy_with_list, copy_with_tuple,
         tuple_grown, tuple_grown_from_one]


@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
def test_run_time_lists(f):
    check_modes(f)


def test_run_time_lists_of_other_lengths():
    for n in (0, 1, 5):
        check_modes(join_two, n=n, second=False)
        check_modes(repeated, n=n, second=False)


WEIGHTS = [0.1 * (k % 7) + 1e-3 * k for k in range(100)]


def weighted(x):
    return x * sum(WEIGHTS)


def test_sum_of_a_global_list_is_a_float():
    value, g = value_and_grad(weighted)(1.0)
    assert type(value) is float and value == weighted(1.0)
    assert g == sum(WEIGHTS)


def list_of_an_array(x):
    return sum(list(np.sin(x)))


def test_list_of_an_array_is_its_rows():  # (refused once: test_idioms_found.py)
    x = np.array([0.3, -1.0, 2.0])
    np.testing.assert_allclose(grad(list_of_an_array)(x), np.cos(x))


def repeated_a_run_time_count(x, n=3):
    a = [x * (k + 1) for k in range(n)]
    return squares(a * n)


def test_list_repeated_a_run_time_count_refused_at_its_line():
    with pytest.raises(UnsupportedSyntaxError, match=r"test_lists_found.py:\d+: .*known only at"):
        grad(repeated_a_run_time_count)(1.5, 3)


def list_times_array(x, w):
    a = [x[k] * (k + 1) for k in range(len(w))]
    return np.sum(w * a) + np.sum(a * w)


def test_list_times_an_array_is_numpys_product():
    x, w = np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.0, 2.0])
    value, g = value_and_grad(list_times_array)(x, w)
    assert_close(value, list_times_array(x, w))
    assert_close(g, 2 * w * np.arange(1, 4))


def conjugated(x, n=2):
    return (x * x).conjugate() * x + x.conjugate() * n


def test_conjugate_method_of_a_float():
    check_modes(conjugated)
    z = np.array([1.0 + 2.0j, 0.5 - 1.0j])
    by_method = grad(lambda z: np.sum(np.real(z.conjugate() * z * z)))(z)
    by_function = grad(lambda z: np.sum(np.real(np.conj(z) * z * z)))(z)
    np.testing.assert_allclose(by_method, by_function)


# --- T11: xs.reverse() of a list built in the function was refused as "the attribute .reverse
# of an array"; in a helper it reverses the caller's list too, as in Python --------------------
def reversed_in_place(x):
    xs = [x, 2 * x, 3 * x]
    xs.reverse()
    return xs[0] + 10.0 * xs[2]


def _reverse(ys):
    ys.reverse()
    return ys


def reversed_by_a_helper(x):
    zs = [x, 2.0 * x]
    ws = _reverse(zs)
    return zs[0] + 10.0 * ws[1]


@pytest.mark.parametrize("f", [reversed_in_place, reversed_by_a_helper])
def test_reverse_of_a_list_built_here(f):
    value, g = value_and_grad(f)(1.5)
    assert value == f(1.5)
    assert g == pytest.approx(numeric_grad(f, (1.5,), 0), rel=1e-6)


def sliding_window(xs):
    stack = []
    for v in xs:
        stack.append(v)
        if len(stack) > 2:
            stack.pop(0)
    return stack[0] * stack[1]


def sliding_window_rebuilt(xs):
    stack = []
    for v in xs:
        stack = stack[1:] + [v] if len(stack) >= 2 else stack + [v]
    return stack[0] * stack[1]


def test_pop_at_the_front_of_a_run_time_list():
    """T13: xs.pop(0) of a list a loop builds was refused as `the attribute .pop of an array`,
    then with what to write; now it is xs[0], then xs[1:] (test_python_found3), as the
    rebuilt form computes."""
    xs = np.array([0.3, -1.7, 1.6, 0.9])
    np.testing.assert_allclose(grad(sliding_window_rebuilt)(xs), [0.0, 0.0, 0.9, 1.6])
    np.testing.assert_allclose(grad(sliding_window)(xs), [0.0, 0.0, 0.9, 1.6])


def reversed_copy(xs):
    lst = list(xs)
    lst.reverse()
    return lst[0] * 2.0 + lst[1]


def test_reversing_a_copy_of_a_list_argument_in_reverse_mode():
    """T13: `lst = list(xs); lst.reverse()` of a list argument worked in jvp and was refused by
    grad and vjp: the list is known once the argument is (compiled at the first call)."""
    xs = [0.3, -1.7, 1.6]
    assert grad(reversed_copy)(xs) == pytest.approx([0.0, 1.0, 2.0])
    assert vjp(reversed_copy, xs)[1](1.0)[0] == pytest.approx([0.0, 1.0, 2.0])
    assert jvp(reversed_copy, (xs,), ([1.0, 10.0, 100.0],))[1] == pytest.approx(210.0)


def tuple_summed_and_indexed(x):
    acc = ()
    for i in range(3):
        acc = acc + (x * i,)
    return sum(acc) + acc[1]


def tuple_grown_in_front(x):
    acc = ()
    for i in range(3):
        acc = (x * i + 1.0,) + acc
    return sum(acc, 1.0) * acc[0]


def tuple_summed_and_iterated(x):
    acc = ()
    for i in range(3):
        acc += (x * x * i,)
    s = 0.0
    for v in acc:
        s = s + v * v
    return sum(acc) + s


@pytest.mark.parametrize("f", [tuple_summed_and_indexed, tuple_grown_in_front,
                               tuple_summed_and_iterated])
def test_sum_of_a_tuple_a_loop_grows_read_another_way_too(f):
    """T14: sum() of a tuple a loop grows gave a number as the tuple's gradient, which the
    gradient of its other read (acc[1], a loop over it) then dropped: 1.0 for 4.0, silently."""
    x = 0.8
    assert grad(f)(x) == pytest.approx(numeric_grad(f, [x], 0), rel=1e-6)
    assert jvp(f, (x,), (1.0,))[1] == pytest.approx(grad(f)(x), rel=1e-9)
    assert hessian(f)(x) == pytest.approx(numeric_grad(grad(f), [x], 0), rel=1e-5)


def popped_and_appended(x, n):
    """A worklist: the last item popped, a new one appended (adaptive quadrature's stack)."""
    s = [x]
    for i in range(n):
        b = s.pop()
        s.append(0.5 * b * x)
    return s[0]


def sliced_and_grown(x, n):
    s = [x, 1.0]
    for i in range(n):
        s = s[:1] + [s[1] * x]
    return s[0] + 10.0 * s[1]


@pytest.mark.parametrize("f", [popped_and_appended, sliced_and_grown])
def test_forward_mode_of_a_list_sliced_then_grown(f):
    """Forward mode of a list a loop slices (or pops) and grows: the tangent of the list display
    (getitem_grad's TupleGrad) sliced was a plain tuple, and `tuple + [v]` raised TypeError in
    jvp, jacfwd and hessian (T36); reverse mode was right."""
    check_modes(f)


def tuple_state(x, n):
    """A state tuple a loop rebinds (y, v = st; st = (..., ...)), then joined to a tuple."""
    st = (x, 0.5)
    for _ in range(n):
        y, v = st
        st = (y + 0.1 * v * x, v - 0.1 * y)
    st = st + (x * x,)
    return st[0] + 10.0 * st[1] + st[2]


def test_a_tuple_a_loop_rebinds_stays_a_tuple():
    """The end of a loop's body made a tuple display a list (st = [s3, s5]): `st + (v,)` after
    the loop raised TypeError (list + tuple) in every mode, and jit refused `st` as "a tuple at
    one point and a list at another" though the user wrote no list (T36)."""
    check_modes(tuple_state)


def test_a_tuple_a_loop_rebinds_compiles_under_jit():
    pytest.importorskip("numba")
    from adcompile import jit
    assert jit(tuple_state)(1.3, 4) == tuple_state(1.3, 4)
    assert jit(grad(tuple_state))(1.3, 4) == grad(tuple_state)(1.3, 4)
