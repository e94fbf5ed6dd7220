"""Lowering defects found by testers writing course code: each case is checked in grad, jvp,
vjp, jacrev and hessian against finite differences (and reverse against forward)."""
import math
import types
from collections import namedtuple

import numpy as np
import pytest

from adcompile import (ADCompileError, UnsupportedSyntaxError, grad, hessian, jvp,
                       source, stop_gradient, value_and_grad, vjp)
from checks import assert_close, numeric_grad, numeric_jacobian


def check_modes(f, args, argnum=0, second=True):
    """f's value, grad, jvp, vjp and (when `second`) hessian at `args` in argument `argnum`,
    against f itself and central differences."""
    args = list(args)
    value, g = value_and_grad(f, argnums=argnum)(*args)
    assert_close(value, f(*args), what="value")
    expected = numeric_grad(f, args, argnum)
    assert_close(g, expected, rtol=1e-5, atol=1e-6, what="grad")
    x = np.asarray(args[argnum], dtype=float)
    direction = np.random.default_rng(0).standard_normal(x.shape)
    direction = direction if x.shape else float(direction)
    primals = tuple(args)
    if not any(isinstance(a, (list, tuple)) for a in args):  # (a table: no tangent)
        tangents = tuple(direction if k == argnum else np.zeros_like(np.asarray(a, dtype=float))
                         for k, a in enumerate(args))
        _, t = jvp(f, primals, tangents)
        assert_close(t, np.sum(expected * direction), what="jvp")
    _, pullback = vjp(f, *args)
    assert_close(pullback(1.0)[argnum], expected, what="vjp")
    if second:
        h = hessian(f, argnums=argnum)(*args)
        numeric = numeric_jacobian(lambda *a: grad(f, argnums=argnum)(*a), args, argnum)
        assert_close(h, numeric, rtol=1e-4, atol=1e-5, what="hessian")


# --- 1. an entry of a list of lists indexes rows (fancy indexing), as NumPy does -----------------

def rows_of_a_table_written_here(u):
    nb = [[1, 2], [0, 2], [0, 1]]  # rows connected to row 0, 1, 2
    return np.sum(u[nb[0]] ** 2)


def rows_of_a_table_in_a_loop(u):
    nb = [[1, 2], [0, 2], [0, 1]]
    total = 0.0
    for i in range(3):
        total = total + np.sum(u[i] * np.sum(u[nb[i]], axis=0))
    return total


def rows_of_a_table_argument(u, conn):
    return np.sum(u[conn[0]] ** 2) + np.sum(u[conn[1]] ** 3)


def rows_of_a_table_in_a_dict(u):
    mesh = {"nb": [[1, 2], [0, 2]], "corner": (0, 1)}
    return np.sum(u[mesh["nb"][1]] ** 2) + u[mesh["corner"]] ** 2


def rows_of_a_table_iterated(u):
    total = 0.0
    for row in [[1, 2], [0, 1]]:
        total = total + np.sum(np.sin(u[row]))
    return total


def entry_of_a_table_of_tuples(u):
    pairs = [(0, 1), (2, 0)]  # one entry per tuple
    return u[pairs[0]] * u[pairs[1]]


def test_an_entry_of_a_list_of_lists_takes_rows():
    u = np.arange(9.0).reshape(3, 3) / 10 + 0.1
    for f in (rows_of_a_table_written_here, rows_of_a_table_in_a_loop, rows_of_a_table_in_a_dict,
              rows_of_a_table_iterated, entry_of_a_table_of_tuples):
        check_modes(f, (u,))
    assert_close(grad(rows_of_a_table_written_here)(u),
                 np.where(np.arange(3)[:, None] > 0, 2 * u, 0.0))


def test_an_entry_of_a_list_of_lists_takes_rows_of_a_vector():
    v = np.array([0.5, 1.5, 2.5])
    check_modes(rows_of_a_table_written_here, (v,))
    check_modes(rows_of_a_table_iterated, (v,))


