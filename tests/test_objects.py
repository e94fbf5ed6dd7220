"""Ordinary object-oriented and functional Python in a model: functions as values (a default
activation, a function passed in or held by a container), the features of user classes (class
attributes, __call__, classmethods, operators written in Python, Jacobians of a bound method) and
iterating containers (enumerate over a list of records, a dict's keys, string methods on keys).
Each is checked against central finite differences in reverse and forward mode."""
import dataclasses
import math
from collections import namedtuple

import numpy as np
import pytest

from adcompile import grad, hessian, jacfwd, jacrev, jvp, value_and_grad, vjp
from adcompile.errors import ADCompileError
from adcompile.pytree import flatten, unflatten
from test_containers import layers_loop, tuple_unpacked


def _zero(a):
    """A zero tangent of a's structure (None for a function: no tangent)."""
    leaves, tree = flatten(a)
    return unflatten(tree, [0.0 * v if n.diff else v for v, n in zip(leaves, tree.leaves())])


def _check(f, args, k):
    """grad and jvp of f with respect to its float argument k, against finite differences."""
    h = 1e-6
    moved = lambda d: [a + d if i == k else a for i, a in enumerate(args)]  # noqa: E731
    fd = (f(*moved(h)) - f(*moved(-h))) / (2 * h)
    np.testing.assert_allclose(grad(f, k)(*args), fd, rtol=1e-6, atol=1e-9)
    tangents = tuple(1.0 if i == k else _zero(a) for i, a in enumerate(args))
    value, tangent = jvp(f, tuple(args), tangents)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12)
    np.testing.assert_allclose(tangent, fd, rtol=1e-6, atol=1e-9)


# --- 1. functions as values -----------------------------------------------------------------

def mlp(x, activation=np.tanh):
    return activation(x) * 2.0


def apply(fn, x):
    return fn(x) + x


def cube(x):
    return x ** 3


Config = namedtuple("Config", "act scale")


@dataclasses.dataclass
class Layer:
    w: float
    act: object


def apply_dict(p, x):
    return p["act"](p["w"] * x)


def apply_field(layer, x):
    return layer.act(layer.w * x)


def apply_config(c, x):
    return c.act(x) * c.scale


def test_a_default_function_and_one_passed_in():
    _check(mlp, (0.5,), 0)
    _check(mlp, (0.5, np.sin), 0)
    _check(mlp, (0.5, cube), 0)
    np.testing.assert_allclose(grad(mlp)(0.5), 2 * (1 - np.tanh(0.5) ** 2))


def test_a_function_argument_a_lambda_and_a_user_def():
    _check(apply, (np.tanh, 0.5), 1)
    _check(apply, (cube, 0.5), 1)
    _check(apply, (lambda t: np.exp(-t * t), 0.5), 1)
    _check(apply, (math.sin, 0.5), 1)


def test_a_function_held_by_a_container():
    _check(apply_dict, ({"act": np.tanh, "w": 1.5}, 0.3), 1)
    _check(apply_field, (Layer(1.5, cube), 0.3), 1)
    _check(apply_config, (Config(np.sin, 2.0), 0.3), 1)
    g = grad(apply_dict)({"act": np.tanh, "w": 1.5}, 0.3)
    assert g["act"] is None
    np.testing.assert_allclose(g["w"], 0.3 * (1 - np.tanh(0.45) ** 2))


def test_calling_a_number_is_refused_with_its_line():
    with pytest.raises(ADCompileError, match=r"calling fn, .*number or array") as info:
        grad(apply, 1)(2.0, 0.5)
    assert info.value.filename.endswith("test_objects.py")
    assert "LocalFunction" not in str(info.value)


def indexed_functions(x):
    fs = [np.sin, lambda t: t * t, cube]
    t = 0.0
    for k in range(len(fs)):
        t += fs[k](x) * (k + 1)
    return t


def test_a_list_of_functions_indexed_by_a_constant_range():
    _check(indexed_functions, (0.5,), 0)


