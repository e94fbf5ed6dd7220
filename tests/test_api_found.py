"""Defects testers found in the API layer (jacfwd/hessian and random draws, primitives passed
directly, check_grads of containers, types of gradients, *args/**kwargs/keyword-only
parameters), each checked against finite differences or the other mode."""
import functools
import inspect
from collections import namedtuple

import numpy as np
import pytest

import adcompile as ad
from adcompile import ADCompileError


# --- 1. jacfwd and hessian see the draws of one call ----------------------------------------
def dropout(x, rng):
    mask = rng.random(x.shape) > 0.5
    return np.where(mask, 2.0 * x, 0.0)


def dropout_loss(x, rng):
    return np.sum(dropout(x, rng) ** 3)


def noisy(x):
    return np.tanh(x) * np.random.standard_normal(x.shape)


def noisy_object(p, x):
    return np.sum(p["w"] * x * p["rng"].normal(size=x.shape))


X6 = np.array([0.3, -0.7, 1.1, 0.4, -0.2, 0.9])


def test_jacfwd_and_hessian_use_one_draw_of_a_generator_argument():
    mask = np.random.default_rng(0).random(6) > 0.5
    jf = ad.jacfwd(dropout)(X6, np.random.default_rng(0))
    jr = ad.jacrev(dropout)(X6, np.random.default_rng(0))
    assert np.allclose(jf, np.diag(np.where(mask, 2.0, 0.0)))
    assert np.allclose(jf, jr)
    h = ad.hessian(dropout_loss)(X6, np.random.default_rng(0))
    assert np.allclose(h, np.diag(np.where(mask, 48.0 * X6, 0.0)))


def test_jacfwd_leaves_the_generator_as_one_call_does():
    rng, same = np.random.default_rng(1), np.random.default_rng(1)
    ad.jacfwd(dropout)(X6, rng)
    dropout(X6, same)
    assert rng.random() == same.random()


def test_jacfwd_uses_one_draw_of_the_global_state():
    np.random.seed(0)
    j = ad.jacfwd(noisy)(X6)
    after = np.random.random()
    np.random.seed(0)
    eps = np.random.standard_normal(6)
    assert np.allclose(j, np.diag((1 - np.tanh(X6) ** 2) * eps))
    assert np.random.random() == after  # advanced as one call advances it


def test_jacfwd_generator_in_a_container():
    x = np.array([1.0, 2.0, 3.0])
    p = {"w": np.array([0.5, -1.0, 2.0]), "rng": np.random.default_rng(3)}
    jf = ad.jacfwd(noisy_object, 1)(p, x)
    p["rng"] = np.random.default_rng(3)
    jr = ad.jacrev(noisy_object, 1)(p, x)
    assert np.allclose(jf, jr)


# --- 2. a primitive passed as the function ---------------------------------------------------
PRIMITIVES = [ad.softmax, ad.log_softmax, ad.logsumexp, np.sum, np.linalg.norm]
try:
    import scipy.special as sp
    PRIMITIVES += [sp.logsumexp, sp.softmax]
except ImportError:  # SciPy is optional
    pass


@pytest.mark.parametrize("f", PRIMITIVES, ids=lambda f: f.__name__)
def test_transforms_of_a_primitive_passed_directly(f):
    x = np.array([0.3, -1.2, 2.0])
    jf, jr = ad.jacfwd(f)(x), ad.jacrev(f)(x)
    eps = 1e-6
    numeric = np.stack([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(3)], -1)
    assert np.allclose(jf, numeric, atol=1e-6) and np.allclose(jr, jf)
    out, d = ad.jvp(f, (x,), (np.ones(3),))
    assert np.allclose(out, f(x)) and np.allclose(d, jf @ np.ones(3))
    out, pullback = ad.vjp(f, x)
    (g,) = pullback(np.ones_like(f(x)))
    assert np.allclose(g, np.reshape(np.ones_like(f(x)), -1) @ np.reshape(jf, (-1, 3)))


def test_scipy_softmax_of_a_matrix_passed_directly_keeps_its_axis():
    sp_ = pytest.importorskip("scipy.special")
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    j = ad.jacfwd(sp_.softmax)(x)
    eps = 1e-6
    cols = []
    for k in range(4):
        e = np.zeros(4)
        e[k] = eps
        e = e.reshape(2, 2)
        cols.append((sp_.softmax(x + e) - sp_.softmax(x - e)) / (2 * eps))
    assert np.allclose(np.moveaxis(np.array(cols).reshape(2, 2, 2, 2), (0, 1), (2, 3)), j,
                       atol=1e-6)


def test_options_of_a_primitive_passed_directly_are_refused_with_a_reason():
    x = np.ones((2, 3))
    with pytest.raises(ad.ArgumentError, match="def"):
        ad.jacfwd(ad.softmax)(x, 0)


# --- 3. check_grads of containers -----------------------------------------------------------
NT = namedtuple("NT", "w")


def dict_loss(p, x):
    return np.sum(np.tanh(p["w"] * x))


def list_loss(ws, x):
    return np.sum(np.tanh(ws[0] * x))


def nt_loss(p, x):
    return np.sum(np.tanh(p.w * x))


def dict_out(p, x):
    return {"a": p["w"] * x, "b": np.sin(p["w"])}


@pytest.mark.parametrize("f, args", [
    (dict_loss, ({"w": np.array([0.5, 0.3])}, np.array([0.1, 0.2]))),
    (list_loss, ([np.array([0.5, 0.3])], np.array([0.1, 0.2]))),
    (nt_loss, (NT(np.array([0.5, 0.3])), np.array([0.1, 0.2]))),
    (dict_out, ({"w": np.array([0.5, 0.3])}, np.array([0.1, 0.2]))),
])
@pytest.mark.parametrize("order", [1, 2])
def test_check_grads_of_containers(f, args, order):
    ad.check_grads(f, args, order=order)