def test_an_entry_of_a_list_argument_takes_rows():
    u = np.arange(1.0, 13.0).reshape(4, 3) / 10
    conn = [[0, 1], [1, 3]]
    g = grad(rows_of_a_table_argument)(u, conn)
    want = np.zeros_like(u)
    want[:2] += 2 * u[:2]
    want[[1, 3]] += 3 * u[[1, 3]] ** 2
    assert_close(g, want)
    check_modes(rows_of_a_table_argument, (u, conn), second=False)
    def of_u(u):  # (a def: Python 3.10 cannot tell two lambdas of one statement apart)
        return rows_of_a_table_argument(u, conn)
    assert_close(hessian(of_u)(u), numeric_jacobian(grad(of_u), [u], 0), rtol=1e-4, atol=1e-5)


def test_a_tuple_argument_entry_takes_one_element():
    u = np.arange(1.0, 13.0).reshape(4, 3) / 10
    g = grad(rows_of_a_table_argument)(u, ((0, 1), (1, 2)))
    want = np.zeros_like(u)
    want[0, 1] += 2 * u[0, 1]
    want[1, 2] += 3 * u[1, 2] ** 2
    assert_close(g, want)


# --- 2. an array read from a module of the user's own -----------------------------------------

user_consts = types.ModuleType("user_consts")
user_consts.K = 3.0
user_consts.W = np.array([1.0, 3.0])
user_consts.TABLE = (1.0, 3.0)
user_consts.LIST = [1.0, 3.0]


def reads_module_arrays(x):
    return user_consts.K * np.sum(user_consts.W * x ** 2) + \
        x[0] * user_consts.TABLE[1] + np.dot(x, user_consts.LIST) ** 2


def test_an_array_read_from_a_user_module():
    x = np.array([0.5, -1.5])
    check_modes(reads_module_arrays, (x,))
    assert "user_consts_W" in source(grad(reads_module_arrays))


def local_named_like_the_constant(x):
    user_consts_W = x * 2.0
    return np.sum(user_consts.W * user_consts_W)


def test_a_module_constant_does_not_take_a_local_name():
    x = np.array([0.5, -1.5])
    assert_close(grad(local_named_like_the_constant)(x), 2.0 * user_consts.W)


# --- 4. a single target over zip gets the whole tuple ------------------------------------------

def zip_pairs_comprehension(x):
    ps = [p for p in zip([x, 1.0], [2.0, x])]
    return ps[1][0] * ps[1][1] + ps[0][0] * ps[0][1]


def zip_sums(x, y):
    totals = [sum(t) for t in zip([x, y], [y, 2.0])]
    return totals[0] * totals[1]


def zip_loop_single_target(x, y):
    s = 0.0
    for p in zip([x, y], [y, 2.0]):
        s += p[0] * p[1]
    return s


def zip_columns(b):
    cols = [col for col in zip(b[0], b[1], b[2])]
    return np.sum(np.array(cols[1]) ** 2) + sum(cols[0]) ** 2


def test_a_single_target_over_zip_binds_the_tuple():
    check_modes(zip_pairs_comprehension, (0.5,))
    for f in (zip_sums, zip_loop_single_target):
        check_modes(f, (0.5, 1.5), argnum=0)
        check_modes(f, (0.5, 1.5), argnum=1)
    check_modes(zip_columns, (np.arange(9.0).reshape(3, 3) / 7,))
    assert_close(value_and_grad(zip_sums)(0.5, 1.5)[0], 7.0)


# --- 3. a constant list operand of a NumPy operation is the array NumPy makes of it -----------

WEIGHTS = [1.0, 2.0, 3.0]


def dot_with_a_list(x):
    return np.dot(x, [1.0, 2.0, 3.0]) ** 2


def matmul_with_a_list(x):
    return (x @ [1.0, 2.0, 3.0]) ** 2 + np.sum(np.matmul([[1.0, 0.5, 0.0]], x) ** 2)


def power_by_a_list(x):
    return np.sum(x ** [1, 2, 3]) + np.sum(np.power(x, [2, 1, 2])) + \
        np.sum(np.float_power(x, [1.5, 2.0, 0.5]))