def test_a_function_as_a_run_time_value_is_refused_by_name():
    def chosen(x):
        g = (lambda t: t * 3) if x > 0 else (lambda t: t)
        return g(x)

    def returned(x):
        def inner(t):
            return t
        return inner
    for f, name in ((chosen, "a lambda"), (returned, "the function inner")):
        with pytest.raises(ADCompileError, match=f"{name} .*is used as a value computed at "
                           "run time") as info:
            grad(f)(0.5)
        assert info.value.filename.endswith("test_objects.py")
        assert "LocalFunction" not in str(info.value) and "0x" not in str(info.value)


# --- 2. user classes ------------------------------------------------------------------------

class Model:
    scale = 3.0

    def __init__(self, w):
        self.w = w

    def __call__(self, x):
        return self.w * x * self.scale

    def loss(self, x):
        return self.w * x ** 3

    @classmethod
    def double(cls, x):
        return cls.scale * x * x

    def halve(self, x):
        return self.double(x) / 2.0


def uses_class_attr(m, x):
    return m.w * x * m.scale


def uses_call(m, x):
    return m(x)


def builds_and_calls(w, x):
    m = Model(w)
    return m(x) + m.halve(x)


def uses_classmethod(x):
    return Model.double(x)


class Vec2:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __add__(self, other):
        return Vec2(self.x + other.x, self.y + other.y)

    def __sub__(self, other):
        return Vec2(self.x - other.x, self.y - other.y)

    def __mul__(self, k):
        return Vec2(self.x * k, self.y * k)

    def __rmul__(self, k):
        return self * k

    def __neg__(self):
        return Vec2(-self.x, -self.y)

    def norm(self):
        return math.sqrt(self.x * self.x + self.y * self.y)


def vectors(x, y):
    c = Vec2(x, y) + Vec2(1.0, 2.0)
    d = -(c * 2.0) - 0.5 * Vec2(y, x)
    d += c
    return d.norm()


def vector_argument(v, s):
    return (v * s + v).norm()


def test_class_attributes_call_and_classmethods():
    _check(uses_class_attr, (Model(1.5), 0.7), 1)
    _check(uses_call, (Model(1.5), 0.7), 1)
    _check(builds_and_calls, (1.5, 0.7), 0)
    _check(builds_and_calls, (1.5, 0.7), 1)
    _check(uses_classmethod, (0.7,), 0)
    np.testing.assert_allclose(grad(uses_class_attr, 1)(Model(1.5), 0.7), 4.5)


def test_operators_written_in_python_are_inlined():
    _check(vectors, (0.7, 1.3), 0)
    _check(vectors, (0.7, 1.3), 1)
    _check(vector_argument, (Vec2(0.3, -0.4), 1.7), 1)
    g = grad(vector_argument)(Vec2(0.3, -0.4), 1.7)
    assert type(g) is Vec2


def test_an_operator_the_class_lacks_is_refused_by_name():
    def f(x):
        return (Vec2(x, x) / 2.0).norm()
    with pytest.raises(ADCompileError,
                       match=r"Vec2 \(object\) without Vec2.__truediv__ written in Python") as info:
        grad(f)(1.0)
    assert info.value.filename.endswith("test_objects.py")


def test_jacobians_of_a_bound_method():
    m = Model(2.0)
    assert abs(jacrev(m.loss)(1.0) - 6.0) < 1e-12
    assert abs(jacfwd(m.loss)(1.0) - 6.0) < 1e-12
    assert abs(hessian(m.loss)(1.0) - 12.0) < 1e-12
    value, tangent = jvp(m.loss, (1.0,), (1.0,))
    assert value == 2.0 and abs(tangent - 6.0) < 1e-12
    value, pullback = vjp(m.loss, 1.0)
    assert abs(pullback(1.0)[0] - 6.0) < 1e-12
    m.w = 3.0  # read at each call
    assert abs(hessian(m.loss)(1.0) - 18.0) < 1e-12


