"""Found by a tester checking Python's own semantics (T42): a subexpression that lowering
expanded into two (the middle of a chained comparison, the target of an augmented assignment,
the indexes of a nested store) ran its calls twice; the bitwise operators of objects and dicts;
NumPy reductions of a tuple of floats; refusals that did not describe the code. Each value is
checked against the function itself and central finite differences."""
import numpy as np
import pytest

from adcompile import grad, hessian, jvp, source, value_and_grad, vjp
from adcompile.errors import UnsupportedSyntaxError
from checks import assert_close, numeric_grad


def check(f, *args, argnums=0, second=False):
    """f's value and gradient in grad, jvp and vjp (and hessian when `second`) against f itself
    and central differences."""
    argnums = (argnums,) if isinstance(argnums, int) else argnums
    value, g = value_and_grad(f, argnums=argnums)(*args)
    assert_close(value, f(*args), what="value")
    expected = [numeric_grad(f, args, i) for i in argnums]
    for i, k in enumerate(argnums):
        assert_close(g[i], expected[i], what=f"grad {k}")
        tangents = tuple(1.0 if j == k else 0.0 for j in range(len(args)))
        assert_close(jvp(f, args, tangents)[1], expected[i], what=f"jvp {k}")
        assert_close(vjp(f, *args)[1](1.0)[k], expected[i], what=f"vjp {k}")
    if second:
        h = hessian(f, argnums=argnums[0])(*args)
        g0 = grad(f, argnums=argnums[0])
        assert_close(h, numeric_grad(lambda *a: g0(*a), args, argnums[0]), rtol=1e-4,
                     atol=1e-5, what="hessian")


def bump(c):
    c[0] += 1
    return c[0]


# --- 1. the middle of a chained comparison is evaluated once -----------------------------------

def chained_if(x):
    c = [0]
    s = x
    if 0 < bump(c) < 2:  # Python calls bump once: 0 < 1 < 2
        s = s * 3
    return s + c[0] * x


def chained_walrus(x):
    c = [0]
    if 0 < (k := bump(c)) < 2:
        x = x * 2
    return x + k + c[0]


def chained_value(x):
    c = [0]
    t = -1 < bump(c) <= 1 < bump(c) + 1
    return x * (1 + t) + c[0] * x


class Level:
    def __init__(self, v):
        self.v = v

    def __lt__(self, o):
        return self.v < o.v


def chained_objects(x):
    c = [0]
    if Level(0.0) < Level(bump(c) * x) < Level(1.0):
        x = 2 * x
    return x + c[0]


@pytest.mark.parametrize("f", [chained_if, chained_walrus, chained_value, chained_objects])
def test_chained_comparison_evaluates_its_middle_once(f):
    check(f, 0.7)


def test_chained_comparison_flat_code_counts_one_call():
    assert "2 * x" not in source(chained_if, mode="flat")  # (c[0] is 1: s * 3 + x)


# --- 2. an augmented assignment evaluates its container and index once -------------------------

class Hold:
    def __init__(self, xs):
        self.items = xs


def aug_list(x):
    c = [0]
    a = [x, x, x, x, x]
    a[bump(c)] += x  # Python: a[1] = 2x, c[0] = 1
    return a[1] + 10 * a[2] + 100 * a[3] + 1000 * c[0]


def aug_array(x):
    c = [0]
    a = np.ones(5) * x
    a[bump(c)] *= x
    return a[1] + 10 * a[2] + 100 * a[3] + 1000 * c[0]


def aug_array_slice(x):
    c = [0]
    a = np.ones(5) * x
    a[bump(c):3] += x
    return a[1] + 10 * a[2] + 100 * a[3] + 1000 * c[0]


def aug_dict(x):
    c = [0]
    d = {1: x, 2: x, 3: x}
    d[bump(c)] += x
    return d[1] + 10 * d[2] + 100 * d[3] + 1000 * c[0]


def aug_nested(x):
    c = [0]
    m = [[x, x, x], [x, x, x], [x, x, x]]
    m[bump(c)][bump(c)] += x  # m[1][2]
    return m[1][2] + 10 * m[2][1] + 100 * m[1][1] + 1000 * c[0] + 7 * m[2][2]


