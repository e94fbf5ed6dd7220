"""Found by a tester writing user classes (T52): a property getter that changes self, a class's
own __setattr__ / __getattribute__, `act = staticmethod(np.tanh)`, objects held in a global
list or dict, and a helper dividing its array argument in place (`u /= norm(u)`). Each is
checked against the function itself (the value), central finite differences and jvp, or the
exact refusal."""
import dataclasses

import numpy as np
import pytest

from adcompile import grad, jvp, value_and_grad
from adcompile.errors import UnsupportedSyntaxError
from checks import agree, assert_close, numeric_grad


def same_as_python(f, x):
    """value_and_grad and jvp of f at x: the value f(x), the derivative central differences."""
    want = numeric_grad(f, (x,), 0)
    value, g = value_and_grad(f)(x)
    assert_close(value, f(x), what="value")
    assert_close(g, want, rtol=1e-5, atol=1e-6, what="grad")
    direction = np.ones_like(x) if np.ndim(x) else 1.0
    v, t = jvp(f, (x,), (direction,))
    assert_close(v, f(x), what="jvp value")
    assert_close(t, np.sum(want * direction), rtol=1e-5, atol=1e-6, what="jvp")


# --- a property getter that changes self: the change is the caller's, as for a method ----------

class Acc:
    def __init__(self, w):
        self.w = w
        self.n = 0

    @property
    def scaled(self):
        self.n += 1  # a call counter in the getter
        return self.w * self.n


def counted(x):
    a = Acc(x)
    return a.scaled + a.scaled + a.n  # x + 2x + 2


class Lazy:
    def __init__(self, w):
        self.w = w
        self._sq = None

    @property
    def sq(self):
        if self._sq is None:  # the lazy cache
            self._sq = self.w ** 2
        return self._sq


def cached(x):
    m = Lazy(x)
    a = m.sq
    m.w = 5.0
    return a + m.sq  # the cached x ** 2 twice


def cached_in_statements(x):
    m = Lazy(x)
    s = m.sq * 2.0
    m.w = 3.0 * x
    return s + m.sq


class Ctr:
    def __init__(self):
        self.k = 0.0

    @property
    def bump(self):
        self.k += 1.0
        return self.k


def bumped(x):
    r = Ctr()
    a = r.bump
    b = r.bump
    return x * a + x * b


@pytest.mark.parametrize("f", [counted, cached, cached_in_statements, bumped])
def test_a_property_getter_changing_self_is_seen_by_the_caller(f):
    same_as_python(f, 1.3)


def test_a_property_getter_changing_self_in_a_conditional_expression_is_refused():
    def f(x):
        a = Acc(x)
        return a.scaled if x > 0 else 0.0
    with pytest.raises(UnsupportedSyntaxError, match="scaled"):
        grad(f)(1.3)


class Counted:
    def __init__(self, w):
        self.w = w
        self.n = 0.0

    @property
    def s(self):
        self.n += 1.0
        return self.w * self.n

    def __add__(self, other):  # an operator method changing self
        self.n += 1.0
        return self.w * self.n + other


class Twice(Counted):
    @property
    def s(self):
        return super().s * 2.0


def through_super(x):
    a = Twice(x)
    return a.s + a.s + a.n


def through_an_operator(x):
    a = Counted(x)
    b = a + 1.0
    c = a + 1.0
    return b + c * a.n


@pytest.mark.parametrize("f", [through_super, through_an_operator])
def test_a_super_property_or_an_operator_method_changing_self_is_seen(f):
    same_as_python(f, 1.3)


# --- a class's own __setattr__ / __getattribute__: every store and read goes through it -------

class Obs:
    def __init__(self, w):
        self.w = w

    def __setattr__(self, k, v):
        object.__setattr__(self, k, v * 2.0)  # stores twice the value


class ObsChild(Obs):  # the override inherited
    def scale(self, x):
        self.w = self.w + x
        return self.w


class ViaSuper:
    def __init__(self, w):
        self.w = w
        self.log = 0.0

    def __setattr__(self, name, value):
        if name == "w":
            value = value ** 2
        super().__setattr__(name, value)


class GAB:
    def __init__(self, w):
        self.w = w

    def __getattribute__(self, k):
        v = object.__getattribute__(self, k)
        return v * 3.0 if k == "w" else v


def stored(x):
    return Obs(x).w


def stored_again(x):
    o = Obs(x)
    o.w = o.w + 1.0  # 2 (2x + 1)
    return o.w * x


def inherited(x):
    o = ObsChild(x)
    return o.scale(x) + o.w


def through_super_setattr(x):
    o = ViaSuper(x)
    o.w = o.w * x
    return o.w + o.log


