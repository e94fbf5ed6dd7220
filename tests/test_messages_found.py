"""Refusals whose message described the wrong thing (tester T18): a float parameter's method
called "of an array", and a library function given to functools.partial or reduce "used as a
value computed at run time"."""
import functools
import inspect
import math
import operator

import numpy as np
import pytest

import adcompile as ad
from adcompile import ADCompileError, UnsupportedSyntaxError, grad

import helpers_elsewhere
from checks import assert_close, numeric_grad


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


def test_functools_reduce_of_a_sequence_known_here_is_unrolled():
    """(It was refused as a function passed to a library function without a rule.)"""
    from checks import numeric_grad
    for f in (reduce_of_add, reduce_of_lambda):
        g = grad(f, argnums=(0, 1))(1.3, 0.4)
        assert np.allclose(g, [numeric_grad(f, (1.3, 0.4), k) for k in (0, 1)], rtol=1e-6)


def along_axis(x):
    return np.sum(np.apply_along_axis(lambda r: r * x, 0, np.ones(2)))


def test_partial_of_a_library_function():  # (refused before functools.partial was lowered)
    assert grad(partial_of_pow)(1.3) == pytest.approx(3 * 1.3 ** 2)


@pytest.mark.parametrize("f, args, what", [
    (along_axis, (1.3,), "np.apply_along_axis")])
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
    return sorted(x[0:3])[1][0] * 2.0


def test_messages_name_the_inlined_line_and_keep_to_the_point():
    """A dict used as a run-time value inside an inlined function was placed at the caller's
    line number in the callee's file (scipy/_lib/_util.py:10 for the user's line 10, T22);
    sorted() of an array carried advice about reading fields of objects (T22)."""
    first = records_in_a_loop.__code__.co_firstlineno
    with pytest.raises(UnsupportedSyntaxError, match=f"test_messages_found.py:{first + 3}: "
                       "appending a dict to a list a loop builds at run time"):
        grad(calls_records_in_a_loop)(0.5, 3)
    with pytest.raises(UnsupportedSyntaxError) as e:
        grad(sorted_slice)(np.ones((3, 2)))  # (of one dimension: supported)
    assert str(e.value).endswith("sort with np.sort(x, axis=...)") and \
        "fields" not in str(e.value)


# --- a nested def changing a list of the enclosing function, called in a chained comparison -----
def closure_appends_in_a_comparison(x):
    calls = []

    def g(t):
        calls.append(t)
        return t * 0.5
    if 0.0 < x < g(x) + 2.0:  # (g runs only where 0 < x: the middle one runs once, T42)
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


# Refusals with misleading messages (testers T23, T25)

def break_before_dict_rebuild(p, limit):
    for t in range(3):
        if np.sum(p["w"]) > limit:
            break
        p = {"w": p["w"] * 0.9 + p["b"], "b": p["b"] * p["w"][0]}
    return np.sum(p["w"]) + p["b"]


def array_or_dict(x, flag):
    if flag > 0.0:
        y = {"w": x}
    else:
        y = x
    return np.sum(y["w"])


def test_a_dict_argument_rebuilt_after_a_break_merges_field_by_field():
    """A dict argument, rebound to a dict of the same keys on the path that does not break,
    was refused as 'a different tuple or function on each path' (T23): the first lowering
    takes the argument for an array; the merge is now compiled again at the call."""
    for limit in (100.0, 2.5):  # (2.5: the loop breaks after one iteration)
        p = {"w": np.array([1.0, 0.5, -0.3]), "b": 0.7}
        g = grad(break_before_dict_rebuild)(p, limit)

        def at(w, b, limit=limit):
            return break_before_dict_rebuild({"w": w, "b": b}, limit)
        assert_close(g["w"], numeric_grad(at, (p["w"], p["b"]), 0))
        assert_close(g["b"], numeric_grad(at, (p["w"], p["b"]), 1))
    first = array_or_dict.__code__.co_firstlineno
    with pytest.raises(UnsupportedSyntaxError, match=f"found.py:{first + 1}: 'y' holds a dict "
                       "with keys 'w' on one path of an if and a number or array on the other"):
        grad(array_or_dict)(np.ones(2), 1.0)


def zip_of_items(p, lr):
    g = {"w": 2 * p["w"], "b": 2 * p["b"]}
    new = {}
    for (k, v), gk in zip(p.items(), g.values()):
        new[k] = v - lr * gk
    return np.sum(new["w"] ** 2) + new["b"] ** 2


def enumerate_items(p, lr):
    new = {}
    for i, (k, v) in enumerate(p.items()):
        new[k] = v * (i + 1.0) - lr * v ** 2
    return np.sum(new["w"] ** 2) + new["b"] ** 2


@pytest.mark.parametrize("f", [zip_of_items, enumerate_items])
def test_keys_of_items_unpacked_inside_zip_or_enumerate_are_known(f):
    """`for (k, v), gk in zip(p.items(), ...)` and `for i, (k, v) in enumerate(p.items())` were
    refused as a key computed at run time (T23): the keys are known here."""
    p = {"w": np.array([1.0, 0.5, -0.3]), "b": 0.7}
    g = grad(f)(p, 0.1)

    def at(w, b):
        return f({"w": w, "b": b}, 0.1)
    assert_close(g["w"], numeric_grad(at, (p["w"], p["b"]), 0))
    assert_close(g["b"], numeric_grad(at, (p["w"], p["b"]), 1))


