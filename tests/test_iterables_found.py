"""Iterables and sequences found by tester T52 (§5, §7, §11, §13, §16): a method call as a
loop's or comprehension's iterable (`for v in x.ravel()`), sum/max/min of a namedtuple built
here, star unpacking with the star first or in the middle, a bare annotation, `match` on a
constant string, itertools.product/combinations/chain of sequences known here, a dict
comprehension over a constant range past the unroll limit. Each is checked by value_and_grad
and jvp against the function itself and central differences."""
import itertools
from collections import namedtuple

import numpy as np
import pytest

from adcompile import UnsupportedSyntaxError, grad, jvp, value_and_grad
from checks import assert_close, numeric_grad

X = np.array([[0.5, -1.0], [2.0, 0.25]])


def check(f, x):
    """f's value, gradient (value_and_grad) and tangent (jvp along ones) against f itself and
    central differences."""
    value, g = value_and_grad(f)(x)
    assert_close(value, f(x), what="value")
    expected = numeric_grad(f, (x,), 0)
    assert_close(g, expected, rtol=1e-6, atol=1e-6, what="grad")
    out, t = jvp(f, (x,), (np.ones_like(x),))
    assert_close(out, f(x), what="jvp value")
    assert_close(t, np.sum(expected), rtol=1e-6, atol=1e-6, what="jvp")


# --- §11: a method call as the iterable --------------------------------------------------------

def gen_ravel(x):
    return sum(v * v for v in x.ravel())


def list_flatten(x):
    return sum([v * v for v in x.flatten()])


def loop_ravel(x):
    s = 0.0
    for v in x.ravel():
        s = s + v * v
    return s


def loop_reshape(x):
    s = 0.0
    for v in x.reshape(-1):
        s = s + np.sin(v) * v
    return s


def rows_of_sum(x):
    return sum(np.sum(r * r) for r in x.sum(axis=0, keepdims=True))


def max_of_ravel(x):
    return max(v for v in x.ravel())


def loop_of_method_result(x):
    out = 0.0
    for r in (x * 2.0).T:
        out = out + np.prod(r)
    return out


@pytest.mark.parametrize("f", [gen_ravel, list_flatten, loop_ravel, loop_reshape, rows_of_sum,
                               max_of_ravel, loop_of_method_result])
def test_a_method_call_is_an_iterable(f):
    check(f, X)


# --- §5: sum/max/min of a namedtuple (or tuple) built here ---------------------------------------

Pt = namedtuple("Pt", "x y")


def sum_of_namedtuple(x):
    p = Pt(x, 2 * x)
    return sum(p)


def sum_of_namedtuple_with_start(x):
    p = Pt(np.sin(x), x * x)
    return sum(p, 1.5)


def max_of_namedtuple(x):
    p = Pt(x, 2 * x)
    return max(p) + len(p) * x


def min_of_namedtuple(x):
    p = Pt(np.cos(x), x * x)
    return min(p)


def sum_max_of_tuple(x):
    t = (x, np.sin(x), 3.0)
    return sum(t) * max(t)


@pytest.mark.parametrize("f", [sum_of_namedtuple, sum_of_namedtuple_with_start,
                               max_of_namedtuple, min_of_namedtuple, sum_max_of_tuple])
@pytest.mark.parametrize("x", [1.5, -0.7])
def test_sum_max_min_of_a_namedtuple_built_here(f, x):
    check(f, x)


# --- §13: star unpacking with the star first or in the middle; a bare annotation; match ---------

def star_first(x):
    *init, last = list(x)
    return last * sum(init)


def star_middle(x):
    first, *mid, last = list(x)
    return first * last + sum(v * v for v in mid)


def star_middle_two_after(x):
    a, *mid, b, c = list(x * 2.0)
    return a * b * c + len(mid) * sum(mid)


V = np.array([0.5, -1.2, 2.0, 0.7])


@pytest.mark.parametrize("f", [star_first, star_middle, star_middle_two_after])
@pytest.mark.parametrize("n", [3, 4])
def test_star_first_or_in_the_middle_of_a_run_time_list(f, n):
    check(f, V[:n])


def test_star_in_the_middle_of_a_list_too_short_raises_as_python():
    x = np.array([1.5])
    with pytest.raises(ValueError, match="not enough values to unpack"):
        star_middle(x)
    with pytest.raises(ValueError, match=r"not enough values to unpack \(expected at least 2, "
                       r"got 1\)"):
        grad(star_middle)(x)
    with pytest.raises(ValueError, match="not enough values to unpack"):
        jvp(star_middle, (x,), (x,))


def bare_annotation(x):
    z: np.ndarray  # noqa: F842 (a no-op in Python)
    y: float
    y = np.sum(x ** 2)
    return y


def test_a_bare_annotation_is_dropped():
    check(bare_annotation, V)


