"""Python forms testers found crashing, refused or slow: a list known to be empty read in a
branch, np.add.at of a slice with a call in it, sum(...) of a generator of helper calls, a dict
read by a run-time key in a loop, values tested by isinstance, fmean of an array, xs.pop(0) in
a run-time loop, and a swap of floats before y += t. Each is checked under
grad and value_and_grad, on plain floats and 0-d NumPy arrays, against central differences."""
import math
import statistics
import sys
from collections import namedtuple

import numpy as np
import pytest

from adcompile import ADCompileError, grad, jvp, value_and_grad
from checks import assert_close, numeric_grad


def check(f, *args, argnum=0):
    """value_and_grad and grad of f at args, on floats and on 0-d arrays, against f and central
    differences; jvp too where argument `argnum` is a number."""
    for cast in (lambda v: v, lambda v: np.array(v) if type(v) is float else v):
        xs = tuple(cast(a) for a in args)
        value, g = value_and_grad(f, argnums=argnum)(*xs)
        assert_close(value, f(*xs), what=f"{f.__name__} value")
        expected = numeric_grad(f, xs, argnum)
        assert_close(g, expected, rtol=1e-5, atol=1e-6, what=f"{f.__name__} value_and_grad")
        assert_close(grad(f, argnums=argnum)(*xs), expected, rtol=1e-5, atol=1e-6,
                     what=f"{f.__name__} grad")


# --- 1. an index out of the range of a list known here, in a branch decided at run time ------

def last_when_negative(x):
    out = []
    if x < 0:
        return out[-1]
    return x * x


def first_in_expression(x):
    out = []
    return out[0] * x if x < 0 else x * x


def second_assigned(x):
    out = [x]
    if x < 0:
        out[1] = x
    return out[0] * x


Pair = namedtuple("Pair", "a b")


def third_of_pair(x):
    p = Pair(x, 2.0)
    if x < 0:
        return p[2]
    return p[0] * x


@pytest.mark.parametrize("f", [last_when_negative, first_in_expression, second_assigned,
                               third_of_pair])
def test_index_out_of_range_in_branch_raises_as_python(f):
    """Lowering used to crash with a bare IndexError; now the branch not taken differentiates
    and the branch taken raises IndexError at run time, as Python does."""
    check(f, 1.5)
    assert_close(jvp(f, (1.5,), (1.0,))[1], 3.0)
    for mode in (grad(f), value_and_grad(f)):
        with pytest.raises(IndexError):
            mode(-1.0)


# --- 2. an in-place call on a part of an array whose index calls a helper: lowered once -------

def start_of(x):
    print("start_of")  # (printed once a call, as Python does)
    k = 0
    for v in x:
        if v > 2.5:
            break
        k += 1
    return k


def add_at_tail(x):
    a = x * 1.0
    np.add.at(a[start_of(x):], np.array([0, 1, 0]), x[:3] ** 2)
    return np.sum(a ** 2)


def sort_tail(x):
    a = x * 1.0
    a[start_of(x):].sort()
    return np.sum(a ** 2 * x)


@pytest.mark.parametrize("f", [add_at_tail, sort_tail])
def test_in_place_call_lowers_its_array_index_once(f, capsys):
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 0.5])
    capsys.readouterr()
    value, g = value_and_grad(f)(x)
    assert capsys.readouterr().out == "start_of\n"
    assert_close(value, f(x.copy()))
    capsys.readouterr()
    assert_close(g, numeric_grad(lambda x: f(x.copy()), (x,), 0), rtol=1e-5)
    assert_close(grad(f)(x), g)


# --- 3. sum(xs, start): each argument lowered once (a property of a global object read once) --

class Settings:
    reads = 0

    @property
    def offset(self):
        Settings.reads += 1
        return 1.0


SETTINGS = Settings()


def sum_of_tuple(x):
    return sum((x, x * 2), SETTINGS.offset)


def sum_of_list(x):
    return sum([x, x * x], SETTINGS.offset)


def sum_of_array(x):
    return sum(np.array([x, 2 * x]), SETTINGS.offset)


