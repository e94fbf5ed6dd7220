"""Lists found wanting after the lists stop (fixer fixlists): each a regression test that failed
before its fix."""
import itertools
import statistics

import numpy as np
import pytest

from adcompile import UnsupportedSyntaxError, grad, hessian, jacfwd, jvp
from checks import agree, assert_close, numeric_grad, numeric_jacobian

X = np.array([0.7, -1.3, 2.1])
W = {"a": 1.5, "b": -2.0}  # module-level tables (item 3)
BY_INDEX = {1: 5.0, 0: 7.0}
ACTS = {"sin": np.sin, "tanh": np.tanh}
ROWS = {"u": np.array([1.0, 2.0, -1.0]), "v": np.array([3.0, -1.0, 0.5])}
CFG = {"w": {"a": 0.5, "b": 2.5}}
KEYED_BY_OBJECT = {object(): 1.0}


# 1. An empty list known here joined with a list made at run time: lowering knows `[]` and
#    `()` as one object (the empty tuple), and `[] + list(x)` ran as `() + s0`, a TypeError.

def empty_plus_rows(x):
    out = []
    out = out + list(x)
    return out[0] * out[1] + np.sin(out[2])


def empty_display_plus_rows(x):
    out = [] + list(x)
    return out[1] * out[2]


def rows_plus_empty(x):
    out = []
    out = list(np.sin(x)) + out
    return out[0] * out[2]


def empty_augmented(x):
    out = []
    out += list(x)
    return out[0] * out[2] ** 2


def empty_grown_in_loop(x):
    out = []
    for i in range(3):
        v = x[i] * 2.0
        out = out + [v]
    return out[0] * out[2]


def empty_joined_rows_in_loop(x):
    out = []
    for r in x.reshape(3, 1):
        out = out + list(r)
    return out[0] * out[1] * out[2]


def empty_tuple_plus_rows(x):
    out = ()
    out = out + tuple(x)
    return out[0] * out[1]


def empty_plus_either(x, c):
    a = list(x) if c > 0 else tuple(x)  # a list or a tuple, chosen at run time
    out = [] + a if c > 0 else () + a
    return out[0] * out[1]


@pytest.mark.parametrize("f", [empty_plus_rows, empty_display_plus_rows, rows_plus_empty,
                               empty_augmented, empty_grown_in_loop, empty_joined_rows_in_loop,
                               empty_tuple_plus_rows])
def test_an_empty_list_joined_with_a_list_made_at_run_time(f):
    expected = numeric_grad(f, (X,), 0)
    assert_close(grad(f)(X), expected, what="grad")
    value, tangent = jvp(f, (X,), (np.ones(3),))
    assert_close(value, f(X), what="jvp value")
    assert_close(tangent, expected.sum(), what="jvp")
    assert_close(hessian(f)(X), numeric_jacobian(grad(f), (X,), 0), rtol=1e-5, atol=1e-5,
                 what="hessian")
    assert_close(jacfwd(f)(X), expected, what="jacfwd")


@pytest.mark.parametrize("c", [1.0, -1.0])
def test_an_empty_sequence_joined_with_one_of_either_kind(c):
    f = empty_plus_either
    expected = numeric_grad(f, (X, c), 0)
    assert_close(grad(f)(X, c), expected, what="grad")
    assert_close(jvp(lambda x: f(x, c), (X,), (np.ones(3),))[1], expected.sum(), what="jvp")


@pytest.mark.parametrize("f", [empty_plus_rows, empty_display_plus_rows, empty_augmented])
def test_an_empty_list_joined_with_rows_under_jit(f):
    agree(f, X)


# 2. itertools.islice with a negative (or fractional) index known here: Python's ValueError, at
#    the user's line, where adcompile said islice "does not return a value on every path".

def islice_stop_minus_one(x):
    return sum(itertools.islice([x, 2 * x, 3 * x], -1))


def islice_stop_minus_two(x):
    return sum(itertools.islice([x, 2 * x, 3 * x], -2))


def islice_start_negative(x):
    return sum(itertools.islice([x, 2 * x, 3 * x], -1, 2))


def islice_step_zero(x):
    return sum(itertools.islice([x, 2 * x, 3 * x], 0, 2, 0))


def islice_stop_fractional(x):
    return sum(itertools.islice([x, 2 * x, 3 * x], 1.5))


def mean_of_nothing(x):
    return statistics.mean([]) + x


@pytest.mark.parametrize("f", [islice_stop_minus_one, islice_stop_minus_two,
                               islice_start_negative, islice_step_zero, islice_stop_fractional,
                               mean_of_nothing])
def test_a_stand_in_raising_for_arguments_known_here_raises_pythons_error(f):
    with pytest.raises(Exception) as python:
        f(1.0)
    line = f"{__file__}:{f.__code__.co_firstlineno + 1}: "
    for mode in (lambda: grad(f)(1.0), lambda: jvp(f, (1.0,), (1.0,))):
        with pytest.raises(type(python.value)) as info:
            mode()
        assert str(info.value) == line + str(python.value)


def islice_stop_given(x, n):
    return sum(itertools.islice([x, 2 * x, 3 * x], n))


def test_islice_of_a_stop_known_at_run_time_raises_pythons_error_there():
    assert grad(islice_stop_given)(1.5, 2) == 3.0
    with pytest.raises(ValueError, match="Stop argument for islice"):
        grad(islice_stop_given)(1.5, -1)