def noisy_sum(x):
    return np.sum(np.sin(x) * np.random.standard_normal(x.shape))


def test_check_grads_of_a_function_that_draws():
    ad.check_grads(noisy_sum, (np.array([0.3, -0.2, 1.0]),), order=2)


# --- 4. gradients of float arguments are floats; zero second derivatives are zeros ----------
def int_coefficient(x, n):
    return n * x


def rounded(x, y):
    return round(x, 2) * y + round(y) * x


def test_gradient_of_a_float_argument_is_a_float():
    g = ad.grad(int_coefficient)(0.7, 3)
    assert type(g) is float and g == 3.0
    gx, gy = ad.grad(rounded, (0, 1))(0.7321, 1.3)
    assert type(gx) is float and type(gy) is float


def test_zero_second_derivative_is_a_zero_not_none():
    h = ad.hessian(int_coefficient)(0.7, 3)
    assert h is not None and h == 0.0
    h = ad.hessian(rounded, (0, 1))(0.7321, 1.3)
    assert all(block is not None and block == 0.0 for row in h for block in row)
    h = ad.hessian(lambda_int_array)(np.array([0.7, 0.2]), 3)
    assert h.shape == (2, 2) and not np.any(h)


def test_gradient_through_an_int_of_an_array_argument():
    g = ad.grad(lambda_int_array)(np.array([0.5, 1.5]), 2)
    assert g.dtype == np.float64 and np.allclose(g, 2.0)


def lambda_int_array(x, n):
    return np.sum(n * x)


# --- 5. a 0-d array parameter gets a 0-d array gradient -------------------------------------
def zero_d(a, x):
    return np.sum(np.tanh(a * x))


def test_gradient_of_a_zero_d_array_is_a_zero_d_array():
    a, x = np.array(0.3), np.array([1.0, 2.0])
    g = ad.grad(zero_d)(a, x)
    _, pullback = ad.vjp(zero_d, a, x)
    gv = pullback(1.0)[0]
    for v in (g, gv):
        assert type(v) is np.ndarray and v.shape == () and v.dtype == np.float64
    assert np.isclose(g, np.sum(x * (1 - np.tanh(a * x) ** 2)))


# --- 6. *args, **kwargs and keyword-only parameters ------------------------------------------
def kwonly(x, y=3.0, *, z=0.5):
    return x * x * y + z * x


def l2_loss(w, x, *, l2=0.1):
    return np.sum(np.tanh(x @ w) ** 2) + l2 * np.sum(w ** 2)


def total(*xs):
    return sum(v ** 2 for v in xs)


def scaled(x, **options):
    return options["a"] * np.sin(x)


def test_keyword_only_parameter_in_every_transform():
    assert np.isclose(ad.jvp(kwonly, (0.5, 2.0), (1.0, 0.0))[1], 2.5)
    assert np.isclose(ad.jacfwd(kwonly)(0.5, 2.0), 2.5)
    assert np.isclose(ad.jacrev(kwonly)(0.5, 2.0), 2.5)
    assert np.isclose(ad.hessian(kwonly)(0.5, 2.0), 4.0)
    assert np.isclose(ad.grad(ad.grad(kwonly))(0.5, 2.0), 4.0)
    assert np.isclose(ad.jacfwd(kwonly)(0.5, 2.0, z=1.5), 3.5)
    assert np.isclose(ad.hessian(kwonly, 1)(0.5, 2.0), 0.0)


def test_keyword_only_parameter_check_grads_and_jacobian_of_jacobian():
    ad.check_grads(kwonly, (0.5, 2.0))
    ad.check_grads(total, (0.5, 2.0))
    with pytest.raises(ad.ArgumentError, match="hessian"):
        ad.jacfwd(ad.jacfwd(kwonly))(0.5, 2.0)


def test_keyword_only_loss_jacobians_agree():
    w, x = np.array([0.5, -0.3]), np.array([[1.0, 2.0], [0.5, -1.0]])
    g = ad.grad(l2_loss)(w, x)
    assert np.allclose(ad.jacfwd(l2_loss)(w, x), g)
    assert np.allclose(ad.jacrev(l2_loss)(w, x), g)
    _, d = ad.jvp(l2_loss, (w, x), (np.ones(2), np.zeros((2, 2))))
    assert np.isclose(d, np.sum(g))
    h = ad.hessian(l2_loss)(w, x)
    assert np.allclose(h, ad.jacrev(ad.grad(l2_loss))(w, x)) and np.allclose(h, h.T)


def test_var_positional_parameter():
    out, pullback = ad.vjp(total, 1.0, 2.0)
    assert out == 5.0 and pullback(1.0) == (2.0, 4.0)
    out, d = ad.jvp(total, (1.0, 2.0), (1.0, 0.5))
    assert out == 5.0 and np.isclose(d, 4.0)
    assert ad.jacfwd(total)(1.0, 2.0) == (2.0, 4.0)  # argnums 0: *xs, one parameter
    h = ad.hessian(total)(1.0, 2.0)
    assert np.allclose(np.array(h, dtype=float), 2 * np.eye(2))


def test_var_keyword_parameter_given():
    j = ad.jacfwd(scaled)(0.4, a=2.0)
    assert np.isclose(j, 2.0 * np.cos(0.4))
    assert np.isclose(ad.hessian(scaled)(0.4, a=2.0), -2.0 * np.sin(0.4))


