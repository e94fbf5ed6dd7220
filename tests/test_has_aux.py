"""JAX's has_aux: f returns (out, aux); only out is differentiated and aux comes back as computed,
from the derivative's own forward sweep, in JAX's places."""
import inspect

import numpy as np
import pytest

from adcompile import (ArgumentError, grad, jacfwd, jacrev, jvp, source, value_and_grad, vjp)
from checks import assert_close, numeric_grad, numeric_jacobian

HERE = __file__.rsplit("/", 1)[-1]
X = np.array([0.5, -1.0, 2.0])


def loss(x, y):
    h = np.tanh(x * y)
    return np.sum(h ** 2)


def loss_aux(x, y):
    h = np.tanh(x * y)
    return np.sum(h ** 2), {"h": h, "positive": np.sum(x > 0), "name": "tanh", "none": None,
                            "layers": 3}


def scalar_aux(x, y):
    h = np.tanh(x * y)
    return np.sum(h ** 2), h


def vector(x, y):
    return np.sin(x) * y


def vector_aux(x, y):
    s = np.sin(x)
    return s * y, (s, "sin")


def check_aux(aux, x, y):
    h = np.tanh(x * y)
    assert set(aux) == {"h", "positive", "name", "none", "layers"}
    assert_close(aux["h"], h)
    assert aux["positive"] == 2 and aux["name"] == "tanh" and aux["none"] is None
    assert aux["layers"] == 3


def test_grad_against_finite_differences_and_plain_grad():
    g, aux = grad(loss_aux, has_aux=True)(X, 1.5)
    assert_close(g, numeric_grad(loss, (X, 1.5), 0))
    assert_close(g, grad(loss)(X, 1.5))
    check_aux(aux, X, 1.5)
    (gx, gy), aux = grad(loss_aux, (0, 1), has_aux=True)(X, 1.5)
    assert_close(gy, numeric_grad(loss, (X, 1.5), 1))
    assert_close(gx, grad(loss)(X, 1.5))
    check_aux(aux, X, 1.5)


def test_value_and_grad():
    (value, aux), g = value_and_grad(loss_aux, has_aux=True)(X, 1.5)
    plain_value, plain_g = value_and_grad(loss)(X, 1.5)
    assert value == plain_value
    assert_close(g, plain_g)
    assert_close(g, numeric_grad(loss, (X, 1.5), 0))
    check_aux(aux, X, 1.5)


def test_decorator_forms_and_python_floats():
    @grad(has_aux=True)
    def d(x):
        y = x * x
        return y * x, y

    assert d(3.0) == (27.0, 9.0)
    g, aux = grad(scalar_aux, 1, has_aux=True)(0.3, 2.0)
    assert_close(g, numeric_grad(lambda x, y: scalar_aux(x, y)[0], (0.3, 2.0), 1))
    assert aux == np.tanh(0.6)


def test_vjp():
    out, pullback, aux = vjp(vector_aux, X, 1.5, has_aux=True)
    plain_out, plain_pullback = vjp(vector, X, 1.5)
    assert_close(out, plain_out)
    v = np.array([1.0, -2.0, 0.5])
    for a, b in zip(pullback(v), plain_pullback(v)):
        assert_close(a, b)
    assert_close(pullback(v)[0], v @ numeric_jacobian(vector, (X, 1.5), 0))
    assert_close(aux[0], np.sin(X)) and aux[1] == "sin"
    with pytest.raises(ArgumentError, match="cotangent"):
        pullback(np.ones(4))


def test_jvp():
    u = np.array([1.0, 0.5, -1.0])
    out, tangent, aux = jvp(vector_aux, (X, 1.5), (u, 0.0), has_aux=True)
    plain_out, plain_tangent = jvp(vector, (X, 1.5), (u, 0.0))
    assert_close(out, plain_out)
    assert_close(tangent, plain_tangent)
    assert_close(tangent, numeric_jacobian(vector, (X, 1.5), 0) @ u)
    assert_close(aux[0], np.sin(X)) and aux[1] == "sin"
    out, tangent, aux = jvp(loss_aux, (X, 1.5), (u, 1.0), has_aux=True)
    assert_close(tangent, jvp(loss, (X, 1.5), (u, 1.0))[1])
    check_aux(aux, X, 1.5)


