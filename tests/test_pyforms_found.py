"""Ordinary Python that testers found refused or oddly worded: a dict read by a key chosen at run
time, list and dict methods that remove (pop, remove, del, index), lists of dicts built in a
loop, min/max of a dict by its values, statistics, itertools.accumulate/pairwise,
functools.partial, type tests of tuples and functools caches given to grad. Each case is checked
with grad, jvp and vjp against central differences; each failed before its fix."""
import dataclasses
import functools
import itertools
import math
import operator
import statistics
import sys

import numpy as np
import pytest

import adcompile as ad
from adcompile import UnsupportedSyntaxError, grad, jvp, value_and_grad, vjp

from checks import assert_close, numeric_grad


def check(f, *points):
    """value_and_grad, jvp and vjp of the scalar f at each point against f and differences."""
    for x in points:
        want = numeric_grad(f, (x,), 0)
        value, g = value_and_grad(f)(x)
        assert_close(value, f(x), what=f"value at {x}")
        assert_close(g, want, what=f"grad at {x}")
        value, t = jvp(f, (x,), (1.0,))
        assert_close(t, want, what=f"jvp at {x}")
        value, pullback = vjp(f, x)
        assert_close(pullback(1.0)[0], want, what=f"vjp at {x}")


def refused(f, x, words):
    """grad of f at x refused at f's own file, naming `words`."""
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(f)(x)
    assert info.value.filename == f.__code__.co_filename
    assert words in str(info.value), str(info.value)
    return info.value


# --- 2. a dict read by a key chosen at run time among keys known here -------------------------

def fee_of_tier(x):
    fees = {"gold": 0.5 * x, "basic": 2.0}
    tier = "gold" if x > 1 else "basic"
    fee = fees[tier]
    return x * fee


def fee_in_branches(x):
    fees = {"gold": 0.5 * x, "basic": 2.0 * x, "none": 0.0}
    if x > 1:
        tier = "gold"
    else:
        tier = "basic"
    return x * fees[tier] + fees.get(tier, 1.0)


def fee_missing_key(x):
    fees = {"gold": 0.5 * x, "basic": 2.0}
    tier = "gold" if x > 1 else "silver"
    return x * fees.get(tier, x * x)


def fee_by_int_key(x):
    d = {0: x, 1: x * x, 2: 3.0}
    return d[int(x * 2) % 3] * x


def test_dict_read_by_a_key_chosen_at_run_time():
    check(fee_of_tier, 1.3, 0.7)
    check(fee_in_branches, 1.3, 0.7)
    check(fee_missing_key, 1.3, 0.7)
    check(fee_by_int_key, 0.3, 0.7, 1.2)


def test_dict_read_by_a_missing_key_raises_key_error():
    def missing(x):
        fees = {"gold": 0.5 * x}
        tier = "gold" if x > 1 else "silver"
        return x * fees[tier]
    assert grad(missing)(1.5) == pytest.approx(1.5)
    with pytest.raises(KeyError):
        grad(missing)(0.5)


def test_dict_read_by_a_run_time_key_plain_code():
    text = ad.source(grad(fee_of_tier))
    assert "{'gold': 0, 'basic': 1}[tier]" in text, text


# --- 4. list.index, list.remove, list.pop(k), del xs[k], dict.pop ----------------------------

def index_at_run_time(x):
    xs = [x, 2 * x, x * x]
    i = xs.index(2 * x)
    return xs[i] * i + xs.count(x * x)


def dict_pop(x):
    d = {"a": x, "b": x * x}
    v = d.pop("a")
    return v * d["b"] + d.pop("z", 1.0) + len(d)


def remove_value(x):
    xs = [x, 2.0, x * x]
    xs.remove(2.0)
    return xs[0] * xs[1] + len(xs)


def remove_computed(x):
    xs = [x, 2 * x, x * x]
    xs.remove(x * x)
    return xs[0] * xs[-1]


def pop_at_run_time(x):
    xs = [x, 2 * x, x * x, 3.0]
    v = xs.pop(int(x * 2) % 4)
    return v * xs[0] + xs[1] * xs[2] + len(xs)


def del_item(x):
    xs = [x, 2 * x, x * x]
    del xs[1]
    d = {"a": x, "b": x * x, "c": 2.0}
    del d["a"], xs[0]
    return xs[0] * sum(d.values()) + len(xs) + len(d)


def del_at_run_time(x):
    xs = [x, 2 * x, x * x, 1.0]
    del xs[int(x * 3) % 4]
    return sum(xs) * xs[0]


def known_values(x):
    xs = [1.0, 2.0, 3.0]
    xs.remove(2.0)
    return xs[1] * x + xs.index(3.0)