# --- 3. iterating containers ----------------------------------------------------------------

LayerT = namedtuple("LayerT", "w b")


def enumerated_layers(layers, x):
    h = x
    for i, layer in enumerate(layers):
        h = math.tanh(layer.w * h + layer.b) + 0.1 * i
    return h


def zipped_layers(layers, scales, x):
    h = x
    for layer, s in zip(layers, scales):
        h = math.tanh(layer.w * h + layer.b) * s
    return h


def over_keys(d, s):
    t = 0.0
    for k in d:
        t += d[k] * s
    for k in d.keys():
        t += d[k] * s * s
    for v in d.values():
        t += v * s
    return t


def key_methods(params, x):
    total = 0.0
    for k, v in params.items():
        if k.startswith("w") and not k.endswith("_frozen"):
            total += v * x
        if k.upper() == "BIAS" and str(k) == f"{k}" and k.split("_")[0] == "bias":
            total += v * x * x
    return total


def test_enumerate_and_zip_over_a_list_of_records():
    layers = [LayerT(0.5, 0.1), LayerT(-1.2, 0.3)]
    _check(enumerated_layers, (layers, 0.4), 1)
    dc = [Layer(0.5, None), Layer(-1.2, None)]

    def over_dataclasses(layers, x):
        for k, layer in enumerate(layers, 1):
            x = math.sin(layer.w * x) * k
        return x
    _check(over_dataclasses, (dc, 0.4), 1)
    _check(zipped_layers, (layers, [1.5, 0.5], 0.4), 2)


def test_iterating_a_dict_and_its_keys_and_values():
    _check(over_keys, ({"a": 0.7, "b": 1.3}, 0.5), 1)
    np.testing.assert_allclose(grad(over_keys, 1)({"a": 0.7, "b": 1.3}, 0.5), 2.0 + 2.0 + 2.0)


def test_string_methods_on_keys_fold_to_constants():
    p = {"w1": 1.5, "bias": -0.5, "w_frozen": 4.0}
    _check(key_methods, (p, 0.7), 1)
    np.testing.assert_allclose(grad(key_methods, 1)(p, 0.7), 1.5 - 0.5 * 2 * 0.7)


def sorted_keys(d, s):
    t = 0.0
    for k in sorted(d):
        t = t * 2.0 + d[k] * s
    ks = list(d)
    t += d[ks[0]] * s
    t += sum(d[k] for k in d if k != "b") * s
    return t


def test_list_and_sorted_of_a_dict_and_refusals_of_other_iterations():
    _check(sorted_keys, ({"b": 0.7, "a": 1.3}, 0.5), 1)
    np.testing.assert_allclose(grad(sorted_keys, 1)({"b": 0.7, "a": 1.3}, 0.5), 5.3)

    def stops(layers, x):
        for layer in layers:
            if layer["w"] > 0:
                break
            x = x * layer["w"]
        return x
    with pytest.raises(ADCompileError, match="a break, continue or return in a loop over "
                       "containers") as info:
        grad(stops, 1)([{"w": 1.0}], 0.5)
    assert info.value.line == stops.__code__.co_firstlineno + 1

    def over_object(m, x):
        for v in m:
            x = x * v
        return x
    with pytest.raises(ADCompileError, match=r"iterating a Model \(object\)"):
        grad(over_object, 1)(Model(1.0), 0.5)


def test_a_class_attribute_rebound_compiles_again_and_generated_dunders_are_refused():
    m = Model(1.5)
    assert abs(grad(uses_class_attr, 1)(m, 0.7) - 4.5) < 1e-12
    Model.scale = 4.0
    try:
        assert abs(grad(uses_class_attr, 1)(m, 0.7) - 6.0) < 1e-12
    finally:
        Model.scale = 3.0

    def same(x):
        return 1.0 if Layer(x, None) == Layer(2.0, None) else x
    with pytest.raises(ADCompileError, match=r"operator == on a Layer \(dataclass\) without "
                       "Layer.__eq__ written in Python") as info:
        grad(same)(1.0)
    assert info.value.filename.endswith("test_objects.py")


