"""Dict and list ARGUMENTS changed inside the function, in loops above all: their leaves are
carried as separate values (a dict argument is flattened at the boundary), so reverse mode must
see them as containers and build the gradient in the argument's structure. Each case is checked
against plain Python (on a copy: the functions change what they are given), central finite
differences and forward mode (jvp). Each test failed before its fix."""
import copy
import inspect

import numpy as np
import pytest

from adcompile import UnsupportedSyntaxError, grad, hessian, jvp, value_and_grad
from test_pytrees_found import product_loop, with_break

H = 1e-6


def leaves(tree):
    """The paths and values of the number/array leaves of nested dicts, lists and tuples."""
    if isinstance(tree, dict):
        return [((k,) + q, w) for k in tree for q, w in leaves(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [((i,) + q, w) for i, t in enumerate(tree) for q, w in leaves(t)]
    return [((), tree)]


def replaced(tree, path, value):
    """A deep copy of tree with the leaf at path replaced."""
    tree = copy.deepcopy(tree)
    if not path:
        return value
    if isinstance(tree, tuple):
        items = list(tree)
        items[path[0]] = replaced(items[path[0]], path[1:], value)
        return tuple(items)
    tree[path[0]] = replaced(tree[path[0]], path[1:], value)
    return tree


def at(tree, path):
    for k in path:
        tree = tree[k]
    return tree


def zeros(tree):
    if isinstance(tree, dict):
        return {k: zeros(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [zeros(v) for v in tree]
    if isinstance(tree, tuple):
        return tuple(zeros(v) for v in tree)
    return np.zeros_like(tree) if isinstance(tree, np.ndarray) else 0.0


def call(f, args):
    return f(*copy.deepcopy(args))


def with_leaf(args, i, path, value):
    out = list(args)
    out[i] = replaced(args[i], path, value)
    return out


def fd(f, args, i, path):
    """The central difference of f with respect to the leaf `path` of argument i (an array
    leaf: one entry per element)."""
    x = at(args[i], path)
    if np.ndim(x) == 0:
        return (call(f, with_leaf(args, i, path, x + H))
                - call(f, with_leaf(args, i, path, x - H))) / (2 * H)
    out = np.zeros_like(x, dtype=float)
    for j in range(x.size):
        e = np.zeros_like(x, dtype=float)
        e.flat[j] = H
        out.flat[j] = (call(f, with_leaf(args, i, path, x + e))
                       - call(f, with_leaf(args, i, path, x - e))) / (2 * H)
    return out


def check(f, args, argnums=(0, 1)):
    """value_and_grad(f, argnums) against Python, differences and jvp; the gradient of a
    container argument has its structure."""
    expected = call(f, args)
    value, g = value_and_grad(f, argnums)(*copy.deepcopy(args))
    assert np.allclose(value, expected), (value, expected)
    nums = (argnums,) if isinstance(argnums, int) else argnums
    gs = (g,) if isinstance(argnums, int) else g
    for i, gi in zip(nums, gs):
        if isinstance(args[i], (dict, list, tuple)):
            assert type(gi) is type(args[i]), (type(gi), args[i])
        assert [p for p, _ in leaves(gi)] == [p for p, _ in leaves(args[i])]
        for path, x in leaves(args[i]):
            want = fd(f, args, i, path)
            assert np.allclose(at(gi, path), want, atol=1e-5), (i, path, at(gi, path), want)
            # forward mode: one tangent per leaf (per element of an array leaf)
            for j in range(np.size(x)):
                tangents = [zeros(a) for a in args]
                if np.ndim(x) == 0:
                    tangents[i] = replaced(tangents[i], path, 1.0)
                else:
                    e = np.zeros_like(x, dtype=float)
                    e.flat[j] = 1.0
                    tangents[i] = replaced(tangents[i], path, e)
                _, t = jvp(f, tuple(copy.deepcopy(args)), tuple(tangents))
                assert np.allclose(t, np.ravel(want)[j], atol=1e-5), (i, path, j, t)
    return g


# --- 1. a dict argument whose item a loop assigns: reverse mode took p for an array ---------

def item_in_loop(p, x):
    for i in range(2):
        p["w"] = p["w"] * x
    return p["w"] + p["b"]


def test_item_assigned_in_a_loop():
    for argnums in (0, 1, (0, 1)):
        check(item_in_loop, ({"w": 1.0, "b": 1.0}, 2.0), argnums)
    g = grad(item_in_loop, 0)({"w": 1.0, "b": 1.0}, 2.0)
    assert g == pytest.approx({"w": 4.0, "b": 1.0})


def array_item_in_loop(p, x):
    for i in range(3):
        p["w"] = p["w"] * x + p["b"]
    return np.sum(p["w"] ** 2)


def test_array_items_assigned_in_a_loop():
    check(array_item_in_loop, ({"w": np.array([1.0, -0.5]), "b": np.array([0.2, 0.3])}, 0.7))


def augmented_in_loop(p, x):
    for k in range(3):
        p["w"] += x * p["b"]
        p["b"] *= x
    return p["w"] * p["b"]


def test_augmented_assignment_in_a_loop():
    check(augmented_in_loop, ({"w": 0.5, "b": 1.5}, 0.8))


def item_in_while(p, x):
    i = 0
    while i < 3:
        p["w"] = p["w"] * x + p["b"]
        i += 1
    return p["w"]


def test_item_assigned_in_a_while_loop():
    check(item_in_while, ({"w": 0.5, "b": 1.5}, 0.8))


def bump(d, v):
    d["w"] = d["w"] * v + d["b"]


def helper_in_loop(p, x):
    for i in range(2):
        bump(p, x)
    return p["w"]


def test_helper_changing_the_dict_called_in_a_loop():
    check(helper_in_loop, ({"w": 0.5, "b": 1.5}, 0.8))


def dict_in_tuple(t, x):
    p, c = t
    for i in range(2):
        p["w"] = p["w"] * x * c
    return p["w"]


def test_dict_inside_a_tuple_argument():
    check(dict_in_tuple, (({"w": 0.5}, 1.5), 0.8))


def loop_to_n(p, x, n):
    for i in range(n):
        p["w"] = p["w"] * x
    return p["w"] + p["b"]


def test_loop_bound_known_at_run_time():
    f = lambda p, x: loop_to_n(p, x, 3)  # noqa: E731
    check(f, ({"w": 0.5, "b": 1.5}, 0.8))
    value, g = value_and_grad(loop_to_n, (0, 1))({"w": 0.5, "b": 1.5}, 0.8, 3)
    assert value == pytest.approx(loop_to_n({"w": 0.5, "b": 1.5}, 0.8, 3))
    assert g[1] == pytest.approx(3 * 0.5 * 0.8 ** 2)


def squared_in_loop(p):
    for i in range(2):
        p["a"] = p["a"] * p["b"]
    return p["a"]


def test_hessian_of_a_dict_argument_changed_in_a_loop():
    p = {"a": 1.5, "b": 2.0}
    h = hessian(squared_in_loop)(p)
    # f = a b^2: d2/da2 = 0, d2/dadb = 2b, d2/db2 = 2a
    assert h["a"]["a"] == pytest.approx(0.0)
    assert h["a"]["b"] == pytest.approx(4.0)
    assert h["b"]["a"] == pytest.approx(4.0)
    assert h["b"]["b"] == pytest.approx(3.0)


# --- 2. assigning into a nested dict argument was refused as assigning into a copy ---------

def nested_item(p, x):
    p["a"]["w"] = p["a"]["w"] * x
    return p["a"]["w"] + p["b"]


def nested_in_loop(p, x):
    for i in range(2):
        p["a"]["w"] = p["a"]["w"] * x + p["a"]["b"]
        p["a"]["b"] += x
    return np.sum(p["a"]["w"] * p["a"]["b"])


def test_item_of_a_nested_dict_argument_assigned():
    check(nested_item, ({"a": {"w": 1.0}, "b": 0.5}, 3.0))
    check(nested_in_loop, ({"a": {"w": 1.0, "b": 0.25}}, 0.7))
    check(nested_in_loop, ({"a": {"w": np.array([1.0, 2.0]), "b": 0.25}}, 0.7))


def test_nested_dict_argument_seen_changed_by_the_caller_of_a_helper():
    def inner(q, x):
        q["layer"]["b"] = q["layer"]["b"] + x
        return q["layer"]["b"] * q["layer"]["w"]

    def outer(p, x):
        y = inner(p, x)
        return y + p["layer"]["b"]

    check(outer, ({"layer": {"w": 2.0, "b": 0.5}}, 0.3))


# --- 3. copying a list argument (list(xs), the documented aliasing fix) and dict.update from a
# dict argument were refused before the arguments' structure was known --------------------

def list_copy(xs):
    ys = list(xs)
    ys[0] = ys[0] * 3
    return ys[0] * xs[1]


def list_copy_in_loop(xs, x):
    ys = list(xs)
    for i in range(len(ys)):
        ys[i] = ys[i] * x
    return np.sum(ys[0] * xs[1] + ys[1])


def test_list_copy_of_a_list_argument():
    check(list_copy, ([1.0, 2.0],), 0)
    check(list_copy_in_loop, ([1.0, 2.0], 0.5))
    check(list_copy_in_loop, ([np.array([1.0, 2.0]), np.array([0.5, -1.0])], 0.5))


def update_from_argument(p):
    q = {}
    q.update(p)
    return q["a"] * p["a"]


def update_then_change(p, x):
    q = {"c": x}
    q.update(p)
    q["a"] = q["a"] * x
    return q["a"] * p["a"] + q["c"] * q["b"]


def test_update_from_a_dict_argument():
    check(update_from_argument, ({"a": 1.5},), 0)
    check(update_then_change, ({"a": 1.5, "b": -0.5}, 0.7))


def update_then_write_shared(p, x):
    q = {}
    q.update(p)
    q["a"][0] = x  # p["a"] is the same array: Python changes it too
    return np.sum(p["a"]) * x


def copy_then_write_shared(xs, x):
    ys = list(xs)
    ys[0][0] = x  # a shallow copy: xs[0] is the same array
    return np.sum(xs[0]) * x


def copy_then_append(xs, x):
    ys = list(xs)
    ys.append(x)
    return ys[2] * xs[0] + len(xs)


@pytest.mark.parametrize("f, arg, line", [
    (update_then_write_shared, {"a": np.array([1.0, 2.0])}, 'q["a"][0] = x'),
    (copy_then_write_shared, [np.array([1.0, 2.0])], "ys[0][0] = x")])
def test_a_shallow_copy_changed_in_place_is_refused_at_its_line(f, arg, line):
    lines, start = inspect.getsourcelines(f)
    number = start + next(i for i, t in enumerate(lines) if line in t)
    with pytest.raises(UnsupportedSyntaxError) as e:
        value_and_grad(f, 1)(copy.deepcopy(arg), 3.0)
    assert f":{number}:" in str(e.value) and "same array" in str(e.value), str(e.value)


def test_a_copy_grows_apart_from_the_argument():
    check(copy_then_append, ([1.0, 2.0], 3.0))


# --- the same root cause with list arguments: an item assigned in a loop ---------------------

def test_list_argument_item_assigned_in_a_loop():
    check(with_break, ([0.3, 1.0, 0.9], 1.1))  # (test_pytrees_found's functions)
    check(with_break, ([1.7, 1.0, 0.9], 1.1))
    check(product_loop, ([1.5, 2.0],), 0)
    h = hessian(product_loop)([1.5, 2.0])
    assert np.allclose(np.array(h, dtype=float), [[0.0, 4.0], [4.0, 3.0]]), h


# --- a dict argument spread into a call's keywords: layer(x, **params) (T23) --------------------
def _layer(x, W, b):
    return np.tanh(x @ W + b)


def spread_parameters(params, x):
    return np.sum(_layer(x, **params))


def test_a_dict_argument_spread_into_keywords():
    """Refused as "a mapping known only at run time": its keys are known at the first call."""
    from checks import assert_close, numeric_grad
    params = {"W": np.array([[1.0, 0.3], [-0.2, 0.8]]), "b": np.array([0.1, -0.4])}
    x = np.array([0.5, -1.5])
    g = grad(spread_parameters)(params, x)
    for key in params:
        def by_leaf(v, key=key):
            return spread_parameters({**params, key: v}, x)
        assert_close(g[key], numeric_grad(by_leaf, (params[key],), 0), rtol=1e-6)
    assert_close(grad(spread_parameters, argnums=1)(params, x),
                 numeric_grad(lambda v: spread_parameters(params, v), (x,), 0), rtol=1e-6)