@pytest.mark.parametrize("jacobian", [jacfwd, jacrev])
def test_jacobians(jacobian):
    J, aux = jacobian(vector_aux, has_aux=True)(X, 1.5)
    assert_close(J, jacobian(vector)(X, 1.5))
    assert_close(J, numeric_jacobian(vector, (X, 1.5), 0))
    assert_close(aux[0], np.sin(X)) and aux[1] == "sin"
    (Jx, Jy), aux = jacobian(loss_aux, (0, 1), has_aux=True)(X, 1.5)
    assert_close(Jx, numeric_grad(loss, (X, 1.5), 0))
    assert_close(Jy, numeric_grad(loss, (X, 1.5), 1))
    check_aux(aux, X, 1.5)


def test_tuple_outputs_are_differentiated_as_without_aux():
    def pair(x):
        return x * 2.0, np.sin(x)

    def pair_aux(x):
        return (x * 2.0, np.sin(x)), np.cos(x)

    out, tangent, aux = jvp(pair_aux, (X,), (np.ones(3),), has_aux=True)
    plain_out, plain_tangent = jvp(pair, (X,), (np.ones(3),))
    for a, b in zip(tangent, plain_tangent):
        assert_close(a, b)
    assert_close(aux, np.cos(X))
    (ja, jb), aux = jacrev(pair_aux, has_aux=True)(X)
    assert_close(jb, np.diag(np.cos(X)))


def test_containers_as_arguments_and_outputs():
    def model(p, x):
        h = np.tanh(x @ p["W"] + p["b"])
        return np.sum(h ** 2), {"h": h, "mean": np.mean(h)}

    p = {"W": np.full((3, 2), 0.1), "b": np.array([0.2, -0.3])}
    x = np.ones((4, 3))
    g, aux = grad(model, has_aux=True)(p, x)
    assert set(g) == {"W", "b"}
    assert_close(g["b"], numeric_grad(lambda b: model({"W": p["W"], "b": b}, x)[0], (p["b"],), 0))
    h = np.tanh(x @ p["W"] + p["b"])
    assert_close(aux["h"], h) and assert_close(aux["mean"], np.mean(h))

    def dict_out(x):
        return {"a": x * 2.0, "b": np.sum(x)}, [x, "tag"]

    J, aux = jacfwd(dict_out, has_aux=True)(X)
    assert_close(J["a"], 2.0 * np.eye(3)) and assert_close(J["b"], np.ones(3))
    assert aux[1] == "tag"  # (a returned list literal comes back a tuple, as without aux)


def test_aux_that_depends_on_the_inputs_is_a_value_not_differentiated():
    def f(x):
        s = np.sum(x ** 2)
        mantissa = np.frexp(x + 2.0)[0]  # (a value of the aux: not differentiated)
        order = np.argsort(x)
        return s, (mantissa, order, int(np.sum(x > 0)))

    g, (mantissa, order, count) = grad(f, has_aux=True)(X)
    assert_close(g, 2 * X)
    assert_close(mantissa, np.frexp(X + 2.0)[0])
    assert list(order) == [1, 0, 2] and count == 2
    out, tangent, aux = jvp(f, (X,), (np.ones(3),), has_aux=True)
    assert_close(tangent, np.sum(2 * X))