def reads(f):
    """How many times calling f's value_and_grad reads SETTINGS.offset."""
    Settings.reads = 0
    value_and_grad(f)(1.5)
    return Settings.reads


@pytest.mark.parametrize("f", [sum_of_tuple, sum_of_list, sum_of_array])
def test_sum_reads_its_arguments_once(f):
    """Transforming sum(xs, SETTINGS.offset) reads the property once, as Python does (it was
    read three times); a call of the derivative made reads it as well (is it still 1.0?)."""
    assert reads(f) - reads(f) == 1
    check(f, 1.5)


# --- 4. a dict read by a key known at run time in a loop: its values listed once -------------

def by_position(params, n, x):
    vals = list(params.values())
    total = 0.0
    for i in range(n):
        total = total + np.sum(vals[i] * x)
    return total


def by_run_time_key(params, x, n):
    keys = ["w%d" % (i % 3) for i in range(n)]
    total = 0.0
    for k in keys:
        total = total + np.sum(params[k] * x ** 2)
    return total


def test_dict_values_listed_once_before_the_loop():
    """The list of the dict's values was made (and taped) at every step, and its adjoint was a
    list of zeros at every step: O(steps * len(params)) arrays. Now it is made before the loop
    and the adjoint of each step adds into one list."""
    from adcompile import source
    rng = np.random.default_rng(0)
    params = {f"w{i}": rng.random(4) for i in range(5)}
    x = rng.random(4)
    for f, args, wrt in ((by_position, (params, 4, x), 2), (by_run_time_key, (params, x, 7), 1)):
        value, (g_params, g_x) = value_and_grad(f, argnums=(0, wrt))(*args)
        assert_close(value, f(*args))
        for k in params:
            def along(w, k=k, f=f, args=args):
                return f(*[{**params, k: w} if a is params else a for a in args])
            assert_close(g_params[k], numeric_grad(along, (params[k],), 0), rtol=1e-5)
        assert_close(g_x, numeric_grad(f, args, wrt), rtol=1e-5)
        text = source(f, at=args)
        listed = [line for line in text.splitlines() if "= [params_w0, " in line]
        assert len(listed) == 1 and listed[0].startswith("    s"), text  # (not in the loop)


# --- 5. isinstance of a dict's values, statistics of a 1-D array, xs.pop(0) in a run-time loop -

def by_value_type(p, x):
    total = 0.0
    for v in p.values():
        if isinstance(v, float):
            total = total + v * x
        elif isinstance(v, np.ndarray):
            total = total + np.sum(v * x ** 2)
    return total


def test_isinstance_of_dict_values():
    p = {"a": 1.5, "b": np.array([1.0, 2.0]), "c": 2.0}
    check(by_value_type, p, 1.5, argnum=1)


def fmean_of_squares(x):
    return statistics.fmean(x * x)


def spreads(x):
    return statistics.pstdev(np.exp(x)) + statistics.variance(x[1:]) + statistics.mean(x * 2)


def weighted(x):
    return statistics.fmean(x * x, x) if sys.version_info >= (3, 11) else fmean_of_squares(x)


@pytest.mark.parametrize("f", [fmean_of_squares, spreads, weighted])
def test_statistics_of_a_1d_array(f):
    """statistics' functions of a 1-D array read its entries (they were refused as `list() of an
    array`, a list() the user never wrote); a 2-D one raises TypeError, as Python does."""
    check(f, np.array([1.0, 2.0, 3.5]))
    for mode in (grad(f), value_and_grad(f)):
        with pytest.raises(TypeError):
            mode(np.ones((2, 2)))


def pop_front(x, n):
    xs = [x * (k + 1) for k in range(n)]
    total = 0.0
    while xs:
        total = total + xs.pop(0) ** 2
    return total


def pop_front_statement(x, n):
    xs = [x * (k + 1) for k in range(n)]
    total = 0.0
    for i in range(n - 1):
        xs.pop(0)
        total = total + xs[0] * xs.pop(1) * i + xs.pop(-1)
        xs.append(x * i)
        xs.append(x * x)
        xs.append(x)
    return total


