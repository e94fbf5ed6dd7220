"""Defects found by a tester composing transforms (a transform inside a differentiated function,
vjp's pullback fed what JAX refuses): each a regression test before its fix."""
import linecache

import numpy as np
import pytest

from adcompile import grad, hessian, jacfwd, jacrev, jvp, vjp
from adcompile.errors import ArgumentError, UnsupportedSyntaxError
from checks import assert_close, numeric_grad


def sin_times(x):
    return np.sin(x) * x


# --- (1) a complex cotangent of a real output was silently reduced to its real part by vjp's
# pullback (JAX refuses it); a complex tangent of a real primal gave jvp a complexified result
# that rules taking np.real or np.conj of the tangent would get wrong (JAX refuses it too) -------
@pytest.mark.parametrize("x, cotangent", [(1.0, 1.0 + 2j),
                                          (np.array([1.0, 2.0]), np.array([1 + 1j, 2j]))])
def test_a_complex_cotangent_of_a_real_output_is_refused(x, cotangent):
    out, pullback = vjp(sin_times, x)
    with pytest.raises(ArgumentError, match=r"cotangent.*real.*pullback\(a\) \+ 1j \* "
                                            r"pullback\(b\)") as e:
        pullback(cotangent)
    assert e.value.filename == __file__
    assert pullback(np.real(cotangent))[0] == pytest.approx(
        np.real(cotangent) * (np.cos(x) * x + np.sin(x)))


def test_a_complex_tangent_of_a_real_primal_is_refused():
    with pytest.raises(ArgumentError, match=r"tangent 0.*real"):
        jvp(sin_times, (1.0,), (1.0 + 1j,))
    with pytest.raises(ArgumentError, match=r"tangent 0.*real"):
        jvp(sin_times, (np.array([1.0, 2.0]),), (np.array([1.0, 1j]),))


def test_complex_values_where_the_primal_or_output_is_complex_still_pass():
    z = np.array([1.0 + 2j, 0.5j])
    out, d = jvp(np.sin, (z,), (np.ones(2, complex),))
    assert d == pytest.approx(np.cos(z))

    def square(z):
        return z * z
    out, pullback = vjp(square, z)
    assert pullback(np.ones(2, complex))[0] == pytest.approx(2 * z)
    assert pullback(np.ones(2))[0] == pytest.approx(2 * z)  # a real cotangent of a complex one


# --- (2) jvp and vjp called inside a differentiated function were refused; f's forward (vjp)
# code is now made while lowering and inlined where it is called, as grad's is ------------------
def pair(x, y):
    return np.sum(np.sin(x) * y), x * y


def through_jvp(x, y):
    out, d = jvp(pair, (x, y), (np.ones(3), 0.5))
    return d[0] + np.sum(d[1] ** 2) + out[0]


def through_vjp(x, y):
    out, pullback = vjp(pair, x, y)
    gx, gy = pullback((2.0, np.arange(3.0)))
    return np.sum(gx ** 2) + gy * out[0]


@pytest.mark.parametrize("f", [through_jvp, through_vjp])
def test_jvp_and_vjp_inside_a_differentiated_function(f):
    x, y = np.array([0.3, 0.7, 1.1]), 1.3
    for i in (0, 1):
        assert_close(grad(f, argnums=i)(x, y), numeric_grad(f, (x, y), i))
    assert_close(jvp(f, (x, y), (np.ones(3), 1.0))[1],
                 numeric_grad(f, (x, y), 0).sum() + numeric_grad(f, (x, y), 1))
    assert_close(hessian(f)(x, y), np.array([numeric_grad(
        lambda x, y, k=k: grad(f)(x, y)[k], (x, y), 0) for k in range(3)]), rtol=1e-4)


def test_the_tangent_of_a_jvp_and_a_pullback_differentiated_at_a_scalar():
    assert grad(lambda x: jvp(sin_times, (x,), (1.0,))[1])(1.0) == pytest.approx(
        2 * np.cos(1.0) - np.sin(1.0))

    def pulled(x):
        y, pullback = vjp(sin_times, x)
        return pullback(1.0)[0]
    assert grad(pulled)(1.0) == pytest.approx(2 * np.cos(1.0) - np.sin(1.0))


