"""Found by a tester writing geometry and particle code (T32): a helper or a method that changes
in place an array its argument holds (an object's field, a dict's item) or writes the items of
its array argument in a loop, which the caller gets back as Python gives it; complex(x, y); and
dict.setdefault. Each is checked against central finite differences or the exact refusal."""
import inspect

import numpy as np
import pytest

from adcompile import grad, jvp, value_and_grad
from adcompile.errors import UnsupportedSyntaxError
from checks import assert_close, numeric_grad


def same_as_python(f, *args):
    """value_and_grad and jvp of f against f itself and central differences, per argument."""
    argnums = tuple(range(len(args)))
    v, gs = value_and_grad(f, argnums)(*[np.copy(a) for a in args])
    assert v == pytest.approx(f(*[np.copy(a) for a in args]), rel=1e-12)
    for i, g in enumerate(gs):
        assert_close(g, numeric_grad(f, [np.copy(a) for a in args], i), what=f"grad[{i}]")
    tangents = tuple(np.ones_like(a) * 0.3 for a in args)
    _, t = jvp(f, tuple(np.copy(a) for a in args), tangents)
    assert t == pytest.approx(sum(np.sum(g * d) for g, d in zip(gs, tangents)), rel=1e-9)


def refused_at(f, args, lines, *words):
    """f is refused with UnsupportedSyntaxError at a line of f's file that is one of `lines`
    (stripped), after the line defining f or one of its helpers."""
    path = inspect.getsourcefile(f)
    with open(path) as source:
        places = [f"{path}:{k}:" for k, t in enumerate(source, 1) if t.strip() in lines]
    with pytest.raises(UnsupportedSyntaxError) as e:
        value_and_grad(f)(*args)
    assert any(str(e.value).startswith(p) for p in places), str(e.value)
    for word in words:
        assert word in str(e.value), str(e.value)
    return str(e.value)


P, V = np.array([1.0, 2.0]), np.array([0.5, -1.0])


# --- a method or helper changing an array its object (or dict) holds ---------------------------

class Body:
    def __init__(self, pos, vel):
        self.pos = np.array(pos, dtype=float)  # a copy: nobody else holds it
        self.vel = vel

    def drift(self, dt):
        self.pos += dt * self.vel

    def drift_items(self, dt):
        self.pos[:] += dt * self.vel


class Borrowed:
    def __init__(self, pos, vel):
        self.pos = pos  # the caller's array itself
        self.vel = vel

    def drift(self, dt):
        self.pos += dt * self.vel


def body_drift(p, v):
    b = Body(p, v)
    b.drift(0.1)
    b.drift(0.2)
    return np.sum(b.pos ** 2)


def body_drift_items(p, v):
    b = Body(p, v)
    b.drift_items(0.1)
    return np.sum(b.pos ** 2)


def drift_fn(b, dt):
    b.pos += dt * b.vel


def drift_dict(d, dt):
    d["pos"] *= 1.0 + dt * d["vel"]


def body_drift_fn(p, v):
    b = Body(p, v)
    drift_fn(b, 0.1)
    return np.sum(b.pos ** 2)


def dict_drift(p, v):
    d = {"pos": p.copy(), "vel": v}
    drift_dict(d, 0.1)
    return np.sum(d["pos"] ** 3)


def nested_drift(b, dt):
    drift_fn(b, dt)


def body_nested(p, v):
    b = Body(p, v)
    for _ in range(3):
        nested_drift(b, 0.1)
    return np.sum(b.pos ** 2)


def test_method_changes_its_objects_array_in_place():
    """`self.pos += dt * self.vel` in a method: the object's array changes, which the caller's
    object holds; refused before ("the caller holds the same array")."""
    for f in (body_drift, body_drift_items, body_drift_fn, dict_drift, body_nested):
        same_as_python(f, P, V)


def bodies_loop(p, v):
    bs = [Body(p, v), Body(p * 2.0, v)]
    for _ in range(2):
        for b in bs:
            b.drift(0.1)
    return np.sum(bs[0].pos ** 2 + bs[1].pos)


def test_method_through_a_loops_name_for_an_item():
    """for b in bs: b.drift(dt), the change stored in bs[k] too (refused before)."""
    same_as_python(bodies_loop, P, V)


def bodies_share_an_array(p, v):
    a = p * 1.0
    bs = [Borrowed(a, v), Borrowed(a, v)]  # one array held by both objects
    for b in bs:
        b.drift(0.1)
    return np.sum(bs[0].pos ** 2)


def body_read_before(p, v):
    b = Body(p, v)
    q = b.pos
    b.drift(0.1)
    return np.sum(q ** 2)  # Python: q is b.pos, changed too


def borrowed_read_after(p, v):
    p2 = p * 1.0
    b = Borrowed(p2, v)
    b.drift(0.1)
    return np.sum(p2 ** 2)  # Python: p2 is b.pos, changed too


def nested_read_before(p, v):
    b = Body(p, v)
    q = b.pos
    nested_drift(b, 0.1)
    return np.sum(q ** 2)


