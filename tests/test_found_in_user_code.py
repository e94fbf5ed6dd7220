"""Defects found by running code written the way users write it (simulations, lecture code,
model code) through every transformation: each a regression test before its fix."""
import math

import numpy as np
import pytest

from adcompile import grad, jvp, source, value_and_grad
from adcompile.errors import ADCompileError, UnsupportedSyntaxError
from test_regressions import check
from checks import assert_close, numeric_grad


# --- (-1) ** k printed as -1 ** k, which Python reads as -(1 ** k): alternating series had a
# wrong value and wrong derivatives in every mode ------------------------------------------------
def alternating(x, n):
    return (-1) ** n * x + (-2.5) ** 2 * x


def taylor_sin(x):
    s = 0.0
    for k in range(8):
        s += (-1) ** k * x ** (2 * k + 1) / math.factorial(2 * k + 1)
    return s


def test_a_negative_constant_raised_to_a_power():
    assert value_and_grad(alternating)(0.9, 2) == pytest.approx((0.9 + 6.25 * 0.9, 7.25))
    assert "(-1) ** n" in source(alternating, mode="grad")
    check(alternating, 0.9, 3, argnums=(0,))
    v, g = value_and_grad(taylor_sin)(0.9)
    assert v == pytest.approx(math.sin(0.9)) and g == pytest.approx(math.cos(0.9))
    assert jvp(taylor_sin, (0.9,), (1.0,))[1] == pytest.approx(math.cos(0.9))


# --- arrays NumPy hands back as views of their argument (np.split's pieces, np.asarray of an
# array, flips) or held in a container, then changed in place: treated as copies, so the value
# and the gradient were silently wrong; now refused as the same change through s[:2] is ----------
def split_in_place(y0, k):
    s = y0 * 1.0
    pos, vel = np.split(s, 2)
    vel += k * pos
    return np.sum(s * np.array([1.0, 2.0, 3.0, 4.0]))


def asarray_in_place(y0, k):
    s = y0 * 1.0
    t = np.asarray(s)
    t *= k
    return np.sum(s)


def flipped_in_place(y0, k):
    s = y0 * 1.0
    t = np.flip(s)
    t[0] = k
    return np.sum(s * y0)


def view_in_a_dict(y0, k):
    s = y0 * 1.0
    parts = {"pos": s[:2], "vel": s[2:]}
    parts["vel"] += k * parts["pos"]
    return np.sum(s * np.array([1.0, 2.0, 3.0, 4.0]))


def view_in_a_list(y0, k):
    s = y0 * 1.0
    parts = [s[:2], s[2:]]
    parts[1] += k * parts[0]
    return np.sum(s * np.array([1.0, 2.0, 3.0, 4.0]))


def copy_in_a_dict(y0, k):
    s = y0 * 1.0
    parts = {"pos": s[:2].copy(), "vel": s[2:] * 1.0}
    parts["vel"] += k * parts["pos"]
    return np.sum(s * np.array([1.0, 2.0, 3.0, 4.0])) + np.sum(parts["vel"])


@pytest.mark.parametrize("f", [split_in_place, asarray_in_place, flipped_in_place,
                               view_in_a_dict, view_in_a_list])