# --- a method inlined again for another object (PyTorch-style modules) is not recursion ----------
class Module:
    def __call__(self, x):
        return self.forward(x)


class Linear(Module):
    def __init__(self, W):
        self.W = W

    def forward(self, x):
        return np.tanh(x @ self.W)


class Sequential(Module):
    def __init__(self, *layers):
        self.layers = layers

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class Residual:
    def __init__(self, inner):
        self.inner = inner

    def forward(self, x):
        return x + self.inner.forward(x)


class Counter:
    def __init__(self, n):
        self.n = n

    def step(self, x):
        self.n = self.n + 1.0
        if self.n < 5.0:  # (decided at run time: true recursion)
            return self.step(x) * x
        return x


def module_loss(model, x):
    return np.sum(model(x) ** 2)


def residual_loss(model, x):
    return np.sum(model.forward(x) ** 2)


def counter_loss(c, x):
    return c.step(x)


def test_a_method_called_again_on_another_object_is_inlined():
    """Module.__call__ of a Sequential calling Module.__call__ of its Linear layers, and a
    Residual wrapping a Residual, were refused as recursion."""
    W = np.array([[0.5, 0.1], [-0.3, 0.8]])
    x = np.array([0.3, -0.2])
    model = Sequential(Linear(W), Sequential(Linear(2.0 * W), Linear(-W)))
    g = grad(module_loss)(model, x)
    eps = 1e-6
    E = np.zeros_like(W)
    E[0, 1] = eps
    plus = Sequential(Linear(W + E), Sequential(Linear(2.0 * W), Linear(-W)))
    minus = Sequential(Linear(W - E), Sequential(Linear(2.0 * W), Linear(-W)))
    numeric = (module_loss(plus, x) - module_loss(minus, x)) / (2 * eps)
    assert abs(g.layers[0].W[0, 1] - numeric) < 1e-6
    r = grad(residual_loss)(Residual(Residual(Linear(W))), x)
    numeric = (residual_loss(Residual(Residual(Linear(W + E))), x) -
               residual_loss(Residual(Residual(Linear(W - E))), x)) / (2 * eps)
    assert abs(r.inner.inner.W[0, 1] - numeric) < 1e-6


def test_a_method_calling_itself_is_still_refused_as_recursion():
    with pytest.raises(ADCompileError, match="recursion"):
        grad(counter_loss, argnums=1)(Counter(1.0), 0.5)


# --- a namedtuple unpacked like the tuple it is -------------------------------------------------
LayerNT = namedtuple("LayerNT", ["W", "b"])
unpacked_layer, unpacked_in_a_loop = tuple_unpacked, layers_loop  # (test_containers.py's, given a
# namedtuple here: they were tested with tuples)


def test_a_namedtuple_unpacks_into_its_fields():
    """`W, b = layer` and `for W, b in layers` (api.md's form) were refused as a namedtuple used
    as a value computed at run time."""
    x = np.array([0.3, -0.7])
    layer = LayerNT(np.array([[0.5, 0.1], [-0.3, 0.8]]), np.array([0.1, -0.2]))
    for f, arg in ((unpacked_layer, layer), (unpacked_in_a_loop, (layer, layer))):
        g = grad(f)(arg, x)
        gW = g.W if f is unpacked_layer else g[1].W
        E = np.zeros((2, 2))
        E[1, 0] = 1e-6
        moved = [LayerNT(layer.W + s * E, layer.b) for s in (1, -1)]
        if f is unpacked_in_a_loop:
            moved = [(layer, m) for m in moved]
        numeric = (f(moved[0], x) - f(moved[1], x)) / 2e-6
        assert abs(gW[1, 0] - numeric) < 1e-6


def grow_by_keys(infl):
    prices = {"food": 1.0, "housing": 1.0}
    for k in prices:
        prices[k] *= 1 + infl
    return prices["food"] + 2 * prices["housing"]


