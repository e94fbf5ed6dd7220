"""Lists of dicts, the plain-Python way to write particle systems, layers or agents (T9). Each
case is checked against plain Python (on a copy: the functions change what they are given),
central finite differences and forward mode (jvp), and the gradient of a container argument has
its structure (check, from test_dict_args_found). Each test failed before its fix."""


import functools

import numpy as np

from test_dict_args_found import check


# --- 1. a list of dicts rebuilt in a loop: the comprehension's `p` after the loop was taken
# for the loop's `p`, carried out of a loop run at run time, which a dict cannot be -----------

def particles(ps, dt, steps):
    for s in range(steps):
        new = []
        for p in ps:
            new.append({"x": p["x"] + dt * p["v"], "v": p["v"] - dt * p["x"]})
        ps = new
    return sum(p["x"] ** 2 for p in ps)


def particles_constant(ps, dt):
    for s in range(3):
        new = []
        for p in ps:
            new.append({"x": p["x"] + dt * p["v"], "v": p["v"] - dt * p["x"]})
        ps = new
    return sum(p["x"] ** 2 for p in ps)


def particles_built_here(x, dt, steps):
    ps = [{"x": x, "v": 0.0}, {"x": 2 * x, "v": dt}]
    for s in range(steps):
        new = []
        for p in ps:
            new.append({"x": p["x"] + dt * p["v"], "v": p["v"] - dt * p["x"]})
        ps = new
    return sum(p["x"] ** 2 for p in ps)


def particles_listcomp(ps, dt, steps):
    for s in range(steps):
        ps = [{"x": p["x"] + dt * p["v"], "v": p["v"] - dt * p["x"]} for p in ps]
    return sum([p["x"] * p["v"] for p in ps]) + max(p["x"] for p in ps)


PS = [{"x": 1.0, "v": 0.5}, {"x": -0.3, "v": 0.2}]


def test_list_of_dicts_rebuilt_in_a_loop_run_at_run_time():
    check(particles, (PS, 0.1, 3))
    check(particles, (PS, 0.1, 0))  # (no step: the argument as it came)
    check(particles, ([{"x": 1.0, "v": 0.0}], 0.1, 4))


def test_list_of_dicts_rebuilt_in_a_constant_loop():
    check(particles_constant, (PS, 0.1))


def test_list_of_dicts_built_inside():
    check(particles_built_here, (0.7, 0.1, 3), argnums=(0, 1))


def test_list_of_dicts_rebuilt_by_a_comprehension():
    check(particles_listcomp, (PS, 0.1, 3))


def comprehension_name_after_loop(xs):
    s = 0.0
    for x in xs:
        s = s + x
    return s * sum(x * x for x in xs) + x  # (the loop's x, read after it: still carried)


def test_loop_name_read_after_the_loop_beside_a_comprehension():
    check(comprehension_name_after_loop, ([1.0, 2.0, 0.5],), argnums=0)


# --- 2. a field of a list's dict assigned through the loop's name: `for dd in ds: dd["x"] = v`
# changes the dicts ds holds (as b.v = v did for objects); it was refused as shared -----------

def scale_items(ds, k):
    for dd in ds:
        dd["x"] = dd["x"] * k
    return ds[0]["x"] + ds[1]["x"] * ds[1]["y"]


def scale_items_augmented(ds, k):
    for dd in ds:
        dd["x"] *= k
        dd["y"] += dd["x"]
    return sum(d["x"] * d["y"] for d in ds)


def scale_items_enumerate(ds, k):
    for i, dd in enumerate(ds):
        dd["x"] = dd["x"] * k + i
    total = 0.0
    for dd in ds:
        total = total + dd["x"] ** 2
    return total


def scale_items_nested(ds, k):
    for s in range(2):
        for dd in ds:
            dd["x"] = dd["x"] * k + dd["y"]
    return ds[0]["x"] * ds[1]["x"]


def scale_items_returned(ds, k):
    for dd in ds:
        dd["x"] = dd["x"] * k
    return ds


DS = [{"x": 1.0, "y": 0.5}, {"x": 3.0, "y": -2.0}]


def test_field_assigned_through_the_loop_name():
    for f in (scale_items, scale_items_augmented, scale_items_enumerate, scale_items_nested):
        check(f, (DS, 1.5))


def test_field_assigned_through_the_loop_name_returned():
    out = scale_items_returned([{"x": 1.0}, {"x": 3.0}], 2.0)
    from adcompile import jacrev
    j = jacrev(scale_items_returned, 1)([{"x": 1.0}, {"x": 3.0}], 2.0)
    assert out == [{"x": 2.0}, {"x": 6.0}]
    assert [d["x"] for d in j] == [1.0, 3.0]


def still_shared(ds, k):
    first = ds[0]
    for dd in ds:
        dd["x"] = dd["x"] * k
    return first["x"] + ds[1]["x"]


def test_field_assigned_while_another_name_holds_the_dict_is_refused():
    import pytest
    from adcompile import UnsupportedSyntaxError, grad
    with pytest.raises(UnsupportedSyntaxError, match=r"test_dict_lists_found.py:\d+.*first"):
        grad(still_shared, 1)([{"x": 1.0}, {"x": 3.0}], 2.0)


