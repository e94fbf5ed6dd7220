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


def test_namer_gives_the_names_a_plain_search_gives():
    """Namer remembers the last version of each base (fresh() was a search from 0 every time:
    3000 versions of one name took a second); the names must be exactly those of that search."""
    import random

    from adcompile.ir import Namer

    class Plain:
        def __init__(self, reserved):
            self.reserved, self.assigned, self.counter = set(reserved), set(), 0

        def fresh(self, base):
            name, i = base, 0
            while name in self.assigned or (i and name in self.reserved):
                i += 1
                name = f"{base}_{i}"
            self.assigned.add(name)
            return name

        def temp(self):
            while f"s{self.counter}" in self.reserved | self.assigned:
                self.counter += 1
            self.assigned.add(f"s{self.counter}")
            return f"s{self.counter}"

    rng = random.Random(0)
    for _ in range(50):
        reserved = {rng.choice(["x", "x_2", "s1", "y_1", "grad_x", "x_1_1"]) for _ in range(3)}
        fast, plain = Namer(reserved), Plain(reserved)
        for _ in range(200):
            if rng.random() < 0.2:
                assert fast.temp() == plain.temp()
            else:
                base = rng.choice(["x", "y", "x_1", "grad_x", "s1"])
                assert fast.fresh(base) == plain.fresh(base)
            if rng.random() < 0.05:  # names taken from outside (lowering adds constants so)
                extra = rng.choice(["x_7", "y_3", "s9", "grad_x_2"])
                fast.assigned.add(extra)
                plain.assigned.add(extra)
            if rng.random() < 0.05:  # names an inlined helper writes
                extra = rng.choice(["x_9", "y_5", "s12"])
                fast.reserved.add(extra)
                plain.reserved.add(extra)
