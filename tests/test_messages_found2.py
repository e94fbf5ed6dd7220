"""Refusals that described the wrong thing, or refused what is cheap to support (tester T37): a
functools cache called "no Python source", a rule template whose `t` was the parameter's, a
generator summed under jit blamed on a list `items` the user never wrote, a helper of the
derivative left unnamed, and list(zip(names, w)) of an array said to be supported."""
import functools
import math
import re

import numpy as np
import pytest

import adcompile as ad
from adcompile import ADCompileError, UnsupportedSyntaxError, grad, jacfwd
from adcompile.custom import how_to_register

from checks import assert_close, numeric_grad


@functools.lru_cache(maxsize=None)
def discount_factor(t):
    return math.exp(-0.03 * t)


@functools.cache
def squared(x):
    return x * x


def cached_calls(r):
    return discount_factor(r) * 100.0 + squared(r)


def test_a_functools_cache_helper_is_differentiated_through_the_function_it_wraps():
    """(It was refused: "no derivative rule ... and no Python source".) The cache only saves
    time; the derivative calls the function as written."""
    for f in (grad(cached_calls), jacfwd(cached_calls)):
        assert_close(f(2.0), numeric_grad(cached_calls, (2.0,), 0))
    assert "discount_factor(" not in ad.source(grad(cached_calls))


def rate_curve(t):
    return math.exp(-0.03 * t)


def square_of(t):
    return t * t


def test_defpartials_takes_a_parameter_named_t():
    """(It was refused: `t` is the tangent's name in defjvp's templates, but a partial is not
    multiplied by the tangent in the template: defpartials names only the parameters and ans.)"""
    ad.defpartials(rate_curve, "-0.03 * ans")
    ad.defpartials(square_of, "2 * t")

    def f(r):
        return rate_curve(r) * 100.0 + square_of(r) * r
    assert "rate_curve(" in ad.source(grad(f))
    for d in (grad(f), jacfwd(f)):
        assert_close(d(2.0), numeric_grad(f, (2.0,), 0))


def test_the_rule_suggested_for_a_function_without_source_is_valid_for_its_parameters():
    message = how_to_register(rate_curve_2, "rate_curve_2")  # (as for one without source)
    assert 'defpartials(rate_curve_2, "<d ans / d t>")' in message
    assert "defjvp(rate_curve_2, \"t *" not in message  # (its t would be the parameter)
    with pytest.raises(ADCompileError, match=r"defjvp's templates name the tangent `t`.*"
                       r"defpartials"):
        ad.defjvp(rate_curve_2, "t * -0.03 * ans")


def rate_curve_2(t):
    return math.exp(-0.03 * t)


def top_weight(w):
    pairs = list(zip(["a", "b", "c"], w))
    return pairs[0][1] * 3 + pairs[2][1]


def weights_by_name(w):
    d = dict(zip(["a", "b"], w))
    return d["a"] * d["b"]


def test_zip_of_known_names_and_an_array_read_at_once_reads_the_array_at_each_index():
    """(It was refused with a message that listed `zip(...) read by list` as supported.)"""
    w = np.array([0.2, 0.5, 0.3])
    for f in (top_weight, weights_by_name):
        assert_close(grad(f)(w), numeric_grad(f, (w,), 0))


def zip_of_arrays(a, b):
    pairs = list(zip(a, b))
    return pairs[0][0] * pairs[0][1]


def test_zip_of_run_time_sequences_read_at_once_names_them():
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(zip_of_arrays)(np.ones(2), np.ones(2))
    message = str(info.value)
    assert "zip(a, b)" in message and "known only at run time" in message
    assert "for x, y in zip(a, b)" in message and "read by list" not in message


# --- jit ------------------------------------------------------------------------------------

def npv(rate):
    flows = [-100.0, 30.0, 40.0, 50.0]
    return sum(cf / (1 + rate) ** t for t, cf in enumerate(flows))


def npv_filtered(rate, xs):
    return sum((x * rate for x in xs if x > 0), 1.5)


def test_a_generator_summed_is_a_loop_that_adds():
    """sum(f(x) for x in xs) adds as it goes (no list built and summed): the same numbers in
    the same order as Python's sum."""
    src = ad.source(npv, mode="flat")
    assert "items" not in src and re.search(r"(\w+) = \1 \+ ", src), src
    assert_close(grad(npv)(0.05), numeric_grad(npv, (0.05,), 0))
    xs = [1.0, -2.0, 3.0]
    assert_close(grad(npv_filtered)(0.5, xs), numeric_grad(npv_filtered, (0.5, xs), 0))
    assert_close(jacfwd(npv_filtered)(0.5, xs), numeric_grad(npv_filtered, (0.5, xs), 0))
    assert grad(npv_filtered, has_aux=False)(0.5, xs) == 4.0