def calls_scale_middle(x):
    return np.sum(helpers_elsewhere.scale_middle(x) ** 2)


def calls_bessel(x):
    return np.sum(helpers_elsewhere.bessel(x))


def calls_as_tuple(x):
    return helpers_elsewhere.as_tuple(x)


def calls_wide_qr(x):
    return np.sum(helpers_elsewhere.wide_qr(np.stack([x[:3], x[1:]])))


def calls_late_ellipsis(x):
    return np.sum(helpers_elsewhere.late_ellipsis(x.reshape(2, 2)))


def line_of(helper, text):
    lines, first = inspect.getsourcelines(helper)
    return first + next(k for k, line in enumerate(lines) if text in line)


@pytest.mark.parametrize("f, helper, text, error", [
    (calls_scale_middle, helpers_elsewhere.scale_middle, "v *= 3.0", "is a view of y"),
    (calls_bessel, helpers_elsewhere.bessel, "np.i0",  # (NumPy 2.2: np.i0 is the rule's own
     "np.i0 has no derivative rule|no reverse-mode rule for np.i0"),  # object, without a vjp)
    (calls_as_tuple, helpers_elsewhere.as_tuple, "np.array(sorted",
     r"sorted\(\) of an array of 2 dimensions"),
    (calls_wide_qr, helpers_elsewhere.wide_qr, "np.linalg.qr", "fewer rows than columns"),
    (calls_late_ellipsis, helpers_elsewhere.late_ellipsis, "einsum", "'...' after a letter")])
def test_a_refusal_inside_an_inlined_helper_names_the_helpers_line(f, helper, text, error):
    """Refusals raised after lowering (by a pass over flat code, a rule, a check generated code
    runs) named the caller's line, to which inlined code is attributed (T25): each names the
    helper's file and line, as refusals raised while lowering it do."""
    with pytest.raises(ADCompileError, match=error) as info:
        grad(f)(np.arange(1.0, 5.0))
    assert info.value.filename == helpers_elsewhere.__file__
    assert info.value.line == line_of(helper, text)


def roots(c):
    return np.sum(np.real(np.roots(c)) ** 2)


def tensorsolve(a):
    return np.sum(np.linalg.tensorsolve(a.reshape(2, 2, 2, 2), np.ones((2, 2))))


def bessel(x):
    return np.sum(np.i0(x))


def constant_fits(x):
    c = np.polyfit(np.arange(4.0), np.array([1.0, 2.0, 0.5, 3.0]), 2)
    return np.sum(c) * x ** 2 + np.sum(np.roots(np.array([1.0, -3.0, 2.0]))) * x


@pytest.mark.parametrize("f, name, x", [  # (np.polyfit is differentiated now: T43)
    (roots, "np.roots", np.array([1.0, -3.0, 2.5])),
    (tensorsolve, "np.linalg.tensorsolve", np.eye(4).ravel()),
    (bessel, "np.i0", np.array([0.3, 1.2]))])
def test_numpys_python_functions_behind_dispatch_are_read(f, name, x):
    """np.polyfit and others are NumPy functions written in Python behind its dispatcher: they
    were said to have 'no Python source' (T25). Their source is read as that of any library
    function; the refusal names what in it is not supported, at the user's line."""
    with pytest.raises(ADCompileError) as info:
        grad(f)(x)
    message = str(info.value)
    assert f"{name} has no derivative rule, so adcompile differentiates its Python source, " \
        "which fails at numpy/" in message or name == "np.i0" and \
        "no reverse-mode rule for np.i0" in message  # (NumPy 2.2: the rule's own object)
    assert "no Python source" not in message
    assert info.value.line == f.__code__.co_firstlineno + len(inspect.getsource(f).splitlines()) \
        - 1
    c = np.polyfit(np.arange(4.0), np.array([1.0, 2.0, 0.5, 3.0]), 2)  # no differentiated value:
    assert_close(grad(constant_fits)(0.7), 1.4 * np.sum(c) + 3.0)  # run as written


def test_a_helper_without_a_rule_is_named_alike_in_both_modes():
    # reverse over reverse named only the helper (T30); forward over reverse said why
    def f(x):
        return np.linalg.norm(x.reshape(2, 2)[0], ord=1) + np.sum(x ** 3)

    x = np.array([0.7, -0.4, 0.3, 0.9])
    for second in (ad.hessian(f), ad.jacrev(ad.grad(f))):
        with pytest.raises(ad.NoDerivativeError, match=r"rule for norm_grad, which the first "
                           r"derivative of this line calls: its second derivative is not "
                           r"supported \(docs/limits.md\)"):
            second(x)


def test_calling_a_library_object_made_inside_is_not_called_a_number():
    """p = np.polynomial.Polynomial([...]); p(x) was refused as "calling p, a number or array",
    then advised an object whose class defines __call__, which Polynomial's does (T36)."""
    def f(x):
        p = np.polynomial.Polynomial([1.0, -2.0, 0.5])
        return p(x)

    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(f)(0.7)
    message = str(info.value)
    assert "a number or array" not in message and "calling p, a value made at run time" in message
    assert info.value.line == f.__code__.co_firstlineno + 2