def test_field_changed_in_place_another_name_holds_still_refused():
    """The array is also held by another name the caller reads later: Python changes it there
    too, so the change stays refused (never a stale value)."""
    for f in (body_read_before, borrowed_read_after, nested_read_before,
              bodies_share_an_array):
        refused_at(f, (P, V), ("self.pos += dt * self.vel", "b.pos += dt * b.vel",
                               "b.drift(0.1)", "nested_drift(b, 0.1)"), "in place")
    assert bodies_share_an_array(P, V) == pytest.approx(np.sum((P + 0.2 * V) ** 2))


class Rebinds(Body):
    def drift(self, dt):
        self.pos = self.pos + dt * self.vel


class Holder:
    def __init__(self, b):
        self.b = b

    def step(self):
        self.b.drift(0.1)


def holder_read_part(p, v):
    b = Rebinds(p, v)
    c = Holder(b)
    c.step()
    return np.sum(b.pos ** 2)  # Python: b is c.b, whose field step rebinds


def holder_part_dead(p, v):
    b = Rebinds(p, v)
    c = Holder(b)
    c.step()
    return np.sum(c.b.pos ** 2)


def test_call_changing_an_object_another_name_holds_inside():
    """c.step() rebinds a field of c.b, which b holds too: Python changes it for b, flat code
    gave b's old value (a wrong value and gradient before); read through c it is right."""
    refused_at(holder_read_part, (P, V), ("c.step()",), "b holds a list or object inside c",
               "read it through c")
    same_as_python(holder_part_dead, P, V)


# --- a helper writing the items of its array argument in a loop --------------------------------

def apply_floor(x):
    for i in range(len(x)):
        x[i, 1] = 0.0


def add_rows(x):
    for i in range(len(x)):
        x[:] += 1.0


def halve_while(x):
    k = 0
    while k < 2:
        x[k] *= 0.5
        k += 1


def floor_caller(x0):
    x = x0.copy()
    apply_floor(x)
    return np.sum(x ** 2)


def rows_caller(x0):
    x = x0.copy()
    add_rows(x)
    return np.sum(x ** 2)


def while_caller(x0):
    x = x0 * 1.0
    halve_while(x)
    return np.sum(x ** 3)


X0 = np.array([[0.0, -0.5], [1.0, 1.3]])


def test_helper_writes_items_of_its_argument_in_a_loop():
    """A loop in a helper writing its argument's items (x[i, 1] = 0.0, x[:] += 1, a while):
    refused before, with advice (x[:] += ...) that was refused the same way."""
    assert_close(grad(floor_caller)(X0), [[0.0, 0.0], [2.0, 0.0]])
    for f in (floor_caller, rows_caller, while_caller):
        same_as_python(f, X0)


def floor_alias(x0):
    x = x0.copy()
    z = x
    apply_floor(x)
    return np.sum(z ** 2)


def test_helper_loop_write_another_name_holds_still_refused():
    refused_at(floor_alias, (X0,), ("apply_floor(x)",), "z holds the same value")


# --- complex(x, y) and dict.setdefault ---------------------------------------------------------

def complex_rot(x, y, th):
    z = complex(x, y) * np.exp(1j * th)  # (cmath.exp of a differentiated value: no rule)
    return z.real + 2 * z.imag


def complex_one(x, y):
    z = complex(x) * complex(imag=y, real=0.5) + complex("1+2j")
    return abs(z) ** 2


def test_complex_of_real_and_imaginary_parts():
    """complex(x, y) is x + 1j * y (was: no derivative rule for complex)."""
    for f, args in ((complex_rot, (0.5, 0.8, 0.3)), (complex_one, (0.7, -0.4))):
        v, g = value_and_grad(f, tuple(range(len(args))))(*args)
        assert v == pytest.approx(f(*args), rel=1e-12)
        for i, gi in enumerate(g):
            assert gi == pytest.approx(numeric_grad(f, list(args), i), rel=1e-6)


def dict_get(x):
    d = {"a": x * 2}
    k = d.get("b", 3.0)
    d.setdefault("c", x ** 2)
    return d["a"] * k + d["c"] + d.get("a") * 1.0


def dict_setdefault_value(x):
    d = {"a": x * 2}
    v = d.setdefault("a", x ** 3)  # d has "a": its value, x ** 3 unused
    w = d.setdefault("b", np.sin(x))
    return v * d["a"] + w * d["b"]


def test_dict_setdefault_of_a_dict_known_here():
    """d.setdefault(k, v), k known here (was: "the attribute .setdefault of a dict")."""
    for f in (dict_get, dict_setdefault_value):
        v, g = value_and_grad(f)(0.7)
        assert v == pytest.approx(f(0.7), rel=1e-12)
        assert g == pytest.approx(numeric_grad(f, [0.7], 0), rel=1e-6)


def dict_setdefault_shared(x):
    d = {"a": x}
    e = d
    d.setdefault("b", x ** 2)
    return e["b"]


def dict_setdefault_computed_key(x, k):
    d = {"a": x}
    d.setdefault(k, x ** 2)
    return d["a"]


def test_dict_setdefault_refusals_name_the_line():
    refused_at(dict_setdefault_shared, (0.7,), ('d.setdefault("b", x ** 2)',),
               "e holds the same value")
    with pytest.raises(UnsupportedSyntaxError) as e:
        grad(dict_setdefault_computed_key)(0.7, "b")
    assert "setdefault" in str(e.value) and "test_geometry_found.py:" in str(e.value)