OPS = {"sq": lambda v: v * v}


def calls_a_global_table(x):  # (a computed key: the function is known only at run time)
    return OPS["sq" if x > 0 else "sq"](x)


def test_second_order_reports_the_located_error():
    for transform in (ad.hessian, lambda f: ad.grad(ad.grad(f)), ad.jacfwd,
                      lambda f: ad.jacfwd(ad.grad(f))):
        with pytest.raises(ADCompileError) as info:
            transform(calls_a_global_table)(0.7)
        assert "containers" not in str(info.value)
        assert "test_api_found.py:" in str(info.value)


# --- a function returning a list gave its value (and jacobian) back as a tuple from jvp, vjp,
# jacfwd and jacrev; a tuple stays a tuple ----------------------------------------------------
def returns_list(x, y):
    return [x * y, x + y]


def returns_list_of_name(x, y):
    out = [x * y]
    if x > 0:
        return [x * y, y]
    out.append(x + y)
    return out


def returns_tuple(x, y):
    return (x * y, x + y)


@pytest.mark.parametrize("f, kind", [(returns_list, list), (returns_list_of_name, list),
                                     (returns_tuple, tuple)])
def test_a_returned_list_stays_a_list(f, kind):
    out, tangent = ad.jvp(f, (1.0, 2.0), (1.0, 0.0))
    assert type(out) is kind and type(tangent) is kind and out == f(1.0, 2.0)
    out, pullback = ad.vjp(f, 1.0, 2.0)
    assert type(out) is kind and out == f(1.0, 2.0)
    assert pullback(kind([1.0, 0.0])) == pytest.approx((2.0, 1.0))  # out[0] = x * y
    assert type(ad.jacfwd(f)(1.0, 2.0)) is kind and type(ad.jacrev(f)(1.0, 2.0)) is kind


# --- functools.partial of a Python function (JAX users bind data this way) was refused as "not
# a Python function" ----------------------------------------------------------------------------
def least_squares(w, X, y, lam=0.1):
    r = X @ w - y
    return np.sum(r * r) + lam * np.sum(w * w)


def test_transforms_of_a_partial():
    import functools
    X = np.array([[1.0, 2.0], [3.0, 4.0], [0.5, -1.0]])
    y, w = np.array([1.0, 0.0, 2.0]), np.array([0.3, -0.2])
    bound = functools.partial(least_squares, X=X, y=y)
    expected = ad.grad(least_squares)(w, X, y)
    np.testing.assert_allclose(ad.grad(bound)(w), expected)
    value, g = ad.value_and_grad(bound)(w)
    assert value == pytest.approx(least_squares(w, X, y))
    np.testing.assert_allclose(g, expected)
    np.testing.assert_allclose(ad.hessian(bound)(w), ad.hessian(least_squares)(w, X, y))
    np.testing.assert_allclose(ad.jacrev(bound)(w), expected)
    np.testing.assert_allclose(ad.jacfwd(bound)(w), expected)
    first = functools.partial(least_squares, w)  # bound positionally: argnums count the rest
    gX, gy = ad.grad(first, argnums=(0, 1))(X, y)
    np.testing.assert_allclose(gX, ad.grad(least_squares, 1)(w, X, y))
    np.testing.assert_allclose(gy, ad.grad(least_squares, 2)(w, X, y))
    assert "def grad_least_squares" in ad.source(ad.grad(bound))


# --- a list inside a returned dict or tuple came back a tuple from jvp, vjp and jacobians (only
# a list returned at the top was told apart) ---------------------------------------------------
def list_in_dict(x, y):
    return {"b": [x * y, x + y], "c": (x, [y])}


def list_stored_in_dict(x, y):
    d = {}
    d["b"] = [x, y * x]
    return d


def list_in_tuple(x, y):
    return (x, [y, x * y])


def appended_in_dict(x, y):
    xs = []
    for i in range(3):
        xs.append(x * i + y)
    return {"xs": xs}


def _kinds(v):
    """The nesting of lists, tuples and dicts, leaves as '.'."""
    if isinstance(v, dict):
        return {k: _kinds(e) for k, e in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_kinds(e) for e in v)
    return "."


@pytest.mark.parametrize("f", [list_in_dict, list_stored_in_dict, list_in_tuple,
                               appended_in_dict])
def test_lists_inside_returned_containers_stay_lists(f):
    want = _kinds(f(2.0, 3.0))
    out, tangent = ad.jvp(f, (2.0, 3.0), (1.0, 0.5))
    assert _kinds(out) == want and _kinds(tangent) == want
    assert _kinds(ad.jacrev(f)(2.0, 3.0)) == want and _kinds(ad.jacfwd(f)(2.0, 3.0)) == want
    out, back = ad.vjp(f, 2.0, 3.0)
    assert _kinds(out) == want and out == f(2.0, 3.0)
    h = 1e-6
    num = [(a - b) / (2 * h) for a, b in zip(_leaves(f(2.0 + h, 3.0 + h / 2)),
                                             _leaves(f(2.0 - h, 3.0 - h / 2)))]
    assert np.allclose(_leaves(tangent), num, atol=1e-6)
    cotangent = f(0.5, -1.5)  # (any values of the output's structure)
    gx, gy = back(cotangent)
    assert np.isclose(gx + 0.5 * gy, np.dot(_leaves(cotangent), _leaves(tangent)))


def _leaves(v):
    if isinstance(v, dict):
        return [e for k in v for e in _leaves(v[k])]
    if isinstance(v, (list, tuple)):
        return [e for item in v for e in _leaves(item)]
    return [v]