def scaled_by_keys(p, x):
    for k in p:
        p[k] = p[k] * x
    return p["a"] * p["b"]


def test_a_loop_over_a_dicts_keys_that_changes_its_values():
    """`for k in d: d[k] *= v` was refused (its items were read as the values changed, but a
    dict's iteration gives its keys, which the loop does not change)."""
    assert grad(grow_by_keys)(0.03) == pytest.approx(3.0)
    g = grad(scaled_by_keys, argnums=(0, 1))({"a": 2.0, "b": 3.0}, 1.5)
    assert g[0]["a"] == pytest.approx(1.5 ** 2 * 3.0) and g[1] == pytest.approx(2 * 1.5 * 6.0)


def weighted_by_rank(p):
    tot = 0.0
    for i, k in enumerate(sorted(p)):
        tot = tot + (i + 1) * np.sum(p[k] ** 2)
    for k, w in zip(p, (1.0, 2.0)):
        tot = tot + w * np.sum(p[k])
    return tot


def test_enumerate_and_zip_over_a_dicts_keys():
    """`enumerate(sorted(p))` ran as a loop at run time, whose keys could not index p."""
    p = {"b": np.array([0.3, -0.2]), "a": np.array([1.0, 2.0])}
    g = grad(weighted_by_rank)(p)
    np.testing.assert_allclose(g["a"], 2 * p["a"] + 2.0)
    np.testing.assert_allclose(g["b"], 4 * p["b"] + 1.0)


class Poly:
    def __init__(self, coeffs):
        self.coeffs = coeffs

    def __getitem__(self, k):
        return self.coeffs[k]

    def __len__(self):
        return len(self.coeffs)


def poly_at(p, x):
    total = 0.0
    for k in range(len(p)):
        total = total + p[k] * x ** k
    return total + p[0] * p[-1]


def test_indexing_an_object_whose_class_defines_getitem():
    """p[k] of a class with __getitem__ written in Python is that method, inlined (it was
    refused as indexing an object), as its arithmetic operators are."""
    p = Poly([1.5, -2.0, 0.5])
    g = grad(poly_at, argnums=(0, 1))(p, 0.7)
    assert g[1] == pytest.approx(-2.0 + 2 * 0.5 * 0.7)
    assert g[0].coeffs[0] == pytest.approx(1.0 + 0.5)
    assert g[0].coeffs[2] == pytest.approx(0.49 + 1.5)


def poly_tail(p, x):
    return sum(p[1:]) * x + p[0:1][0]


def test_slicing_an_object_whose_class_defines_getitem():
    assert grad(poly_tail, argnums=1)(Poly([1.5, -2.0, 0.5]), 0.7) == pytest.approx(-1.5)


class V3:
    def __init__(self, x, y, z):
        self.x, self.y, self.z = x, y, z

    def __mul__(self, s):
        return V3(self.x * s, self.y * s, self.z * s)

    __rmul__ = __mul__

    def __iadd__(self, o):
        self.x += o.x
        self.y += o.y
        self.z += o.z
        return self

    def cross(self, o):
        return V3(self.y * o.z - self.z * o.y, self.z * o.x - self.x * o.z,
                  self.x * o.y - self.y * o.x)


def gyrate(q, B):
    v = V3(1.0, 0.0, 0.0)
    r = V3(0.0, 0.0, 0.0)
    Bv = V3(0.0, 0.0, B)
    for _ in range(100):
        v += (q * v.cross(Bv)) * 0.01
        r += v * 0.01
    return r.x + r.y


def test_hessian_of_a_long_unrolled_loop_of_objects():
    """q's tangent in the gradient's forward mode summed 300 contributions in one expression
    nested 300 deep: RecursionError in the optimizer. They are summed in pairs now."""
    h = hessian(gyrate)(1.2, 0.8)
    eps = 1e-5
    numeric = (grad(gyrate)(1.2 + eps, 0.8) - grad(gyrate)(1.2 - eps, 0.8)) / (2 * eps)
    assert h == pytest.approx(numeric, rel=1e-5)


