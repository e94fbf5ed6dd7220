"""Transforms called inside differentiated code (tester T53's findings, fixer fixinside41): each a
regression test that failed before its fix, checked against finite differences."""
import numpy as np
import pytest

from adcompile import grad, hessian, jvp, value_and_grad, vjp
from adcompile.errors import UnsupportedSyntaxError
from checks import assert_close, numeric_grad

W = np.array([0.2, 0.4])
X = np.array([0.5, 1.5])


# --- (1) grad(self.inner) of a method of an object known while lowering (object-oriented MAML,
# T53 §6): was refused "reading the method .inner of a Meta (object) without calling it" -------
class Meta:
    def __init__(self, lr):
        self.lr = lr

    def inner(self, w, x):
        return np.sum(np.sin(w * x)) * self.lr

    def meta_loss(self, w, x):
        w1 = w - self.lr * grad(self.inner)(w, x)
        return self.inner(w1, x)

    def valued(self, w, x):
        v, g = value_and_grad(self.inner, argnums=1)(w, x)
        return v + np.sum(g ** 2)

    def both(self, w, x):
        gw, gx = grad(self.inner, (0, 1))(w, x)
        return np.sum(gw * gx)

    def tangent(self, w, x):
        return jvp(self.inner, (w, x), (np.ones(2), np.zeros(2)))[1]

    def pulled(self, w, x):
        out, pullback = vjp(self.inner, w, x)
        return pullback(1.0)[0].sum() * out


class Sub(Meta):  # the method found on a base class
    pass


@pytest.mark.parametrize("name", ["meta_loss", "valued", "both", "tangent", "pulled"])
@pytest.mark.parametrize("cls", [Meta, Sub])
def test_transform_of_a_method_of_self_inside(name, cls):
    m = cls(0.3)
    f = getattr(m, name)
    assert_close(grad(f)(W, X), numeric_grad(f, (W, X), 0), rtol=1e-5)


def test_transform_of_a_method_differentiated_through_the_objects_fields():
    def outer(lr, w, x):  # the object built inside: d/d lr through grad(self.inner) too
        return Meta(lr).meta_loss(w, x)

    assert_close(grad(outer)(0.3, W, X), numeric_grad(outer, (0.3, W, X), 0), rtol=1e-5)
    m = Meta(0.3)  # the object an argument: its field's gradient
    expected = numeric_grad(lambda t: Meta(t).meta_loss(W, X), (0.3,), 0)
    assert_close(grad(Meta.meta_loss)(m, W, X).lr, expected, rtol=1e-5)


def test_transform_of_a_method_second_order():
    m = Meta(0.3)
    expected = np.array([numeric_grad(lambda t, k=k: grad(m.meta_loss)(t, X)[k], (W,), 0)
                         for k in range(2)])
    assert_close(hessian(m.meta_loss)(W, X), expected, rtol=1e-4, atol=1e-6)


class Net:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def loss(self, x, y):
        return np.sum(np.tanh(self.W @ x + self.b) * y)


def meta(net, x, y):  # T53 p34: the object an argument of the differentiated function
    return net.loss(x - 0.1 * grad(net.loss)(x, y), y)


def test_grad_of_a_method_of_an_argument_inside():
    net = Net(np.array([[0.5, -0.2], [0.3, 0.8]]), np.array([0.1, -0.1]))
    y = np.array([1.0, 2.0])
    assert_close(grad(meta, 1)(net, X, y), numeric_grad(meta, (net, X, y), 1), rtol=1e-5)
    expected = numeric_grad(lambda t: meta(Net(t, net.b), X, y), (net.W,), 0)
    assert_close(grad(meta)(net, X, y).W, expected, rtol=1e-5)


def test_grad_of_a_method_with_argnums_out_of_range_inside_is_refused_at_its_line():
    class Bad(Meta):
        def meta_loss(self, w, x):
            return np.sum(grad(self.inner, 2)(w, x))  # the line

    with pytest.raises(UnsupportedSyntaxError, match="argnums 2 of self.inner") as info:
        grad(Bad(0.3).meta_loss)(W, X)
    assert info.value.filename == __file__


# --- (2) grad(f_kw)(x, scale=s) inside, f_kw with a keyword-only parameter (T53 §12): refused;
# also *args, **kwargs, and arguments that are dicts (the gradient in the dict's structure) ----
def sines_kw(x, *, scale=1.0):
    return np.sum(np.sin(x) * scale)