def arctan2_with_a_list(x):
    return np.sum(np.arctan2(x, [1.0, 2.0, 3.0])) + np.sum(np.arctan2([1.0, 2.0, 3.0], x))


def percentiles_of_a_list(x):
    q1, q3 = np.percentile(x, [25, 75])
    return (q3 - q1) ** 2


def divided_by_a_tuple(x):
    return np.sum(x / (1.0, 2.0, 4.0) - (1.0, 2.0, 3.0)) ** 2


def dot_with_a_global_list(x):
    return np.dot(x, WEIGHTS) ** 2


def test_a_constant_list_operand_is_an_array():
    x = np.array([0.3, 0.7, 1.2])
    for f in (dot_with_a_list, matmul_with_a_list, power_by_a_list, arctan2_with_a_list,
              divided_by_a_tuple, dot_with_a_global_list):
        check_modes(f, (x,))
    check_modes(percentiles_of_a_list, (x,), second=False)  # (piecewise linear)
    assert "np.array((1.0, 2.0, 3.0))" in source(dot_with_a_list, mode="flat")


# --- 5. tables of functions, .format, sorted(dict), rng.permutation, messages ------------------

ACTS = {"sq": lambda v: v * v, "sin": math.sin, "tanh": np.tanh}
BASIS = [math.sin, math.cos]
NT = namedtuple("NT", "w b")
GLOBAL_NT = NT(np.array([1.0, 2.0]), 0.5)


def calls_global_tables(x):
    return ACTS["sin"](x) + BASIS[1](x) + ACTS["sq"](x) + np.tanh(ACTS["tanh"](x))


def calls_a_global_table_at_a_computed_key(x, k):
    return BASIS[k](x)


def reads_a_global_namedtuple(w, x):
    q = GLOBAL_NT._replace(w=w)
    return np.sum(np.tanh(x * q.w + q.b))


def formats_with_str_format(x):
    print("x = {0:.3f}, {name!r} {0:>8.2f}".format(x, name="step"), "{} {}".format(x, 2.0))
    return x * x


def mixes_field_numbering(x):
    print("{} {0}".format(x))  # noqa: F525  (refused, as Python refuses it)
    return x * x


def walks_a_dict_argument(p):
    s = 0.0
    for k in sorted(p):
        s = s + np.sum(p[k] ** 2)
    for k in list(p):
        s = s + np.sum(np.sin(p[k]))
    for k, v in sorted(p.items()):
        s = s + np.sum(v ** 3)
    return s


def shuffles_with_permutation(w, seed):
    rng = np.random.default_rng(seed)
    perm = rng.permutation(3)
    picked = rng.choice(3, 2, replace=False)
    k = rng.integers(0, 3, size=2)
    return np.sum(w[perm] * np.arange(3.0)) + np.sum(w[picked] ** 2) + np.sum(np.sin(w[k]))


def shuffles_a_differentiated_array(w, seed):
    return np.sum(np.random.default_rng(seed).permutation(w) * np.arange(3.0))


def test_a_function_read_from_a_global_table_with_a_constant_key():
    check_modes(calls_global_tables, (0.7,))
    with pytest.raises(UnsupportedSyntaxError, match="an item of BASIS, a global list, chosen "
                       "by a key computed at run time.*pass the function as an argument"):
        grad(calls_a_global_table_at_a_computed_key)(0.7, 1)


def test_a_global_namedtuple_is_named_in_the_message():
    x = np.array([0.3, 0.1])
    for transform in (grad, hessian):
        with pytest.raises(UnsupportedSyntaxError, match=r"\._replace\(\) of GLOBAL_NT, a "
                           "global NT.*pass it as an argument"):
            transform(reads_a_global_namedtuple)(x, x)


def test_str_format_is_formatted_as_an_f_string(capsys):
    check_modes(formats_with_str_format, (0.5,))
    assert "x = 0.500, 'step'     0.50 0.5 2.0" in capsys.readouterr().out
    with pytest.raises(UnsupportedSyntaxError, match="automatic field numbering"):
        grad(mixes_field_numbering)(0.5)