def test_changing_a_view_in_place_is_refused(f):
    from adcompile.errors import UnsupportedSyntaxError
    y0 = np.array([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(UnsupportedSyntaxError, match="in place"):
        value_and_grad(f, (0, 1))(y0, 3.0)


def test_changing_a_copy_in_a_container_in_place():
    check(copy_in_a_dict, np.array([1.0, 2.0, 3.0, 4.0]), 3.0)


# --- a method called for its effect on its object (osc.step(dt), the usual simulation style) was
# refused as "an expression statement"; a method returning a field it just updated
# (self.r = self.r + k; return self.r) raised NameError in generated code ------------------------
class Oscillator:
    def __init__(self, k):
        self.k = k
        self.x = 1.0
        self.v = 0.0

    def step(self, dt):
        self.v += -dt * self.k * self.x
        self.x += dt * self.v

    def grow(self, k):
        self.x = self.x + k
        return self.x


def oscillate(k, dt):
    osc = Oscillator(k)
    for _ in range(3):
        osc.step(dt)
    osc.step(dt * 0.5)
    return osc.x + osc.v


def grown(k, dt):
    osc = Oscillator(k)
    g = osc.grow(dt)
    return osc.x * g + osc.k


def helper_for_its_print(x):
    print("x is", x)


def prints_through_a_helper(x):
    helper_for_its_print(x)
    return x * x


def test_a_method_called_for_its_effect():
    check(oscillate, 2.0, 0.1)
    check(grown, 0.7, 1.3)


def test_a_helper_called_for_its_effect(capsys):
    assert grad(prints_through_a_helper)(3.0) == 6.0
    assert "x is 3.0" in capsys.readouterr().out


# --- a helper changing a list or dict it was given (lst.append(v), d["k"] += v, a nested def's
# acc[0] += v): Python changes the caller's object, flat code changed the helper's copy only, so
# the value and the gradient were silently wrong ------------------------------------------
def push(lst, v):
    lst.append(v * v)
    return len(lst)


def appends_through_a_helper(x):
    vals = []
    n = push(vals, x)
    push(vals, 2.0 * x)
    return sum(vals) * n


def bump(d, v):
    d["total"] += v
    return d["total"]


def adds_through_a_helper(x):
    d = {"total": 0.0}
    bump(d, x)
    t = bump(d, x * x)
    return d["total"] * t


def adds_through_a_closure(x):
    acc = [0.0, 1.0]

    def add(v):
        acc[0] += v
        acc[1] *= v
        return 0

    add(x)
    _ = add(x * x)
    return acc[0] + acc[1]


def kick(body, dv):
    body.v = body.v + dv
    body.x = body.x + body.v


def moves_an_object_through_a_helper(k, dt):
    osc = Oscillator(k)
    for _ in range(2):
        kick(osc, dt * osc.k)
    return osc.x


def grows_a_list_in_a_loop_through_a_helper(x):
    hist = [x]
    for i in range(3):
        push(hist, hist[-1] * 0.5 + 1.0)
    return hist[-1] + hist[1]


@pytest.mark.parametrize("f", [appends_through_a_helper, adds_through_a_helper,
                               adds_through_a_closure, grows_a_list_in_a_loop_through_a_helper])
def test_a_helper_changing_its_argument_changes_the_callers(f):
    check(f, 0.7)


def test_a_helper_changing_an_objects_fields():
    check(moves_an_object_through_a_helper, 2.0, 0.1)


def rebinds_and_changes(lst, v):
    lst.append(v)
    lst = [v]
    return lst[0]


def calls_one_that_rebinds_and_changes(x):
    vals = [x]
    y = rebinds_and_changes(vals, x)
    return y + sum(vals)


def test_a_helper_that_also_rebinds_its_argument_is_refused():
    from adcompile.errors import UnsupportedSyntaxError
    with pytest.raises(UnsupportedSyntaxError, match="rebinds_and_changes.*lst"):
        grad(calls_one_that_rebinds_and_changes)(0.7)


# --- two names for one list (b = a, row = m[i]), changed through one: Python changes it for both,
# flat code changed one, so the value and the gradient were silently wrong (or generated code
# crashed in setitem) -----------------------------------------------------------------------------
def alias_item(x):
    a = [x, 1.0]
    b = a
    b[0] += x
    return a[0]


def alias_row(x):
    m = [[0.0, 0.0], [0.0, 0.0]]
    row = m[1]
    row[0] = x
    return m[1][0]


def alias_row_in_a_loop(x):
    m = [[0.0, 0.0], [0.0, 0.0]]
    for i in range(2):
        row = m[i]
        for j in range(2):
            row[j] = x * (i + j + 1)
    return m[0][0] + m[1][1]


def alias_in_a_dict(x):
    hs = [x]
    d = {"hs": hs}
    hs.append(2.0 * x)
    return sum(d["hs"])


def alias_dict(x):
    p = {"w": x}
    q = p
    q["w"] = x * x
    return p["w"]


@pytest.mark.parametrize("f", [alias_item, alias_row, alias_row_in_a_loop, alias_in_a_dict,
                               alias_dict])
def test_a_list_changed_through_another_name_is_refused(f):
    from adcompile.errors import UnsupportedSyntaxError
    with pytest.raises(UnsupportedSyntaxError, match="holds"):
        value_and_grad(f)(0.5)


def copied_then_changed(x):
    a = [x, 1.0]
    b = a[:]
    c = list(a)
    b[0] += x
    c[1] = x * 3.0
    return a[0] + b[0] + c[1] + a[1]


def test_a_copy_changed_leaves_the_original():
    check(copied_then_changed, 0.5)


def oscillate_n(k, dt, n):
    osc = Oscillator(k)
    for _ in range(n):
        osc.step(dt)
    return osc.x + osc.v


def push_n(x, n):
    hist = [x]
    for i in range(n):
        push(hist, hist[-1] * 0.5 + 1.0)
    return hist[-1] + hist[1]


def accumulate_n(x, n):
    acc = [0.0]

    def add(v):
        acc[0] += v
        return 0

    i = 0
    while i < n:
        _ = add(x * i)
        i += 1
    return acc[0] * x


def test_changes_through_calls_in_a_loop_run_at_run_time():
    check(oscillate_n, 2.0, 0.1, 4, argnums=(0, 1))
    check(push_n, 0.7, 3, argnums=(0,))
    check(accumulate_n, 0.7, 3, argnums=(0,))


def apply_bc(u, left):
    u[0] = left
    u[-1] = 0.0


def boundary_conditions(u0, left):
    u = u0 * 1.0
    apply_bc(u, left)
    return np.sum(u * np.arange(1.0, 5.0))


def boundary_conditions_assigned(u0, left):
    u = u0 * 1.0
    _ = apply_bc(u, left)  # None, as Python gives for a function without return
    return np.sum(u * np.arange(1.0, 5.0))


def boundary_conditions_on_a_view(u0, left):
    u = u0 * 1.0
    inner = u[1:]
    apply_bc(inner, left)
    return np.sum(u * np.arange(1.0, 5.0))


def boundary_conditions_with_another_name(u0, left):
    u = u0 * 1.0
    w = u
    apply_bc(u, left)
    return np.sum(w * np.arange(1.0, 5.0))


def test_a_helper_changing_an_array_in_place():
    from adcompile.errors import UnsupportedSyntaxError
    u0 = np.array([1.0, 2.0, 3.0, 4.0])
    check(boundary_conditions, u0, 3.0)
    check(boundary_conditions_assigned, u0, 3.0)
    for f in (boundary_conditions_on_a_view, boundary_conditions_with_another_name):
        with pytest.raises(UnsupportedSyntaxError, match="in place"):
            grad(f, (0, 1))(u0, 3.0)


# --- an item of an item assigned (m[i][j] = v, lists of lists as lecture code writes matrices) or
# an attribute of an item (bodies[0].v = ...): refused as "a nested subscript" -------------------
def trace_of_scaled(x):
    m = [[0.0] * 2 for _ in range(2)]
    for i in range(2):
        m[i][i] += x * (i + 1)
    m[0][1] = m[1][1] * x
    return m[0][0] + m[1][1] + m[0][1]


def grid_at_run_time(x, n):
    m = [[0.0, 1.0], [2.0, 3.0]]
    for i in range(n):
        m[i % 2][0] = m[i % 2][0] * x + m[1 - i % 2][1]
    return m[0][0] + m[1][0]


def array_rows(A, x):
    B = A * 1.0
    B[1][0] = x * B[0][1]
    return np.sum(B * B)


class Body:
    def __init__(self, x, v):
        self.x = x
        self.v = v


def bodies_in_a_list(x0):
    bodies = [Body(x0, 0.0), Body(2.0 * x0, 0.0)]
    for _ in range(3):
        bodies[0].v = bodies[0].v - 0.1 * (bodies[0].x - bodies[1].x)
        bodies[0].x = bodies[0].x + 0.1 * bodies[0].v
    return bodies[0].x


def nested_dicts(x):
    p = {"layer": {"w": x, "b": 1.0}}
    p["layer"]["b"] = p["layer"]["w"] * 2.0
    p["layer"]["w"] *= x
    return p["layer"]["w"] + p["layer"]["b"]


def test_assigning_an_item_of_an_item():
    check(trace_of_scaled, 0.5)
    check(grid_at_run_time, 0.5, 3, argnums=(0,))
    check(array_rows, np.array([[1.0, 2.0], [3.0, 4.0]]), 0.5)
    check(bodies_in_a_list, 1.0)
    check(nested_dicts, 0.5)


def row_seen_through_another_name(x):
    m = [[0.0, 0.0], [0.0, 0.0]]
    row = m[0]
    m[0][1] = x
    return row[1] + m[0][1]


def test_assigning_an_item_of_an_item_another_name_holds_is_refused():
    from adcompile.errors import UnsupportedSyntaxError
    with pytest.raises(UnsupportedSyntaxError, match="row holds the same value"):
        grad(row_seen_through_another_name)(0.5)


# --- a dict or object whose field an `if` on a value assigns (contact and bounce code): refused as
# "holds a different tuple or function on each path"; keys that are not identifiers (a record
# carried field by field through a loop) made names that are not Python --------------------------
def bounce(y0, v0):
    p = {"y": y0, "v": v0, "state": {"hits": 0.0}}
    if p["y"] < 0.0:
        p["y"] = -p["y"]
        p["v"] = -0.5 * p["v"]
        p["state"]["hits"] = p["state"]["hits"] + p["v"]
    return p["y"] * p["v"] + p["state"]["hits"]


def bounce_object(x0, v0):
    b = Body(x0, v0)
    if b.x < 0.0:
        b.x = -b.x * b.v
    else:
        b.v = b.v * 2.0
    return b.x + b.v


def keys_with_spaces(x, n):
    p = {"learning rate": x, "2nd": 1.0}
    for _ in range(n):
        p["learning rate"] = p["learning rate"] * 0.5 + p["2nd"]
        if p["learning rate"] > 1.0:
            p["2nd"] = p["2nd"] * x
    return p["learning rate"] + p["2nd"]


def test_a_field_assigned_in_a_branch():
    check(bounce, -1.0, 2.0)
    check(bounce, 1.0, 2.0)
    check(bounce_object, -1.0, 2.0)
    check(bounce_object, 1.0, 2.0)
    check(keys_with_spaces, 1.5, 3, argnums=(0,))


# --- a library function called for what it changes in place (np.add.at, x.sort()): it was
# refused; now followed as `acc[...] = the new value` (tests/test_numpy_breadth6.py); one without
# such a form (np.multiply.at) is still refused with what to write -----------------------------
def adds_at(x, idx):
    acc = np.zeros(3)
    np.add.at(acc, idx, x)
    return np.sum(acc * acc)


def sorts_in_place(x, idx):
    y = x * 1.0
    y.sort()
    return y[0] * y[idx[2]]


def multiplies_at(x, idx):
    acc = np.ones(3)
    np.multiply.at(acc, idx, x)
    return np.sum(acc * acc)


def test_a_library_call_for_its_effect_is_followed_or_refused_with_what_to_write():
    from adcompile.errors import UnsupportedSyntaxError
    x, idx = np.array([1.0, 3.0, 2.0]), np.array([0, 0, 2])
    np.testing.assert_allclose(grad(adds_at)(x, idx), [8.0, 8.0, 4.0])  # acc = [4, 0, 2]
    np.testing.assert_allclose(grad(sorts_in_place)(x, idx), [3.0, 1.0, 0.0])  # y[0] * y[2]
    with pytest.raises(UnsupportedSyntaxError, match="in place.*assign") as e:
        grad(multiplies_at)(x, idx)
    assert "test_found_in_user_code.py" in str(e.value)


# --- super() in a method of the user's class (super().energy(x), super().__init__(...)): refused
# as "the method .energy() of an array" --------------------------------------------------------
class Base:
    def __init__(self, scale):
        self.scale = scale
        self.calls = 0.0

    def energy(self, x):
        self.calls = self.calls + 1.0
        return self.scale * np.sum(x ** 2)


class WithSuper(Base):
    def __init__(self, scale, shift):
        super().__init__(scale * 2.0)
        self.shift = shift

    def energy(self, x):
        return super().energy(x) + self.shift * np.sum(x) + self.calls


class Deeper(WithSuper):
    def energy(self, x):
        return 0.5 * super().energy(x)


def loss_of(model_scale, x):
    return WithSuper(model_scale, 0.1).energy(x) + Deeper(model_scale, 0.2).energy(x)


def test_super_in_methods():
    check(loss_of, 2.0, np.array([1.0, -1.5]))


# --- grad of a loss of dict parameters taken inside the differentiated function (MAML): refused
# with a message about "a dict used as a value computed at run time", naming a generated file;
# then refused at the user's line; now compiled for the dict's structure (lower/structured.py) --
def dict_loss(p, x):
    return np.sum((x @ p["W"] + p["b"]) ** 2)


def meta_step(p, x):
    g = grad(dict_loss)(p, x)
    q = {k: p[k] - 0.1 * g[k] for k in p}
    return dict_loss(q, x)


def test_a_derivative_of_dict_parameters_inside():
    p = {"W": np.array([[0.5, -0.3], [0.2, 0.8]]), "b": np.array([0.1, -0.2])}
    x = np.array([[1.0, 0.5], [-0.3, 0.7], [0.2, -1.1]])
    got = grad(meta_step)(p, x)
    for k in p:
        expected = numeric_grad(lambda v, k=k: meta_step({**p, k: v}, x), (p[k],), 0)
        assert_close(got[k], expected, rtol=1e-5)


# --- what a call changes, precisely: a helper passing its parameter to a library function (np.dot,
# abs) does not change it, so a loop calling the helper does not carry (and tape) that argument,
# and an expression passed to it is not refused as "changed in place" --------------------------
def cell(W, h, x):
    return np.tanh(np.dot(W, h) + x)


def rnn_through_a_helper(W, h, xs):
    for t in range(xs.shape[0]):
        h = cell(W, h, xs[t])
    return np.sum(h * h)


def scaled(a, b):
    for i in range(int(abs(b)) % 3 + 1):
        a = a + float(i) / (1.0 + abs(b) * a ** 2)
    return a


def helper_of_expressions(x, y):
    total = 0.0
    for k in range(3):
        total = total + scaled(x * k, y + x)
    return total


def test_a_helper_reading_its_parameter_does_not_change_it():
    rng = np.random.default_rng(3)
    W, h, xs = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3), rng.normal(size=(4, 3))
    src = source(rnn_through_a_helper, mode="grad", argnums=(0, 1, 2))
    assert "tape.append(W" not in src and "W_1" not in src, src
    check(rnn_through_a_helper, W, h, xs)
    check(helper_of_expressions, 0.4, 0.7)


# --- second round (testers on the mechanisms above): a primitive of two operands passed as the
# function named its result like its second operand (grad(np.subtract) gave (1, 0)); changes
# through a second name inside a helper, through a loop's copy, through `+=`, through a method
# on a second name, inside comprehensions, conditional values and while tests, and of an array
# a constructor kept: silently lost, now refused or seen ------------------------------------------
def test_a_primitive_of_two_operands_passed_as_the_function():
    from adcompile import vjp
    assert grad(np.subtract, (0, 1))(3.0, 4.0) == (1.0, -1.0)
    assert np.allclose(grad(np.power, (0, 1))(2.0, 3.0), (12.0, 8 * np.log(2.0)))
    x = np.array([0.5, -1.0, 2.0])
    gx, gy = vjp(np.dot, x, 2 * x)[1](1.0)
    assert np.allclose(gx, 2 * x) and np.allclose(gy, x)


def set_first(a, v):
    b = a
    b[0] = v


def through_a_second_name_in_a_helper(x):
    a = [x]
    set_first(a, x * x)
    return a[0]


def move_all(bodies, dt):
    for b in bodies:
        b.x = b.x + dt


def through_a_loop_variable_in_a_helper(x):
    bodies = [Body(x, 0.0), Body(2.0 * x, 0.0)]
    move_all(bodies, x)
    return bodies[0].x + bodies[1].x


def through_a_second_name_in_a_loop(x):
    a = [x, 1.0]
    b = a
    for _ in range(2):
        b[0] = b[0] * 2.0
    return a[0]


def through_augmented_assignment(x):
    a = [x]
    b = a
    b += [x * x]
    return sum(a)


def method_on_a_second_name(k, dt):
    a = Oscillator(k)
    c = a
    c.step(dt)
    return a.x


def identity(xs):
    return xs


def through_a_returned_argument(x):
    a = [x]
    b = identity(a)
    b.append(x)
    return sum(a)


def pushed(xs, v):
    xs.append(v)
    return v


def in_a_comprehension(x):
    a = []
    ys = [pushed(a, x * k) for k in range(3)]
    return sum(a) + sum(ys)


def in_a_conditional_value(x):
    a = []
    y = pushed(a, x) if x > 0 else 0.0
    return sum(a) + y


class Grid:
    def __init__(self, u):
        self.u = u

    def pin(self, v):
        self.u[0] = v


def array_kept_by_a_constructor(u0, v):
    u = u0 * 1.0
    g = Grid(u)
    g.pin(v)
    return np.sum(u)


@pytest.mark.parametrize("f", [through_a_second_name_in_a_helper,
                               through_a_second_name_in_a_loop, through_augmented_assignment,
                               through_a_returned_argument, in_a_comprehension,
                               in_a_conditional_value])
def test_changes_through_other_names_are_refused(f):
    from adcompile.errors import UnsupportedSyntaxError
    with pytest.raises(UnsupportedSyntaxError, match="in place|holds the same value"):
        value_and_grad(f)(0.7)


def test_changes_through_other_names_of_objects_are_refused():
    from adcompile.errors import UnsupportedSyntaxError
    with pytest.raises(UnsupportedSyntaxError, match="holds the same value"):
        grad(method_on_a_second_name)(2.0, 0.1)
    with pytest.raises(UnsupportedSyntaxError, match="in place"):
        grad(array_kept_by_a_constructor, (0, 1))(np.ones(3), 2.0)


# --- a NumPy reduction of a list (np.mean(losses), np.sum of an appended list, np.max([x, y])):
# reverse mode fitted the gradient to the list as if it were an array and crashed ---------------
def mean_of_losses(r):
    losses = []
    for i in range(3):
        losses.append((r * i - 1.0) ** 2)
    return np.mean(losses) + np.max([r, 0.5 * r])


def mean_of_arrays(x):
    parts = []
    for k in range(3):
        parts.append(x * k + x ** 2)
    return np.sum(np.mean(parts, axis=0))


def test_numpy_reductions_of_lists():
    check(mean_of_losses, 0.7)
    check(mean_of_arrays, np.array([1.0, -2.0, 0.5]))


def rows_joined(x):
    table = [[1.0], [2.0, x]]
    flat = sum(table, [])
    return x * flat[2] + flat[0]


def test_sum_of_lists_joins_them():
    check(rows_joined, 0.7)


def appends_to_its_default(v, acc=[]):  # noqa: B006  (the anti-pattern under test)
    acc.append(v)
    return sum(acc)


def calls_one_changing_its_default(x):
    return appends_to_its_default(x) + appends_to_its_default(2.0 * x)


def test_a_default_argument_changed_in_place_is_refused():
    from adcompile.errors import UnsupportedSyntaxError
    with pytest.raises(UnsupportedSyntaxError, match="default argument acc"):
        grad(calls_one_changing_its_default)(1.3)


# --- self.history.append(v) in a method (a field that is a list): refused as a library call ------
class Recorder:
    def __init__(self):
        self.vals = []
        self.groups = {"a": []}

    def add(self, v):
        self.vals.append(v)
        self.groups["a"].append(v * v)

    def total(self):
        return sum(self.vals) + sum(self.groups["a"])


def records(x):
    c = Recorder()
    c.add(x)
    c.add(x * 2.0)
    return c.total()


def test_appending_to_a_field():
    check(records, 0.7)


# --- lowering read the rest of the function at every statement (to know what is read later, for
# the sharing checks): quadratic, 3000 statements took 92 s to build instead of 2.5 s. Counted,
# not timed: the nodes lowering walks grow linearly with the program ------------------------------
def _straight_line(n, folder):
    import importlib.util
    lines = ["import math", "", "", "def f(x, y):", "    a, b = x, y"]
    for k in range(n // 2):
        lines.append("    a = math.sin(a) * 3.0 + b" if k % 2 else "    b = math.cos(b) + a * 0.5")
        lines.append(f"    c{k} = a * b")
    lines.append("    return a + b")
    path = folder / f"straight_{n}.py"
    path.write_text("\n".join(lines) + "\n")
    spec = importlib.util.spec_from_file_location(f"straight_{n}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def test_lowering_walks_the_program_a_bounded_number_of_times(tmp_path, monkeypatch):
    import ast
    from adcompile.api import _lower
    walked = []
    original = ast.iter_child_nodes

    def counting(node):
        walked.append(1)
        return original(node)
    counts = []
    for n in (200, 400):
        f = _straight_line(n, tmp_path)
        walked.clear()
        monkeypatch.setattr(ast, "iter_child_nodes", counting)
        _lower(f, "reverse")
        monkeypatch.setattr(ast, "iter_child_nodes", original)
        counts.append(len(walked))
    assert counts[1] < 2.6 * counts[0], counts  # linear: about 2x for twice the statements


def rebinds_a_state_another_name_holds(x):
    s0 = [x, 1.0]
    s = s0
    for _ in range(3):
        s = [s[0] * 2.0, s[1] + x]
    return s[0] + s0[0] + s[1]


def test_a_loop_rebinding_a_list_another_name_holds_is_not_refused():
    check(rebinds_a_state_another_name_holds, 0.7)


def grows_a_shared_list_in_a_loop(x, n):
    a = [x]
    b = a
    for i in range(n):
        b += [x * i]
    return sum(a)


def test_a_shared_list_grown_by_augmented_assignment_in_a_loop_is_refused():
    from adcompile.errors import UnsupportedSyntaxError
    with pytest.raises(UnsupportedSyntaxError, match="holds the same value"):
        grad(grows_a_shared_list_in_a_loop)(0.7, 3)


def moves_a_shared_list_of_objects_in_a_loop(x, n):
    bodies = [Body(x, 0.0), Body(2.0 * x, 0.0)]
    alias = bodies
    for i in range(n):
        alias[0].x = alias[0].x * 2.0
    return bodies[0].x


def test_a_shared_list_changed_through_an_item_in_a_loop_is_not_silently_wrong():
    from adcompile.errors import UnsupportedSyntaxError
    with pytest.raises(UnsupportedSyntaxError):
        grad(moves_a_shared_list_of_objects_in_a_loop)(0.7, 3)


# --- a name of the user's that is also the name of a helper generated code calls (np.sign's
# rule calls `sign`, np.abs's too; `sum` and `len` are builtins) shadowed the helper: the
# gradient raised "'float' object is not callable" ----------------------------------------------
def param_named_sign(x, sign):
    return np.sum(abs(x) * sign + np.sin(x))


def local_named_sum(x, reversed):
    sum = 0.0
    for i in range(3):
        sum = sum * reversed + abs(x[i]) ** 2
    list = sum * 2.0
    return list + sum


def param_named_np(x, np_):
    np = np_
    return x * np


@pytest.mark.parametrize("f, args", [
    (param_named_sign, (np.array([1.0, -2.0, 0.5]), 2.0)),
    (local_named_sum, (np.array([1.0, -2.0, 0.5]), 0.5)),
    (param_named_np, (1.5, 2.0)),
])
def test_a_name_of_the_users_shadowing_a_helper(f, args):
    check(f, *args)


def param_named_as_abs_rule(x, abs_vjp):
    return np.sum(abs(x) * abs_vjp + np.sin(x))


def test_a_helper_shadowed_is_called_under_an_alias():
    # (abs's rule calls the helper abs_vjp, which the parameter shadows)
    check(param_named_as_abs_rule, np.array([1.0, -2.0, 0.5]), 0.5)
    text = source(grad(param_named_as_abs_rule, argnums=(0, 1)))
    assert "adcompile_abs_vjp(grad_s0, x)" in text and \
        "adcompile_abs_vjp" not in source(grad(np.sin))


# --- a method changing its object called on an item or a field (bs[0].step(),
# self.spring.stretch(k)) was refused as a library call ------------------------------------------
class Bead:
    def __init__(self, v):
        self.v = v

    def step(self, k):
        self.v = self.v * k + 1.0


class Chain:
    def __init__(self, x):
        self.beads = [Bead(x), Bead(2.0 * x)]
        self.first = Bead(x * x)

    def advance(self, k):
        for b in range(2):
            self.beads[b].step(k)
        self.first.step(k)


def step_an_item(x, k):
    bs = [Bead(x), Bead(2.0 * x)]
    bs[0].step(k)
    bs[1].step(k * k)
    bs[0].step(k)
    return bs[0].v * bs[1].v


def step_items_in_a_method(x, k):
    c = Chain(x)
    c.advance(k)
    return c.beads[0].v * c.beads[1].v + c.first.v


def step_an_item_another_name_holds(x, k):
    bs = [Bead(x)]
    b = bs[0]
    bs[0].step(k)
    return b.v + bs[0].v


@pytest.mark.parametrize("f", [step_an_item, step_items_in_a_method])
def test_a_method_changing_an_item(f):
    check(f, 1.5, 0.7)


def test_a_method_changing_an_item_another_name_holds_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match="holds"):
        grad(step_an_item_another_name_holds)(1.5, 0.7)


def step_an_item_chosen_at_run_time(x, k):
    bs = [Bead(x), Bead(2.0 * x)]
    for i in range(5):
        bs[i % 2].step(k)
    return bs[0].v * bs[1].v


def test_a_method_changing_an_item_chosen_at_run_time_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match=r"\.step\(\) of an item chosen at run time"):
        grad(step_an_item_chosen_at_run_time)(1.5, 0.7)


# --- found by a tester writing ML code -----------------------------------------------------------
# jacrev(grad(f)) through np.kron: the reverse rule of kron's right gradient in x multiplied the
# wrong operands (2.5 for a hessian of 2; a crash for operands of different shapes)
def kron_square(x):
    return np.sum(np.kron(x, x) ** 2)


def kron_two(a, b):
    return np.sum(np.kron(a, b) * np.kron(b, a)[:a.size * b.size])


def test_reverse_over_reverse_through_kron():
    from adcompile import hessian, jacfwd, jacrev
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(jacrev(grad(kron_square))(x), hessian(kron_square)(x))
    a, b = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.3])
    for i, j in ((0, 1), (1, 0), (0, 0), (1, 1)):
        np.testing.assert_allclose(jacrev(grad(kron_two, j), i)(a, b),
                                   jacfwd(grad(kron_two, j), i)(a, b), atol=1e-12)