def scale_zipped(ds, ks):
    for dd, k in zip(ds, ks):
        dd["x"] = dd["x"] * k
    return ds[0]["x"] * ds[1]["y"] + ds[1]["x"]


def layers_forward(layers, x):
    for layer in layers:  # a list of dicts of arrays, as layers of a network
        layer["out"] = np.tanh(layer["W"] @ x + layer["b"])
        x = layer["out"]
    return np.sum(x ** 2) + np.sum(layers[0]["out"])


def test_field_assigned_through_zip_and_array_fields():
    check(scale_zipped, (DS, [1.5, -0.5]))
    rng = np.random.default_rng(0)
    layers = [{"W": rng.normal(size=(3, 2)), "b": rng.normal(size=3)},
              {"W": rng.normal(size=(2, 3)), "b": rng.normal(size=2)}]
    check(layers_forward, (layers, np.array([0.3, -0.7])))


def scale_items_steps(ds, k, steps):
    for s in range(steps):  # a loop run at run time: ds is carried, leaf by leaf
        for i, dd in enumerate(ds):
            dd["x"] = dd["x"] * k + dd["y"] * i
        for dd in ds:
            dd["y"] -= 0.1 * dd["x"]
    return ds[0]["x"] * ds[1]["x"] + ds[1]["y"]


def still_shared_steps(ds, k, steps):
    first = ds[0]
    for s in range(steps):
        for dd in ds:
            dd["x"] = dd["x"] * k
    return first["x"] + ds[1]["x"]


def still_shared_indexed(ds, k, steps):
    first = ds[0]
    for s in range(steps):
        for i in range(len(ds)):
            ds[i]["x"] = ds[i]["x"] * k
    return first["x"] + ds[1]["x"]


def test_field_assigned_through_the_loop_name_in_a_loop_run_at_run_time():
    check(scale_items_steps, (DS, 1.5, 3))
    check(scale_items_steps, (DS, 1.5, 0))
    import pytest
    from adcompile import UnsupportedSyntaxError, grad
    with pytest.raises(UnsupportedSyntaxError, match=r"test_dict_lists_found.py:\d+.*first"):
        grad(still_shared_steps, 1)([{"x": 1.0}, {"x": 3.0}], 2.0, 2)
    with pytest.raises(UnsupportedSyntaxError, match=r"test_dict_lists_found.py:\d+.*first"):
        grad(still_shared_indexed, 1)([{"x": 1.0}, {"x": 3.0}], 2.0, 2)  # (was 12.0, not 16.0)


# --- 4. a functools.wraps wrapper(*a, **k) around a helper with a default, called without it:
# the wrapper took the helper's parameters but not their defaults ----------------------------

def scaled(f):
    @functools.wraps(f)
    def w(*a, **k):
        return 2.0 * f(*a, **k)
    return w


@scaled
def sq(x, p=2):
    return x ** p


@scaled
def affine(x, c=1.5, d=-0.5):
    return c * x + d


def wraps_default(x):
    return sq(x) + sq(x, 3) + sq(x, p=1) + affine(x) + affine(x, d=2.0) * affine(x, 0.5)


def test_wrapped_helper_with_defaults_left_out():
    check(wraps_default, (0.7,), argnums=0)
    check(sq, (0.7,), argnums=0)  # (differentiated itself, its default left out)


def counted(f):
    @functools.wraps(f)
    def w(*a, **k):  # sees the arguments as they are passed, defaults left out
        return f(*a, **k) * (10.0 if len(a) + len(k) > 1 else 1.0)
    return w


@counted
def cube(x, p=3):
    return x ** p


@scaled
def shifted(x, a=1.5, b=-0.5):  # (its parameters named as the wrapper's *a)
    return a * x + b


def wrapper_sees_the_arguments_passed(x):
    return cube(x) + cube(x, 2) + cube(x, p=1) + shifted(x) + shifted(x, b=1.0)


def test_wrapper_sees_the_arguments_as_passed():
    check(wrapper_sees_the_arguments_passed, (0.7,), argnums=0)


# --- 3. isinstance(v, dict) of a dict argument's items: a number leaf of an argument (a float
# or complex number or array) is no dict, so the dict branch is pruned for it ----------------

def nested_sum(p):
    s = 0.0
    for k, v in p.items():
        if isinstance(v, dict):
            s = s + sum(v.values())
        elif isinstance(v, (list, tuple)):
            s = s + v[0] * v[1]
        else:
            s = s + np.sum(v * v)
    return s


def test_isinstance_of_a_dict_arguments_items():
    check(nested_sum, ({"a": 0.5, "b": {"c": 1.0, "d": -2.0}, "e": [1.5, 2.0]},), argnums=0)
    check(nested_sum, ({"a": np.array([0.5, 1.0]), "b": {"c": 1.0}},), argnums=0)


def opaque_isinstance(x, n):
    v = np.sin(x) if n > 0 else x  # a value computed at run time: tested when it runs
    return v * 2.0 if not isinstance(v, dict) else 0.0


def test_isinstance_of_a_value_computed_at_run_time_is_still_tested():
    check(opaque_isinstance, (0.7, 1), argnums=0)
