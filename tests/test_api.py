"""The public API: decorator forms, argnums, caching, linecache, and every error it raises."""
import inspect
import math
import re
import traceback

import numpy as np
import pytest

import adcompile
from adcompile import (ADCompileError, ArgumentError, NoDerivativeError, SourceUnavailableError,
                       UnsupportedSyntaxError, grad, jvp, source, value_and_grad, vjp)
from corpus import neuron

HERE = __file__.rsplit("/", 1)[-1]


def line_of(f, text):
    src, first = inspect.getsourcelines(f)
    return first + next(i for i, line in enumerate(src) if text in line)


def cube(x, y):
    return x * x * x + 2.0 * y


def test_decorator_forms():
    @grad
    def d1(x):
        return x * x

    @grad(argnums=(0, 1))
    def d2(x, y):
        return x * y

    assert d1(3.0) == 6.0
    assert d2(3.0, 4.0) == (4.0, 3.0)
    assert grad(cube, argnums=1)(1.0, 1.0) == 2.0
    assert grad(cube)(2.0, 0.0) == 12.0


def test_int_argnums_returns_one_gradient_tuple_returns_a_tuple():
    assert isinstance(grad(cube, argnums=0)(1.0, 2.0), float)
    assert grad(cube, argnums=(0,))(1.0, 2.0) == (3.0,)
    assert grad(cube, argnums=(1, 0))(1.0, 2.0) == (2.0, 3.0)
    assert grad(cube, argnums=-1)(1.0, 2.0) == 2.0


def test_value_and_grad():
    value, g = value_and_grad(cube, argnums=(0, 1))(2.0, 1.0)
    assert value == 10.0 and g == (12.0, 2.0)


def test_argnums_positional_as_in_jax():
    assert grad(cube, 1)(1.0, 1.0) == 2.0
    assert grad(cube, (1, 0))(1.0, 2.0) == (2.0, 3.0)
    assert value_and_grad(cube, (0, 1))(2.0, 1.0) == (10.0, (12.0, 2.0))
    with pytest.raises(TypeError):
        grad(cube, 1, True)  # optimize stays keyword-only


def test_jvp_and_vjp_with_several_outputs():
    def two(x, y):
        return x * y, x + np.sin(y)

    (a, b), (da, db) = jvp(two, (2.0, 0.5), (1.0, 0.0))
    assert (a, da, db) == (1.0, 0.5, 1.0)
    out, pullback = vjp(two, 2.0, 0.5)
    gx, gy = pullback((1.0, 0.0))
    assert (gx, gy) == (0.5, 2.0)
    gx, gy = pullback((0.0, 1.0))
    assert gx == 1.0 and math.isclose(gy, math.cos(0.5))


def test_unused_argument_gets_a_zero_of_its_shape():
    def f(x, y):
        return x * 2.0

    assert grad(f, argnums=1)(1.0, 5.0) == 0.0
    g = grad(f, argnums=1)(1.0, np.ones((2, 3)))
    assert g.shape == (2, 3) and not g.any()


def test_broadcast_gradients_have_the_operand_shapes():
    def f(x, b, s):
        return np.sum(x * b + s)

    x, b = np.arange(6.0).reshape(2, 3), np.array([1.0, 2.0, 3.0])
    gx, gb, gs = grad(f, argnums=(0, 1, 2))(x, b, 0.5)
    assert gx.shape == (2, 3) and gb.shape == (3,) and np.shape(gs) == ()
    assert np.allclose(gb, x.sum(axis=0)) and gs == 6.0


def test_float32_stays_float32():
    def f(x):
        return np.sum(np.tanh(x) * 2.0)

    g = grad(f)(np.ones(3, dtype=np.float32))
    assert g.dtype == np.float32


def test_the_transformation_is_cached():
    assert grad(cube, argnums=(0, 1)) is grad(cube, argnums=(0, 1))
    assert grad(cube, argnums=(0, 1)) is not grad(cube, argnums=0)
    assert grad(cube) is not grad(cube, optimize=False)


FACTOR = 2.0


def scaled(x):
    return FACTOR * x


def test_a_changed_global_gives_a_new_derivative():
    global FACTOR
    first = grad(scaled)
    assert first(1.0) == 2.0
    FACTOR = 3.0
    try:
        assert grad(scaled)(1.0) == 3.0
        assert first(1.0) == 2.0  # a derivative keeps the constants it was built with
    finally:
        FACTOR = 2.0