def with_a_constant(x, n):
    return vjp(pair, x, 2)[1]((1.0, np.ones(3)))[0].sum()


def test_jvp_and_vjp_inside_what_they_cannot_take_is_refused_at_the_line():
    with pytest.raises(UnsupportedSyntaxError, match="int, bool, string or None primal") as e:
        grad(with_a_constant)(np.ones(3), 2)
    line = with_a_constant.__code__.co_firstlineno + 1
    assert (e.value.filename, e.value.line) == (__file__, line)

    def aux(x):
        return jvp(pair, (x, 1.0), (1.0, 0.0), has_aux=True)[1][0]
    with pytest.raises(UnsupportedSyntaxError, match="has_aux"):
        grad(aux)(np.ones(3))


def summed_sine(x):
    return np.sum(np.sin(x) * x)


def squared_hvp(x):
    return np.sum(jvp(grad(summed_sine), (x,), (np.ones(2),))[1] ** 2)


def test_a_hessian_vector_product_written_with_jvp_of_grad_differentiated():
    x = np.array([0.5, 1.0])
    assert_close(grad(squared_hvp)(x), numeric_grad(squared_hvp, (x,), 0), rtol=1e-5)


# --- (5) an error raised by a line of a gradient inlined where it is called (grad(inner)(x)
# inside a differentiated function) named the generated file of inner's gradient, not the
# user's line that gradient's line was made from ---------------------------------------------------
def logged(x):
    if np.any(x > 10):
        raise ValueError("too big")
    return np.log(x)


def scaled_slope(x):
    return grad(logged)(x) * x


def test_an_error_in_an_inlined_gradient_names_the_users_line():
    first = logged.__code__.co_firstlineno
    with pytest.raises(ArgumentError, match="grad needs a scalar output") as e:
        grad(scaled_slope)(np.array([1.0, 2.0]))
    assert (e.value.filename, e.value.line) == (__file__, first + 3)
    listing = "".join(linecache.getlines(grad(scaled_slope).__code__.co_filename))  # (traceback's)
    assert f"'too big')  # test_inside_found.py:{first + 2}" in listing
    assert "grad_logged" not in listing


# --- (3) grad of a function defined inside the differentiated function and reading its names
# (perturbation confusion): refused; now g is made a function of those names too, so the
# outer derivative sees them flow through g's gradient (JAX: d/dx grad(lambda y: x * y)(1.0) = 1)
def perturbed(x):
    def g(y):
        return x * y
    return grad(g)(1.0)


def rebound_later(x):
    def g(y):
        return np.sin(x * y) * y ** 2
    slope = grad(g)
    x = x * 2.0  # (read at the call, as Python's closure reads it)
    return slope(x) + x


def expected_rebound(x):
    x = 2.0 * x
    return np.cos(x * x) * x ** 3 + 2 * x * np.sin(x * x) + x


def layered(w, b):
    act = np.tanh
    k = 2.0

    def loss(v, s):
        return np.sum(act(w * v) * s * k + b)
    gv, gs = grad(loss, argnums=(0, 1))(w + 1.0, 0.5)
    return np.sum(gv ** 2) + gs * b


def nested(x):
    def g(y):
        def h(z):
            return x * y * z ** 2
        return grad(h)(y)
    return grad(g)(x)


def test_grad_of_a_closure_defined_inside_sees_the_outer_variable_move():
    assert grad(perturbed)(2.0) == pytest.approx(1.0)
    assert jvp(perturbed, (2.0,), (1.0,)) == pytest.approx((2.0, 1.0))
    x = 0.7
    assert grad(rebound_later)(x) == pytest.approx(
        numeric_grad(expected_rebound, (x,), 0), rel=1e-6)
    w, b = np.array([0.3, 0.5]), 0.2
    for i in (0, 1):
        assert_close(grad(layered, argnums=i)(w, b), numeric_grad(layered, (w, b), i))
    assert grad(nested)(1.3) == pytest.approx(numeric_grad(nested, (1.3,), 0))  # of 4 x^2
    assert hessian(nested)(1.3) == pytest.approx(8.0)


