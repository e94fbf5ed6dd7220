"""Python forms testers found crashing, refused or slow: a list known to be empty read in a
branch, np.add.at of a slice with a call in it, sum(...) of a generator of helper calls, a dict
read by a run-time key in a loop, values tested by isinstance, fmean of an array, a swap of
floats before y += t, and a name a loop that ran zero times never bound. Each is checked under
grad and value_and_grad, on plain floats and 0-d NumPy arrays, against central differences."""
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