def test_list_and_dict_methods_that_remove():
    check(index_at_run_time, 0.3, 1.3)
    check(dict_pop, 0.3, 1.3)
    check(remove_value, 0.3, 1.3)
    check(remove_computed, 0.3, 1.3)
    check(pop_at_run_time, 0.3, 0.7, 1.3, 1.7)
    check(del_item, 0.3, 1.3)
    check(del_at_run_time, 0.2, 0.5, 0.8, 1.1)
    check(known_values, 0.3)
    text = ad.source(grad(known_values))
    assert "index" not in text and "remove" not in text, text  # (folded where values are known)


def test_removal_errors_as_python_raises_them():
    def pop_out_of_range(x):
        xs = [x, 2 * x]
        xs.pop(int(x) + 5)
        return xs[0]

    def remove_absent(x):
        xs = [x, 2 * x]
        xs.remove(x + 10.0)
        return xs[0]
    with pytest.raises(IndexError):
        grad(pop_out_of_range)(1.0)
    with pytest.raises(ValueError):
        grad(remove_absent)(1.0)


def test_del_of_a_name_or_slice_refused_with_what_to_write():
    def del_name(x):
        y = x * 2
        del y
        return x

    def del_slice(x):
        xs = [x, x]
        del xs[0:1]
        return xs[0]

    def dict_pop_absent(x):
        d = {"a": x}
        return d.pop("b")
    refused(del_name, 1.0, "a name no longer read needs no del")
    refused(del_slice, 1.0, "xs = xs[:i] + xs[j:]")
    refused(dict_pop_absent, 1.0, "pass a default")


# --- 1. a dict (or dataclass) appended to a list in a loop ------------------------------------

@dataclasses.dataclass
class Row:
    a: float
    b: float


def rows_of_dicts(x):
    rows = []
    for i in range(3):
        rows.append({"a": x * i, "b": x + i})
    s = 0.0
    for r in rows:
        s = s + r["a"] * r["b"]
    return s + sum(r["a"] for r in rows)


def rows_named(x):
    rows = []
    for i in range(3):
        row = {"a": x * i}
        row["b"] = x + i
        rows.append(row)
    best = max(rows, key=lambda r: r["a"])
    return best["b"] * x


def rows_of_dataclasses(x):
    rows = []
    for i in range(3):
        rows.append(Row(x * i, x + i))
    return sum(r.a * r.b for r in rows)


def rows_run_time_count(x, n):
    rows = []
    for i in range(n):
        rows.append({"a": x * i})
    return sum(r["a"] for r in rows)


def test_dicts_appended_to_a_list_in_a_loop():
    check(rows_of_dicts, 0.4, 1.3)
    check(rows_named, 0.4, 1.3)
    check(rows_of_dataclasses, 0.4, 1.3)


def test_dicts_appended_in_a_loop_run_at_run_time_refused_with_what_to_write():
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(rows_run_time_count)(1.0, 3)
    assert info.value.line == rows_run_time_count.__code__.co_firstlineno + 3
    assert "keep one list per field" in str(info.value)


# --- 3. min/max of a dict by its values --------------------------------------------------------

def cheapest(x):
    d = {"a": x * x, "b": 2.0 * x, "c": 3.0}
    k = min(d, key=d.get)
    return d[k] * x


def dearest(x):
    d = {"a": x * x, "b": 2.0 * x, "c": 3.0}
    k = max(d, key=lambda q: d[q])
    return d[k] * x + d.get(k, 0.0)


def test_min_max_of_a_dict_by_its_values():
    check(cheapest, 0.5, 1.3, 2.5)
    check(dearest, 0.5, 1.3, 2.5)


# --- 7, 5. statistics and itertools, differentiated as the loops they compute (standins.py) --

def spread(x):
    xs = [x, 2 * x, x * x, 1.5]
    return statistics.mean(xs) + statistics.fmean(xs) * statistics.pstdev(xs) + \
        statistics.stdev(xs) + statistics.variance(xs) + statistics.pvariance(xs, mu=1.0)


def spread_weighted(x):
    return statistics.fmean([x, 1.0, x * x], [x, 2.0, 0.5])


def spread_of_a_run_time_list(x, n=4):
    xs = []
    for i in range(n):
        xs.append(x * i + 1.0)
    return statistics.pstdev(xs) + statistics.mean(xs)


def running(x):
    xs = [x, 2 * x, x * x]
    total = sum(itertools.accumulate(xs)) + list(itertools.accumulate(xs, operator.mul))[-1]
    total += max(itertools.accumulate(xs, lambda a, b: a * 0.5 + b, initial=1.0))
    return total + sum((b - a) ** 2 for a, b in itertools.pairwise(xs))