def read_through(x):
    g = GAB(x)
    g.w = g.w * x  # 3x * x stored, read back times 3
    return g.w


def with_setattr(x):
    o = Obs(1.0)
    setattr(o, "w", x * x)  # noqa: B010 (setattr as written)
    return o.w


@pytest.mark.parametrize("f", [stored, stored_again, inherited, through_super_setattr,
                               read_through, with_setattr])
def test_a_class_own_setattr_and_getattribute_are_called(f):
    same_as_python(f, 1.3)


class GABMethod(GAB):
    def double(self):
        return 2.0


def test_a_method_call_through_getattribute_is_refused_naming_the_class():
    def f(x):
        return GABMethod(x).double() * x
    with pytest.raises(UnsupportedSyntaxError, match="GABMethod defines __getattribute__"):
        grad(f)(1.3)


class NativeSetattr:
    __setattr__ = object.__setattr__  # (object's own: nothing to follow)

    def __init__(self, w):
        self.w = w


def test_object_own_setattr_bound_in_the_class_is_the_plain_store():
    same_as_python(lambda x: NativeSetattr(x).w * x, 1.3)


@dataclasses.dataclass
class Clipped:
    lo: float
    hi: float

    def __setattr__(self, k, v):  # the dataclass's __init__ stores through it too
        object.__setattr__(self, k, v * 0.5 if k == "hi" else v)


def test_a_dataclass_with_its_own_setattr_builds_through_it():
    same_as_python(lambda x: Clipped(x, x * x).hi + Clipped(lo=2.0, hi=x).lo, 1.3)


class GABCall(GAB):
    def __call__(self, x):  # m(x) looks __call__ up on the class, past __getattribute__
        return object.__getattribute__(self, "w") * x


def test_calling_an_object_whose_class_defines_getattribute():
    same_as_python(lambda x: GABCall(x)(x) + GABCall(2.0).w * x, 1.3)


# --- a class attribute holding staticmethod(np.tanh): the function, called as it is --------------

def relu(t):
    return np.maximum(t, 0.0)


class TanhLayer:
    act = staticmethod(np.tanh)

    def __call__(self, x):
        return self.act(x) * 2.0


class ReluLayer:
    act = staticmethod(relu)

    def __call__(self, x):
        return self.act(x) * 2.0


class ReadFirst:
    act = staticmethod(np.sin)
    other = staticmethod(relu)

    def __call__(self, x):
        f, g = self.act, self.other  # read, then called
        return f(x) * g(x) + type(self).act(x)


@pytest.mark.parametrize("cls", [TanhLayer, ReluLayer, ReadFirst])
def test_a_staticmethod_of_a_function_held_by_the_class(cls):
    def f(x, m=cls()):  # noqa: B008 (the object as a default, as the user wrote it)
        return m(x)
    same_as_python(f, 0.3)
    same_as_python(lambda x: np.sum(cls()(np.array([x, -2.0 * x]))), 0.3)
    g = grad(lambda m, x: m(x), argnums=1)(cls(), 0.3)
    assert_close(g, numeric_grad(lambda x: cls()(x), (0.3,), 0))


# --- a field of an object held in a global list or dict ----------------------------------------

class Holder:
    pass


HELD = [Holder()]
HELD[0].k = 2.0
BY_NAME = {"a": Holder()}
BY_NAME["a"].k = 3.0


def from_a_global_list(x):
    return HELD[0].k * x * x


def from_a_global_dict(x):
    return BY_NAME["a"].k * x * x


def named_first(x):
    o = HELD[0]
    return o.k * x + BY_NAME["a"].k


@pytest.mark.parametrize("f", [from_a_global_list, from_a_global_dict, named_first])
def test_a_field_of_an_object_in_a_global_list_or_dict(f):
    same_as_python(f, 1.5)


def test_a_new_derivative_once_the_global_object_or_its_field_changes():
    before = HELD[0]
    try:
        assert_close(grad(from_a_global_list)(1.5), 6.0)
        HELD[0].k = 5.0
        assert_close(grad(from_a_global_list)(1.5), 15.0)
        HELD[0] = Holder()
        HELD[0].k = 7.0
        assert_close(grad(from_a_global_list)(1.5), 21.0)
    finally:
        HELD[0] = before
        before.k = 2.0


# --- a helper changing its array argument with u /= v: the caller's array, changed in place ----

def normalize(u):
    u /= np.linalg.norm(u)


def scale(v, k):
    v *= k
    return v


def normalized(x):
    u = x * 1.0
    normalize(u)
    return u[0] * 3 + u[1]


def scaled_array(x):
    a = x * 1.0
    b = scale(a, 2.0)  # a is changed (and b is a)
    return np.sum(a * b)