# --- a function decorated with functools.wraps was differentiated as the function it wraps:
# inspect reads the wrapped one's source (and signature), so the wrapper's * 2.0 was dropped ---
def doubled(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs) * 2.0
    return wrapper


def shifted(fn):
    @functools.wraps(fn)
    def wrapper(x):
        return fn(x + 1.0)
    return wrapper


@doubled
def doubled_power(x, y=3.0):
    return x ** 2 * y


@shifted
def shifted_cube(x):
    return x ** 3


@doubled
def doubled_total(*xs):
    return sum(x * x for x in xs)


def calls_wrapped(x):
    return doubled_power(x, 1.0) + shifted_cube(x)


def test_a_functools_wraps_decorator_is_differentiated_with_its_wrapper():
    assert ad.grad(doubled_power)(2.0) == 24.0 and ad.grad(shifted_cube)(2.0) == 27.0
    assert ad.value_and_grad(doubled_power, (0, 1))(2.0, 1.0) == (8.0, (8.0, 8.0))
    assert ad.grad(doubled_power)(2.0, y=1.0) == 8.0 and ad.hessian(doubled_power)(2.0) == 12.0
    assert ad.jvp(shifted_cube, (2.0,), (1.0,)) == (27.0, 27.0)
    assert ad.grad(calls_wrapped)(2.0) == 8.0 + 27.0
    assert str(inspect.signature(ad.grad(doubled_power))) == "(x, y=3.0)"
    assert ad.grad(doubled_total)(1.0, 2.0) == (4.0, 8.0)  # (*xs: one parameter, a tuple)


# --- an object of the user's class with a method named like an array's (v.sum(), v.mean(),
# v.dot(w)) and no field read in the function ran through code compiled for arrays: np.sum(v)
# called V.sum, so the value was right and the gradient a float (or a TypeError in the code) ---
class Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def sum(self, *args, **kwargs):
        return self.a + 2.0 * self.b

    def mean(self):
        return self.a * self.b

    def dot(self, other):
        return self.a * other.a + self.b * other.b


def pair_sum(v):
    return v.sum()


def pair_mean(v):
    return v.mean() ** 2


def pair_dot(v, w):
    return v.dot(w) * 3.0


def array_methods(x, W):
    return (x @ W).sum() + x.mean()


def test_an_object_with_array_method_names_is_differentiated_as_an_object():
    g = ad.grad(pair_sum)(Pair(2.0, 3.0))
    assert type(g) is Pair and (g.a, g.b) == (1.0, 2.0)
    g = ad.grad(pair_mean)(Pair(2.0, 3.0))  # 2 * a * b * (b, a)
    assert type(g) is Pair and (g.a, g.b) == (36.0, 24.0)
    gv, gw = ad.grad(pair_dot, (0, 1))(Pair(2.0, 3.0), Pair(5.0, 7.0))
    assert (gv.a, gv.b, gw.a, gw.b) == (15.0, 21.0, 6.0, 9.0)
    x, W = np.array([1.0, -2.0, 0.5]), np.arange(6.0).reshape(3, 2)
    gx, gW = ad.grad(array_methods, (0, 1))(x, W)  # arrays still take the arrays' code
    assert np.allclose(gx, W.sum(axis=1) + 1 / 3) and np.allclose(gW, np.outer(x, np.ones(2)))


# --- jvp: a constant int in a dict result had the constant itself as its tangent (3, not 0) ---
def dict_with_a_constant(x):
    return {"y": x * 2.0, "n": 3, "name": "run"}


def test_a_constant_in_a_dict_result_has_a_zero_tangent():
    x = np.array([0.3, -0.5])
    out, tangent = ad.jvp(dict_with_a_constant, (x,), (np.ones(2),))
    assert out["n"] == 3 and out["name"] == "run" and np.allclose(tangent["y"], 2.0)
    assert tangent["n"] == 0.0 and tangent["name"] is None


# --- grad of an object with __call__ was refused ("not a Python function"; JAX takes any
# callable), and argnums out of range for a bound method counted its self ("argnums 2") ------
class Quadratic:
    def __init__(self, W):
        self.W = W

    def __call__(self, v):
        return np.sum((self.W @ v) ** 2)

    def loss(self, v):
        return np.sum(np.sin(self.W @ v))


def test_a_callable_object_is_differentiated_through_its_call_method():
    W = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 2.0]])
    x = np.array([0.3, -0.5, 1.2])
    m = Quadratic(W)
    assert np.allclose(ad.grad(m)(x), 2 * W.T @ W @ x)
    assert np.allclose(ad.jvp(m, (x,), (np.ones(3),))[1], 2 * (W @ x) @ (W @ np.ones(3)))
    assert np.allclose(ad.vjp(m, x)[1](1.0)[0], 2 * W.T @ W @ x)
    assert np.allclose(ad.hessian(m)(x), 2 * W.T @ W) and np.allclose(ad.jacrev(m)(x),
                                                                    2 * W.T @ W @ x)
    with pytest.raises(ADCompileError, match=r"argnums 1 is out of range: the method loss "
                       r"takes 1 argument\(s\) \(v\); use 0 to 0"):
        ad.grad(m.loss, 1)(x)


# --- a closure or global object's field (cfg.k of a namedtuple or object) was refused as "the
# attribute .k of an array"; objects of classes with __slots__ were taken for arrays ----------
Config = namedtuple("Config", "k")


class Settings:
    def __init__(self, k):
        self.k = k


SETTINGS = Settings(2.0)


def make_loss(cfg):
    def loss(v):
        return cfg.k * np.sum(v ** 2)
    return loss


def reads_a_global_object(v):
    return SETTINGS.k * np.sum(v ** 2)


