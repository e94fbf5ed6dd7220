"""Correctness first: never silently wrong (issue 8, the NumPy side). Each test here failed
before its fix: a gradient that came back zero, nan or wrong instead of right or refused."""
import math

import numpy as np
import pytest

from adcompile import NoDerivativeError, grad, jvp, source, vjp
from checks import assert_close, numeric_grad
from test_numpy import check

RNG = np.random.default_rng(8)


def refused(f, *args, match):
    """f is refused in both modes with a NoDerivativeError naming this file and f's line."""
    line = f.__code__.co_firstlineno + 1
    for mode in ("grad", "jvp"):
        with pytest.raises(NoDerivativeError, match=match) as info:
            if mode == "grad":
                grad(f, argnums=tuple(range(len(args))))(*args)
            else:
                jvp(f, args, tuple(np.ones_like(a) if np.ndim(a) else 1.0 for a in args))
        assert f"test_numpy_correctness.py:{line}:" in str(info.value), str(info.value)


# --- 1. nothing unknown is a constant ------------------------------------------------------------
def test_linspace_is_linear_in_start_and_stop():
    def scalars(a, b):
        return np.sum(np.linspace(a, b, 5) ** 2)

    def open_end(a, b):
        return np.sum(np.sin(np.linspace(a, b, num=4, endpoint=False)))

    def arrays(a, b):
        return np.linspace(a, b, 3) * np.arange(1.0, 4.0)[:, None]

    def one_point(a, b):
        return np.sum(np.linspace(a, b, 1) ** 2)

    def start_only(a):
        return np.sum(np.linspace(a, np.array([1.0, 2.0]), 4) ** 3)

    check(scalars, 1.0, 3.0)
    check(open_end, 0.3, 1.7)
    check(arrays, RNG.normal(size=2), RNG.normal(size=2))
    check(scalars, 0.5, RNG.normal(size=(2, 3)))
    check(one_point, 0.7, 2.0)
    check(start_only, 0.4)
    assert_close(grad(scalars, argnums=(0, 1))(1.0, 3.0), (7.5, 12.5), what="hand-computed")


def test_full_and_full_like_are_linear_in_fill_value():
    def full(x):
        return np.sum(np.full(3, x) ** 2)

    def full_rows(x):
        return np.full((2, 3), x) * np.arange(6.0).reshape(2, 3)

    def full_like(x):
        return np.full_like(np.ones((2, 2)), x) ** 2

    def full_like_dtype(x, c):
        return np.sum(np.full_like(c, x, dtype=float) * c)

    check(full, 2.0)
    check(full_rows, RNG.normal(size=3))
    check(full_like, 1.5)
    check(full_like_dtype, 0.5, RNG.normal(size=3))
    assert grad(full)(2.0) == pytest.approx(12.0)


def test_arange_of_a_differentiated_value_is_refused():
    def start(x):
        return np.sum(np.arange(x, x + 3.0))

    def stop(x):
        return np.sum(np.arange(0.0, x))

    def count(x):
        return np.sum(np.arange(x))

    refused(start, 0.5, match="np.arange has no derivative with respect to its argument start")
    refused(stop, 3.5, match="np.arange has no derivative with respect to its argument stop")
    refused(count, 3.5, match="np.arange")


def test_r_and_c_of_a_differentiated_value_are_refused():
    def r(x):
        return np.sum(np.r_[x, np.ones(2)] ** 2)

    def c(x):
        return np.sum(np.c_[x, x] ** 2)

    refused(r, np.array([1.0, 2.0]), match=r"np\.r_\[\.\.\.\] of a differentiated value")
    refused(c, np.array([1.0, 2.0]), match=r"np\.c_\[\.\.\.\] of a differentiated value")


def test_options_that_carry_a_derivative_are_refused():
    def ddof(x, d):
        return np.var(x, ddof=d)

    def order(x, p):
        return np.linalg.norm(x, ord=p)

    refused(ddof, np.arange(3.0), 1.0, match="np.var has no derivative .* argument ddof")
    refused(order, np.arange(3.0), 3.0, match="np.linalg.norm has no derivative .* argument ord")