def twice_through(x):
    def outer(w):
        normalize(w)
        w *= 3.0
    u = x + 1.0
    outer(u)
    return np.sum(u * x)


def scaled_number(x):
    a = x * 1.0
    c = a
    b = scale(a, 2.0)  # a float: scale rebinds its own v only
    return a * b + c


@pytest.mark.parametrize("f", [normalized, scaled_array, twice_through])
def test_a_helper_dividing_its_array_argument_in_place(f):
    same_as_python(f, np.array([0.5, -1.2, 2.0]))


def test_a_helper_augmenting_a_number_leaves_the_caller_s_value():
    same_as_python(scaled_number, 1.3)


def test_a_helper_augmenting_an_array_another_name_holds_is_refused():
    def f(x):
        a = x * 1.0
        c = a
        scale(a, 2.0)
        return np.sum(c * x)
    assert_close(grad(f)(1.3), 2.6)  # (a number: not changed in place)
    with pytest.raises(UnsupportedSyntaxError, match="c holds the same array"):
        grad(f)(np.array([1.3]))
    def g(x):
        p = {"w": x * 1.0}
        return scale(p["w"], 2.0) * p["w"]
    same_as_python(g, 1.3)
    with pytest.raises(UnsupportedSyntaxError, match="the caller holds the same array"):
        grad(g)(np.array([1.3]))


def test_a_helper_augmenting_its_argument_in_a_loop():
    def f(x):
        s = 0.0
        for k in range(3):
            s = s + scale(x, 2.0)  # x not carried by the loop: a number is fine
        return s * x
    same_as_python(f, 1.3)
    with pytest.raises(UnsupportedSyntaxError, match="the caller holds the same array"):
        grad(lambda x: np.sum(f(x)))(np.array([1.3]))


@pytest.mark.parametrize("f, x", [(normalized, np.array([0.5, -1.2, 2.0])),
                                  (scaled_number, 1.3)])
def test_a_helper_augmenting_its_argument_under_jit(f, x):
    pytest.importorskip("scipy")  # (np.linalg.norm under Numba)
    agree(f, x)


class Part:
    def __init__(self, w):
        self.w = w

    def bump(self):
        self.w = self.w * 2.0


class Counting:  # counts every field assigned, through its own __setattr__
    def __init__(self, w):
        self.n = 0.0
        self.part = Part(w)
        self.seen = []

    def __setattr__(self, k, v):
        if k != "n":
            object.__setattr__(self, "n", self.n + 1.0)
        object.__setattr__(self, k, v)

    def go(self, x):
        self.part.bump()  # changes part in place: no setattr on self
        self.seen.append(x)  # nor here
        return self.part.w + self.n + len(self.seen)


def test_a_change_inside_a_field_runs_no_setattr_of_the_holder():
    same_as_python(lambda x: Counting(x).go(x) * x, 1.5)


class Model:
    def __init__(self):
        self.k = 3.0

    def __call__(self, x):
        return self.k * x * x


MODELS = [Model()]


def test_calling_an_object_of_a_global_list_names_it_as_written():
    from adcompile.errors import NoDerivativeError
    with pytest.raises(NoDerivativeError, match=r"MODELS\[0\] is a Model object read from a "
                                                r"global"):
        grad(lambda x: MODELS[0](x))(1.5)


# --- fuzz (scalar seed 3904, numpy seed 3905): a helper augmenting a number parameter, called
# in a comprehension or a conditional expression, was refused as changing its argument in
# place (it rebinds the helper's own name only, as before 'u /= n' of arrays was followed)
def bumped(a, b):
    a += b * 2.0
    return a * b


def bumped_in_expressions(x, y):
    return sum(bumped(x, k) for k in (1.0, 2.0)) + (bumped(x, y) if x > 0 else y)


def bumped_rows(x):
    return sum(bumped(v, 1.0) for v in x)


def normalized_in_a_generator(x):
    u = x * 1.0
    return sum(normalize_first(u) for _ in range(2))


def normalize_first(u):
    u /= np.linalg.norm(u)
    return u[0]


def test_a_number_augmented_in_a_helper_called_in_an_expression_is_rebound_there_only():
    assert_close(grad(bumped_in_expressions, argnums=(0, 1))(1.5, 2.0),
                 [numeric_grad(bumped_in_expressions, (1.5, 2.0), i) for i in (0, 1)])
    x = np.array([1.0, 2.0])
    assert_close(grad(bumped_rows)(x), numeric_grad(bumped_rows, (x,), 0))
    with pytest.raises(UnsupportedSyntaxError, match="the caller holds the same array"):
        grad(normalized_in_a_generator)(np.array([3.0, 4.0]))  # (an array: Python changes it)
