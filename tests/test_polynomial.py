"""The polynomial normal form of the optimizer's `collect`: same value, fewer operations."""
import math

import numpy as np

from hypothesis import given, settings, strategies as st

from adcompile import polynomial
from adcompile import grad, vjp
from adcompile.ir import Const, Op, Var
from checks import numeric_grad

NAMES = ("a", "b", "g")


def expressions():
    leaves = st.one_of(st.sampled_from([Var(n) for n in NAMES]),
                       st.sampled_from([Const(1), Const(2), Const(0.5), Const(-3.0), Const(4.0)]),
                       st.just(Op("math.cos", (Var("a"),))))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.tuples(st.sampled_from(["add", "sub", "mul"]), inner, inner).map(
            lambda t: Op(t[0], (t[1], t[2]))),
        inner.map(lambda e: Op("neg", (e,)))), max_leaves=8)


def value(e, env):
    if type(e) is Var:
        return env[e.name]
    if type(e) is Const:
        return e.value
    if e.prim == "math.cos":
        return math.cos(value(e.args[0], env))
    args = [value(a, env) for a in e.args]
    return {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
            "neg": lambda x: -x, "pos": lambda x: x}[e.prim](*args)


@settings(max_examples=300, deadline=None)
@given(expressions(), st.tuples(*[st.floats(-2, 2) for _ in NAMES]))
def test_the_normal_form_has_the_same_value(e, point):
    p = polynomial.of(e)
    if p is None:  # too many terms
        return
    new = polynomial.expression(p)
    env = dict(zip(NAMES, point))
    want = value(e, env)
    got = 0 if new is None else value(new, env)
    assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9), (e, new)


def test_the_logistic_maps_step():
    x, g = Var("x"), Var("g")
    e = Op("sub", (Op("mul", (Op("mul", (g, Op("sub", (Const(1.0), x)))), Const(4.0))),
                   Op("mul", (g, Op("mul", (Const(4.0), x))))))
    new = polynomial.expression(polynomial.of(e))
    assert new == Op("mul", (g, Op("sub", (Const(4.0), Op("mul", (Const(8.0), x))))))
    assert polynomial.operations(new) == 3 < polynomial.operations(e) == 6


def test_a_factor_that_is_not_arithmetic_is_kept_whole():
    c = Op("math.cos", (Var("s0"),))
    e = Op("add", (Op("mul", (Var("a"), c)), Op("mul", (c, Var("b")))))
    new = polynomial.expression(polynomial.of(e))
    assert new == Op("mul", (c, Op("add", (Var("a"), Var("b"))))), new
    assert polynomial.names(polynomial.of(e)) == {"a", "b", "s0"}


# --- `u = u[1:] + u[1:]` in a loop: the backward loop's step `A + A` (A = getitem_grad(g, u,
# slice(1, None))) became A: two equal constants (slices, unhashable before Python 3.12) hashed
# apart, the polynomial kept A twice, and its normal form kept one (the numpy fuzzer, seed
# 1204003898: a gradient 8x too small) -----------------------------------------------------------
def test_equal_constants_hash_alike_and_equal_terms_add_up():
    a = Op("getitem_grad", (Var("g"), Var("u"), Const(slice(1, None, None))))
    b = Op("getitem_grad", (Var("g"), Var("u"), Const(slice(1, None, None))))
    assert a == b and hash(a) == hash(b)
    assert hash(Const(np.array([1.0, 2.0]))) == hash(Const(np.array([1.0, 2.0])))
    doubled = polynomial.expression(polynomial.of(Op("add", (a, b))))
    assert doubled == Op("mul", (a, Const(2))), doubled


def halved_twice(u, W):
    for _ in range(2):
        u = (u[1:] + u[1:]) @ W
    return np.sum(u)


def shortened_twice(u):
    for _ in range(2):
        u = u[1:] + u[1:]
    return np.sum(u * u)


def test_a_loop_adding_an_item_slice_to_itself():
    W = np.array([[0.62069, -1.673699, 1.123126], [-0.03709, 1.472277, -1.641843]])
    u = np.array([0.604371, -1.54624, -0.86085])
    for f, args in [(halved_twice, (u, W)), (shortened_twice, (u,))]:
        for i in range(len(args)):
            want = numeric_grad(f, args, i)
            assert np.allclose(grad(f, i)(*args), want, rtol=1e-6)
            assert np.allclose(vjp(f, *args)[1](1.0)[i], want, rtol=1e-6)