class Slotted:
    __slots__ = ("w", "b")

    def __init__(self, w, b):
        self.w, self.b = w, b

    def energy(self, x):
        return np.sum((self.w * x) ** 2) * self.b


def slotted_energy(s, x):
    return s.energy(x) + Slotted(s.w * 2.0, s.b).energy(x)


def test_fields_of_closure_and_global_objects_and_slotted_objects():
    x = np.array([0.3, -0.5, 1.2])
    for cfg in (Config(2.0), Settings(2.0)):
        assert np.allclose(ad.grad(make_loss(cfg))(x), 4.0 * x)
    assert np.allclose(ad.grad(reads_a_global_object)(x), 4.0 * x)
    SETTINGS.k = 3.0  # a new derivative reads the new value
    try:
        assert np.allclose(ad.grad(reads_a_global_object)(x), 6.0 * x)
    finally:
        SETTINGS.k = 2.0
    s = Slotted(np.array([1.0, 2.0, -1.0]), 2.0)
    g = ad.grad(slotted_energy)(s, x)
    assert type(g) is Slotted
    assert np.allclose(g.w, 2 * 5 * s.w * x ** 2 * s.b)
    assert np.isclose(g.b, 5 * np.sum((s.w * x) ** 2))


def test_hvp_and_jacobians_of_the_gradient_of_a_bound_method():
    W = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 2.0]])
    x, v = np.array([0.3, -0.5, 1.2]), np.array([1.0, -2.0, 0.5])
    m = Quadratic(W)
    H = ad.hessian(m.loss)(x)
    assert np.allclose(H, -W.T @ np.diag(np.sin(W @ x)) @ W)
    assert np.allclose(ad.hvp(m.loss, (x,), (v,)), H @ v)
    assert np.allclose(ad.jacfwd(ad.grad(m.loss))(x), H)
    assert np.allclose(ad.jacrev(ad.grad(m.loss))(x), H)


# --- stop_gradient of a dict or list was refused ("a dict is used as a value computed at run
# time"); as in JAX it holds every leaf still --------------------------------------------------
def held_still(p, x):
    q = ad.stop_gradient(p)
    return np.sum(q["w"] * x) + p["b"] ** 2 + np.sum(ad.stop_gradient([x, p["b"]])[0] * p["w"])


def test_stop_gradient_of_a_container_holds_each_leaf():
    p, x = {"w": np.array([1.0, 2.0]), "b": 3.0}, np.array([0.5, -1.0])
    g = ad.grad(held_still)(p, x)
    assert np.allclose(g["w"], x) and g["b"] == 6.0
    assert np.allclose(ad.grad(held_still, 1)(p, x), p["w"])


def test_check_grads_of_a_bound_method():
    W = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 2.0]])
    ad.check_grads(Quadratic(W).loss, (np.array([0.3, -0.5, 1.2]),))  # (it was refused)


# --- messages that misled: an int in argnums was "argument 0 ... dtype int64", and a dict's
# constant tuple key (p[(1, 2)]) "a value computed at run time" (it is a key like any other) --
def weighted(a, b, c):
    return np.sum(a * b) + c * np.sum(a)


def tuple_keys(p):
    return p[(1, 2)] * 2.0 + p[1, 3] * p["a"]


def test_an_int_in_argnums_and_tuple_keys_of_a_dict():
    with pytest.raises(ADCompileError, match=r"the one in argnums is the int 1; pass floats"):
        ad.grad(weighted, 2)(np.ones(3), np.ones(3), 1)
    g = ad.grad(tuple_keys)({(1, 2): 1.0, (1, 3): 2.0, "a": 3.0})
    assert g == {(1, 2): 2.0, (1, 3): 3.0, "a": 2.0}


def test_a_defaultdict_gradient_is_a_defaultdict_with_its_factory():
    """JAX's: the gradient of a defaultdict argument has its type and default_factory (it was a
    plain dict)."""
    from collections import defaultdict

    def f(p):
        return p["a"] * p["b"] ** 2
    d = defaultdict(float, {"a": 2.0, "b": 3.0})
    for g in (ad.grad(f)(d), ad.vjp(f, d)[1](1.0)[0], ad.jacrev(f)(d)):
        assert type(g) is defaultdict and g.default_factory is float
        assert dict(g) == {"a": 9.0, "b": 12.0}


def test_a_constant_gradient_of_a_float32_scalar_is_a_float32():
    """2.0 of `a * 2.0` came back a Python float for an np.float32 (or a float32 0-d array)."""
    def f(a):
        return a * 2.0
    g = ad.grad(f)(np.float32(0.7))
    assert type(g) is np.float32 and g == 2.0
    g = ad.grad(f)(np.array(0.7, dtype=np.float32))
    assert type(g) is np.ndarray and g.dtype == np.float32 and g.shape == ()
    assert type(ad.grad(f)(np.float64(0.7))) is np.float64
    assert type(ad.grad(f)(0.7)) is float


def imag_of_a_python_complex(x):
    z = x * (1 + 1j)
    return np.imag(z) * x


def real_of_a_square(x):
    z = x * (1 + 1j)
    return np.real(z * z)


def modulus_squared(x):
    z = x * 1j + 1.0
    return (z * z.conjugate()).real


@pytest.mark.parametrize("f, expected", [(imag_of_a_python_complex, 1.4), (real_of_a_square, 0.0),
                                         (modulus_squared, 1.4)])
