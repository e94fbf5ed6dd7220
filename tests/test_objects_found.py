"""Found by testers writing geometry and physics code with their own classes: an operator between
an argument and an object built in the function, zip over a list of records and an array, a seeded
Monte Carlo estimate, and a differentiated value turned into text. Each is checked against central
finite differences or the exact refusal."""
from collections import namedtuple

import numpy as np
import pytest

from adcompile import grad, jvp, value_and_grad, vjp
from adcompile.errors import ADCompileError
from checks import assert_close, numeric_grad


class Vec2:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __sub__(self, o):
        return Vec2(self.x - o.x, self.y - o.y)

    def __add__(self, o):
        return Vec2(self.x + o.x, self.y + o.y)


def offset_sub(p):
    d = p - Vec2(1.0, 2.0)
    return d.x * d.x + d.y + 0.0 * p.x


def offset_add(p):
    d = p + Vec2(1.0, 2.0)
    return d.x * d.y


def _fd_vec(f, p):
    """Central differences of f at the Vec2 p, field by field."""
    return [numeric_grad(lambda x: f(Vec2(x, p.y)), (p.x,), 0),
            numeric_grad(lambda y: f(Vec2(p.x, y)), (p.y,), 0)]


@pytest.mark.parametrize("f", [offset_sub, offset_add])
def test_an_argument_left_of_an_operator_with_an_object_built_here(f):
    """`p - Vec2(1.0, 2.0)`, p an argument: grad, value_and_grad and vjp (compiled first for
    plain arguments) refused it for want of Vec2.__rsub__; p is a Vec2 at the call, whose own
    __sub__ applies, as jvp found."""
    p = Vec2(0.5, 0.2)
    fd = _fd_vec(f, p)
    for g in (grad(f)(p), value_and_grad(f)(p)[1], vjp(f, p)[1](1.0)[0]):
        assert type(g) is Vec2
        assert_close([g.x, g.y], fd)
    assert_close(value_and_grad(f)(p)[0], f(p))
    assert_close(jvp(f, (p,), (Vec2(1.0, 0.0),))[1], fd[0])


def test_a_number_left_of_an_operator_the_object_lacks_is_still_refused():
    """The same function given a float: Vec2 has no __rsub__, refused at the call."""
    with pytest.raises(ADCompileError, match=r"without Vec2.__rsub__") as info:
        grad(offset_sub)(0.5)
    assert info.value.filename.endswith("test_objects_found.py")
