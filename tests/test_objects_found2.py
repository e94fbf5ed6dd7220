"""Found by a tester writing numeric code with classes of their own (T29): dataclasses.replace
that runs __init__ and __post_init__ again, descriptors other than methods and properties, the
object's __dict__, isinstance of a number against a class, two-argument super() and a class
attribute holding a NumPy or built-in function. Each is checked against central finite
differences or the exact refusal."""
import dataclasses
import enum
import functools
import math
from typing import NamedTuple

import numpy as np
import pytest

from adcompile import grad, jvp, value_and_grad
from adcompile.errors import UnsupportedSyntaxError
from checks import assert_close, numeric_grad


# --- dataclasses.replace: a new object made by calling the class -------------------------------

@dataclasses.dataclass
class Box:
    w: float
    h: float
    area: float = 0.0

    def __post_init__(self):
        self.area = self.w * self.h


def box_replaced(w, h):
    b = Box(w, h)
    c = dataclasses.replace(b, w=2 * w)
    return c.area + b.area


def box_arg_replaced(b, s):
    return dataclasses.replace(b, h=s * b.h).area


@dataclasses.dataclass
class Ring:
    r: float
    scale: float = dataclasses.field(default=1.0, init=False)

    def __post_init__(self):
        self.scale = 3.0 * self.r


def ring_scale_replaced(r):
    return dataclasses.replace(Ring(r), scale=r).scale


class Pair(NamedTuple):
    a: float
    b: float


def pair_replaced(x):
    p = Pair(x, 2.0)
    return p._replace(b=x * x).b * p.a


def test_replace_runs_init_and_post_init_again():
    """dataclasses.replace(b, w=...) copied b field by field, so __post_init__ did not run
    again and the derived `area` was stale (1.05, 0.7 instead of 3.15, 2.1)."""
    fd = numeric_grad(box_replaced, (1.5, 0.7), 0)
    value, g = value_and_grad(box_replaced)(1.5, 0.7)
    assert_close(value, box_replaced(1.5, 0.7))
    assert_close(g, fd)
    assert_close(jvp(box_replaced, (1.5, 0.7), (1.0, 0.0))[1], fd)


def test_replace_of_an_argument_runs_post_init():
    b = Box(1.5, 0.7)
    assert_close(grad(box_arg_replaced, 1)(b, 2.0), numeric_grad(
        lambda s: box_arg_replaced(Box(1.5, 0.7), s), (2.0,), 0))
    g = grad(box_arg_replaced)(b, 2.0)
    assert_close([g.w, g.h], [numeric_grad(lambda w: box_arg_replaced(Box(w, 0.7), 2.0),
                                           (1.5,), 0),
                              numeric_grad(lambda h: box_arg_replaced(Box(1.5, h), 2.0),
                                           (0.7,), 0)])


def test_replace_of_a_field_without_init_is_refused_as_python_does():
    with pytest.raises((ValueError, TypeError)):  # (Python 3.13 raises TypeError)
        ring_scale_replaced(0.5)
    with pytest.raises(UnsupportedSyntaxError, match=r"scale.*init=False") as info:
        grad(ring_scale_replaced)(0.5)
    assert info.value.line == ring_scale_replaced.__code__.co_firstlineno + 1


def test_namedtuple_replace_is_still_a_copy():
    assert_close(grad(pair_replaced)(0.6), numeric_grad(pair_replaced, (0.6,), 0))


# --- descriptors other than functions, properties, staticmethod and classmethod ----------------

class Positive:
    def __set_name__(self, owner, name):
        self.name = "_" + name

    def __get__(self, obj, objtype=None):
        return getattr(obj, self.name)

    def __set__(self, obj, v):
        setattr(obj, self.name, abs(v))


class Guarded:
    k = Positive()

    def __init__(self, k):
        self.k = k


def guarded_built(x):
    p = Guarded(x)
    return p.k * 3.0


def guarded_read(p):
    return p.k * 3.0


class Geo:
    def __init__(self, a, b):
        self.a = a
        self.b = b

    @functools.cached_property
    def hyp(self):
        return math.sqrt(self.a ** 2 + self.b ** 2)


def geo_hyp(g):
    return g.hyp * 2.0


def geo_built(a):
    return Geo(a, 0.4).hyp * 2.0


