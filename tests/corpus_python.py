"""Functions for the tests of the Python around the model code (issue 9): comprehensions,
nested iteration helpers, print/assert/raise/isinstance, *args, **kwargs and keyword-only
parameters in helpers. They live apart from the tests because pytest rewrites the `assert`
statements of test modules, so their code would differ from their source text.
"""
import math

import numpy as np


# --- comprehensions ---------------------------------------------------------------------------

def power_series(x):
    return sum(x ** k / (k + 1) for k in range(4))


def long_range_sum(x):  # more numbers than UNROLL: a loop at run time
    return sum(x / (k + 1) for k in range(20))


def computed_range(x, n):
    return sum([x * k for k in range(n)])


def filtered_rows(x, xs):
    ys = [x * v for v in xs if v > 0]
    return sum(ys) + max(ys) - min(ys)


def known_filter(x, y):
    return sum(v * v for v in (x, y, x * y) if v is not y)


def constant_filter(x):
    return sum(x ** k for k in range(5) if k % 2 == 1)


def two_for_clauses(xs, ys):
    return sum(a * b for a in xs for b in ys if a > b)


def two_for_clauses_known(x, y):
    return sum(x ** i * y ** j for i in range(2) for j in range(3))


def inner_reads_outer(xs):
    return sum([a * b for a in xs for b in (a, 2 * a)])


def rows_of_matrix(m):
    return sum(v * v for row in m for v in row)


def stacked(x, w):
    h = np.stack([np.tanh(w * k) * x for k in range(3)])
    return np.sum(h)


def stacked_at_run_time(x, rows):
    return np.sum(np.stack([np.sin(r * x) for r in rows]))


def target_does_not_leak(x, xs):
    s = sum([x * 2.0 for x in xs])
    return s + x


def max_min_known(x, y):
    return max(v * v for v in (x, y, x + y)) + min([x, y])


def max_min_written_out(x, y):
    """max and min of three or more arguments: Python's max(a, b, c) is max([a, b, c])."""
    return max(x, 0.5, x * y) * min(y, 2.0 - x, x * x, 1.5) + max(x, y)


def attributes_by_name(x, y):
    """hasattr/getattr with the name written out (code that runs on several versions of a
    library), divmod."""
    total = np.cumsum if hasattr(np, "cumsum") else getattr(np, "no_such_function")  # noqa: B009
    sin = getattr(math, "sin")  # noqa: B009 (what the test is about)
    k = getattr(math, "tau", 6.0) if hasattr(math, "tau") else getattr(math, "no_such", 6.0)
    q, r = divmod(x * 3.0, y)
    return sin(x) * k + q * y + r * r + total(np.array([x, y]) * x)[1] + \
        getattr(np, "no_such_function", 2.0) * x


def attribute_named_by_a_variable(x):
    name = "sin"
    return getattr(math, name)(x)


def getattr_default_of_a_float(x):
    return getattr(x, "real", 1.0) * x


def walrus(x, y):
    """`:=` where it runs on every path: in a statement, a call, an if test inside a loop."""
    total = (s := x * y) + math.sin(s)
    for i in range(3):
        if (t := x * i - y) > 0.0:
            total = total + t * s
        else:
            total = total - t * t
    return total + t * math.exp(u := -x) + u


def walrus_in_a_branch_of_or(x):
    return (x > 1.0 or (y := x * 2.0) > 1.0) * x  # noqa: F841 (what the test is about)


def walrus_in_a_while_test(x):
    while (x := x * 0.5) > 0.1:
        pass
    return x


def walrus_in_a_nested_def(x):
    def half(v):
        return v if v > 0 else (w := v * 0.5) + w
    return half(x)


def in_a_loop(x, xs):
    t = x
    for i in range(3):
        t = t + sum([t * v for v in xs]) * 0.1
    return t


def in_a_branch(x, xs):
    if x > 0:
        s = sum(x * v for v in xs)
    else:
        s = sum([x - v for v in xs])
    return s


def set_of_constants(x):
    return sum(x * k for k in {k % 3 for k in range(7)})


def indexed_list(x, y):
    ys = [x * k + y for k in range(3)]
    return ys[0] * ys[2] + ys[-1]


# --- iteration helpers nested in one another --------------------------------------------------

def enumerate_zip(x, xs, ys):
    t = 0.0
    for i, (a, b) in enumerate(zip(xs, ys)):
        t = t + (i + 1) * a * b * x
    return t


def zip_enumerate(x, xs, ys):
    t = x
    for a, (i, b) in zip(xs, enumerate(ys, 1)):
        t = t * (1 + 0.1 * a * b) + i
    return t