# grad of a one-element array made by a product (X[:1] @ w, np.dot, np.einsum): the seed 1.0 was
# passed to the product's rule as the adjoint, which needs the output's shape (IndexError)
def one_element_matmul(w, X):
    return X[:1] @ w


def one_element_dot(w, X):
    return np.dot(X[:1], w)


def one_element_einsum(w, X):
    return np.einsum("ij,j->i", X[:1], w)


@pytest.mark.parametrize("f", [one_element_matmul, one_element_dot, one_element_einsum])
def test_grad_of_a_one_element_product(f):
    w, X = np.array([1.0, 2.0, 3.0]), np.arange(6.0).reshape(2, 3)
    g = grad(f, argnums=(0, 1))(w, X)
    np.testing.assert_allclose(g[0], X[0])
    np.testing.assert_allclose(g[1], np.vstack([w, np.zeros(3)]))


# hessian through np.einsum("ii->i", A): the first derivative's np.eye(n, like=A) was refused
def einsum_diagonal(A):
    return np.sum(np.einsum("ii->i", A) ** 3)


def test_second_derivative_through_an_einsum_diagonal():
    from adcompile import hessian, jacrev
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    expected = np.zeros((2, 2, 2, 2))
    expected[0, 0, 0, 0], expected[1, 1, 1, 1] = 6.0, 24.0
    np.testing.assert_allclose(hessian(einsum_diagonal)(A), expected)
    np.testing.assert_allclose(jacrev(grad(einsum_diagonal))(A), expected)


