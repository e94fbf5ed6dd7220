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

from adcompile import grad, jvp
from adcompile.errors import ADCompileError
from adcompile.pytree import flatten, unflatten


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