def test_python_complex_numbers_on_the_way_from_a_float(f, expected):
    """A real Python float through Python complex numbers: imag_grad read a Python complex as
    real (0.7 for 1.4), and the float fast path returned the complex adjoint without its real
    part (2.8j for 0, (1.4+2j) for 1.4). jvp was right."""
    g = ad.grad(f)(0.7)
    assert type(g) is float and g == pytest.approx(expected)
    assert ad.jvp(f, (0.7,), (1.0,))[1] == pytest.approx(expected)


# -- found by tester T12 (ML code, composition) ------------------------------------------------
def _xent(w, X, y):
    z = X @ w
    return np.sum(np.log1p(np.exp(z)) - y * z)


def test_hvp_with_integer_labels_gives_none_for_them():
    """hvp takes no argnums: an integer array among the primals (labels) is a constant, as in
    jvp(grad(f)); it was refused as 'an integer array in argnums' the user never passed."""
    w, X, y = np.array([0.3, -0.2]), np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([1, 0])
    v = (np.array([1.0, 0.5]), np.zeros((2, 2)), None)
    got = ad.hvp(_xent, (w, X, y), v)
    want = ad.hvp(_xent, (w, X, y.astype(float)), v[:2] + (np.zeros(2),))
    assert got[2] is None
    assert np.allclose(got[0], want[0]) and np.allclose(got[1], want[1])


def test_jacobian_of_jacobian_names_the_argument_it_cannot_take():
    def f(W, x, act=np.tanh):
        return np.sum(act(x @ W))
    W, x = np.full((2, 2), 0.1), np.ones((3, 2))
    with pytest.raises(ad.ArgumentError, match="argument 2 is a function; use hessian"):
        ad.jacfwd(ad.jacrev(f, 0), 0)(W, x)
    assert np.allclose(ad.jacfwd(ad.grad(f))(W, x), ad.hessian(f)(W, x))


def test_second_derivative_through_a_helper_says_so():
    """hessian of norm(x, 1) said only 'no forward-mode rule for norm_grad', a helper the user
    never wrote (T12)."""
    with pytest.raises(ad.NoDerivativeError, match="norm_grad, which the first derivative of "
                       "this line calls: its second derivative is not supported"):
        ad.hessian(lambda x: np.linalg.norm(x, 1))(np.array([1.0, -2.0, 3.0]))


# -- found by tester T13 (constants among the primals, source at=) ----------------------------
def _scaled(x, mode):
    if mode == "b":
        return 2.0 * x ** 2
    return x ** 2


def _applied(x, fn):
    return np.sum(fn(x) * x)


@pytest.mark.parametrize("constant", ["b", b"b", None, np.sin, float])
def test_vjp_gives_none_for_a_primal_that_is_a_constant(constant):
    """A string (None, a function, a class) is a constant with None in its place, as an int is
    and as inside containers; vjp's pullback gave np.zeros_like of it (array('', dtype='<U1')
    for "b"), being differentiated as a container would be."""
    out, pullback = ad.vjp(_scaled, 0.7, constant)
    grads = pullback(1.0)
    assert grads[1] is None
    assert grads[0] == pytest.approx(2.8 if constant == "b" else 1.4)


def test_jvp_and_hvp_take_a_string_primal_as_a_constant():
    for still in (None, 0.0, "b"):  # (the constant itself: a zero tangent of its structure)
        assert ad.jvp(_scaled, (0.7, "b"), (1.0, still)) == pytest.approx((0.98, 2.8))
    with pytest.raises(ad.ArgumentError, match="primal 1 is a str, a constant"):
        ad.jvp(_scaled, (0.7, "b"), (1.0, "c"))
    assert ad.hvp(_scaled, (0.7, "b"), (1.0, None)) == pytest.approx((4.0, None))
    with pytest.raises(ad.ArgumentError, match="every primal is an integer, a bool or another "
                       "constant"):
        ad.vjp(lambda m: 1.0, "b")


def test_jacobian_with_respect_to_an_object_without_dtype_says_so():
    """jacfwd and jacrev named the dtype of an argument in argnums with no gradient, and raised
    NumPy's TypeError for a slice, which has none."""
    with pytest.raises(ad.ArgumentError, match="argument 1 in argnums is a slice"):
        ad.jacfwd(lambda x, s: x * 2.0, (0, 1))(0.7, slice(1, 2))


def _power(x, n):
    return x ** n


def _weighted(p, x):
    return p["w"] * x ** 2


@pytest.mark.parametrize("transform", [ad.grad, ad.value_and_grad])
def test_source_at_plain_arguments_is_the_code_they_run(transform):
    """source(df, at=args) of a derivative took it for a function to differentiate when the
    arguments were plain: value_and_grad's was refused (it returns a tuple), grad's was silently
    the second derivative (grad_grad_f). It is the code a call with them runs."""
    for nums, at in ((0, (0.7, 2)), ((0, 1), (0.7, 2.0))):
        df = transform(_power, nums)
        assert ad.source(df, at=at) == ad.source(df)
    df = transform(ad.grad(_power))
    assert ad.source(df, at=(0.7, 2)) == ad.source(df)
    partial = transform(functools.partial(_power, n=2))
    assert ad.source(partial, at=(0.7,)) == ad.source(partial)
    assert "grad_p_w" in ad.source(transform(_weighted), at=({"w": 1.0}, 0.7))
    assert "# line" in ad.source(transform(_power), at=(0.7, 2), annotate=True)


# --- T53 1: argnums pick arguments the call passes (a default, a partial's value is data) ----
def _with_default(x, s=2.0):
    return x * s ** 2


def _three(a, b, c):
    return a * b ** 2 + np.sin(c) * a


@pytest.mark.parametrize("transform", [ad.grad, ad.value_and_grad, ad.jacfwd, ad.jacrev,
                                       ad.hessian])