def test_a_dict_argument_walked_by_sorted_and_list():
    p = {"b": np.array([1.0, 2.0]), "a": np.array([3.0])}
    g = grad(walks_a_dict_argument)(p)
    for k in p:
        assert_close(g[k], 2 * p[k] + np.cos(p[k]) + 3 * p[k] ** 2)


def test_rng_permutation_choice_and_integers_are_constant_draws():
    w = np.array([0.3, -0.4, 1.1])
    check_modes(shuffles_with_permutation, (w, 0), second=False)
    def of_w(w):  # (a def: Python 3.10 cannot tell two lambdas of one statement apart)
        return shuffles_with_permutation(w, 0)
    assert_close(hessian(of_w)(w), numeric_jacobian(grad(of_w), [w], 0), rtol=1e-4, atol=1e-5)
    with pytest.raises(ADCompileError, match="permutation"):
        grad(shuffles_a_differentiated_array)(w, 0)


# --- a loop over a sequence its body changes: Python iterates the object, so a change in place
# (u[-1] += 1) shows in later iterations and a rebinding (u = u + 1) does not. Flat code read
# the items from whichever version the loop's names gave (3.3 for 7.3, 4.5 for 1.5) ----------
def rebinds_what_it_iterates(x):
    s = x
    u = x * np.ones(3)
    for ui in u:
        s = ui * s
        u = u * 2.0
    return s


def rebinds_a_list_it_iterates(x):
    s = x
    u = [x, 2.0 * x, 0.5]
    for ui in u:
        s = ui * s
        u = [1.0, 1.0, 1.0]
    return s


def changes_what_it_iterates(x):
    s = x * 0.3
    u = np.zeros(3)
    for k in range(2):
        for ui in u:
            s = ui * x + s
            u[-1] += 1.0
    return s


def changes_a_list_it_iterates(x):
    s = x * 0.3
    u = [0.0, x, 0.0]
    for k in range(2):
        for ui in u:
            s = ui * x + s
            u[-1] += x
    return s


def augments_what_it_iterates(x):
    s = 0.0
    y = x * np.ones(3)
    for k in range(2):
        for yi in y:
            s = s + yi ** 3
            y *= 1.1  # (in place: later iterations read the scaled items)
    return s


def passes_what_it_iterates(x):
    s = 0.0
    u = x * np.arange(1.0, 4.0)
    for ui in u:
        s = s + ui * np.sum(np.copy(u)) / len(u)
    return s


def appends_to_what_it_iterates(x):
    u = [x]
    for ui in u:
        if len(u) < 3:
            u.append(ui * 2.0)
    return sum(u)


@pytest.mark.parametrize("f", [rebinds_what_it_iterates, rebinds_a_list_it_iterates,
                               changes_what_it_iterates, changes_a_list_it_iterates,
                               augments_what_it_iterates, passes_what_it_iterates])
def test_a_loop_over_a_sequence_its_body_changes(f):
    check_modes(f, (1.5,))


def test_a_loop_growing_what_it_iterates_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match="a loop over u that changes it in place"):
        grad(appends_to_what_it_iterates)(1.5)


# --- a dict or a lambda made and read inside the inner of two loops was carried out of the inner
# loop as if the outer one read it in its next iteration (refused: "a dict is used as a value
# computed at run time"); a name every iteration binds before reading it is the iteration's own
def dict_in_an_inner_loop(x):
    for i in range(2):
        for j in range(3):
            st = {"m": x * j, "b": x + i}
            v = 0.6 * x + st["b"] * st["m"]
    return v


def lambda_in_an_inner_loop(x):
    v = 0.0
    for i in range(2):
        for j in range(2):
            g = lambda t: t * x * (i + j)  # noqa: E731, B023 (called right away)
            v += g(x)
    return v


def read_before_bound_in_the_next_iteration(x):
    v = 0.0
    for i in range(2):
        for j in range(3):
            v = v + x * j
            w = v * 2.0
        v = v + w  # (w of the inner loop's last iteration)
    return v