# --- found by a tester writing plain Python ------------------------------------------------------
# a property's setter was never called: `t.f = v` stored a field f beside the property
class Temperature:
    def __init__(self, c):
        self._c = c

    @property
    def f(self):
        return self._c * 1.8 + 32.0

    @f.setter
    def f(self, value):
        self._c = (value - 32.0) / 1.8


class Kelvin:
    def __init__(self, c):
        self.k = c + 273.15  # through the setter

    @property
    def k(self):
        return self._c + 273.15

    @k.setter
    def k(self, value):
        self._c = value - 273.15


def warm_through_a_setter(c):
    t = Temperature(c)
    t.f = t.f + 18.0
    return t._c * c


def set_in_init(c):
    t = Kelvin(c)
    return t._c * t.k


@pytest.mark.parametrize("f", [warm_through_a_setter, set_in_init])
def test_a_property_setter_is_called(f):
    check(f, 20.0)


# `a += b` on an object whose class defines __iadd__ ran __add__ (a new object) ---------------
class Accumulator:
    def __init__(self, v):
        self.v = v

    def __add__(self, other):
        return Accumulator(self.v + other.v)

    def __iadd__(self, other):
        self.v = self.v + 2.0 * other.v
        return self


def add_in_place(x):
    a = Accumulator(x)
    a += Accumulator(x * x)
    return a.v