def test_argnums_on_a_parameter_left_to_its_default_is_refused(transform):
    """grad(f, 1)(0.3) of def f(x, s=2.0) returned d/ds at the default (1.2), so did jacfwd and
    hessian, while jvp takes defaults for constants; JAX refuses it. Passed, it is taken."""
    for nums in (1, (0, 1), -1):
        with pytest.raises(ad.ArgumentError, match="s is differentiated .* does not pass it"):
            transform(_with_default, nums)(0.3)
    want = {ad.hessian: 2 * 0.3}.get(transform, 2 * 0.3 * 2.5)
    for call in (lambda d: d(0.3, 2.5), lambda d: d(0.3, s=2.5)):
        got = call(transform(_with_default, 1))
        got = got[1] if transform is ad.value_and_grad else got
        assert np.allclose(got, want)
    assert np.allclose(transform(_with_default)(0.3), {ad.hessian: 0.0}.get(transform, 4.0)
                       ) or transform is ad.value_and_grad  # (argnums 0: the default is data)


def test_argnums_on_a_value_bound_by_a_partial_is_refused():
    """grad(partial(base, b=3.0), 1)(2.0, c=0.5) returned d/db, the bound value; so did jacfwd
    and hessian, and grad(partial(base, a=2.0))(b=.., c=..) d/da. JAX refuses these calls."""
    p = functools.partial(_three, b=3.0)
    for transform in (ad.grad, ad.value_and_grad, ad.jacfwd, ad.jacrev, ad.hessian):
        for nums in (1, (0, 1)):
            with pytest.raises(ad.ArgumentError, match="functools.partial binds .b=3.0."):
                transform(p, nums)(2.0, c=0.5)
    with pytest.raises(ad.ArgumentError, match="functools.partial binds .a=2.0."):
        ad.grad(functools.partial(_three, a=2.0))(b=3.0, c=0.5)
    assert np.isclose(ad.grad(p, 2)(2.0, c=0.5), 2.0 * np.cos(0.5))  # c: passed by keyword
    assert np.isclose(ad.grad(p, 1)(2.0, b=4.0, c=0.5), 16.0)  # b passed at the call
    assert np.isclose(ad.grad(p)(2.0, c=0.5), 9.0 + np.sin(0.5))


def test_a_derivative_of_a_derivative_needs_its_parameters_too():
    """grad(grad(f, 1)) differentiated the inner derivative at the default of s."""
    with pytest.raises(ad.ArgumentError, match="s is differentiated"):
        ad.grad(ad.grad(_with_default, 1))(0.3)
    assert np.isclose(ad.grad(ad.grad(_with_default, 1))(0.3, 2.5), 2 * 2.5)


def _inner_unpassed(x):
    return ad.grad(_with_default, 1)(x)


def _inner_passed(x):
    return ad.grad(_with_default, 1)(x, 2.5 * x)


_P = functools.partial(_three, b=3.0)


def _inner_partial(x):
    return ad.grad(_P, 1)(x, c=0.5)


def test_inside_a_differentiated_function_too():
    with pytest.raises(ad.ArgumentError, match=r"test_api_found.py:\d+: .*s is differentiated"):
        ad.grad(_inner_unpassed)(0.3)
    with pytest.raises(ad.ArgumentError, match="functools.partial binds"):
        ad.grad(_inner_partial)(0.3)
    assert np.isclose(ad.grad(_inner_passed)(0.3), 10 * 0.3)  # d/dx of 2x(2.5x)


def test_jit_of_such_a_derivative_refuses_too():
    pytest.importorskip("numba")
    with pytest.raises(ad.ArgumentError, match="s is differentiated"):
        ad.jit(ad.grad(_with_default, 1))(0.3)
    assert np.isclose(ad.jit(ad.grad(_with_default, 1))(0.3, 2.5), 1.5)
    with pytest.raises(ad.ArgumentError, match="functools.partial binds"):
        ad.jit(ad.grad(_P, 1))(2.0, c=0.5)


# --- T53 2: a complex argument of jacfwd/jacrev/hessian needs holomorphic=True (JAX's) -------
Z = 0.3 + 0.7j


def _abs2(w):
    return np.abs(w) ** 2


def _cube(w):
    return w ** 3


def _sine_times_first(w):
    return np.sin(w) * w[0]


def _along(f, z, h=1e-6):
    """Central differences of f at z along the real and the imaginary axis."""
    return (f(z + h) - f(z - h)) / (2 * h), (f(z + 1j * h) - f(z - 1j * h)) / (2 * h)


@pytest.mark.parametrize("transform", [ad.jacfwd, ad.jacrev, ad.hessian])
def test_a_complex_argument_of_a_jacobian_needs_holomorphic(transform):
    """jacfwd(np.conj)(z) was 1+0j and jacfwd(|w|^2)(z) 0.6 (d/dx only; d/dy = 1.4), hessian
    of |w|^2 2+0j: the derivative along the real axis given for the complex one."""
    for f in (np.conj, _abs2, _cube):
        with pytest.raises(ad.ArgumentError, match="argument 0 is complex.*holomorphic=True"):
            transform(f)(Z)
    with pytest.raises(ad.ArgumentError, match="holomorphic=True"):
        transform(_cube)(np.array([Z, 1j]))
    with pytest.raises(ad.ArgumentError, match="takes complex arguments.*argument 0 is real"):
        transform(_cube, holomorphic=True)(0.3)