def sines_kwargs(x, **kw):
    return np.sum(np.sin(x) * kw["scale"])


def loss_of_dict(p, x):
    return np.sum(np.tanh(p["W"] @ x + p["b"]) ** 2)


def test_grad_of_a_keyword_only_function_inside():
    def outer(x, s):
        return np.sum(grad(sines_kw)(x, scale=s) ** 2)

    def outer_kwargs(x, s):
        return np.sum(grad(sines_kwargs)(x, scale=s) ** 2)

    def outer_default(x, s):  # the keyword-only default taken
        return np.sum(grad(sines_kw)(x) ** 2) * s

    x = np.array([0.4, -0.3])
    for f in (outer, outer_kwargs, outer_default):
        for k in (0, 1):
            assert_close(grad(f, k)(x, 1.5), numeric_grad(f, (x, 1.5), k), rtol=1e-5)


def test_grad_of_a_dict_argument_inside():
    b = np.array([0.1, -0.1])
    Wm = np.array([[0.5, -0.2], [0.3, 0.8]])

    def whole(Wm, b, x):
        g = grad(loss_of_dict)({"W": Wm, "b": b}, x)
        return np.sum(g["W"] ** 2) + np.sum(g["b"])

    def other(Wm, b, x):
        return np.sum(grad(loss_of_dict, 1)({"W": Wm, "b": b}, x) ** 2)

    for f in (whole, other):
        assert_close(grad(f)(Wm, b, X), numeric_grad(f, (Wm, b, X), 0), rtol=1e-5)


GLOBAL_NET = Net(np.array([[0.5, -0.2], [0.3, 0.8]]), np.array([0.1, -0.1]))


def of_a_global_object(x, y):
    return np.sum(grad(GLOBAL_NET.loss)(x, y) ** 2)  # the line


def test_grad_of_a_method_of_a_global_object_inside_is_refused_at_its_line():
    # its fields would be constants read once: after `GLOBAL_NET.W = ...` the derivative made
    # before would be silently stale (calls of a global object's methods are refused as well)
    with pytest.raises(UnsupportedSyntaxError, match=r"calling grad\(GLOBAL_NET.loss\) of a "
                       "method bound to an object") as info:
        grad(of_a_global_object)(X, np.array([1.0, 2.0]))
    assert info.value.filename == __file__


# --- (3) a lambda or def reading a function defined in the differentiated function, under jvp,
# vjp or grad (T53 §8): was refused; now the functions it reads are defined again inside the
# function made of it (lower/closures.py), reading the same names --------------------------------
def jvp_of_a_lambda_reading_a_def(x):
    def h(t):
        return t ** 3 * x
    return jvp(lambda y: grad(h)(y), (x,), (1.0,))[1]  # 6 x ** 2 at y = x


def chained_local_functions(x):
    def h0(z):
        return z * x

    def h(y):
        s = 0.0
        for k in range(3):
            s = s + np.sin(h0(y) + k)
        return s

    def g(y):
        t = grad(h)(y)
        return t * y
    return jvp(g, (x,), (1.0,))[1] + grad(g)(x)


def pullback_and_value_of_lambdas(x):
    h = lambda t: np.sin(t) * x  # noqa: E731
    out, pb = vjp(lambda y: grad(h)(y), x)
    return pb(1.0)[0] + value_and_grad(lambda y: grad(h)(y) ** 2)(x)[1]


@pytest.mark.parametrize("f", [jvp_of_a_lambda_reading_a_def, chained_local_functions,
                               pullback_and_value_of_lambdas])
def test_a_function_reading_a_local_function_under_a_transform_inside(f):
    assert_close(grad(f)(0.7), numeric_grad(f, (0.7,), 0), rtol=1e-5)
    assert_close(jvp(f, (0.7,), (1.0,))[1], numeric_grad(f, (0.7,), 0), rtol=1e-5)
    if f is jvp_of_a_lambda_reading_a_def:
        assert_close(f(0.7), 6 * 0.7 ** 2)
        assert_close(grad(f)(0.7), 12 * 0.7)


def on_one_line(x):
    h = lambda t: t * x; g = lambda y: grad(h)(y) * y  # noqa: E702, E731
    return grad(g)(x)