def assign_nested(x):
    c = [0]
    m = [[x, x, x], [x, x, x], [x, x, x]]
    m[bump(c)][bump(c)] = 3 * x
    return m[1][2] + 10 * m[2][1] + 100 * m[1][1] + 1000 * c[0] + 7 * m[2][2]


def assign_array_nested(x):
    c = [0]
    a = np.ones((3, 3)) * x
    a[bump(c)][bump(c)] = 3 * x
    return a[1, 2] + 10 * a[2, 1] + 100 * a[1, 1] + 1000 * c[0] + 7 * a[2, 2]


def aug_attribute_items(x):
    c = [0]
    h = Hold([x, x, x])
    h.items[bump(c)] += x
    return h.items[1] + 10 * h.items[2] + 1000 * c[0]


def order_of_evaluation(x):
    c = [0]
    a = [x, x, x, x, x, x, x, x]
    a[bump(c)] += x * bump(c)  # index first (1), then the value (x * 2)
    a[bump(c)] = x * bump(c)  # the value first (x * 4), then the index (4)
    return a[1] + 10 * a[3] + 100 * a[4] + 1000 * a[2] + c[0]


def unpacked_nested(x):
    c = [0]
    m = [[x, x, x], [x, x, x], [x, x, x]]
    m[bump(c)][bump(c)], y = 3 * x, x
    return m[1][2] + 10 * m[2][1] + 100 * m[1][1] + 1000 * c[0] + 7 * m[2][2] + y


def appended_to_item(x):
    c = [0]
    rows = [[], [], []]
    rows[bump(c)].append(x)
    return sum(rows[1]) + 10 * sum(rows[2]) + 100 * c[0] + len(rows[1])


class Walker:
    def __init__(self):
        self.rows = [[x0] for x0 in (1.0, 2.0, 3.0)]

    def push(self, c, v):
        self.rows[bump(c)].append(v)


def method_of_item(x):
    c = [0]
    w = Walker()
    w.push(c, x)
    return sum(w.rows[1]) + 10 * sum(w.rows[2]) + 100 * c[0]


@pytest.mark.parametrize("f", [aug_list, aug_array, aug_array_slice, aug_dict, aug_nested,
                               assign_nested, assign_array_nested, aug_attribute_items,
                               order_of_evaluation, unpacked_nested, appended_to_item,
                               method_of_item])
def test_assignment_target_evaluated_once(f):
    check(f, 0.7)


# --- 3. the bitwise operators of objects and dicts: their methods, a dict's union --------------

class Ohm:  # resistors: + in series, | in parallel
    def __init__(self, r):
        self.r = r

    def __add__(self, o):
        return Ohm(self.r + o.r)

    def __or__(self, o):
        return Ohm(self.r * o.r / (self.r + o.r))

    def __and__(self, o):
        return Ohm(self.r * o.r)

    def __xor__(self, o):
        return Ohm(self.r - o.r)

    def __lshift__(self, k):
        return Ohm(self.r * 2 ** k)

    def __rshift__(self, k):
        return Ohm(self.r / 2 ** k)

    def __rand__(self, k):
        return Ohm(self.r * k)


class Acc:
    def __init__(self, v):
        self.v = v

    def __ior__(self, o):
        self.v = self.v + 2 * o.v
        return self


def parallel(x, y):
    return ((Ohm(x) | Ohm(y)) + Ohm(1.0)).r


def bitwise(x, y):
    return (Ohm(x) & Ohm(y)).r + (Ohm(x) ^ Ohm(y)).r + (Ohm(x) << 2).r + (Ohm(y) >> 1).r + \
        (3.0 & Ohm(x)).r


def bitwise_in_place(x, y):
    r = Ohm(x)
    r |= Ohm(y)  # no __ior__: r = r | Ohm(y)
    r &= Ohm(x)
    a = Acc(x)
    a |= Acc(y)  # Acc.__ior__
    return r.r + a.v * x


def dict_union(x, y):
    d = {"a": x, "b": y}
    e = d | {"a": 2.0, "c": x}
    return e["a"] * e["b"] + e["c"] + d["a"]