@pytest.mark.parametrize("f", [dict_in_an_inner_loop, lambda_in_an_inner_loop,
                               read_before_bound_in_the_next_iteration])
def test_names_an_inner_iteration_binds_for_itself(f):
    check_modes(f, (0.7,))


# --- a local read on a path where it is not bound: UnboundLocalError there, as Python raises -----
def read_in_a_branch_known_dead(x, y, z):
    """The second derivative of this (fuzzer, scalar order 2) read `x_1` in a backward branch
    whose test became known false once merged: "name 'x_1' is not defined" at transformation."""
    if z < y:
        pass
    elif 0.5 < (-1.25 if x > 0.7 else -1.25) < 1.0:
        while x < 0.5:
            x = x * 1.5 + 0.25
    return y * x * z


def test_second_order_of_a_branch_known_dead():
    args = (0.516396, -0.36007, 0.425476)
    check_modes(read_in_a_branch_known_dead, args, argnum=0)
    check_modes(read_in_a_branch_known_dead, args, argnum=2)
    _, hv = jvp(grad(read_in_a_branch_known_dead, argnums=(0, 1, 2)), args, (0.1, 0.2, 0.3))
    assert_close(hv, (0.2 * 0.425476 + 0.3 * -0.36007, 0.1 * 0.425476 + 0.3 * 0.516396,
                      0.1 * -0.36007 + 0.2 * 0.516396), what="jvp of grad")


def read_before_bound_below(x, c):
    if c > 0:
        return y * x  # noqa: F821 (y is this function's local, bound below: Python raises)
    y = x * 2.0
    return y


W_SHADOWED = 2.0


def global_shadowed_by_a_later_local(x):
    y = x * W_SHADOWED  # noqa: F823 (a local of this function: Python raises here)
    W_SHADOWED = 3.0  # noqa: F841, N806
    return y


def test_a_local_read_before_it_is_bound_raises_where_python_does():
    """Python raises UnboundLocalError on the path that reads the local; the other path runs
    (it was refused at transformation, or the global of the same name was read)."""
    assert grad(read_before_bound_below)(1.5, -1.0) == 2.0
    for call in (lambda: grad(read_before_bound_below)(1.5, 1.0),
                 lambda: jvp(read_before_bound_below, (1.5, 1.0), (1.0, 0.0)),
                 lambda: read_before_bound_below(1.5, 1.0),
                 lambda: grad(global_shadowed_by_a_later_local)(1.5),
                 lambda: global_shadowed_by_a_later_local(1.5)):
        with pytest.raises(UnboundLocalError, match="'(y|W_SHADOWED)'"):
            call()


# --- an item of a dict or list known here is the array itself, not a copy ------------------------
def into_a_dict_entry(w):
    q = {"W": w * 1.0, "b": w[0]}
    q["W"][0] = q["b"] ** 2
    return np.sum(q["W"] * w)


def into_a_list_item(w):
    q = [w * 1.0, w[1]]
    q[0][1] = q[1] * 3.0
    return np.sum(q[0] ** 2)


@pytest.mark.parametrize("f", [into_a_dict_entry, into_a_list_item])
def test_assigning_into_an_array_a_container_holds(f):
    """`q["W"][0] = v` was refused as assigning into a copy (the check of y[mask][0] = v)."""
    check_modes(f, (np.array([0.5, -1.5, 2.0]),))


# --- a name an if binds on one path only, read after: UnboundLocalError where Python raises -----
def bound_on_one_path(x, c):
    if c > 0:
        y = x * 2.0
    return y * x  # (Python raises when c <= 0; it was read as 0.0)


def read_where_the_same_test_bound_it(x, c):
    if c > 0:
        y = x * 2.0
    z = x ** 2
    if c > 0:
        z = z + y
    return z


def bound_again_in_a_loop(x, c, n):
    if c > 0:
        y = x * 2.0
    for i in range(n):
        if i > 0:
            x = x + y * 0.5  # (y of the iteration before)
        y = x * i
    return y + x