def add_in_place_another_name_holds(x):
    a = Accumulator(x)
    c = a
    a += Accumulator(x * x)
    return c.v


def test_augmented_assignment_calls_iadd():
    check(add_in_place, 0.5)
    with pytest.raises(UnsupportedSyntaxError, match="holds"):
        grad(add_in_place_another_name_holds)(0.5)


# a list repeated ([row] * 2) holds the same row twice: writing one row's item changes both ----
def repeated_rows(x, y):
    m = [[x, 1.0]] * 2
    m[0][0] = y
    return m[1][0] * x


def repeated_objects(x):
    bs = [Bead(x)] * 2
    bs[0].step(2.0)
    return bs[1].v


def separate_rows(x, y):
    m = [[x, 1.0] for _ in range(2)]
    m[0][0] = y
    return m[1][0] * x + m[0][0]


def test_rows_of_a_repeated_list_are_one_list():
    for f in (repeated_rows, repeated_objects):
        with pytest.raises(UnsupportedSyntaxError, match="several places"):
            grad(f)(0.5, 1.5) if f is repeated_rows else grad(f)(0.5)
    check(separate_rows, 0.5, 1.5)


# a helper's `lst += [v]` or `lst *= 2` changes the caller's list (list.__iadd__ is in place) ----
def push_augmented(lst, v):
    lst += [v]


def double_in_place(lst):
    lst *= 2


def grow_through_a_helper(x, y):
    a = [x]
    push_augmented(a, y)
    return sum(a) * x


def double_through_a_helper(x, y):
    a = [x, y]
    double_in_place(a)
    return sum(a) * x


@pytest.mark.parametrize("f", [grow_through_a_helper, double_through_a_helper])
def test_a_helper_augmenting_its_list_argument(f):
    check(f, 0.5, 1.5)


# --- ordinary code that was refused ---------------------------------------------------------------
class Point2:
    def __init__(self, x, y):
        self.x, self.y = x, y  # the everyday __init__ idiom


class Damper:
    def __init__(self, v):
        self.v = v

    def update(self, k):  # named like dict.update
        self.v = self.v * k

    def append(self, w):  # named like list.append
        self.v = self.v + w


class Plain:
    k = 2.0

    def go(self, x):
        return self.k * x * x


def unpack_into_fields(x):
    p = Point2(x, 2.0 * x)
    p.x, p.y = p.y, p.x
    return p.x * p.y + p.x