def pop_from_array(x):
    return x.pop(0) * 2


@pytest.mark.parametrize("f", [pop_front, pop_front_statement])
def test_pop_at_an_index_in_a_run_time_loop(f):
    check(f, 1.5, 4)
    check(f, 1.5, 5)


def pop_too_many(x, n):
    xs = [x * (k + 1) for k in range(n)]
    total = 0.0
    for i in range(n + 1):
        total = total + xs.pop(0)
    return total


def test_pop_of_an_empty_list_raises_as_python():
    for mode in (grad(pop_too_many), value_and_grad(pop_too_many)):
        with pytest.raises(IndexError):
            mode(1.5, 3)


def pop_last_of_array(x):
    return x.pop() * 2


@pytest.mark.parametrize("f", [pop_from_array, pop_last_of_array])
def test_pop_of_an_array_refused(f):
    """An array has no .pop (x.pop() read its last entry silently)."""
    with pytest.raises(ADCompileError, match=r"\.pop"):
        grad(f)(np.ones(3))



# --- 6. a float swapped out of a list of floats, then y += t (fuzz --variant scalar --seed 3603) --

def fuzz_h0(a, b):
    t1 = b  # noqa: F841
    return 0.1


def fuzz_h1(a, b):
    b += math.exp(-(a) ** 2)
    b -= a
    L2 = [min(a, b)]
    for i3 in range(1, 2):
        L2.append(a)
        L4 = [(b * a)]
        for i5 in range(4):
            L4.append(max(min(-1.25, a), b))
            if (a > b or a > 0.5):
                continue
    t6 = L2[-1]
    return (min(0.7, t6)) ** 3


def fuzz_3603(x, y):
    L7 = []
    for r9 in (x, x, 0.1,):
        L7.append(1.5)
    t10 = sum(L7)
    for r12 in L7:
        t10 = math.exp(math.tanh(y))
        k13 = 0
        while abs(y) < 2.0 and k13 < 4:
            k13 += 1
            y = y + 0.5 + math.tanh(max(y, 0.7)) ** 2
            y, t14, t15 = math.tanh(t10), y, r12
            if math.log(1.0 + (k13 * 0.25) ** 2) <= (k13 * 0.25 * t15):
                if (r12 > 2.0 or 0.1 <= 0.25):
                    continue
                t16, t17 = (x if (t15 * x) >= (float(k13)) ** 3 else r12), \
                    fuzz_h1(max(t14, r12), max(t10, t14))  # noqa: F841
                y, t16 = t16, y
            else:
                t18, t19 = 0.25, fuzz_h0((t14 if -1.0 < t15 < 1.5 else t15),
                                         ((y) / (1.0 + (k13 * 0.25) ** 2)))
                y += t15
                t18 *= math.tanh(-(t19))
            L20 = [fuzz_h1(k13 * 0.25, r12)]
            for i21 in range(0, 4, 2):
                L20.append(t14)
        if x >= 0.25:
            return (fuzz_h0(t10, t10) * sum(L7))
    return y + t10


def test_number_swapped_out_of_a_list_then_added_to():
    """y may hold an item of L7, a list of floats made at run time to be indexed: `y += t15` was
    refused as a change in place of that item, which a number never is."""
    check(fuzz_3603, -1.633908, 1.908456)
    check(fuzz_3603, -1.633908, 1.908456, argnum=1)


def last_of_loop(x, n):
    for i in range(n):
        last = x * i
    return last * x


def test_a_name_first_bound_in_a_loop_that_runs_zero_times_raises_as_python():
    """(more in test_unbound_found.py)"""
    with pytest.raises(UnboundLocalError):
        last_of_loop(2.0, 0)
    assert grad(last_of_loop)(2.0, 3) == pytest.approx(8.0)
    try:
        got = grad(last_of_loop)(2.0, 0)
    except (UnboundLocalError, ADCompileError):
        return
    raise AssertionError(f"grad gave {got!r} where Python raises UnboundLocalError")