def test_a_lambda_reading_a_local_function_on_its_own_line_is_refused_in_words():
    with pytest.raises(UnsupportedSyntaxError, match=r"grad\(<lambda>\), where <lambda> reads "
                       "h, a function defined in the differentiated function, not on lines of "
                       "its own before it") as info:
        grad(on_one_line)(0.7)
    assert info.value.filename == __file__


# --- (4) over-refusals left by the last stop: a helper changing its array in place, called twice
# on it while the first call's result is no longer read (its holder's value was not counted among
# those the caller gets back: inline.given_back); xs.extend(v) of a list or array made at run time
# (refused "here is not supported"; in a loop, refused as changing xs through a call) ------------
def doubled_in_place(u):
    u *= 2.0
    return u


def stepped_twice_first_unread(x):
    u = x * 1.0
    a = doubled_in_place(u)  # noqa: F841  (a holds u's array, and is not read again)
    b = doubled_in_place(u)
    return np.sum(b * x)


def extended_by_rows(x):
    out = []
    out.extend(list(x))
    return sum(o * o for o in out)


def extended_after_an_item(x):
    out = [x[0] * 2.0]
    out.extend(list(np.sin(x)))
    return out[0] * out[2] + out[-1]


def extended_in_a_loop(x):
    out = []
    for r in x.reshape(2, 2):
        out.extend(r)
    return out[0] * out[3] + out[1]


def extended_by_an_array(x):
    out = []
    out.extend(x)
    return out[1] ** 2 * out[0]


@pytest.mark.parametrize("f", [stepped_twice_first_unread, extended_by_rows,
                               extended_after_an_item, extended_in_a_loop, extended_by_an_array])
def test_over_refusals_of_changes_in_place(f):
    x = np.array([0.3, 0.5, 0.9, 1.2])
    assert_close(grad(f)(x), numeric_grad(f, (x,), 0), rtol=1e-5)
    assert_close(jvp(f, (x,), (np.ones(4),))[1], np.sum(numeric_grad(f, (x,), 0)), rtol=1e-5)


def test_a_helper_changing_an_array_the_first_result_holds_is_still_refused():
    def read_both(x):
        u = x * 1.0
        a = doubled_in_place(u)
        b = doubled_in_place(u)
        return np.sum(a) + np.sum(b)

    with pytest.raises(UnsupportedSyntaxError, match="u is changed in place, and a holds"):
        grad(read_both)(np.array([1.0, 2.0]))


class Activated:
    def __init__(self, act, k):
        self.act, self.k = act, k

    def inner(self, w):
        return np.sum(self.act(w) * self.k)

    def outer(self, w):
        return np.sum(grad(self.inner)(w) ** 2)  # the line


def test_grad_of_a_method_of_an_object_holding_a_module_function_inside():
    def f(w, c):
        return Activated(np.tanh, c).outer(w)

    assert_close(grad(f, 1)(W, 1.3), numeric_grad(f, (W, 1.3), 1), rtol=1e-5)


def test_grad_of_a_method_of_an_object_holding_a_local_function_is_refused_at_its_line():
    def f(w, c):
        act = lambda t: np.sin(t * c)  # noqa: E731
        return Activated(act, 2.0).outer(w)

    with pytest.raises(UnsupportedSyntaxError, match="holding a function defined in the "
                       "differentiated function") as info:
        grad(f)(W, 1.3)
    assert info.value.filename == __file__
    assert "grad(self.inner)(w)" in open(__file__).read().splitlines()[info.value.line - 1]


# --- grad(f) (or grad(self.f)) called inside f itself: lowering built it again without end, a
# RecursionError; refused at the user's line --------------------------------------------------
def calls_its_own_gradient(x):
    return np.sum(grad(calls_its_own_gradient)(x))  # the line


class Recursive:
    def __init__(self, k):
        self.k = k

    def f(self, x):
        return np.sum(grad(self.f)(x)) * self.k  # the line


@pytest.mark.parametrize("make", [lambda: calls_its_own_gradient,
                                  lambda: Recursive(2.0).f])
def test_a_gradient_taken_inside_its_own_function_is_refused_at_its_line(make):
    with pytest.raises(UnsupportedSyntaxError, match="taken inside .* itself") as info:
        grad(make())(np.array([1.0, 2.0]))
    assert info.value.filename == __file__