def test_constant_indices_and_shapes_still_differentiate():
    """What is zero by design stays allowed: an integer argument used as an index, a shape, an
    axis; comparisons, rounding, argmax."""
    def index(x, i):
        return x[i] * np.sum(x[np.arange(5) < i])

    def zero_by_design(x):
        k = np.argmax(x)
        return x[k] * np.round(x[0]) + np.sum(np.zeros_like(x) + (x > 0)) * x[1]

    check(index, RNG.normal(size=5), 2)
    check(zero_by_design, np.array([0.3, 1.2, -0.4]))


def test_heaviside_has_a_derivative_in_its_value_at_zero():
    def f(x, h):
        return np.sum(np.heaviside(x, h) * np.arange(1.0, 5.0))

    x = np.array([-1.0, 0.0, 2.0, 0.0])
    assert_close(grad(f, argnums=1)(x, 0.5), 2.0 + 4.0, what="grad in h0")
    assert_close(jvp(lambda h: f(x, h), (0.5,), (1.0,))[1], 6.0, what="jvp in h0")
    assert_close(grad(f)(x, 0.5), np.zeros(4), what="grad in x")


def test_copysign_has_a_derivative_in_its_magnitude():
    def f(x, y):
        return math.copysign(x, y) * 3.0

    check(f, 1.5, -2.0)
    check(f, -1.5, 2.0)
    assert grad(f)(-1.5, -2.0) == 3.0


def test_a_user_rule_of_none_declares_a_zero_derivative():
    from adcompile import defjvp, defvjp

    def scaled_copy(x, n):
        return x * 2.0

    defvjp(scaled_copy, "2.0 * g", None, name="scaled_copy_nc")
    defjvp(scaled_copy, "2.0 * t", None, name="scaled_copy_nc")

    def f(x, n):
        return np.sum(scaled_copy(x, n))

    assert_close(grad(f, argnums=(0, 1))(np.ones(3), 1.0)[1], 0.0, what="declared zero")


# --- 2. np.dot of N-D operands sums the last axis of x against the second-to-last of y ----------
@pytest.mark.parametrize("xshape, yshape", [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((), (3, 2)), ((2,), ()),
    ((2, 3, 4), (4,)), ((4,), (2, 4, 3)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (5, 4, 2)), ((2, 1, 3), (2, 3, 2))])
def test_dot_of_any_rank(xshape, yshape):
    def f(x, y):
        return np.sum(np.sin(np.dot(x, y)))

    def method(x, y):
        return np.sum(x.dot(y) ** 2)

    rng = np.random.default_rng(len(xshape) * 10 + len(yshape))
    x = rng.normal(size=xshape) if xshape else 0.7
    y = rng.normal(size=yshape) if yshape else -1.3
    check(f, x, y)
    if xshape:
        check(method, x, y)