def swap_items(x):
    d = [x, 2.0]
    d[0], d[1] = d[1], d[0] * x
    return d[0] * 10.0 + d[1]


def methods_named_like_a_lists(x):
    p = Damper(x)
    p.update(3.0)
    p.append(x * x)
    return p.v


def step_an_argument(o, dt):
    o.step(dt)
    return o.v * dt


def class_without_init(x):
    return Plain().go(x)


@pytest.mark.parametrize("f, args", [
    (unpack_into_fields, (1.5,)), (swap_items, (1.5,)), (methods_named_like_a_lists, (1.5,)),
    (class_without_init, (1.5,))])
def test_ordinary_code_once_refused(f, args):
    check(f, *args)


def test_a_method_changing_an_argument_object():
    assert grad(step_an_argument, 1)(Bead(2.0), 0.5) == pytest.approx(2.0 * (2 * 0.5) + 1.0)


# an optional function argument tested against None (`if act is not None: z = act(z)`), or for
# its truth (`if act:`), was refused as "a function used as a value computed at run time" -----
def dense_layer(x, W, act=None):
    z = x @ W
    if act is not None:
        z = act(z)
    return z


def dense_truthy(x, W, act=None, scale=None):
    z = x @ W
    if act:
        z = act(z)
    if scale is None:
        return z
    return z * scale


def optional_activation(W, x):
    return np.sum(dense_layer(x, W, np.tanh)) + np.sum(dense_layer(x, W) ** 2) + \
        np.sum(dense_truthy(x, W, np.tanh)) + np.sum(dense_truthy(x, W, None, 2.0))


def test_an_optional_function_argument():
    W, x = np.array([[0.5, 0.1], [-0.2, 0.3]]), np.array([1.0, -2.0])
    check(optional_activation, W, x, argnums=(0,))


# --- found by a tester (third round) -------------------------------------------------------------
# max()/min() of tuples (the "argmax with a payload" idiom): the elementwise max rule multiplied
# the tuple's adjoint by a bool (a tuple times False is ()), an IndexError in the gradient. Python
# compares tuples item by item and keeps the first argument unless the second is greater
def max_of_pairs(x, y):
    best = max((x, 0), (y, 1))
    return best[0] * 3.0


def min_of_pairs(x, y):
    d, idx = min((abs(x - 1.0), 0), (abs(y - 1.0), 1))
    return d * (idx + 1)


def max_of_three_pairs(x, y, z):
    best = max([(x * x, 2.0 * y), (y, x), (z, 0.5 * z)])
    return best[0] + 10.0 * best[1]


def max_of_pairs_tied(x, y):
    return max((x, 1.0), (x, y))[1] * x  # (a tie on the first item: the second decides)


@pytest.mark.parametrize("args", [(0.7, 0.3), (0.3, 0.7), (0.5, 0.5)])
def test_max_and_min_of_tuples(args):
    from adcompile import hessian
    for f in (max_of_pairs, min_of_pairs, max_of_pairs_tied):
        if args[0] != args[1] or f is max_of_pairs_tied:  # (smooth there)
            check(f, *args)
        assert np.shape(hessian(f, argnums=(0, 1))(*args)) == (2, 2)
    x, y = args
    assert grad(max_of_pairs, argnums=(0, 1))(x, y) == ((3.0, 0.0) if x > y else (0.0, 3.0))
    check(max_of_three_pairs, 0.9, 0.5, 0.2)
    check(max_of_three_pairs, 0.3, 0.5, 0.2)
    check(max_of_three_pairs, 0.3, 0.5, 0.7)
    assert hessian(max_of_three_pairs)(0.9, 0.5, 0.2) == pytest.approx(2.0)


# the second derivative of x ** n at x = 0 with an int n known only at run time (a loop index,
# an argument): pow_dx's rule in x, n * pow_dx(x, n - 1), computed 0.0 ** -1 for n = 0
# (ZeroDivisionError) where the term is 0
def powers_in_a_loop(x):
    s = 0.0
    for n in range(4):
        s += x ** n
    return s


def power_of_an_argument(x, n):
    return x ** n


def test_higher_derivatives_of_a_power_known_at_run_time_at_zero():
    from adcompile import hessian, jacfwd
    for x in (0.0, -1.5, 2.0):
        expected = (2.0 + 6.0 * x, 6.0)
        assert hessian(powers_in_a_loop)(x) == pytest.approx(expected[0])
        assert grad(grad(powers_in_a_loop))(x) == pytest.approx(expected[0])
        assert jacfwd(grad(powers_in_a_loop))(x) == pytest.approx(expected[0])
        assert grad(grad(grad(powers_in_a_loop)))(x) == pytest.approx(expected[1])
        assert jacfwd(hessian(powers_in_a_loop))(x) == pytest.approx(expected[1])
        for n in (0, 1, 2, 3):
            d2 = n * (n - 1) * x ** (n - 2) if n >= 2 else 0.0
            d3 = n * (n - 1) * (n - 2) * x ** (n - 3) if n >= 3 else 0.0
            assert hessian(power_of_an_argument)(x, n) == pytest.approx(d2)
            assert jacfwd(jacfwd(power_of_an_argument))(x, n) == pytest.approx(d2)
            assert grad(grad(grad(power_of_an_argument)))(x, n) == pytest.approx(d3)
    xs = np.array([0.0, 0.5, -2.0])
    np.testing.assert_allclose(hessian(lambda v: np.sum(powers_in_a_loop(v)))(xs),
                               np.diag(2.0 + 6.0 * xs))
    assert hessian(power_of_an_argument)(1.7, 2.5) == pytest.approx(2.5 * 1.5 * 1.7 ** 0.5)
    assert hessian(power_of_an_argument)(0.0, 2.0) == pytest.approx(2.0)


# a for loop's variable read after the loop: grad gave the int 4 for 4.0 (the loop's last value,
# not a float), hessian and jacfwd(grad) gave None for 0.0
def loop_variable_after_the_loop(x):
    for i in range(5):
        pass
    return x * i


def test_a_loop_variable_read_after_the_loop():
    from adcompile import hessian, jacfwd
    g = grad(loop_variable_after_the_loop)(2.0)
    assert g == 4.0 and type(g) is float
    for h in (hessian(loop_variable_after_the_loop)(2.0),
              jacfwd(grad(loop_variable_after_the_loop))(2.0),
              grad(grad(loop_variable_after_the_loop))(2.0)):
        assert h is not None and h == 0.0


def linear_in_x(x):
    return 3.0 * x


def square_of_x(x):
    return x * x


def constant_in_x(x):
    return 2.0


def test_hessians_of_a_float_argument_are_0_d_arrays():
    # (the tester read print(hessian(f)(2.0)) of 3.0 * x as a float: print shows array(0.) as 0.0)
    # (defs, not lambdas: Python 3.10 cannot tell two lambdas on one line apart)
    from adcompile import hessian, jacfwd, jacrev
    for f in (linear_in_x, square_of_x, math.sin, loop_variable_after_the_loop, constant_in_x):
        for h in (hessian(f)(2.0), jacfwd(grad(f))(2.0), jacrev(grad(f))(2.0)):
            assert type(h) is np.ndarray and h.shape == () and h.dtype == np.float64
        assert type(grad(grad(f))(2.0)) is float