def test_holomorphic_gives_the_complex_derivative():
    along_x, along_y = _along(_cube, Z)
    assert np.isclose(along_x, along_y / 1j)  # (holomorphic: the same along both axes)
    for jac in (ad.jacfwd, ad.jacrev):
        assert np.isclose(jac(_cube, holomorphic=True)(Z), along_x)
        with pytest.raises(ad.ArgumentError, match="needs complex outputs"):
            jac(_abs2, holomorphic=True)(Z)
        w = np.array([Z, 1j - 0.2])
        J = jac(_sine_times_first, holomorphic=True)(w)
        for k in range(2):
            e = np.eye(2)[k]
            dx, dy = _along(lambda t, w=w, e=e: _sine_times_first(w + t * e), 0.0)
            assert np.allclose(J[:, k], dx) and np.allclose(J[:, k], dy / 1j)
    second = _along(lambda z: ad.jacfwd(_cube, holomorphic=True)(z), Z)[0]
    assert np.isclose(ad.hessian(_cube, holomorphic=True)(Z), second) and np.isclose(second, 6 * Z)


def test_grad_of_a_real_function_of_a_complex_argument_keeps_jaxs_convention():
    """grad takes complex arguments of a real-valued function: d f/dx - 1j d f/dy."""
    dx, dy = _along(_abs2, Z)
    assert np.isclose(ad.grad(_abs2)(Z), dx - 1j * dy)


# --- T53 10: a cotangent's structure checked as JAX does; grad of a string refused ---------
_St = namedtuple("_St", "pos vel")


def _step(s, dt, k):
    return _St(s.pos + dt * s.vel, s.vel - dt * k * s.pos)


def test_a_plain_tuple_is_no_cotangent_of_a_namedtuple_output():
    """pb((a, b)) of a namedtuple output was taken by position."""
    out, pb = ad.vjp(_step, _St(np.ones(2), np.zeros(2)), 0.1, 2.0)
    with pytest.raises(ad.ArgumentError, match="should be a _St with fields"):
        pb((np.ones(2), np.ones(2)))
    g = pb(_St(np.ones(2), np.ones(2)))
    assert np.allclose(g[0].pos, 1 - 0.2) and np.allclose(g[0].vel, 1.1)
    with pytest.raises(ad.ArgumentError, match="should be a _St"):
        ad.jvp(_step, (_St(np.ones(2), np.zeros(2)), 0.1, 2.0),
               ((np.ones(2), np.ones(2)), 0.0, 0.0))


def _constant_output(s):
    return 1.0


def _second_only(s, x):
    return x * 2.0


def test_grad_with_respect_to_a_string_or_none_is_refused():
    """grad(lambda s: 1.0)("a") returned None, and of an int 0.0 (a constant output left the
    arguments unchecked); JAX raises, as grad does for an int it reads."""
    for transform in (ad.grad, ad.value_and_grad):
        for bad, words in (("a", "the str 'a'"), (None, "None"), (np.tanh, "the function tanh")):
            with pytest.raises(ad.ArgumentError, match=f"argument 0 in argnums is {words}"):
                transform(_constant_output)(bad)
        with pytest.raises(ad.ArgumentError, match="the int 2"):
            transform(_constant_output)(2)
        with pytest.raises(ad.ArgumentError, match="argument 0 in argnums is the str"):
            transform(_second_only, (0, 1))("a", 2.0)
    assert ad.grad(_constant_output)(2.0) == 0.0
    assert ad.grad(_second_only, 1)("a", 2.0) == 2.0


# --- T53 11: jvp and vjp take a functools.partial, as grad does -----------------------------
def test_jvp_and_vjp_of_a_partial():
    """They were refused ("jvp and vjp of functools.partial(base, ...) are not supported")."""
    a, b, c = 2.0, 3.0, 0.5
    d_a, d_b, d_c = b ** 2 + np.sin(c), 2 * a * b, a * np.cos(c)
    q = functools.partial(_three, a)  # a bound by position: held still, no gradient
    value, tangent = ad.jvp(q, (b, c), (1.0, 2.0))
    assert np.isclose(value, _three(a, b, c)) and np.isclose(tangent, d_b + 2 * d_c)
    assert np.allclose(ad.vjp(q, b, c)[1](1.0), (d_b, d_c))
    r = functools.partial(_three, c=c)  # c bound by keyword: a constant
    assert np.isclose(ad.jvp(r, (a, b), (1.0, 1.0))[1], d_a + d_b)
    out, pullback = ad.vjp(r, a, b)
    assert np.isclose(out, _three(a, b, c)) and np.allclose(pullback(2.0), (2 * d_a, 2 * d_b))
    w = np.array([1.0, 2.0])  # an array bound, a float passed: gradient and tangent
    s = functools.partial(_three, w, c=c)
    assert np.allclose(ad.vjp(s, b)[1](np.ones(2)), (2 * b * np.sum(w),))
    assert np.allclose(ad.jvp(s, (b,), (1.0,))[1], 2 * w * b)


def _two_defaults(x, s=2.0, t=3.0):
    return x * s ** 2 * t


def test_the_derivative_offers_no_default_for_a_differentiated_parameter():
    """source(grad(f, 1)) showed `def grad_f(x, s=2.0)`: the generated (and exported) code
    offered the default of the parameter it differentiates; the ones after it stay."""
    assert "def grad__two_defaults(x, s, t=3.0):" in ad.source(ad.grad(_two_defaults, 1))
    assert "def grad__two_defaults(x, s=2.0, t=3.0):" in ad.source(ad.grad(_two_defaults))
    assert np.isclose(ad.grad(_two_defaults, 1)(0.3, 2.0), 3.6)
    assert np.isclose(ad.grad(_two_defaults, 1)(0.3, 2.0, t=1.0), 1.2)
