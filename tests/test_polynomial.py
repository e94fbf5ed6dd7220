"""The polynomial normal form of the optimizer's `collect`: same value, fewer operations."""
import math

from hypothesis import given, settings, strategies as st

from adcompile import polynomial
from adcompile.ir import Const, Op, Var

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