# 3. A module-level dict iterated (`for k in W`, W.items(), .values(), .keys()): its keys are
#    known here (a new derivative once one comes or goes), its values read as W[k] reads them.
#    Refused before; `for k in W` indexed W by position (W[0], W[1]), a KeyError or, for a dict
#    keyed by integers, its values taken for its keys (silently wrong).

def over_items(x):
    s = 0.0
    for k, v in W.items():
        s += v * x ** 2
    return s


def over_values(x):
    return sum(v * np.sin(x) for v in W.values())


def over_keys(x):
    s = 0.0
    for k in W.keys():
        s += W[k] * x
    return s


def over_the_dict(x):
    s = 0.0
    for k in BY_INDEX:
        s += k * x + BY_INDEX[k] * x ** 2
    return s


def over_functions(x):
    s = 0.0
    for name, f in ACTS.items():
        s += f(x)
    return s


def over_arrays(x):
    return sum(np.dot(v, x) ** 2 for v in ROWS.values())


def over_a_nested_dict(x):
    s = 0.0
    for k in CFG["w"]:
        s += CFG["w"][k] * x
    for k, v in CFG["w"].items():
        s += v * x ** 2
    return s


def counted_and_sorted(x):
    return len(W) * x + sum(W[k] * x for k in sorted(W)) + ("a" in W) * x


@pytest.mark.parametrize("f, x", [(over_items, 1.3), (over_values, 1.3), (over_keys, 1.3),
                                  (over_the_dict, 1.3), (over_functions, 0.4), (over_arrays, X),
                                  (over_a_nested_dict, 1.3), (counted_and_sorted, 1.3)])
def test_a_global_dict_iterated(f, x):
    expected = numeric_grad(f, (x,), 0)
    assert_close(grad(f)(x), expected, what="grad")
    assert_close(jvp(f, (x,), (np.ones_like(x),))[1], np.sum(expected), what="jvp")


def test_a_global_dict_iterated_gives_a_new_derivative_once_its_keys_change():
    assert_close(grad(over_items)(2.0), 2 * 2.0 * (1.5 - 2.0))
    W["c"] = 4.0
    try:
        assert_close(grad(over_items)(2.0), 2 * 2.0 * (1.5 - 2.0 + 4.0))
        W["a"] = 0.5  # (a value: read when the code runs)
        assert_close(grad(over_items)(2.0), 2 * 2.0 * (0.5 - 2.0 + 4.0))
    finally:
        del W["c"]
        W["a"] = 1.5
    assert_close(grad(over_items)(2.0), 2 * 2.0 * (1.5 - 2.0))


def over_object_keys(x):
    s = 0.0
    for k in KEYED_BY_OBJECT:
        s += x
    return s


def test_a_global_dict_with_keys_that_are_no_constants_is_refused_at_its_line():
    with pytest.raises(UnsupportedSyntaxError, match="keys are not numbers") as info:
        grad(over_object_keys)(1.0)
    assert info.value.line == over_object_keys.__code__.co_firstlineno + 2


# 4. A helper changing its array argument in place, called twice on it while the first call's
#    result is still read: the refusal said "the caller holds the same array", where `a` does.

def doubled_in_place(u):
    u *= 2.0
    return u


def stepped_twice(x):
    u = x * 1.0
    a = doubled_in_place(u)
    b = doubled_in_place(u)
    return np.sum(a) + np.sum(b)


def stepped_twice_into_a_list(x):
    u = x * 1.0
    hist = [doubled_in_place(u)]
    b = doubled_in_place(u)
    return np.sum(hist[0]) + np.sum(b)


@pytest.mark.parametrize("f, holder", [(stepped_twice, "a"), (stepped_twice_into_a_list, "hist")])
def test_a_helper_changing_an_array_another_name_of_the_caller_holds_names_it(f, holder):
    assert_close(grad(f)(1.5), numeric_grad(f, (1.5,), 0))  # (a number: rebound, not changed)
    with pytest.raises(UnsupportedSyntaxError, match=f"u is changed in place, and {holder} "
                       "holds the same array") as info:
        grad(f)(np.array([1.0, 2.0]))
    assert info.value.line == doubled_in_place.__code__.co_firstlineno + 1


# 5. An infinite slope (np.sqrt at 0) read in a loop: both modes give inf where it reaches the
#    result by one path; where it also reaches it through a zero factor, forward mode gives NaN
#    (inf * 0, then added) and reverse mode inf (the factors added first), as JAX does: a limit
#    documented in docs/limits.md, pinned here so that a change shows.

def sqrt_read_in_a_loop(x, n):
    r = np.sqrt(x)
    s = 0.0
    for i in range(n):
        s += r
    return s


def sqrt_read_with_a_zero_factor(x, n):
    q = 3.0 * np.sqrt(x)
    s = 2.0 * x
    for i in range(n):
        s = s + q * i
    return s


def test_an_infinite_slope_read_in_a_loop():
    x = np.float64(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = sqrt_read_in_a_loop
        assert grad(f)(x, 2) == np.inf
        assert jvp(lambda x: f(x, 2), (x,), (1.0,))[1] == np.inf
        assert jacfwd(f)(x, 2) == np.inf
        g = sqrt_read_with_a_zero_factor
        assert grad(g)(x, 2) == np.inf
        assert np.isnan(jvp(lambda x: g(x, 2), (x,), (1.0,))[1])
        assert np.isnan(jacfwd(g)(x, 2))