def test_redefining_the_function_gives_a_new_derivative():
    def f(x):
        return x * x
    a = grad(f)

    def f(x):  # noqa: F811
        return x * x * x
    assert grad(f) is not a and grad(f)(2.0) == 12.0


def test_closures():
    def make(c):
        def f(x):
            return c * x * x
        return f

    assert grad(make(1.0))(1.0) == 2.0
    assert grad(make(5.0))(1.0) == 10.0


def test_lambda():
    assert grad(lambda x: x * x + 1.0)(3.0) == 6.0


def test_generated_source_is_in_linecache_and_inspect():
    df = grad(neuron, argnums=(0, 1))
    shown = inspect.getsource(df)  # what tracebacks show: each line names the user's line
    assert re.sub(r"  # corpus\.py:\d+$", "", shown, flags=re.M) == source(df)
    assert "grad_s3" in shown and "  # corpus.py:" in shown


def test_traceback_shows_the_generated_line():
    def f(x):
        return np.sum(np.log(x))

    df = grad(f)
    with pytest.raises(TypeError) as info:
        df("not a number")
    text = "".join(traceback.format_tb(info.tb))
    assert "grad_f-" in text and "np.log(x)" in text


# --- errors ---------------------------------------------------------------------------------
def uses_try(x):
    try:
        return x
    except ValueError:
        return x


def uses_global_write(x):
    global FACTOR
    return x


def uses_with(x):
    with open("f"):
        return x


def test_unsupported_syntax_names_file_line_and_construct():
    for f, construct, text in [(uses_try, "try/except", "try:"),
                               (uses_global_write, "global", "global FACTOR"),
                               (uses_with, "with", "with open")]:
        with pytest.raises(UnsupportedSyntaxError) as info:
            grad(f)
        msg = str(info.value)
        assert construct in msg and f"{HERE}:{line_of(f, text)}" in msg, msg


def uses_remainder(x):
    return math.remainder(x, 0.3)  # (math.gamma, used here before, has a rule now)


def test_no_rule_and_no_source():
    with pytest.raises(NoDerivativeError) as info:
        grad(uses_remainder)
    msg = str(info.value)
    assert "remainder" in msg and f"{HERE}:{line_of(uses_remainder, 'math.remainder')}" in msg
    assert "defvjp" in msg or "register" in msg


def test_source_unavailable():
    namespace = {}
    exec("def f(x):\n    return x * x\n", namespace)
    with pytest.raises(SourceUnavailableError) as info:
        grad(namespace["f"])
    assert "source" in str(info.value)
    with pytest.raises(SourceUnavailableError):
        grad(len)


def vector_valued(x):
    return x * 2.0


def test_grad_needs_a_scalar_output():
    with pytest.raises(ArgumentError, match="scalar output"):
        grad(vector_valued)(np.ones(3))
    assert grad(vector_valued)(np.ones(1)).shape == (1,)  # a size-1 output is a scalar


def test_argnums_errors():
    with pytest.raises(ArgumentError, match="out of range") as info:
        grad(cube, argnums=2)
    assert f"{HERE}:" in str(info.value)
    with pytest.raises(ArgumentError, match="argnums"):
        grad(cube, argnums=(0, 0))
    with pytest.raises(ArgumentError, match="argnums"):
        grad(cube, argnums="x")
    with pytest.raises(ArgumentError):
        grad(3)


def undefined_name(x):
    return x * not_defined_anywhere  # noqa: F821


def test_undefined_name():
    with pytest.raises(UnsupportedSyntaxError, match="not_defined_anywhere"):
        grad(undefined_name)


def recursive(x):
    return recursive(x)


def test_recursion_is_rejected():
    with pytest.raises(UnsupportedSyntaxError, match="recursion"):
        grad(recursive)


def test_every_error_is_an_adcompile_error():
    for cls in (UnsupportedSyntaxError, NoDerivativeError, SourceUnavailableError, ArgumentError):
        assert issubclass(cls, ADCompileError)
    assert adcompile.ADCompileError is ADCompileError


def power(x, n=3):
    return x ** n


def test_defaults_and_lambdas_sharing_a_line():
    assert grad(power)(2.0) == 12.0 and grad(power)(2.0, 2) == 4.0
    pair = (grad(lambda x: x * 3.0)(1.0), grad(lambda y: y ** 3)(2.0))
    assert pair == (3.0, 12.0)


def returns_text(x):
    return "abc"


def test_grad_needs_a_numeric_output():
    with pytest.raises(ArgumentError, match="numeric output"):
        grad(returns_text)(1.0)