@dataclasses.dataclass
class Recorder:
    w: float
    hist: list = dataclasses.field(default_factory=list)
    seen: dict = dataclasses.field(default_factory=dict)
    count: float = dataclasses.field(default_factory=float)


def recorded(x):
    r = Recorder(x)
    for k in range(3):
        r.hist.append(r.w * k)
        r.count = r.count + x
    r.seen["last"] = r.hist[-1]
    return r.seen["last"] * r.count + r.hist[1]


@dataclasses.dataclass
class Drawn:
    w: float
    noise: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(2))


def drawn(x):
    return Drawn(x).w


Pair = namedtuple("Pair", "a b", defaults=(2.0,))


def pair_with_default(x):
    return Pair(x).a * Pair(x).b


def test_a_dataclass_field_with_a_default_factory():
    """Recorder(x) with hist = field(default_factory=list) was refused ("Recorder() without
    hist"; T9): list, dict, tuple and the number types make a new empty value; another factory
    is refused, naming the field."""
    from adcompile import UnsupportedSyntaxError
    from adcompile.higher import check_grads
    check_grads(recorded, (0.7,), order=2)
    assert grad(recorded)(0.7) == pytest.approx(2 * 0.7 * 3 * 2 + 1.0)
    with pytest.raises(UnsupportedSyntaxError, match="default_factory of the field noise"):
        grad(drawn)(0.7)
    assert grad(pair_with_default)(0.7) == 2.0


def first_times_rest(t):
    a, *rest = t
    return a * sum(rest)


def test_starred_unpacking_of_a_tuple_or_list_argument():
    """`a, *rest = t` of a tuple argument was refused as unpacking an array (T9): the argument's
    structure is known once it is called."""
    assert grad(first_times_rest)((0.5, 1.5, 2.0)) == (3.5, 0.5, 0.5)
    assert grad(first_times_rest)([0.5, 1.5, 2.0]) == [3.5, 0.5, 0.5]


class Gain:
    """Sets __array_ufunc__ = None, NumPy's opt-out: `array * gain` calls gain.__rmul__."""
    __array_ufunc__ = None

    def __init__(self, k):
        self.k = k


def gained(s, g):
    return s * g.k ** 2


def test_a_class_that_opts_out_of_numpys_protocols_is_an_object():
    """T15: `__array_ufunc__ = None` made the object a leaf (an array): its field read was
    refused as `the attribute .k of an array`, and used through operators it was
    differentiated as a number. NumPy reads None there as opting out."""
    gs, gg = grad(gained, (0, 1))(1.5, Gain(0.7))
    assert gs == pytest.approx(0.49) and type(gg) is Gain and gg.k == pytest.approx(2.1)


class Shape:
    def __init__(self, s):
        self.s = s

    @property
    def area(self):
        return self.s ** 2

    def perimeter(self):
        return 4.0 * self.s


class Square3(Shape):
    @property
    def area(self):
        return super().area * 3.0 + math.sin(self.s)

    @property
    def perimeter_area(self):
        return super().perimeter() * self.area


def overriding_property(s):
    return Square3(s).area


def super_call_in_a_property(s):
    return Square3(s).perimeter_area


@pytest.mark.parametrize("f", [overriding_property, super_call_in_a_property])
def test_super_in_a_property(f):
    """T15: `super().area` (a property of the base class) was refused as `the attribute .area
    of a super (object)`; super().m() inside a property getter found no class to start from."""
    s = 0.8
    numeric = (f(s + 1e-6) - f(s - 1e-6)) / 2e-6
    assert grad(f)(s) == pytest.approx(numeric, rel=1e-6)
    assert jvp(f, (s,), (1.0,))[1] == pytest.approx(numeric, rel=1e-6)


class Acc:
    def __init__(self):
        self.total = 0.0

    def add(self, v):
        self.total += v
        return self


