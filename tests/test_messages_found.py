"""Refusals whose message described the wrong thing (tester T18): a float parameter's method
called "of an array", and a library function given to functools.partial or reduce "used as a
value computed at run time"."""
import functools
import math
import operator

import numpy as np
import pytest

from adcompile import ADCompileError, UnsupportedSyntaxError, grad


def float_method(x):
    if x.is_integer():
        return 0.0
    return x * x


def type_name(x):
    return 1.0 if type(x).__name__ == "int" else x * x


def test_a_float_parameters_method_is_not_called_an_arrays():
    with pytest.raises(ADCompileError) as info:
        grad(float_method)(1.3)
    message = str(info.value)
    assert "the method .is_integer() of x, a number or array" in message
    assert "x == np.round(x)" in message and "of an array" not in message
    with pytest.raises(ADCompileError) as info:
        grad(type_name)(1.3)
    message = str(info.value)
    assert "the attribute .__name__ of a number or array" in message
    assert "isinstance(x, float)" in message and "of an array" not in message


def partial_of_pow(x):
    p = functools.partial(math.pow, x)
    return p(3.0)


def reduce_of_add(x, y):
    return functools.reduce(operator.add, [x, y * y, 2.0], 1.0)


def reduce_of_lambda(x, y):
    return functools.reduce(lambda a, b: a * b, [x, y, 2.0])


@pytest.mark.parametrize("f, args, what", [
    (partial_of_pow, (1.3,), "functools.partial"),
    (reduce_of_add, (1.3, 0.4), "functools.reduce"),
    (reduce_of_lambda, (1.3, 0.4), "functools.reduce")])
def test_a_library_function_given_to_partial_or_reduce(f, args, what):
    with pytest.raises(ADCompileError) as info:
        grad(f)(*args)
    message = str(info.value)
    assert f"passing a function to {what}, which has no derivative rule" in message
    assert "def or lambda that calls it" in message and "computed at run time" not in message


def records_in_a_loop(x, n):
    rows = []
    for k in range(n):
        rows.append({"a": x * k})  # (a dict stored in a list a loop builds)
    return rows[-1]["a"]


def calls_records_in_a_loop(x, n):
    return records_in_a_loop(x, n) * 2.0


def sorted_slice(x):
    return sorted(x[0:3])[1] * 2.0


def test_messages_name_the_inlined_line_and_keep_to_the_point():
    """A dict used as a run-time value inside an inlined function was placed at the caller's
    line number in the callee's file (scipy/_lib/_util.py:10 for the user's line 10, T22);
    sorted() of an array carried advice about reading fields of objects (T22)."""
    first = records_in_a_loop.__code__.co_firstlineno
    with pytest.raises(UnsupportedSyntaxError, match=f"test_messages_found.py:{first + 3}: a "
                       "dict is used as a value computed at run time"):
        grad(calls_records_in_a_loop)(0.5, 3)
    with pytest.raises(UnsupportedSyntaxError) as e:
        grad(sorted_slice)(np.array([0.3, -1.0, 2.0]))
    assert str(e.value).endswith("sort with np.sort.") and "fields" not in str(e.value)


# --- a nested def changing a list of the enclosing function, called in a chained comparison -----
def closure_appends_in_a_comparison(x):
    calls = []

    def g(t):
        calls.append(t)
        return t * 0.5
    if 0.0 < g(x) < 2.0:
        return x * len(calls)
    return -x


def test_a_closure_changing_a_list_in_a_test_says_whose_list_and_where():
    """The message called `calls` g's argument, and did not say a chained comparison is an
    `and` (T24)."""
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(closure_appends_in_a_comparison)(0.7)
    text = str(info.value)
    assert "calls, a name of the enclosing function," in text and "chained comparison" in text
    assert "its argument calls" not in text and "test_messages_found.py" in text
