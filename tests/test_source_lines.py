"""parse._def_lines finds a function's lines without inspect's tokenizer (build time, issue 11):
wherever it answers, it answers as inspect.getsourcelines does, and where its cut by indentation
would be wrong (a string, a bracket or a backslash reaching column 0) it leaves it to inspect."""
import importlib.util
import inspect
import textwrap

import pytest

from adcompile import grad
from adcompile.parse import _def_lines

SOURCE = textwrap.dedent('''\
    import math


    def long_signature(
        x,
        y=2.0,
    ) -> float:
        return x * y


    def one_line(x): return x * x
    def after_one_line(x):
        return math.sin(x)


    def comment_at_column_0(x):
        y = x * 3.0
    # a comment at column 0, inside the body
        return y * x
    # a comment after the body


    def string_at_column_0(x):
        s = """
    a line of a string at column 0"""
        return x * len(s)


    def bracket_at_column_0(x):
        y = (x *
    2.0)
        return y


    def backslash_at_column_0(x):
        y = x + \\
    x
        return y * x


    def decorated(g):
        return g


    @decorated
    @decorated
    def twice_decorated(x):
        return x ** 3


    class Model:
        def loss(self, w):
            return w * w

        def other(
            self, w
        ):
            return math.exp(w)
    ''')

EXPECTED = {"long_signature": 2.0, "one_line": 2 * 1.5, "after_one_line": None,
            "comment_at_column_0": 6 * 1.5, "string_at_column_0": 31.0,
            "bracket_at_column_0": 2.0, "backslash_at_column_0": 4 * 1.5,
            "twice_decorated": 3 * 1.5 ** 2}


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    path = tmp_path_factory.mktemp("source_lines") / "source_lines_module.py"
    path.write_text(SOURCE)
    spec = importlib.util.spec_from_file_location("source_lines_module", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def functions(mod):
    for name in EXPECTED:
        yield name, getattr(mod, name)
    yield "loss", mod.Model.loss
    yield "other", mod.Model.other


def test_lines_are_inspects_where_found(module):
    found = set()
    for name, f in functions(module):
        got = _def_lines(f.__code__, f.__globals__)
        if got is not None:
            found.add(name)
            assert (got[0], got[1]) == tuple(inspect.getsourcelines(f.__code__)), name
    # the cut by indentation holds for all but the three that reach column 0 inside
    assert found == {"long_signature", "one_line", "after_one_line", "comment_at_column_0",
                     "twice_decorated", "loss", "other"}


def test_gradients_of_every_layout(module):
    for name, want in EXPECTED.items():
        f = getattr(module, name)
        if want is None:
            want = module.math.cos(1.5)
        assert grad(f)(1.5) == pytest.approx(want), name
    m = module.Model()
    assert grad(module.Model.loss, argnums=1)(m, 0.5) == pytest.approx(1.0)
    assert grad(module.Model.other, argnums=1)(m, 0.5) == pytest.approx(module.math.exp(0.5))