def test_jit_of_a_generator_summed_over_enumerate():
    pytest.importorskip("numba")
    assert_close(ad.jit(npv)(0.05), npv(0.05), rtol=1e-12)
    assert_close(ad.jit(grad(npv))(0.05), grad(npv)(0.05), rtol=1e-12)


def search(x):
    vals = [x, 2 * x, 3 * x]
    for v in vals:
        if v > 5.0:
            found = v
            break
    else:
        found = -1.0
    return found * x


def test_jit_names_the_helper_of_the_derivative_it_cannot_compile():
    pytest.importorskip("numba")
    from adcompile.jit import JitError
    try:
        value = ad.jit(grad(search))(2.1)
    except JitError as e:
        message = str(e)
        assert "test_messages_found2.py" in message
        assert re.search(r"adcompile's helper `\w+`", message), message
        assert "a helper of adcompile's that it calls" not in message
    else:
        assert_close(value, numeric_grad(search, (2.1,), 0))


def test_zip_beside_a_known_list_refuses_a_shorter_array_where_it_runs():
    """Python's zip would stop at the array's end and make fewer pairs: not read as more."""
    with pytest.raises(AssertionError, match=r"test_messages_found2.py:\d+: zip\(\.\.\.\) reads "
                       r"w at each of the 2 indices"):
        grad(weights_by_name)(np.ones(1))


def asserts(x):
    assert x > 0, "x must be positive"
    assert x < 10
    return x * x


def test_jit_runs_the_users_assert_and_zips_check():
    """(assert_ had no Numba version: jit refused every function with an assert.)"""
    pytest.importorskip("numba")
    assert ad.jit(grad(asserts))(2.0) == 4.0 and ad.jit(asserts)(2.0) == 4.0
    with pytest.raises(AssertionError, match="x must be positive"):
        ad.jit(grad(asserts))(-2.0)
    with pytest.raises(AssertionError):
        ad.jit(asserts)(20.0)
    w = np.array([0.2, 0.5, 0.3])
    assert_close(ad.jit(grad(top_weight))(w), grad(top_weight)(w))
    with pytest.raises(AssertionError, match="zip"):
        ad.jit(grad(top_weight))(w[:2])


def reshaped_in_place(x):
    y = x * 2.0
    y.shape = (2, 2)
    return np.sum(y[0] * y[1])


def shuffled_by_generator(x):
    rng = np.random.default_rng(0)
    y = x * 2.0
    rng.shuffle(y)
    return np.sum(y * np.arange(4.0))


def test_assigning_an_arrays_shape_says_to_reshape():
    """(It said "arrays have no attributes to assign": .shape is one, and the way to write it
    without changing the array in place is a reshape.)"""
    with pytest.raises(UnsupportedSyntaxError, match=r"\.shape.*y = y\.reshape\(\.\.\.\)") as e:
        grad(reshaped_in_place)(np.arange(4.0))
    assert "arrays have no attributes" not in str(e.value)


def test_a_generators_shuffle_is_named_as_a_generators_method():
    """(It said "the attribute .shuffle of rng, a number or array": rng is a random Generator.)"""
    with pytest.raises(UnsupportedSyntaxError, match=r"\.shuffle\(\) of a random Generator.*"
                       r"permutation") as e:
        grad(shuffled_by_generator)(np.arange(4.0))
    assert "a number or array" not in str(e.value)


def bump_both(a, b):
    k = 0
    while k < 2:
        k += 1
        a += 0.5 * abs(a) + 0.3
    b += a
    return b * 2.0


def bumped_twice(x):
    t = bump_both(x, x)
    return t * x


def bumped_twice_arrays(x):
    t = bump_both(x, x)
    return np.sum(t * x)


def fill_both(a, b):
    a.append(1.0)
    b.append(2.0)
    return a[-1] * b[0]


def filled_twice(x):
    xs = [x]
    t = fill_both(xs, xs)
    return t * xs[0]


def test_one_name_passed_for_two_parameters_changed_in_place():
    """(Found by the fuzzer: `h(x, x)` was refused as "b ... which is not a name here". Numbers
    are rebound in the helper only, as in Python; one array for both is refused where it runs;
    a list changed through both is refused inside the helper, naming both.)"""
    assert_close(grad(bumped_twice)(0.3), numeric_grad(bumped_twice, (0.3,), 0))
    with pytest.raises(UnsupportedSyntaxError, match="b holds the same array"):
        grad(bumped_twice_arrays)(np.array([0.3, 0.2]))
    with pytest.raises(UnsupportedSyntaxError, match=r"while b holds the same value") as e:
        grad(filled_twice)(0.3)
    assert "not a name here" not in str(e.value)