def chained_statement(x):
    acc = Acc()
    acc.add(x).add(x * x)
    return acc.total


def chained_assignment(x):
    acc = Acc()
    b = acc.add(x).add(x * x)
    return acc.total + b.total


def chained_on_a_new_object(x):
    return Acc().add(x).add(x * x).total


@pytest.mark.parametrize("f", [chained_statement, chained_assignment])
def test_a_chain_of_methods_changing_an_object_a_name_holds_is_refused(f):
    """T15: `b = acc.add(x).add(x * x)`, add returning self, lost the second call's change to
    acc (gradient 3.4 for 4.8, silently); as a statement it was refused as reading the method
    `without calling it`. Both are refused with the chain named; on a new object it works."""
    with pytest.raises(ADCompileError, match=r"acc\.add\(x\)\.add\(y\).*one by one") as info:
        grad(f)(0.7)
    assert info.value.line == f.__code__.co_firstlineno + 2
    assert grad(chained_on_a_new_object)(0.7) == pytest.approx(2.4)


def library_chain_in_place(x):
    y = x * 1.0
    np.random.default_rng(0).shuffle(y)
    return np.sum(y * x)


def test_the_chain_message_is_only_for_the_users_objects():
    """The chain refusal names user objects' methods; a library's chained in-place call keeps
    its own refusal (review of T15's fix: np.random.default_rng(0).shuffle(y) got the chain
    message about acc.add)."""
    with pytest.raises(ADCompileError) as info:
        grad(library_chain_in_place)(np.arange(3.0))
    assert "acc.add" not in str(info.value)


# --- 4. an object used only through its operators (no field read) -------------------------

class Scaled:
    """An operator returning a Python float: the product is not linear in what k stands for."""

    def __init__(self, k):
        self.k = k

    def __mul__(self, other):
        return self.k ** 2 * (other.k if isinstance(other, Scaled) else other)

    def __rmul__(self, other):
        return self.k ** 2 * other * other


def operators_only(a, b):
    return a * b


def test_an_object_used_only_through_operators_is_never_a_silent_number():
    """grad took a Scaled argument for a number when no field of it was read and the result was a
    Python float: the float shortcut (`if type(L) is float`) returned b's reflected product as
    a's gradient (4.0 for 6.0), in grad, value_and_grad and vjp. The right gradient (jacrev's,
    through the object's fields) or a refusal that names the argument."""
    a, b = Scaled(1.5), Scaled(2.0)
    for make in (lambda: grad(operators_only)(a, b),
                 lambda: value_and_grad(operators_only)(a, b)[1],
                 lambda: vjp(operators_only, a, b)[1](1.0)[0]):
        try:
            g = make()
        except ADCompileError as e:
            assert "Scaled" in str(e) and "field" in str(e)
            continue
        assert type(g) is Scaled and abs(g.k - 6.0) < 1e-12  # d(a.k ** 2 * b.k) / d a.k
    # floats as before, and the object's own Jacobian
    assert grad(operators_only)(1.5, 2.0) == 2.0
    assert abs(jacrev(operators_only)(a, b).k - 6.0) < 1e-12


def constant_object(w, v):
    return w * v


def test_an_object_not_differentiated_used_through_operators_is_never_a_silent_number():
    """The same for an argument left out of argnums: `w * v` with Scaled.__rmul__ (v.k ** 2 * w ** 2
    here) was differentiated as a product, 4.0 for 24.0. Right or refused by name."""
    v = Scaled(2.0)
    for make in (lambda: grad(constant_object)(3.0, v),
                 lambda: value_and_grad(constant_object)(3.0, v)[1],
                 lambda: vjp(constant_object, 3.0, v)[1](1.0)[0]):
        try:
            g = make()
        except ADCompileError as e:
            assert "Scaled" in str(e) and "field" in str(e)
            continue
        assert abs(g - 24.0) < 1e-12
    assert grad(constant_object)(3.0, 2.0) == 2.0