def test_aux_carried_by_a_loop():
    def plain(x, n):
        return np.sum(f(x, n)[0])

    def f(x, n):
        s = x
        trace = 0.0
        for i in range(n):
            s = np.sin(s) * x
            trace = trace + s
        return np.sum(s), (trace, s)

    for x in (0.7, np.array([0.7, -0.2])):
        (value, (trace, last)), g = value_and_grad(f, has_aux=True)(x, 4)
        assert_close(g, grad(plain)(x, 4))
        assert_close(value, plain(x, 4)) and assert_close(np.sum(last), plain(x, 4))
        assert_close(trace, f(x, 4)[1][0])
        g, (trace2, _) = grad(f, has_aux=True)(x, 4)
        assert_close(trace2, trace)


def test_generated_code_returns_the_aux_of_its_forward_sweep():
    text = source(grad(scalar_aux, has_aux=True))
    assert text.count("np.tanh") == 1  # one forward sweep, the aux read from it
    assert "return (grad_x, h)" in text
    assert "return ((s2, h), " in source(value_and_grad(scalar_aux, has_aux=True))
    text = source(grad(loss_aux, has_aux=True))
    assert "aux = (h, " in text and ", aux)" in text
    assert source(scalar_aux, has_aux=True) == source(grad(scalar_aux, has_aux=True))


def test_plain_path_unchanged():
    text = source(grad(loss))  # (no aux returned: no `, h)` of a pair, no name `aux`)
    assert "aux" not in text and ", h)" not in text and "(h, " not in text
    assert grad(loss) is grad(loss)
    assert grad(scalar_aux, has_aux=True) is grad(scalar_aux, has_aux=True)
    with pytest.raises(ArgumentError, match="has_aux=True"):  # (a pair's parts were summed)
        grad(scalar_aux)


def line_of(f, text):
    src, first = inspect.getsourcelines(f)
    return first + next(i for i, line in enumerate(src) if text in line)


def one_value(x):
    return np.sum(x ** 2)


def three_values(x):
    return np.sum(x ** 2), x, x


@pytest.mark.parametrize("call", [
    lambda f: grad(f, has_aux=True)(X),
    lambda f: value_and_grad(f, has_aux=True)(X),
    lambda f: vjp(f, X, has_aux=True),
    lambda f: jvp(f, (X,), (X,), has_aux=True),
    lambda f: jacfwd(f, has_aux=True)(X),
    lambda f: jacrev(f, has_aux=True)(X),
])
def test_not_a_pair_is_a_located_error(call):
    with pytest.raises(ArgumentError, match=rf"{HERE}:{line_of(one_value, 'return')}: one_value "
                       r"is differentiated with has_aux=True, so it must return a pair "
                       r"\(output, aux\), but it returns one value"):
        call(one_value)
    with pytest.raises(ArgumentError, match=rf"{HERE}:{line_of(three_values, 'return')}: .*"
                       "returns a tuple of 3"):
        call(three_values)


def test_a_container_that_is_not_a_pair():
    def as_dict(x):
        return {"loss": np.sum(x), "aux": x}

    with pytest.raises(ArgumentError, match=rf"{HERE}:{line_of(as_dict, 'return')}: .*returns "
                       "a dict"):
        grad(as_dict, has_aux=True)(X)


def test_has_aux_must_be_a_bool():
    with pytest.raises(ArgumentError, match="has_aux must be True or False"):
        grad(scalar_aux, has_aux=1)
    with pytest.raises(ArgumentError, match="has_aux must be True or False"):
        jacfwd(scalar_aux, has_aux="yes")


def test_differentiating_a_derivative_with_aux_again_is_refused():
    dg = grad(scalar_aux, has_aux=True)
    for outer in (grad, jacfwd, jacrev):
        with pytest.raises(ArgumentError, match="taken with has_aux=True, is not differentiated "
                           "again"):
            outer(dg)(X, 1.5)
    with pytest.raises(ArgumentError, match="with has_aux=True is not supported"):
        jacfwd(jacfwd(vector_aux, has_aux=True))(X, 1.5)
    with pytest.raises(ArgumentError, match="not a Jacobian"):
        jacfwd(jacfwd(vector), has_aux=True)(X, 1.5)