def bound_in_nested_ifs(x, c):
    if c > 0:
        if c > 1:
            y = x * 3.0
        else:
            y = x ** 2
        w = y * 2.0
    else:
        w = x
    if c > 0:
        w = w + y
    return w


def test_a_name_bound_on_one_path_raises_where_python_does():
    assert grad(bound_on_one_path)(1.5, 1.0) == 6.0
    for call in (lambda: grad(bound_on_one_path)(1.5, -1.0),
                 lambda: jvp(bound_on_one_path, (1.5, -1.0), (1.0, 0.0)),
                 lambda: value_and_grad(bound_on_one_path)(1.5, -1.0),
                 lambda: bound_on_one_path(1.5, -1.0)):
        with pytest.raises(UnboundLocalError, match="'y'"):
            call()


@pytest.mark.parametrize("f, args", [
    (read_where_the_same_test_bound_it, (0.7, -1.0)),
    (read_where_the_same_test_bound_it, (0.7, 1.0)),
    (bound_again_in_a_loop, (0.7, -1.0, 3)), (bound_again_in_a_loop, (0.7, 1.0, 0)),
    (bound_again_in_a_loop, (0.7, 1.0, 3)), (bound_in_nested_ifs, (0.7, 2.0)),
    (bound_in_nested_ifs, (0.7, 0.5)), (bound_in_nested_ifs, (0.7, -1.0))])
def test_a_name_bound_on_one_path_and_read_where_it_is_bound_runs(f, args):
    check_modes(f, args)


# --- a float assigned into an integer or boolean array is rounded: no derivative through it -----
def into_an_int_array(x):
    buf = np.zeros(3, dtype=int)
    buf[0] = x[0] * 10.0  # int(3.7) = 3, constant near x
    return np.sum(buf * x)


def filled_int_array(x):
    y = np.zeros(3, dtype=int)
    y.fill(x[0] * 10.0)
    return np.sum(y * x)


def masked_into_an_int_array(x):
    y = np.zeros(3, dtype=int)
    y[x > 0.4] = x[x > 0.4] * 10.0
    return np.sum(y * x)


def into_a_bool_array(x):
    m = np.zeros(3, dtype=bool)
    m[0] = x[0]
    return np.sum(m * x)


@pytest.mark.parametrize("f, expected", [
    (into_an_int_array, [3.0, 0.0, 0.0]), (filled_int_array, [3.0, 3.0, 3.0]),
    (masked_into_an_int_array, [0.0, 5.0, 9.0]), (into_a_bool_array, [1.0, 0.0, 0.0])])
def test_a_value_stored_in_an_integer_array_has_no_derivative(f, expected):
    """The gradient flowed through the rounded entry as if it still held the float (6.7 for 3)."""
    x = np.array([0.37, 0.52, 0.93])  # (10 x away from integers: finite differences hold)
    np.testing.assert_allclose(grad(f)(x), expected)
    np.testing.assert_allclose(jvp(f, (x,), (np.ones(3),))[1], sum(expected))
    check_modes(f, (x,), second=False)


# --- a swap of two items, y[j], y[j + 1] = y[j + 1], y[j], inside a loop -----------------------
def swapped_in_a_loop(x):
    y = x * 1.0
    for j in range(2):
        y[j], y[j + 1] = y[j + 1], y[j]
    return np.sum(y * np.arange(3.0))


def swapped_rows_in_a_loop(x):
    m = np.outer(x, x)
    for j in range(2):
        m[j], m[j + 1] = m[j + 1] * 1.0, m[j] * 2.0
    return np.sum(m * np.arange(9.0).reshape(3, 3))


@pytest.mark.parametrize("f", [swapped_in_a_loop, swapped_rows_in_a_loop])
def test_a_swap_of_items_in_a_loop(f):
    """Refused as "changing 'y' in place through a call in a loop": the loop did not see the
    items a tuple target writes."""
    check_modes(f, (np.array([0.5, -0.3, 0.8]),))