# --- x.flatten() was taken for a view (np.ravel): changing x after it was refused -------------
def flatten_then_change(A):
    B = A * 1.0
    r = B.flatten()
    B[0] = 0.0
    return np.sum(r * r) + np.sum(B * r)


def test_flatten_copies():
    check(flatten_then_change, np.array([1.0, 2.5, 3.5]))


# --- x.clip(min=0.0) / np.clip(x, max=1.0) (NumPy 2.1's names) were refused ---------------------
def clip_keywords(x):
    return np.sum(x.clip(min=0.0) * np.clip(x, max=1.5) + np.clip(x, a_min=-1.0, a_max=1.0))


def test_clip_with_min_and_max_keywords():
    check(clip_keywords, np.array([-2.0, 0.5, 1.2, 3.0]))


# --- reverse over reverse through a list of lists filled in nested loops ------------------------
# grad(grad(f)) and jacrev(grad(f)) of m[i][j] = x in two nested run-time loops gave 1.0 for 2.0
# (18 for 27 with x * x) while hessian (forward over reverse) was right: the first derivative
# accumulates the adjoint of a row (the adjoint of `m[i][j] = v` is zero_at(...) of a list), and
# the second derivative added two such adjoints with `+`, which concatenates lists
def nested_fill(x):
    m = [[0.0, 0.0], [0.0, 0.0]]
    for i in range(2):
        for j in range(2):
            m[i][j] = x
    return m[0][0] * m[1][1]                       # x ** 2


def nested_fill_square(x):
    m = [[0.0, 0.0], [0.0, 0.0]]
    for i in range(2):
        for j in range(2):
            m[i][j] = x * x
    return m[0][0] * m[1][1]                       # x ** 4


def nested_fill_3x2(x):
    m = [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]
    for i in range(3):
        for j in range(2):
            m[i][j] = x ** (i + j)
    return m[0][1] * m[2][1] + m[1][0] * m[1][1]   # x ** 4 + x ** 3


def nested_fill_read(x):
    m = [[1.0, 2.0], [3.0, 4.0]]
    for i in range(2):
        for j in range(2):
            m[i][j] = m[i][j] * x + m[i][1 - j]
    return m[0][0] * m[1][1] + m[0][1]


def nested_rows_appended(x):
    m = []
    for i in range(2):
        row = []
        for j in range(2):
            row.append(x * (i + j + 1))
        m.append(row)
    return m[0][0] * m[1][1] + m[0][1] * m[1][0]   # 3 x ** 2 + 4 x ** 2


def nested_fill_array(x):
    m = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            m[i, j] = x * (i + 1)
    return m[0, 0] * m[1, 1] + m[0, 1] ** 3        # 2 x ** 2 + x ** 3


def nested_fill_3d(x):  # (three levels: hessian too gave 0.0 for 16.0)
    m = [[[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]]
    for i in range(2):
        for j in range(2):
            for k in range(2):
                m[i][j][k] = x * (i + j + k + 1)
    return m[0][0][0] * m[1][1][1] + m[0][1][0] ** 2   # 8 x ** 2


def nested_comprehension(x, n):  # (hessian too was wrong here: 1772.16 for 4093.98)
    m = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            m[i][j] = x ** (i + j + 1)
    s = 0.0
    for i in range(n):
        for j in range(n):
            s = s + m[i][j] * m[j][i]
    return s


def nested_fill_vector(v):
    m = [[0.0, 0.0], [0.0, 0.0]]
    for i in range(2):
        for j in range(2):
            m[i][j] = v[i] * v[j]
    return m[0][1] * m[1][0] + m[0][0] * m[1][1] ** 2   # v0^2 v1^2 + v0^2 v1^4


def test_second_derivatives_of_lists_of_lists_built_at_run_time():
    from adcompile import hessian, jacfwd, jacrev
    x, n = 1.5, 3
    counts = {0: 1, 1: 2, 2: 3, 3: 2, 4: 1}  # s = sum over k of counts[k] x ** (2 k + 2)
    second = sum(c * (2 * k + 2) * (2 * k + 1) * x ** (2 * k) for k, c in counts.items())
    third = sum(c * (2 * k + 2) * (2 * k + 1) * 2 * k * x ** (2 * k - 1) for k, c in counts.items())
    assert hessian(nested_comprehension)(x, n) == pytest.approx(second)
    assert grad(grad(nested_comprehension))(x, n) == pytest.approx(second)
    assert jacrev(grad(nested_comprehension))(x, n) == pytest.approx(second)
    assert grad(grad(grad(nested_comprehension)))(x, n) == pytest.approx(third)
    v = np.array([1.5, -0.7])
    a, b = v
    expected = np.array([[2 * b ** 2 + 2 * b ** 4, 4 * a * b + 8 * a * b ** 3],
                         [4 * a * b + 8 * a * b ** 3, 2 * a ** 2 + 12 * a ** 2 * b ** 2]])
    np.testing.assert_allclose(hessian(nested_fill_vector)(v), expected)
    np.testing.assert_allclose(jacrev(grad(nested_fill_vector))(v), expected)
    np.testing.assert_allclose(jacfwd(grad(nested_fill_vector))(v), expected)


@pytest.mark.parametrize("f, expected", [
    (nested_fill, lambda x: 2.0),
    (nested_fill_square, lambda x: 12 * x ** 2),
    (nested_fill_3x2, lambda x: 12 * x ** 2 + 6 * x),
    (nested_fill_read, None),
    (nested_rows_appended, lambda x: 14.0),
    (nested_fill_array, lambda x: 4.0 + 6 * x),
    (nested_fill_3d, lambda x: 16.0),
])
def test_second_derivative_of_a_list_of_lists_filled_in_nested_loops(f, expected):
    from adcompile import hessian, jacfwd, jacrev
    x = 1.5
    h = hessian(f)(x)
    if expected is not None:
        assert h == pytest.approx(expected(x))
    else:
        eps = 1e-6
        assert h == pytest.approx((grad(f)(x + eps) - grad(f)(x - eps)) / (2 * eps), rel=1e-6)
    assert grad(grad(f))(x) == pytest.approx(h)
    assert jacrev(grad(f))(x) == pytest.approx(h)
    assert jacfwd(grad(f))(x) == pytest.approx(h)
    assert jvp(grad(f), (x,), (1.0,))[1] == pytest.approx(h)
    if f in (nested_fill_square, nested_rows_appended):  # (third order: a row's adjoint too)
        assert grad(grad(grad(f)))(x) == pytest.approx(hessian(grad(f))(x))


# a list of one row repeated ([[0.0] * 2] * 2: Python's rows are one list) filled in loops that
# run at run time gave 4.5 for 9.0: the generated list's rows were separate lists -------------
def repeated_rows_in_loops(x):
    m = [[0.0] * 2] * 2
    for i in range(2):
        for j in range(2):
            m[i][j] = x * (i + 1)
    return m[0][0] * m[1][1]


def one_row_twice(x):
    row = [x, 0.0]
    m = [row, row]
    for i in range(2):
        m[i][1] = x * i
    return m[0][1]


def repeated_rows_read_only(x):
    m = [[1.0, 2.0]] * 3
    s = 0.0
    for i in range(3):
        s = s + m[i][1] * x
    return s


def test_rows_of_a_repeated_list_changed_in_a_loop_are_refused():
    for f in (repeated_rows_in_loops, one_row_twice):
        with pytest.raises(UnsupportedSyntaxError, match="several places"):
            grad(f)(1.5)
    check(repeated_rows_read_only, 1.5)


def one_empty_row_twice(x):
    m = [[]] * 2
    m[0].append(x)
    return sum(m[1]) + x


def empty_rows_made_apart(x):
    m = [[] for _ in range(2)]
    m[0].append(x)
    return sum(m[1]) + x * sum(m[0])


def test_appending_to_a_row_of_a_repeated_list_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match="several places"):
        grad(one_empty_row_twice)(1.5)
    check(empty_rows_made_apart, 1.5)