def test_statistics_values_and_derivatives():
    check(spread, 0.4, 1.7)
    if sys.version_info >= (3, 11):  # (fmean's weights are Python 3.11's)
        check(spread_weighted, 0.4, 1.7)
    check(spread_of_a_run_time_list, 0.4, 1.7)
    from adcompile.standins import STAND_INS
    for f in (statistics.mean, statistics.fmean, statistics.pstdev, statistics.stdev,
              statistics.variance, statistics.pvariance):
        stand_in = STAND_INS[f]
        data = [0.1, 2.5, -1.25, 3.0]
        assert stand_in(data) == pytest.approx(f(data), rel=1e-14)


def fmean_of_array(x):
    return statistics.fmean(np.array([x, 2.0]))


def pvariance_of_array(x):
    return statistics.pvariance(np.array([x, 2.0 * x, 1.0]))


def test_statistics_of_an_array():
    """Refused while list() of an array was (it reads the array's rows: fixidioms)."""
    check(fmean_of_array, 1.0)
    check(pvariance_of_array, 1.0)


def running_of_a_run_time_list(x, n=4):
    xs = []
    for i in range(n):
        xs.append(x * i + 1.0)
    return sum(itertools.accumulate(xs)) + sum(b * a for a, b in itertools.pairwise(xs))


def test_itertools_accumulate_and_pairwise():
    check(running, 0.4, 1.3)
    check(running_of_a_run_time_list, 0.4, 1.3)
    from adcompile.standins import STAND_INS
    for f in (itertools.accumulate, itertools.pairwise):
        assert STAND_INS[f]([1.0, 2.0, 4.0]) == list(f([1.0, 2.0, 4.0]))
    assert STAND_INS[itertools.accumulate]([], initial=2.0) == [2.0]


# --- 6. functools.partial made in the differentiated function ---------------------------------

def weighted(u, v, a=1.0, b=2.0):
    return u * a + v * b


def partial_keywords(x):
    h = functools.partial(weighted, a=x)
    return h(x, 1.0) * h(2.0, x, b=x)  # (a keyword of the call replaces the bound one)


def partial_positional(x):
    h = functools.partial(weighted, x, b=3.0)
    return h(2.0) + sum(map(h, [x, 2.0]))


def partial_of_a_lambda(x):
    scale = lambda t, k: t * k  # noqa: E731
    h = functools.partial(scale, k=x)
    x = x * 2  # (h keeps the x bound when it was made)
    return h(x) + h(t=1.0) + functools.partial(math.pow, x)(3.0)


def test_functools_partial():
    check(partial_keywords, 0.7, 1.3)
    check(partial_positional, 0.7, 1.3)
    check(partial_of_a_lambda, 0.7, 1.3)


# --- 8. type(x) is tuple / isinstance(x, tuple): known here where x's kind is -----------------

def kind_of_a_tuple(x):
    y = (x, 2 * x)
    if isinstance(y, tuple) and type(y) is tuple and type(y) is not list:
        return y[0] * y[1]
    return x


def kind_of_a_list(x):
    ys = [x]
    ys.append(2 * x)  # (still a list, noted as one)
    ys.insert(0, 1.0)
    if isinstance(ys, list) and type(ys) is list and not isinstance(ys, tuple):
        return ys[1] * ys[2]
    return x


def kind_of_a_number(x):
    y = x * 2
    if type(y) is tuple or isinstance(y, (list, tuple)) or type(y) == dict:  # noqa: E721
        return y[0]
    return y * x if type(y) is not np.ndarray else np.sum(y)


def kind_of_a_run_time_list(x):
    ys = []
    for i in range(int(x) + 2):
        ys.append(x * i)
    return ys[-1] if type(ys) is tuple else x


def test_type_tests_of_tuples_folded_where_the_kind_is_known():
    check(kind_of_a_tuple, 0.7, 1.3)
    check(kind_of_a_list, 0.7, 1.3)
    check(kind_of_a_number, 0.7, 1.3)
    assert "isinstance" not in ad.source(grad(kind_of_a_tuple))
    error = refused(kind_of_a_run_time_list, 1.3, "type(x) is tuple of a value whose kind")
    assert "isinstance(x, (list, tuple))" in str(error)
    assert "the class tuple is used as a value" not in str(error)


# --- 9. grad of a function decorated with functools.cache / lru_cache ---------------------------

@functools.lru_cache(maxsize=None)
def cached_top(x):
    return math.sin(x) * x


@functools.cache
def cached_square(x):
    return x * x * 3.0


def test_grad_of_a_functools_cache_differentiates_what_it_wraps():
    check(cached_top, 0.7, 1.3)
    check(cached_square, 0.7, 1.3)
    before = cached_top.cache_info()
    for x in (0.7, 1.3, 0.7):  # (no value of the cache reaches a derivative)
        assert value_and_grad(cached_top)(x)[1] == pytest.approx(math.sin(x) + x * math.cos(x))
    assert cached_top.cache_info().hits == before.hits
    assert "def grad_cached_top(x):" in ad.source(cached_top)