# --- 3. np.std at zero spread, powers at zero -----------------------------------------------------
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1), -1])
@pytest.mark.parametrize("ddof", [0, 1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_var_and_std_with_axis_and_ddof(axis, ddof, keepdims):
    def var(x):
        return np.sum(np.sin(np.var(x, axis=axis, ddof=ddof, keepdims=keepdims)))

    def std(x):
        return np.sum(np.sin(np.std(x, axis=axis, ddof=ddof, keepdims=keepdims)))

    x = np.random.default_rng(3).normal(size=(3, 4))
    check(var, x)
    check(std, x)


def test_std_of_one_element_has_derivative_zero():
    def one(x):
        return np.std(x)

    def rows(x):
        return np.sum(np.std(x, axis=1) + x[:, 0])

    for x in (np.array([3.0]), np.array([[2.0]])):
        assert_close(grad(one)(x), np.zeros_like(x), what="grad")
        assert_close(jvp(one, (x,), (np.ones_like(x),))[1], 0.0, what="jvp")
    x = np.array([[1.0], [2.0], [-4.0]])
    assert_close(grad(rows)(x), np.ones((3, 1)), what="std over an axis of length 1")
    assert_close(vjp(rows, x)[1](1.0)[0], np.ones((3, 1)), what="vjp")


def test_power_at_zero():
    def power(x, y):
        return np.power(x, y)

    def star(x, y):
        return x ** y

    def mpow(x, y):
        return math.pow(x, y)

    for f in (power, star, mpow):
        gx, gy = grad(f, argnums=(0, 1))(0.0, 2.0)  # 0 ** y stays 0 as y moves
        assert (gx, gy) == (0.0, 0.0) and type(gy) is float, (f.__name__, gx, gy)
        gx, gy = grad(f, argnums=(0, 1))(0.0, 0.0)  # x ** 0 is 1 for every x
        assert gx == 0.0 and type(gx) is float, (f.__name__, gx)
        assert jvp(f, (0.0, 2.0), (1.0, 1.0))[1] == 0.0
        check(f, 1.3, 0.7)
        check(f, 0.6, -1.5)
        gx, gy = grad(f, argnums=(0, 1))(1.3, 0.7)
        assert type(gx) is float and type(gy) is float, (f.__name__, type(gx), type(gy))

    def arrays(x, y):
        return np.sum(np.power(x, y) * np.arange(1.0, 4.0))

    x, y = np.array([0.0, 0.0, 1.5]), np.array([2.0, 3.0, 0.5])
    with np.errstate(all="raise"):  # no 0 * inf, no division by zero on the way
        gx, gy = grad(arrays, argnums=(0, 1))(x, y)
        tangent = jvp(arrays, (x, y), (np.ones(3), np.ones(3)))[1]
        gx0 = grad(arrays)(x, np.array([0.0, 0.0, 0.5]))  # x ** 0 is 1 for every x
    assert_close(gx, [0.0, 0.0, 3 * 0.5 * 1.5 ** -0.5], what="d/dx")
    assert_close(gy, [0.0, 0.0, 3 * 1.5 ** 0.5 * np.log(1.5)], what="d/dy")
    assert_close(gx0, [0.0, 0.0, 3 * 0.5 * 1.5 ** -0.5], what="d/dx where y == 0")
    assert_close(tangent, np.sum(gx + gy), what="jvp")
    check(arrays, np.array([0.5, 1.2, 2.0]), np.array([2.0, -0.5, 1.5]))


def test_constant_exponents_and_bases_keep_the_lecture_rules():
    def zero_exponent(x):
        return np.power(x, 0.0) * 3.0

    assert jvp(zero_exponent, (0.0,), (1.0,)) == (3.0, 0.0)
    assert jvp(zero_exponent, (np.zeros(2),), (np.ones(2),))[1].tolist() == [0.0, 0.0]

    def square(x):
        return x ** 2

    def const_zero(x):
        return x ** 0.0 + x

    def exp2(y):
        return 2.0 ** y

    assert "grad_x = 2.0 * x\n" in source(square, mode="grad")
    assert grad(const_zero)(0.0) == 1.0
    assert grad(exp2)(3.0) == pytest.approx(8 * math.log(2))
    assert "np.log" not in source(exp2, mode="grad")  # log(2.0) folded: floats stay floats


def test_second_derivatives_of_a_power():
    def f(x, y):
        return x ** y

    x, y = 1.7, 0.6
    dxx = grad(grad(f))(x, y)
    dxy = grad(grad(f), argnums=1)(x, y)
    dyy = grad(grad(f, argnums=1), argnums=1)(x, y)
    assert dxx == pytest.approx(y * (y - 1) * x ** (y - 2))
    assert dxy == pytest.approx(x ** (y - 1) * (1 + y * math.log(x)))
    assert dyy == pytest.approx(x ** y * math.log(x) ** 2)


# --- 4. complex numbers ------------------------------------------------------------------------
def test_grad_of_a_complex_output_is_refused():
    from adcompile import ArgumentError
    from adcompile.errors import ComplexOutputError

    def rotate(x):
        return x * 1j

    def total(z):
        return np.sum(z ** 2)

    for f, x in ((rotate, 1.0), (total, np.array([1.0 + 1j, 2.0]))):
        with pytest.raises(ComplexOutputError, match="grad requires a real-valued output"):
            grad(f)(x)
    with pytest.raises(TypeError):  # as JAX raises it
        grad(rotate)(1.0)
    with pytest.raises(ArgumentError):
        grad(rotate)(1.0)
    out, pullback = vjp(total, np.array([1.0 + 1j, 2.0]))  # vjp of a complex output is fine
    assert_close(np.real(pullback(1.0)[0]), [2.0, 4.0], what="holomorphic")


def complex_check(f, z, seed=0):
    """A real f of complex z: forward mode against finite differences along a complex direction
    (its value real), grad against JAX's convention d f / d re(z) - 1j * d f / d im(z), and reverse
    against forward under the pairing re(sum(a * b))."""
    rng = np.random.default_rng(seed)
    t = rng.normal(size=z.shape) + 1j * rng.normal(size=z.shape)
    eps = 1e-6
    value, tangent = jvp(f, (z,), (t,))
    assert np.isrealobj(tangent), f"{f.__name__}: complex tangent {tangent!r} of a real output"
    assert_close(tangent, (f(z + eps * t) - f(z - eps * t)) / (2 * eps), rtol=1e-5,
                 what=f"{f.__name__}: forward mode")
    re = numeric_grad(lambda a: f(a + 1j * z.imag), [z.real], 0)
    im = numeric_grad(lambda b: f(z.real + 1j * b), [z.imag], 0)
    g = grad(f)(z)
    np.testing.assert_allclose(g, re - 1j * im, rtol=1e-5, atol=1e-6,
                               err_msg=f"{f.__name__}: grad")
    v = rng.normal(size=np.shape(value))
    back = vjp(f, z)[1](v)[0]
    assert np.isclose(np.sum(v * tangent), np.real(np.sum(back * t))), f"{f.__name__}: dot test"


def test_real_functions_of_complex_inputs():
    def absolute(z):
        return np.sum(np.abs(z) * np.arange(1.0, 4.0))

    def builtin_abs(z):
        return np.sum(abs(z) ** 2)

    def variance(z):
        return np.var(z) * 3.0

    def deviation(z):
        return np.std(z, ddof=1)

    def norm(z):
        return np.linalg.norm(z)

    def norm1(z):
        return np.linalg.norm(z, ord=1)

    def real_part(z):
        return np.sum(np.real(z * z) + np.abs(np.conj(z) * (1 + 2j)))

    def method(z):
        return np.sum(np.real(z.conj() * np.exp(z)))

    z = np.array([1.0 + 2.0j, -0.5 + 0.3j, 2.0 - 1.0j])
    for f in (absolute, builtin_abs, variance, deviation, norm, norm1, real_part, method):
        complex_check(f, z)
    # JAX's convention: grad of |z| ** 2 at 3 + 4j is 6 - 8j
    assert_close(np.array(grad(lambda_free_abs2)(np.array([3.0 + 4.0j])).view(float)),
                 [6.0, -8.0], what="JAX's convention")


def lambda_free_abs2(z):
    return np.sum(np.abs(z) ** 2)


def test_real_inputs_keep_their_rules():
    def f(x):
        return np.sum(np.abs(x) + np.var(x) + np.linalg.norm(x))

    x = np.array([0.5, -1.5, 2.0])
    check(f, x)
    assert "conj(" in source(f, mode="grad")
    assert np.isrealobj(grad(f)(x))


# --- 5. a tuple (or list) argument unpacked in the function ----------------------------------
def test_vjp_of_a_tuple_argument_keeps_its_structure():
    def f(p):
        a, b = p
        return a * b + a

    def net(p, x):
        W, b = p
        return np.sum(np.tanh(W @ x + b) ** 2)

    def nested(p):
        return p[0][0] * p[0][1] * p[1] + p[0][0]

    out, pullback = vjp(f, (1.5, 2.0))
    assert pullback(1.0) == ((3.0, 1.5),)
    assert type(pullback(1.0)[0]) is not list
    assert grad(f)((1.5, 2.0)) == (3.0, 1.5)
    assert list(grad(f)([1.5, 2.0])) == [3.0, 1.5]  # a list argument: the same numbers
    assert vjp(f, [1.5, 2.0])[1](2.0) == ([6.0, 3.0],)  # a list's gradient is a list
    g = grad(nested)(((1.0, 2.0), 3.0))
    assert [list(g[0]), g[1]] == [[7.0, 3.0], 2.0]

    rng = np.random.default_rng(5)
    W, b, x = rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=3)
    gW, gb = grad(net)((W, b), x)
    assert_close(gW, numeric_grad(lambda W: net((W, b), x), [W], 0), what="W")
    assert_close(gb, numeric_grad(lambda b: net((W, b), x), [b], 0), what="b")
    (vW, vb), vx = vjp(net, (W, b), x)[1](1.0)
    assert_close(vW, gW, what="vjp W")
    assert_close(vb, gb, what="vjp b")
    assert_close(vx, grad(net, argnums=1)((W, b), x), what="vjp x")


def test_an_exported_gradient_of_a_tuple_argument_runs_alone():
    from adcompile.export import export_source

    def f(p):
        a, b = p
        return a * b + a

    namespace = {}
    exec(compile(export_source(f), "<export>", "exec"), namespace)
    assert namespace["grad_f"]((1.5, 2.0)) == (3.0, 1.5)
    assert namespace["grad_f"](np.array([1.5, 2.0])).tolist() == [3.0, 1.5]


def test_every_nondiff_primitive_is_zero_by_design_or_refused():
    """The audit of item 1 kept honest: a primitive without rules either declares every operand
    zero by design (comparisons, shapes, rounding) or refuses a differentiated value."""
    from adcompile.primitives import PRIMS, zero_by_design
    refused_on_purpose = {"np.arange", "np.kaiser",  # (a window's beta: no rule)
                          "call",  # (a function without a rule: lower/calls.opaque_call)
                          "Generator.permutation", "Generator.choice"}  # (shuffling or
    # choosing from a differentiated array is not constant in it; nor is a draw in its
    # distribution's parameters: rng.gamma(shape), rng.beta(a, b), test_draws_found.py)
    refused_on_purpose |= {n for n in PRIMS if n.startswith(("Generator.", "np.random."))}
    for name, p in PRIMS.items():
        if p.kind != "nondiff" or name in refused_on_purpose:
            continue
        assert p.zero == "*" or all(zero_by_design(p, q) for q in p.params), name
    assert not zero_by_design(PRIMS["np.arange"], "start")
    assert not zero_by_design(PRIMS["np.kaiser"], "beta")
    assert not zero_by_design(PRIMS["call"], "*args")
    assert not zero_by_design(PRIMS["np.var"], "ddof")
    assert not zero_by_design(PRIMS["getitem"], "index")


def test_an_integer_fill_has_derivative_zero():
    def f(x):
        return np.sum(np.full(3, x, dtype=int) * 1.0) + x

    assert grad(f)(2.5) == 1.0


def test_second_derivatives_through_the_new_rules():
    from adcompile import hessian

    def f(x):
        return np.sum(np.linspace(x[0], x[1], 4) ** 3) + np.sum(np.full(2, x[2]) ** 3) + \
            np.std(x) * x[0] + x[1] ** x[2] + np.sum(np.dot(x * x[0], np.ones((2, 3, 2))) ** 2)

    x = np.array([0.5, 1.2, 0.8])
    eps = 1e-5
    numeric = np.array([(grad(f)(x + eps * e) - grad(f)(x - eps * e)) / (2 * eps)
                        for e in np.eye(3)])
    assert_close(hessian(f)(x), numeric, rtol=1e-5, atol=1e-6, what="hessian")
