"""Python's own semantics in numerical code (tester T52): a fractional power of a negative
float is a complex number in Python, and a real argument's gradient stays real through it."""
import statistics
import warnings

import numpy as np
import pytest

from adcompile import UnsupportedSyntaxError, grad, jvp, value_and_grad
from checks import assert_close, numeric_grad


def imaginary_root(x):
    return (x ** 0.5).imag


def size_of_root(x):
    return abs(x ** 0.5)


def size_of_power(x, y):
    return abs(x ** y) * y


@pytest.mark.parametrize("f, args", [(imaginary_root, (-2.0,)), (size_of_root, (-2.0,)),
                                     (size_of_root, (3.0,)), (size_of_power, (-2.0, 0.5)),
                                     (size_of_power, (-1.5, 1.25))])
def test_a_real_arguments_gradient_through_a_complex_power_is_a_real_float(f, args):
    """((x ** 0.5).imag at -2.0 came back complex, the float fast path returning the complex
    adjoint as it was; abs(x ** y) gave NaN: the power's rules left Python's complex numbers for
    NumPy's float64, where (-2.0) ** -0.5 is NaN.)"""
    nums = tuple(range(len(args)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no NaN from NumPy on the way)
        got = grad(f, argnums=nums)(*args)
        value, again = value_and_grad(f, argnums=nums)(*args)
    expected = [numeric_grad(f, args, i) for i in nums]
    assert all(type(g) is float for g in got), got
    assert_close(list(got), expected, rtol=1e-6)
    assert_close(list(again), expected, rtol=1e-6)
    assert value == f(*args)
    for i in nums:
        tangent = jvp(f, args, tuple(1.0 if j == i else 0.0 for j in nums))[1]
        assert_close(tangent, expected[i], rtol=1e-6)


def gated(x):
    return x * bool(x) + 2.0 * x * bool(x - 1.0)


def test_bool_of_a_differentiated_value_is_a_zero_derivative_conversion_as_int_is():
    """(It was refused: "no derivative rule for bool ... register its derivative".)"""
    for x in (1.5, 0.5, -2.0):
        assert_close(grad(gated)(x), numeric_grad(gated, (x,), 0))
        assert_close(jvp(gated, (x,), (1.0,))[1], numeric_grad(gated, (x,), 0))
    assert type(grad(gated)(1.5)) is float


class Leaf:
    def ev(self, x):
        return x


class Sine:
    def __init__(self, inner):
        self.inner = inner

    def ev(self, x):
        return np.sin(self.inner.ev(x))


def nested(n):
    t = Leaf()
    for _ in range(n):
        t = Sine(t)
    return t


NESTED_32, NESTED_33 = nested(32), nested(33)


def test_objects_nested_past_the_inlining_depth_are_refused_naming_the_depth():
    """(At 33 objects the message said only "recursion (ev calls itself)", which 32 were not;
    a method calling itself for its own object, whose fields changed, is told apart no better.)"""
    def f32(x, t=NESTED_32):
        return t.ev(x)

    def f33(x, t=NESTED_33):
        return t.ev(x)
    assert_close(grad(f32)(0.5), numeric_grad(f32, (0.5,), 0))
    with pytest.raises(UnsupportedSyntaxError, match="or for 33 objects nested"):
        grad(f33)(0.5)


def counted(x):
    d = dict.fromkeys(["a", "b"], 0.0)
    d["a"] = d["a"] + x
    return d["a"] * 2.0 + d["b"]


def shared_value(x):
    d = dict.fromkeys(range(3), x * x)
    return d[0] * d[2] + sum(d.values())


def named_later(x):
    d = dict.fromkeys("ab")
    d["a"], d["b"] = x, 2.0 * x
    return d["a"] * d["b"]


@pytest.mark.parametrize("f", [counted, shared_value, named_later])
def test_dict_fromkeys_is_a_dict_known_here(f):
    """(dict.fromkeys(keys, 0.0) crashed in getitem_grad, an opaque call's dict taken for an
    array; with a differentiated value it was refused as a function without a rule.)"""
    for x in (1.5, -0.5):
        assert_close(grad(f)(x), numeric_grad(f, (x,), 0))
        assert_close(jvp(f, (x,), (1.0,))[1], numeric_grad(f, (x,), 0))


def one_list_under_every_key(x):
    d = dict.fromkeys(["a", "b"], [])
    d["a"].append(x)
    return d["b"][0] * 2.0


def test_dict_fromkeys_of_a_list_is_refused_python_shares_it():
    assert one_list_under_every_key(1.0) == 2.0  # (Python: d["b"] is d["a"])
    with pytest.raises(UnsupportedSyntaxError, match="same one under every key"):
        grad(one_list_under_every_key)(1.0)


def first_of_list_sorted_down(x):
    return sorted([x, 4.0 - x], reverse=True)[0]


def first_of_array_sorted_down(x):
    return sorted(np.array([x, 4.0 - x]), reverse=True)[0]


def test_sorted_in_reverse_keeps_ties_in_their_order_for_an_array_as_for_a_list():
    """(At the tie x = 2, sorted(array, reverse=True) was np.sort(a)[::-1], whose tie comes out
    the other way round than Python's stable sort puts it: derivative -1 where the list's is 1.)"""
    assert grad(first_of_list_sorted_down)(2.0) == 1.0
    assert grad(first_of_array_sorted_down)(2.0) == 1.0
    for x in (1.0, 3.0):
        assert_close(grad(first_of_array_sorted_down)(x),
                     numeric_grad(first_of_array_sorted_down, (x,), 0))


def mean_of_two(x):
    return statistics.mean([x, 2.0 * x])


def test_a_stand_in_that_numba_cannot_compile_is_named_at_the_users_line():
    """(jit named adcompile's standins.py:19, the stand-in's own line, not the user's.)"""
    pytest.importorskip("numba")
    from adcompile import jit
    from adcompile.jit import JitError
    assert_close(grad(mean_of_two)(1.5), 1.5)
    with pytest.raises(JitError) as e:
        jit(grad(mean_of_two))(1.5)
    assert e.value.filename == __file__ and e.value.line == mean_of_two.__code__.co_firstlineno + 1
    assert "standins" not in str(e.value)


def squared_in_place(x):
    u = x.copy()
    u[...] = u * u
    return np.sum(u)


def rows_by_ellipsis(x):
    u = np.zeros((2, 3))
    u[0, ...] = x * 2.0
    u[..., 1] = u[..., 1] * x[1]
    return np.sum(u * u)


@pytest.mark.parametrize("f, x", [(squared_in_place, np.array([0.5, -1.2])),
                                  (rows_by_ellipsis, np.array([0.5, -1.2, 2.0]))])
def test_an_ellipsis_index_compiles_under_jit(f, x):
    """(jit refused `u[...] = u * u`: last_written had no Numba version for an index `...`, and
    Numba has no a[...] getitem; `u[:]` compiled.)"""
    pytest.importorskip("numba")
    from adcompile import jit
    expected = numeric_grad(f, (x,), 0)
    assert_close(grad(f)(x), expected)
    assert_close(jit(grad(f))(x), grad(f)(x), rtol=1e-14)


def sum_times_negative_part(W):
    return np.sum(W) * np.sum(W - abs(W))


def test_reverse_over_reverse_through_abs_of_an_array_with_a_scalar_adjoint():
    """(fuzz, numpy seed 3907011848: abs_vjp's rule in its adjoint argument did not sum over
    the broadcast, which a scalar adjoint (of np.sum) is: jacrev(grad(f)) off by 5 in places,
    jacfwd(grad(f)) right.)"""
    from adcompile import jacfwd, jacrev
    W = np.array([[1.077472, -0.747327, 1.035267], [1.6362, 0.372232, 0.099124]])
    neg = (W.ravel() < 0) * 2.0
    H = np.outer(np.ones(6), neg) + np.outer(neg, np.ones(6))
    assert_close(jacfwd(grad(sum_times_negative_part))(W).reshape(6, 6), H)
    assert_close(jacrev(grad(sum_times_negative_part))(W).reshape(6, 6), H)