WEIGHTS_GLOBAL = [0.1 * (k % 7) + 1e-3 * k for k in range(100)]


def weighted_by_a_global_list(x):
    return x * sum(WEIGHTS_GLOBAL) + sum(WEIGHTS_GLOBAL, 0.5) / len(WEIGHTS_GLOBAL)


def test_sum_of_a_global_list_is_pythons_sum():
    """It was np.sum of np.asarray(list): an np.float64, summed pairwise (not Python's order)."""
    value, g = value_and_grad(weighted_by_a_global_list)(1.5)
    assert type(value) is float and value == weighted_by_a_global_list(1.5)
    assert type(g) is float and g == sum(WEIGHTS_GLOBAL)


def g_named_like_a_loop_variable(x):
    tot = 0.0
    for g_named_like_a_loop_variable in [np.sin, np.cos]:  # noqa: B020 (shadows this function)
        tot = tot + np.sum(g_named_like_a_loop_variable(x))
    return tot


def loops_over_functions(x):
    fs = [np.sin, np.cos]
    tot = 0.0
    for g_named_like_a_loop_variable in fs:
        tot = tot + np.sum(g_named_like_a_loop_variable(x))
    return tot


def test_a_loop_variable_named_like_a_function_that_calls_itself_so():
    """The analysis of what a call changes followed the module's function of that name, which
    it parsed again each time (a new node, never seen): RecursionError."""
    x = np.array([0.1, 0.2])
    np.testing.assert_allclose(grad(loops_over_functions)(x), np.cos(x) - np.sin(x))


def sorted_in_a_loop(x):
    y = x
    for _ in range(3):
        y = np.sort(y) * 0.9 + 0.1 * y ** 2
        y = np.sort(y)
    return np.sum(y * np.array([0.3, -0.5, 0.8]))


def test_second_derivative_of_a_loop_that_sorts():
    """The gradient's loop calls take_along_axis_grad, which calls itself: the same endless
    analysis (RecursionError in hessian and jacrev(grad))."""
    check_modes(sorted_in_a_loop, (np.array([0.4, -0.7, 0.9]),))


def draws_summed(x, rng):
    return x * sum(rng.normal(size=3)) + rng.normal()


def draws_counted(x, rng):
    return x * len(rng.normal(size=3)) + rng.normal()


def draw_held_constant(x, rng):
    return x * stop_gradient(rng.normal()) + rng.normal()


def draws_in_order(x, rng):
    return x * rng.normal(size=2).dot(rng.normal(size=2) + 1.0)


def squared(u):
    return u * u


def draw_into_a_derivative(x, rng):
    return x * grad(squared)(rng.normal()) + rng.normal()


@pytest.mark.parametrize("f", [draws_summed, draws_counted, draw_held_constant, draws_in_order,
                               draw_into_a_derivative])
def test_an_argument_with_an_effect_is_evaluated_once(f):
    """sum(), len(), stop_gradient() and a derivative called inside looked at their argument
    before choosing how to lower the call, then lowered it again: a draw in the argument was
    drawn two or three times (sum(rng.normal(size=3)) gave 3.09 for 1.27)."""
    def at(x):
        return f(x, np.random.default_rng(0))
    value, g = value_and_grad(f)(2.0, np.random.default_rng(0))
    assert_close(value, at(2.0), what="value")
    assert_close(g, (at(2.0 + 1e-6) - at(2.0 - 1e-6)) / 2e-6, rtol=1e-6, what="grad")
    _, t = jvp(f, (2.0, np.random.default_rng(0)), (1.0, None))
    assert_close(t, g, what="jvp")


def pair_first_times(a, b):
    return a[0] * b


def popped_beside_a_comprehension(x):
    xs = [x, 2 * x]
    y = pair_first_times([v * x for v in (1.0, 2.0)], xs.pop())
    return y + sum(xs)


def test_a_list_popped_in_a_call_beside_a_comprehension():
    """A call with a comprehension among its arguments was lowered in a copy of the names, so
    `xs.pop()` in another argument changed the copy only: xs kept its item (27 for 21)."""
    check_modes(popped_beside_a_comprehension, (3.0,))