def through_a_lambda(x):
    return grad(lambda y: x * y)(1.0) + grad(lambda y, z: np.sin(x * y) * z, 1)(x, 2.0)


def with_a_default(x):
    g = lambda y, k=2.0: x * y * k  # noqa: E731
    return grad(g)(1.0)


def with_a_try(x):
    def g(y):
        try:
            return x * y
        except ValueError:
            return y
    return grad(g)(1.0)


def test_what_a_closure_grad_cannot_take_is_refused_at_the_users_line():
    assert grad(through_a_lambda)(0.5) == pytest.approx(1.0 + np.cos(0.25))  # (JAX's test)
    with pytest.raises(UnsupportedSyntaxError, match="grad of a nested def or lambda with "
                                                     "decorators or default values") as e:
        grad(with_a_default)(2.0)
    assert (e.value.filename, e.value.line) == (__file__,
                                                with_a_default.__code__.co_firstlineno + 2)
    with pytest.raises(UnsupportedSyntaxError, match="try/except") as e:
        grad(with_a_try)(2.0)
    assert (e.value.filename, e.value.line) == (__file__, with_a_try.__code__.co_firstlineno + 2)


# --- (4) jacfwd(jacrev(f)) of f returning a dict (a pytree) raised "ArgumentError:  must match :
# it should be a dict ..." with no place: the inner Jacobian's derivative came back as the
# leaves of f's forward code; now put back in f's structure. A dict argument stays refused at
# f's line, pointing to hessian and jacfwd(grad(f)), which take it ---------------------------------
def dict_out(x):
    return {"u": x ** 2 * x[0], "v": (np.sin(x), 3.0 * x[1])}


def dict_in(d):
    return d["a"] ** 2 * d["b"]


@pytest.mark.parametrize("outer", [jacfwd, jacrev])
@pytest.mark.parametrize("inner", [jacfwd, jacrev])
def test_a_jacobian_of_a_jacobian_of_a_function_returning_a_dict(outer, inner):
    x = np.array([1.0, 2.0])
    second = outer(inner(dict_out))(x)
    assert set(second) == {"u", "v"} and type(second["v"]) is tuple
    assert_close(second["u"], jacfwd(jacfwd(lambda x: x ** 2 * x[0]))(x))
    assert_close(second["v"][0], np.diag(-np.sin(x))[:, :, None] * np.eye(2)[None])
    assert_close(second["v"][1], np.zeros((2, 2)))
    with pytest.raises(ArgumentError, match="argument 0 is a dict; use hessian") as e:
        outer(inner(dict_in))({"a": 1.0, "b": 2.0})
    assert (e.value.filename, e.value.line) == (__file__, dict_in.__code__.co_firstlineno)


# --- (2, 3) jvp and vjp inside, of a function defined there reading the outer names -------------
def jvp_of_a_closure(x):
    return jvp(lambda y: x * y ** 2, (1.5,), (1.0,))[1]


def vjp_of_a_closure(x):
    def g(y, z):
        return np.sin(x * y) * z
    out, pullback = vjp(g, 0.5, 2.0)
    gy, gz = pullback(1.0)
    return gy + 3 * gz + out


def test_jvp_and_vjp_of_a_closure_inside_see_the_outer_variable_move():
    assert grad(jvp_of_a_closure)(0.8) == pytest.approx(3.0)
    assert grad(vjp_of_a_closure)(0.8) == pytest.approx(
        numeric_grad(lambda x: 2 * x * np.cos(0.5 * x) + 5 * np.sin(0.5 * x), (0.8,), 0))
    assert vjp_of_a_closure(0.8) == pytest.approx(2 * 0.8 * np.cos(0.4) + 5 * np.sin(0.4))