def test_a_data_descriptor_is_refused_not_bypassed():
    """`self.k = k` through Positive.__set__ was stored as a plain field (value 1.5, slope
    3.0 instead of -3.0 at -0.5); reading it from an argument crashed in generated code."""
    with pytest.raises(UnsupportedSyntaxError, match=r"\.k of Guarded.*descriptor.*property") \
            as info:
        value_and_grad(guarded_built)(-0.5)
    assert info.value.line == Guarded.__init__.__code__.co_firstlineno + 1
    with pytest.raises(UnsupportedSyntaxError, match=r"\.k of Guarded.*descriptor") as info:
        grad(guarded_read)(Guarded(-0.5))
    assert info.value.line == guarded_read.__code__.co_firstlineno + 1


def test_cached_property_is_refused_by_name():
    """The cached_property object itself was read as a number (a TypeError in generated code,
    or "the function returned cached_property")."""
    for call in (lambda: grad(geo_hyp)(Geo(0.3, 0.4)), lambda: grad(geo_built)(0.3)):
        with pytest.raises(UnsupportedSyntaxError, match=r"\.hyp of Geo.*cached_property"):
            call()


def test_a_cached_value_the_argument_holds_is_read():
    """Python reads a cached_property's value from the instance once computed: that field."""
    g = Geo(0.3, 0.4)
    assert g.hyp == pytest.approx(0.5)
    assert_close(grad(geo_hyp)(g).hyp, 2.0)


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b


def slotted(x):
    s = Slotted(x, 2.0)
    return s.a * s.b


def test_slots_are_still_fields():
    assert_close(grad(slotted)(0.3), 2.0)


# --- the object's __dict__ and vars() ----------------------------------------------------------

class Plain:
    def __init__(self, a, b):
        self.a = a
        self.b = b


def dunder_dict(o):
    return o.__dict__["a"] * o.b


def vars_of(o):
    return sum(v * v for v in vars(o).values())


@pytest.mark.parametrize("f, what", [(dunder_dict, r"o\.__dict__"), (vars_of, r"vars\(o\)")])
def test_the_dict_of_an_object_is_refused_by_name(f, what):
    """o.__dict__["a"] read an empty record (KeyError in generated code)."""
    with pytest.raises(UnsupportedSyntaxError, match=what + r".*o\.a") as info:
        grad(f)(Plain(0.5, 1.5))
    assert info.value.line == f.__code__.co_firstlineno + 1


# --- isinstance of a number or array against a class of the user's -----------------------------

class Vec:
    def __init__(self, x):
        self.x = x

    def scale(self, o):
        if isinstance(o, (Vec, Plain)):
            return self.x * o.x
        return self.x * o


def vec_scaled(a, s):
    return Vec(a).scale(s)


def vec_scaled_by_vec(a, s):
    return Vec(a).scale(Vec(s))


class Real(float):
    pass


def real_test(x):
    return x * x if isinstance(x, Real) else x


def test_isinstance_of_a_number_against_a_class_is_false():
    """The dead branch's `o.x` was refused, advising isinstance(x, float)."""
    for f in (vec_scaled, vec_scaled_by_vec):
        assert_close(grad(f, (0, 1))(0.4, 1.5), (1.5, 0.4))
        assert_close(jvp(f, (0.4, 1.5), (1.0, 0.0))[1], 1.5)


def test_an_object_passed_where_a_number_was_compiles_anew():
    """The derivative compiled for a number decides isinstance(s, Vec); given a Vec for s, it
    is compiled again for that structure, where the test is True."""
    g = grad(vec_scaled, (0, 1))
    assert_close(g(0.4, 1.5), (1.5, 0.4))
    da, ds = g(0.4, Vec(1.5))
    assert_close([da, ds.x], [1.5, 0.4])
    assert_close(g(0.4, 1.5), (1.5, 0.4))


def test_isinstance_against_a_subclass_of_float_is_still_tested():
    assert_close(grad(real_test)(0.7), 1.0)
    assert_close(grad(real_test)(Real(0.7)), 1.4)  # (a step off Real(0.7) is a float)


# --- super(Class, self) ------------------------------------------------------------------------

class Base:
    def __init__(self, k):
        self.k = k

    def energy(self, x):
        return self.k * x * x


class Child(Base):
    def __init__(self, k):
        super(Child, self).__init__(k)

    def energy(self, x):
        return super(Child, self).energy(x) + x


class Skip(Child):
    def energy(self, x):
        return super(Child, self).energy(x) * 2.0  # Base's, past Child's


