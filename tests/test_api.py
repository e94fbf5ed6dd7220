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
from checks import assert_close
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


def uses_nextafter(x):
    return math.nextafter(x, 2.0)  # (test_rules_api gives math.remainder a rule, for the session)


def test_no_rule_and_no_source():
    with pytest.raises(NoDerivativeError) as info:
        grad(uses_nextafter)
    msg = str(info.value)
    assert "nextafter" in msg and f"{HERE}:{line_of(uses_nextafter, 'math.nextafter')}" in msg
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


def two_outputs_by_key(x):
    return {"u": x * 2.0, "v": x * x}


def weighted_keys(p):
    return p["a"] * 10.0 + p["b"]


def sine_times(x, y):
    return np.sin(x) * y


def test_dict_tangents_and_cotangents_are_matched_by_key():
    """They were taken by position: a cotangent {"v": 1, "u": 0} pulled back d u / d x, a wrong
    key or a tuple for a dict went through (silently wrong). Matched by key now, and a structure
    that differs from the primal's (the output's) is refused, naming where."""
    out, pullback = vjp(two_outputs_by_key, 3.0)
    assert pullback({"v": 1.0, "u": 0.0}) == (pytest.approx(6.0),)   # d v / d x = 2 x
    assert pullback({"u": 1.0, "v": 0.0}) == (pytest.approx(2.0),)
    p = {"a": 1.0, "b": 2.0}
    assert jvp(weighted_keys, (p,), ({"b": 1.0, "a": 0.0},)) == (12.0, 1.0)
    h = 1e-6
    numeric = (weighted_keys({"a": 1.0, "b": 2.0 + h}) - weighted_keys({"a": 1.0, "b": 2.0 - h}))
    assert jvp(weighted_keys, (p,), ({"b": 1.0, "a": 0.0},))[1] == pytest.approx(numeric / 2 / h)
    line = line_of(two_outputs_by_key, "def ")
    for bad in ({"u": 0.0, "w": 1.0}, {"u": 1.0}, (1.0, 0.0)):
        with pytest.raises(ArgumentError, match=rf"{HERE}:{line}: .*cotangent.* dict with keys "):
            pullback(bad)
    for bad in ((1.0, 0.0), {"a": 1.0}, {"a": 1.0, "b": 0.0, "c": 0.0}):
        with pytest.raises(ArgumentError, match=r"tangent 0 must match primal 0"):
            jvp(weighted_keys, (p,), (bad,))
    nested = vjp(lambda_free_pair, 1.0)[1]
    assert nested((1.0, [1.0, 0.0])) == (pytest.approx(3.0),)  # a list for a tuple is fine
    for bad in ((1.0, 1.0), (1.0, (1.0, 1.0, 2.0))):
        with pytest.raises(ArgumentError, match=r"cotangent\[1\] must match"):
            nested(bad)


def lambda_free_pair(x):
    return (x, (x * 2.0, x * 3.0))


def test_tangent_and_cotangent_shapes_must_be_the_primals():
    """A (3, 1) cotangent for a (3,) output was broadcast: three times the gradient, silently
    (JAX refuses it); so was a tangent of another shape."""
    x = np.array([1.0, 2.0, 3.0])
    out, pullback = vjp(sine_times, x, 2.0)
    g = pullback(np.ones(3))
    assert_close(g[0], np.cos(x) * 2.0)
    assert g[1] == pytest.approx(np.sum(np.sin(x)))
    for bad in (np.ones((3, 1)), np.ones((2, 3)), 1.0):
        with pytest.raises(ArgumentError, match=r"should be shape \(3,\), but it is shape"):
            pullback(bad)
    for bad in ((np.ones((3, 1)), 0.0), (np.ones(3), np.ones(2))):
        with pytest.raises(ArgumentError, match=r"tangent \d must match primal \d: it should be "
                                                r"shape"):
            jvp(sine_times, (x, 2.0), bad)


def scaled_square(x, a=2.0):
    return a * x * x


def power_of(x, n):
    return np.sum(x ** n)


def test_defaults_are_constants_and_derivatives_are_per_primal_passed():
    """A default parameter broke jvp (missing tangents) and vjp gave a gradient per parameter,
    not per primal passed; grad honoured it."""
    assert jvp(scaled_square, (0.7,), (1.0,)) == (pytest.approx(0.98), pytest.approx(2.8))
    assert vjp(scaled_square, 0.7)[1](1.0) == (pytest.approx(2.8),)
    assert vjp(scaled_square, 0.7, 3.0)[1](1.0) == (pytest.approx(4.2), pytest.approx(0.49))


def test_int_primals_are_constants_in_jvp_and_vjp():
    """An int exponent was differentiated too: d/dn x ** n = x ** n log(x), NaN for x < 0, which
    spoiled the float argument's derivative as well; a None tangent for it crashed. An int or
    bool primal is a constant, as an int inside a container already was."""
    x = np.array([-1.0, 2.0])
    for dn in (0, None, 0.0):
        value, tangent = jvp(power_of, (x, 3), (np.ones(2), dn))
        assert value == pytest.approx(7.0) and tangent == pytest.approx(15.0)  # 3 x^2 summed
    value, pullback = vjp(power_of, x, 3)
    g, gn = pullback(1.0)
    assert_close(g, 3 * x ** 2)
    assert gn is None
    assert jvp(sine_times, (1.3, 2), (1.0, None))[1] == pytest.approx(2 * math.cos(1.3))
    with pytest.raises(ArgumentError, match="primal 1 is an integer"):
        jvp(power_of, (x, 3), (np.ones(2), 1))
    with pytest.raises(ArgumentError, match="every primal is an integer"):
        jvp(power_of, (2, 3), (1, 0))


def test_argnums_may_be_a_list_but_not_a_float():
    """A list crashed with an internal TypeError (unhashable, in the cache key); a float in a
    tuple equal to an int (1.0 == 1) was taken from the cache."""
    from adcompile import hessian, jacfwd, jacrev
    assert grad(cube, argnums=[0, 1])(2.0, 3.0) == (12.0, 2.0)
    assert grad(cube, argnums=(0, 1))(2.0, 3.0) == (12.0, 2.0)
    for t in (jacfwd, jacrev):
        assert [float(j) for j in t(cube, [0, 1])(2.0, 3.0)] == [12.0, 2.0]
    assert float(hessian(cube, [0, 1])(2.0, 3.0)[0][0]) == 12.0
    for bad in (1.0, (0, 1.0), True, [], "0"):
        for t in (grad, value_and_grad, jacfwd, jacrev, hessian):
            with pytest.raises(ArgumentError, match="argnums must be an int or a non-empty"):
                t(cube, bad)(2.0, 3.0)


# --- grad of a function returning a tuple: the outputs were summed (a silently wrong gradient) ---
def returns_pair(x):
    return x * 2.0, x * x


def returns_one_tuple(x):
    return (x * x,)


def test_grad_of_a_tuple_output_is_refused_at_the_return():
    for f in (returns_pair, returns_one_tuple):
        for transform in (grad, value_and_grad):
            with pytest.raises(ArgumentError) as info:
                transform(f)(3.0)
            assert f"{HERE}:{f.__code__.co_firstlineno + 1}" in str(info.value)
            assert "has_aux" in str(info.value)
    assert grad(returns_pair, has_aux=True)(3.0) == (2.0, 9.0)