# --- a tuple passed for a parameter the code uses as a number or an array (p + q, max(p, q)):
# the derivative compiled for numbers and arrays ran on it, and the tuple's gradient was wrong
# (p + q joins tuples; the rules add elementwise) ---------------------------------------------
def joins_its_arguments(p, q):
    s = p + q
    return s[0] * s[3]


def max_of_arguments(p, q):
    return max(p, q)[0] * 2.0


@pytest.mark.parametrize("f, args", [(joins_its_arguments, ((1.0, 2.0), (3.0, 4.0))),
                                     (max_of_arguments, ((1.0, 0.0), (0.5, 1.0)))])
def test_tuples_passed_where_numbers_were_compiled_for(f, args):
    try:
        g = grad(f, (0, 1))(*args)
    except ADCompileError as e:
        assert "tuple" in str(e)
        return
    eps = 1e-6
    for k in range(2):
        for i in range(2):
            up = [list(a) for a in args]
            down = [list(a) for a in args]
            up[k][i] += eps
            down[k][i] -= eps
            fd = (f(*map(tuple, up)) - f(*map(tuple, down))) / (2 * eps)
            assert g[k][i] == pytest.approx(fd, abs=1e-6)


# --- a list of layer objects built in a loop over a list argument (for W, b in params:
# layers.append(Linear(W, b))) was refused by grad when it compiled before the first call, though
# the argument's structure, known at the call, makes the loop one written out --------------------
class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def __call__(self, x):
        return x @ self.W + self.b


def layers_built_in_a_loop(params, x):
    layers = []
    for W, b in params:
        layers.append(Affine(W, b))
    for layer in layers:
        x = np.tanh(layer(x))
    return np.sum(x ** 2)


def layers_built_by_a_comprehension(params, x):
    for layer in [Affine(W, b) for W, b in params]:
        x = np.tanh(layer(x))
    return np.sum(x ** 2)


@pytest.mark.parametrize("f", [layers_built_in_a_loop, layers_built_by_a_comprehension])
def test_layers_built_from_a_list_argument(f):
    rng = np.random.default_rng(0)
    params = [(rng.standard_normal((3, 3)), np.zeros(3)), (rng.standard_normal((3, 2)), np.ones(2))]
    x = rng.standard_normal(3)
    g = grad(f)(params, x)
    eps = 1e-6
    for k, (W, _) in enumerate(params):
        up = [(w.copy(), b) for w, b in params]
        down = [(w.copy(), b) for w, b in params]
        up[k][0][0, 1] += eps
        down[k][0][0, 1] -= eps
        assert g[k][0][0, 1] == pytest.approx((f(up, x) - f(down, x)) / (2 * eps), rel=1e-5)


# --- abs(v), len(p), float(v) of an object of the user's: abs was refused, len counted its fields
# (silently wrong with a __len__ of its own) ------------------------------------------------------
class Poly:
    def __init__(self, coeffs, scale):
        self.coeffs = coeffs
        self.scale = scale

    def __len__(self):
        return len(self.coeffs)

    def __abs__(self):
        return math.hypot(self.coeffs[0], self.coeffs[1]) * self.scale

    def __float__(self):
        return self.coeffs[0] * self.scale


def dunders_of_builtins(x):
    p = Poly([x, 2.0 * x, 3.0], x)
    return abs(p) + len(p) * x + float(p)


def test_builtins_call_an_objects_methods():
    check(dunders_of_builtins, 1.5)


# --- list methods of a list known here: xs.index(v), xs.count(v), ys.pop(0) ----------------------
def list_methods(x, y):
    names = ["a", "b", "c", "b"]
    ys = [x, y, x * y]
    first = ys.pop(0)
    return first * names.index("c") + ys[0] * names.count("b") + ys.pop() * len(ys)


def test_list_methods_of_a_list_known_here():
    check(list_methods, 1.5, 0.5)


def pop_from_a_second_name(x, y):
    a = [x, y]
    b = a
    v = b.pop()
    return a[-1] * v


def test_popping_a_list_another_name_holds_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match="holds the same value"):
        grad(pop_from_a_second_name)(1.5, 0.5)


# --- sum(gen, start), tuple(gen), any(gen): a generator read at once was refused ---------------
def generators_read_at_once(xs, b):
    s = sum((v * v for v in xs), b)
    t = tuple(v * b for v in xs)
    return s * t[1] if any(v > 0 for v in xs) else s


def test_generators_read_at_once():
    f, xs, eps = generators_read_at_once, [1.0, 2.0], 1e-6
    value, g = value_and_grad(f, 1)(xs, 0.5)
    assert value == pytest.approx(f(xs, 0.5))
    assert g == pytest.approx((f(xs, 0.5 + eps) - f(xs, 0.5 - eps)) / (2 * eps), rel=1e-6)


# --- for b in bodies: b.step(dt) / b.v = ...: changing each object of a list known here through
# the loop's name was refused (the list holds them too); Python changes the list's objects --------
def step_each(x, k):
    bs = [Bead(x), Bead(2.0 * x), Bead(x * x)]
    for b in bs:
        b.step(k)
    for b in bs:
        b.v = b.v * x
    return bs[0].v + bs[1].v * bs[2].v + b.v


def step_each_while_another_name_holds_one(x, k):
    bs = [Bead(x), Bead(2.0 * x)]
    first = bs[0]
    for b in bs:
        b.step(k)
    return first.v + bs[0].v


def test_changing_each_object_of_a_list_through_the_loops_name():
    check(step_each, 1.5, 0.7)
    check(through_a_loop_variable_in_a_helper, 1.5)  # (the caller's list changes: 7.5, not 4.5)
    with pytest.raises(UnsupportedSyntaxError, match="holds"):
        grad(step_each_while_another_name_holds_one)(1.5, 0.7)


# --- math.isclose as the test of a while loop (a Newton iteration) was refused -------------------
def newton_sqrt(a):
    x, prev = a, 0.0
    while not math.isclose(x, prev, rel_tol=1e-12):
        prev = x
        x = 0.5 * (x + a / x)
    return x


def test_math_isclose_as_a_test():
    check(newton_sqrt, 2.0)


# --- an item of a global dict assigned in the function: generated code changed its own copy, so
# the global never changed and every call started from its first value (Python changes it) --------
COUNTERS = {"calls": 0.0}
LOG = []


def writes_a_global_dict(x):
    COUNTERS["calls"] = COUNTERS["calls"] + 1.0
    return x * COUNTERS["calls"]


def appends_to_a_global_list(x):
    LOG.append(x)
    return x * len(LOG)


@pytest.mark.parametrize("f", [writes_a_global_dict, appends_to_a_global_list])
def test_changing_a_global_in_place_is_refused(f):
    with pytest.raises(UnsupportedSyntaxError, match="global|append"):
        grad(f)(1.5)