class Wrong(Base):
    def energy(self, x):
        return super(Base, x).energy(x)


def child_energy(k, x):
    return Child(k).energy(x) + Skip(k).energy(x)


def wrong_energy(x):
    return Wrong(1.0).energy(x)


def test_two_argument_super():
    g = grad(child_energy, (0, 1))(2.0, 0.5)
    assert_close(g, [numeric_grad(child_energy, (2.0, 0.5), i) for i in (0, 1)])


def test_two_argument_super_of_something_else_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match=r"write super\(\)") as info:
        grad(wrong_energy)(0.5)
    assert info.value.line == Wrong.energy.__code__.co_firstlineno + 1


# --- a class attribute holding a NumPy ufunc or a built-in function ----------------------------

class Layer:
    act = np.tanh
    gate = math.sin

    def __init__(self, w):
        self.w = w

    def out(self, x):
        return self.act(self.w * x) + self.gate(x)


def layer_out(layer, x):
    return layer.out(x)


def test_a_ufunc_held_by_the_class_is_called_unbound():
    """`self.act(x)` with act = np.tanh in the class body: Python does not bind it (not a
    function written in Python), so it is np.tanh(x); it was refused as a method."""
    fd = numeric_grad(lambda x: layer_out(Layer(1.5), x), (0.6,), 0)
    assert_close(grad(layer_out, 1)(Layer(1.5), 0.6), fd)
    assert_close(grad(layer_out)(Layer(1.5), 0.6).w,
                 numeric_grad(lambda w: layer_out(Layer(w), 0.6), (1.5,), 0))


# --- object protocols: type(self), truth, `in`, an Enum field, abs() of an operator's result ---

class Pt:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __add__(self, o):
        return type(self)(self.x + o.x, self.y + o.y)

    def __sub__(self, o):
        return self.__class__(self.x - o.x, self.y - o.y)

    def __bool__(self):
        return self.x * self.x + self.y * self.y > 1.0

    def __contains__(self, v):
        return v == "x"

    def __neg__(self):
        return Pt(-self.x, -self.y)

    def __abs__(self):
        return Pt(abs(self.x), abs(self.y))


class Bag:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


def pt_type(a):
    u = Pt(a, 2.0)
    w = u + u - Pt(a * a, 0.0)
    return w.x * w.y


def pt_truth(a):
    u = Pt(a, 2.0)
    r = a * a if u else a
    if not Pt(a, 0.1):
        r = r * a
    if Bag(0):
        r = r * 0.0
    if not Bag(2):
        r = r * 0.0
    return r


def pt_contains(a):
    u = Pt(a, 2.0)
    return a * a if "x" in u else a if "y" not in u else 0.0


def pt_abs(a):
    return abs(-Pt(2.0 * a, a)).x * abs(Pt(a, a) + Pt(a, a)).y


@pytest.mark.parametrize("f", [pt_type, pt_truth, pt_contains, pt_abs])
def test_object_protocols(f):
    """type(self)(...), self.__class__(...), `if u:` (__bool__, __len__), `"x" in u`
    (__contains__) and abs(-d) were refused as "a Pt (object) is used as a value computed at
    run time"; each is the method Python calls, inlined."""
    for x in (0.4, -0.7):
        value, g = value_and_grad(f)(x)
        assert_close(value, f(x))
        assert_close(g, numeric_grad(f, (x,), 0))


class Mode(enum.Enum):
    EULER = 1
    MID = 2


@dataclasses.dataclass
class Cfg:
    mode: Mode
    dt: float


def stepped(k, cfg):
    if cfg.mode is Mode.EULER:
        return k * cfg.dt
    return k * k * cfg.dt if cfg.mode == Mode.MID else k


def stepped_by(k, cfg, mode):
    return k * cfg.dt if cfg.mode != mode else k * k


def test_an_enum_field_is_a_constant():
    """An Enum in a dataclass argument was flattened as an object of fields (refused); it is a
    constant of the structure, compared here, and named (not printed by repr) in the code."""
    for mode in Mode:
        cfg = Cfg(mode, 0.1)
        assert_close(grad(stepped)(1.3, cfg), numeric_grad(stepped, (1.3, cfg), 0))
        for other in Mode:
            assert_close(grad(stepped_by)(1.3, cfg, other),
                         numeric_grad(stepped_by, (1.3, cfg, other), 0))