def popped_after_read(x):
    xs = [x, 2 * x, 3 * x]
    return pair_first_times([xs[0]], xs.pop(0)) * 10.0 + pair_first_times([xs[0]], xs.pop())


def test_an_argument_read_before_one_with_an_effect_keeps_its_value_then():
    """Lowering an argument with an effect first (5751bcf) read `xs[0]` after `xs.pop(0)` in
    f(xs[0], xs.pop(0)): Python evaluates arguments in order (51 became 66)."""
    check_modes(popped_after_read, (1.5,))


# --- a def, a list known here or a record bound after an if one of whose paths returned ----------
def def_after_a_loop_that_may_return(x, y, z):
    if z > 0.5:
        while x > -2.0:
            return y * 2
    def scaled(p):
        return p * z
    def twice(p):
        return scaled(p) * y
    return twice(x)


def def_on_the_path_that_goes_on(x):
    if x > 2.0:
        return x * 2
    else:
        def g(p):
            return p * x
        ws = [x, x * x]
    return g(ws[1])


class Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b


def record_on_the_path_that_goes_on(x):
    if x > 2.0:
        return x * 3
    else:
        p = Pair(x, math.sin(x))
    return p.a * p.b


@pytest.mark.parametrize("args", [(0.3, 0.4, 0.2), (0.3, 0.4, 0.7)])
def test_a_def_after_an_if_whose_loop_returns(args):
    """The fuzzer's program (scalar seed 3103): the paths that returned inside the loop have no
    `scaled`, so merging the two paths refused it ("holds a different tuple or function on each
    path of an if"); what follows runs only on the path that defined it."""
    for k in range(3):
        check_modes(def_after_a_loop_that_may_return, args, k, second=False)


@pytest.mark.parametrize("f", [def_on_the_path_that_goes_on, record_on_the_path_that_goes_on])
@pytest.mark.parametrize("x", [0.7, 2.5])
def test_a_def_list_or_record_on_the_path_that_goes_on(f, x):
    check_modes(f, (x,))


def def_on_one_path(x):
    if x > 2.0:
        def g(p):
            return p * 3
    return g(x)


def test_a_def_on_one_path_read_after_is_still_refused():
    """Python raises UnboundLocalError on the path without it: no path left the function."""
    with pytest.raises(UnsupportedSyntaxError, match="'g' holds a function or module on one path "
                       "of an if and is not bound on the other, but is read after it"):
        grad(def_on_one_path)(3.0)


# --- a def inside a loop body, called in the same iteration (T24) -------------------------------
def def_in_an_inner_loop(x):
    s = 0.0
    for i in range(2):
        for j in range(2):
            def h(p):
                return p * (i + j + 1)  # noqa: B023  (called in the same iteration)
            s += h(x) * x
    return s


def def_after_a_break(x):
    s = 0.0
    for k in range(3):
        if k == 2:
            break
        def h(p):
            return p * 0.5 * x
        s += h(x)
    return s


def def_in_a_while_loop(x):
    s, k = 0.0, 0
    while k < 3:
        k += 1
        if s > 5.0:
            continue
        def h(p):
            return p * k  # noqa: B023
        s += h(x)
    return s


@pytest.mark.parametrize("f", [def_in_an_inner_loop, def_after_a_break, def_in_a_while_loop])
def test_a_def_in_a_loop_used_in_the_same_iteration(f):
    """A def binds its name for what follows it: the loop's next iteration does not read the
    last one's h, which was taken for a function carried out of the loop ("used after it") or
    merged with the path that broke out ("a different function on each path of an if")."""
    check_modes(f, (1.5,))


def def_read_after_the_loop(x):
    for k in range(2):
        def h(p):
            return p * k  # noqa: B023
    return h(x)


def test_a_def_in_a_loop_read_after_it_is_still_refused():
    with pytest.raises(UnsupportedSyntaxError, match="defined in a loop and used after it"):
        grad(def_read_after_the_loop)(1.5)