def test_a_bare_annotation_of_a_name_only_read_is_refused_at_its_line():
    def f(x):
        V: np.ndarray
        return np.sum(x * V)  # noqa: F821 (Python: UnboundLocalError)
    with pytest.raises(UnboundLocalError):
        f(V)
    with pytest.raises(UnsupportedSyntaxError, match=r"annotation without a value \(V: "
                       r"np.ndarray\) of a name the function reads but never assigns") as info:
        grad(f)(V)
    assert info.value.line == f.__code__.co_firstlineno + 1


def huber_or_l2(x, kind="huber"):
    match kind:
        case "l2":
            return np.sum(x ** 2)
        case "huber":
            return np.sum(np.where(np.abs(x) < 1, 0.5 * x ** 2, np.abs(x) - 0.5))
    return 0.0


def match_or_capture(x, kind="abs"):
    match kind.lower():  # a subject that is not a name: evaluated once
        case "sq" | "square":
            out = x * x
        case "abs" if x.ndim == 1:
            out = np.abs(x)
        case None:
            out = x
        case other:
            out = x * len(other)
    match kind:  # case _ the final else
        case "never":
            out = out * 0.0
        case _:
            out = out + np.sin(x)
    return np.sum(out)


@pytest.mark.parametrize("kind", ["l2", "huber", "other"])
def test_match_on_a_constant_string(kind):
    check(lambda x: huber_or_l2(x, kind), V)
    if kind == "huber":
        check(huber_or_l2, V)
    g = grad(huber_or_l2)(V, kind)  # the string as an argument
    assert_close(g, numeric_grad(huber_or_l2, (V, kind), 0), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", ["SQ", "square", "abs", "xyz"])
def test_match_with_or_guard_capture_and_wildcard(kind):
    check(lambda x: match_or_capture(x, kind), V)


def test_match_with_another_pattern_is_refused_at_its_line():
    def f(x, pair=(1, 2)):
        match pair:
            case (a, b):
                return x * a * b
        return x
    with pytest.raises(UnsupportedSyntaxError, match=r"a match statement with a sequence "
                       r"pattern \(case \[a, b\]\)") as info:
        grad(f)(1.5)
    assert info.value.line == f.__code__.co_firstlineno + 1


# --- §16: itertools over sequences known here (stand-ins, adcompile/standins.py) -----------------

def it_product(x):
    s = 0.0
    for a, b in itertools.product([x, 2 * x], [1.0, 2.0]):
        s = s + a * b
    return s


def it_product_repeat(x):
    return sum(a * b * c for a, b, c in itertools.product([x, 1.5], repeat=3))


def it_combinations(x):
    return sum(a * b for a, b in itertools.combinations([x, x * x, 3.0], 2))


def it_permutations(x):
    return sum(a - b * b for a, b in itertools.permutations([x, x * x, 3.0], 2))


def it_chain(x):
    return sum(v * v for v in itertools.chain([x], [2 * x], (np.sin(x),)))


def it_chain_from_iterable(x):
    return sum(itertools.chain.from_iterable([[x, 2.0], [x * x]]))


def it_islice(x):
    return sum(itertools.islice([x, x * x, np.sin(x), 4.0], 1, None, 2))


@pytest.mark.parametrize("f", [it_product, it_product_repeat, it_combinations, it_permutations,
                               it_chain, it_chain_from_iterable, it_islice])
def test_itertools_of_sequences_known_here(f):
    check(f, 1.3)


def it_of_arrays(x):
    s = 0.0
    for v in itertools.chain(x, [1.0]):
        s = s + v * v
    return s + sum(a * b for a, b in itertools.product(x, x)) + \
        sum(a * b for a, b in itertools.combinations(x, 2)) + sum(itertools.islice(list(x), 2))


def test_itertools_of_an_array_argument():
    check(it_of_arrays, V[:3])


def test_iter_next_stays_refused_at_its_line():
    def f(x):
        return next(iter([x, 2 * x]))
    with pytest.raises(UnsupportedSyntaxError, match=r"iter\(\.\.\.\), an iterator") as info:
        grad(f)(1.5)
    assert info.value.line == f.__code__.co_firstlineno + 1


# --- §7: a dict comprehension over a constant range past the list comprehension's unroll limit --

def dict_over_range_20(x):
    d = {f"k{i}": x * i for i in range(20)}
    return sum(d.values()) + d["k7"] * x


def set_over_range_30(x):
    s = {i % 7 for i in range(30)}
    return x * sum(s) + x * len(s)


def nested_dict_over_ranges(x):
    d = {f"{i},{j}": x ** 2 * (i - j) for i in range(18) for j in range(3)}
    return d["5,1"] + sum(d.values())


@pytest.mark.parametrize("f", [dict_over_range_20, set_over_range_30, nested_dict_over_ranges])
def test_a_dict_or_set_comprehension_over_a_constant_range_past_16(f):
    check(f, 1.3)


def test_a_dict_comprehension_past_the_limit_says_so():
    def f(x):
        return sum({i: x * i for i in range(1001)}.values())
    with pytest.raises(UnsupportedSyntaxError, match="a range of more than 1000 numbers"):
        grad(f)(1.5)