def zip_range(x, xs):
    t = 0.0
    for k, v in zip(range(1, 4), xs):
        t = t + k * v * x
    return t


def enumerate_zip_known(x, y):
    t = 0.0
    for i, (a, b) in enumerate(zip((x, y), (y, x * x))):
        t = t + (i + 2) * a * b
    return t


def enumerate_zip_early_exit(x, xs, ys):
    t = x
    for i, (a, b) in enumerate(zip(xs, ys)):
        if t > 3.0:
            break
        t = t * (1.0 + a * b)
    return t


def comprehension_over_enumerate_zip(x, xs, ys):
    return sum(i * a * b * x for i, (a, b) in enumerate(zip(xs, ys)))


# --- print, assert, raise, isinstance ---------------------------------------------------------

class TooLarge(Exception):
    pass


def printed(x, y):
    z = x * y
    print("z =", z, f"x={x:.3f} y={y!r}", sep=" | ")
    return z * z


def asserted(x):
    assert x > 0, f"x must be positive, got {x}"
    assert isinstance(x, float)
    return math.log(x)


def raises_in_branch(x):
    if x > 10.0:
        raise ValueError(f"x too large: {x}")
    return x * x


def raises_in_else(x):
    if x > 0.0:
        y = x * 3.0
    else:
        raise TooLarge("not positive")
    return y * x


def returns_or_raises(x):
    if x > 0.0:
        return x * x
    else:
        raise ValueError("not positive")


def raises_after_returns(x):
    if x > 1.0:
        return x * 2.0
    elif x > 0.0:
        return x * x
    raise ValueError("negative")


def _first_or_self(v):
    if isinstance(v, (tuple, list)):
        return v[0] * v[1]
    return v


def isinstance_known(x, y):
    return _first_or_self((x, y)) + _first_or_self(3.0) * x


def isinstance_at_run_time(x):
    if isinstance(x, float):
        return x * x
    return np.sum(x * x)


def raise_in_loop(x, xs):
    t = x
    for v in xs:
        if v < -100.0:
            raise ValueError("too small")
        t = t * v
    return t


# --- *args, **kwargs, keyword-only parameters, defaults ---------------------------------------

def _total(*vs):
    return sum(vs)


def _scale(v, *, factor=2.0, shift=0.0):
    return v * factor + shift


def _affine(v, a, b=1.0, /):
    return a * v + b


def _forward_kwargs(v, **options):
    return _scale(v, **options)


CONFIG = {"factor": 3.0, "shift": 0.5}


def star_args(x, y):
    return _total(x, y, x * y) + _total()


def keyword_only(x, y):
    return _scale(x) + _scale(x, factor=y) + _scale(y, shift=x, factor=x)


def positional_only(x, y):
    return _affine(x, y) + _affine(x, y, x)


def spread_known(x, y):
    pair = (x, y)
    return _total(*pair, *[x, 2.0]) + np.maximum(*pair) + _affine(*pair)


def spread_global_mapping(x):
    return _scale(x, **CONFIG)


def nested_def_star_args(x, y):
    def g(a, *rest, k=2.0):
        return a * k + sum(rest)
    return g(x, y, y * y, k=x) + g(y)


def kwargs_forwarded(x, y):
    return _forward_kwargs(x, factor=y) + _forward_kwargs(y)


def kwargs_empty(x):
    def g(a, **unused):
        return a * a
    return g(x)


def _twice(items):
    return sum(items) + sum(items)


def generator_passed_on(x, xs):
    return _twice(x * v for v in xs)  # Python: the second sum sees an exhausted generator


def generator_kept(x, xs):
    g = (x * v for v in xs)
    return sum(g)


def generator_in_a_for_loop(x, xs):
    t = 0.0
    for w in (x * v for v in xs if v > 0):
        t = t + w * w
    return t


def isinstance_of_a_carried_tuple(x, y):
    t = (x, y)
    for i in range(3):
        t = (t[1], t[0] * 2.0)
    if isinstance(t, tuple):  # lowering carries t as a list through the loop
        return t[0] * t[1]
    return x


def set_of_equal_numbers(x):
    return sum(x * k for k in {v for v in (1, 1.0, True, 2)})


def inner_range_reads_outer_target(x):
    i = 2  # the comprehension's own i, not this one, bounds the inner range
    return sum(x ** j for i in range(4) for j in range(i)) + i


def _both(items):
    return [sum(items), sum(items)]  # Python: the second sum sees an exhausted generator


def generator_in_a_call_inside_sum(x, xs):
    return sum(_both(x * v for v in xs))