def dict_union_in_place(x, y):
    d = {"a": x, "b": y}
    d |= {"a": y * y}
    return d["a"] * d["b"]


@pytest.mark.parametrize("f", [parallel, bitwise, bitwise_in_place, dict_union,
                               dict_union_in_place])
def test_bitwise_operators_of_objects_and_dicts(f):
    check(f, 0.7, 1.3, argnums=(0, 1))


# --- 4. a NumPy function given a tuple display takes it as the array NumPy makes ---------------

def tuple_mean(x, y):
    return np.mean((x, y))


def tuple_sum(x, y):
    return np.sum((x, y)) * x


def tuple_max(x, y):
    return np.max((x, y))


def tuple_std(x, y):
    return np.std((x, y, 1.0))


def tuple_norm(x, y):
    return np.linalg.norm((x, y))


def tuple_exp(x, y):
    return np.sum(np.exp((x, y))) * np.prod((x, y, x))


@pytest.mark.parametrize("f", [tuple_mean, tuple_sum, tuple_max, tuple_std, tuple_norm,
                               tuple_exp])
def test_numpy_reduction_of_a_tuple(f):
    check(f, 0.7, 1.3, argnums=(0, 1), second=True)


# --- 5. objects in min/max, `in` and sum by their own operators; a list's slice assigned -------

class Pt:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __lt__(self, o):
        return self.x ** 2 + self.y ** 2 < o.x ** 2 + o.y ** 2

    def __eq__(self, o):
        return abs(self.x - o.x) + abs(self.y - o.y) < 0.1


class V2:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def __add__(self, o):
        return V2(self.a + o.a, self.b + o.b)

    def __radd__(self, o):  # sum(vs) starts from 0
        return V2(self.a + o, self.b + o)


def nearest(x, y):
    m = min(Pt(x, y), Pt(y, -x), Pt(0.5, 0.5))
    return m.x + 2 * m.y


def farthest(x, y):
    m = max([Pt(x, y), Pt(y, -x), Pt(0.5, 0.5)])
    return m.x + 2 * m.y


def member(x, y):
    pts = [Pt(1.0, 2.0), Pt(x, y), Pt(0.7, 1.25)]
    q = Pt(0.7, 1.3)
    return x * (q in pts) + y * (q not in pts[:2]) + x * y * (pts[0] in pts)


def summed(x, y):
    vs = [V2(x, y), V2(y, x * x)]
    s = sum(vs, V2(0.0, 1.0))
    t = sum(vs)
    return s.a * s.b + t.a


def slice_assigned(x, y):
    xs = [x, y, 0.2, 1.0]
    xs[1:3] = [x * 2, y * 3, x]  # (a slice may change the length)
    return xs[0] + 10 * xs[1] + 100 * xs[2] + xs[3] + xs[4] * len(xs)


@pytest.mark.parametrize("f", [nearest, farthest, member, summed, slice_assigned])
@pytest.mark.parametrize("at", [(0.7, 1.3), (0.3, 0.2), (-0.4, 0.1)])
def test_objects_by_their_operators_and_list_slices(f, at):
    check(f, *at, argnums=(0, 1))


def changed_through_a_call(x):
    hs = [Pt(x, x)]
    first(hs).x += x * x
    return hs[0].x


def first(hs):
    return hs[0]


def slice_from_an_array(x):
    xs = [x, x, x]
    xs[0:2] = np.array([x, 2 * x])
    return xs[0]


@pytest.mark.parametrize("f, says", [
    (changed_through_a_call, r"changing first\(hs\).x, a part of what first\(hs\) gives, is "
     r"not supported; Python changes that object wherever it is held; change it through the "
     r"name that holds it"),
    (slice_from_an_array, "assigning to a slice of a list something other than a list or tuple "
     r"written or built here is not supported; assign a list \(\[a, b\]\)")])
def test_refusals_say_what_the_code_does(f, says):
    with pytest.raises(UnsupportedSyntaxError, match=says) as info:
        grad(f)(0.7)
    assert info.value.filename == __file__
    assert info.value.line == f.__code__.co_firstlineno + 2
