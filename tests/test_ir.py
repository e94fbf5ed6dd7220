"""The IR checker after every stage, over the whole corpus: every name is assigned before it is
read, and straight-line code assigns each name once."""
import pytest

from adcompile.api import build
from adcompile.ir import Assign, Const, Function, Op, Return, Var, verify
from corpus import CORPUS
from corpus_control import CONTROL


@pytest.mark.parametrize("f", [f for f, _ in CORPUS + CONTROL], ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["flat", "forward", "reverse", "vjp"])
@pytest.mark.parametrize("optimize", [False, True])
def test_every_stage_is_well_formed(f, mode, optimize):
    assert verify(build(f, mode, None, optimize))


def test_verify_catches_a_read_before_assignment_and_a_double_assignment():
    bad = Function("f", ["x"], [Assign("y", Op("mul", (Var("z"), Const(2.0)))),
                                Return([Var("y")], False)])
    with pytest.raises(AssertionError, match="before definition"):
        verify(bad)
    twice = Function("f", ["x"], [Assign("y", Var("x")), Assign("y", Var("x")),
                                  Return([Var("y")], False)])
    with pytest.raises(AssertionError, match="twice"):
        verify(twice)
