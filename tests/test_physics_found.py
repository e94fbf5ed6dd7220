"""Defects found in physics-style code (tester T45): jit(grad(f)) of 2-D vectors written as
tuples, np.interp and np.trapezoid (adcompile's helpers had no Numba version); a method changing
a field in place called on a list's item (`bodies[0].kick(...)`), refused as if the caller held
the array; jit of aliasing code, refused by a helper's name instead of grad's explanation."""
import math

import numpy as np
import pytest

from adcompile import grad, jit
from adcompile.errors import UnsupportedSyntaxError
from checks import agree, numeric_grad


# -- 1. jit(grad(f)) of adcompile's helpers -------------------------------------------------------

def kepler_tuple(x0, vy0):
    r = (x0, 0.0)
    v = (0.0, vy0)
    for _ in range(10):
        d = math.sqrt(r[0] * r[0] + r[1] * r[1])
        s = -1.0 / d ** 3
        v = (v[0] + 0.01 * s * r[0], v[1] + 0.01 * s * r[1])
        r = (r[0] + 0.01 * v[0], r[1] + 0.01 * v[1])
    return r[0] + 2.0 * r[1]


def test_jit_grad_of_vectors_as_tuples():
    """zeros_like of a tuple of floats (the gradient of a tuple updated in a loop)."""
    agree(kepler_tuple, 1.0, 1.1, argnums=(0, 1))


TAB_X = np.array([0.0, 1.0, 2.0])
TAB_Y = np.array([0.0, 0.5, 2.0])


def lookup(T):
    return np.interp(T, TAB_X, TAB_Y) * T


def lookup_scaled(T, scale):
    cp = np.interp(T, np.array([250.0, 300.0, 350.0, 400.0]),
                   np.array([1003.0, 1005.0, 1008.0, 1013.0]) * scale)
    return cp * T


def lookup_many(xs):
    return np.sum(np.interp(xs, TAB_X, TAB_Y) * xs)


def test_jit_grad_of_interp():
    """interp_slope (in x) and interp_spread (in the values), x a number or an array, inside
    and outside the table."""
    for T in (1.3, 0.4, 2.5, -0.5):
        agree(lookup, T)
    agree(lookup_scaled, 321.0, 1.2, argnums=(0, 1))
    agree(lookup_many, np.array([0.3, 1.7, 2.4, -0.1]))


def beam_shape(EI):
    xs = np.linspace(0.0, 2.0, 11)
    w = 1000.0 * xs ** 2 * (6 * 4.0 - 4 * 2.0 * xs + xs ** 2) / (24 * EI)
    return np.interp(1.37, xs, w) + np.trapezoid(w, xs)


def energy(x, v):
    xs = x * np.cos(np.linspace(0.0, 3.0, 30)) + v
    return np.trapezoid(xs ** 2, dx=0.01)


def test_jit_grad_of_trapezoid():
    """trapezoid_weights, with sample points and with dx."""
    agree(beam_shape, 2.0)
    agree(energy, 1.2, 0.3, argnums=(0, 1))


# -- 2. a method changing a field in place, called on a list's item ------------------------------

class Body:
    def __init__(self, m, vel):
        self.m = m
        self.vel = np.array(vel)

    def kick(self, acc, dt):
        self.vel += acc * dt


def kick_first(m1, vy):
    bodies = [Body(m1, [0.0, vy])]
    bodies[0].kick(np.array([1.0, 2.0]) * m1, 0.1)
    return bodies[0].vel[1]


def kick_second(m1, vy):
    bodies = [Body(m1, [0.0, vy]), Body(2.0 * m1, [vy, 1.0])]
    bodies[1].kick(np.array([1.0, 2.0]) * m1, 0.1)
    bodies[-2].kick(np.array([3.0, 1.0]) * vy, 0.2)
    return bodies[0].vel[1] * bodies[1].vel[0] + bodies[0].vel[0]


def test_list_item_method_changes_its_own_copy():
    """Each Body holds its own np.array(vel): as `for b in bodies: b.kick(...)` works."""
    for f in (kick_first, kick_second):
        got = grad(f, argnums=(0, 1))(1.0, 2.0)
        for k in (0, 1):
            np.testing.assert_allclose(got[k], numeric_grad(f, (1.0, 2.0), k), rtol=1e-6,
                                       atol=1e-8)


# -- 3. jit of aliasing code: grad's explanation ---------------------------------------------------

def aliased(k, x0):
    x = x0.copy()
    r = x
    x *= k
    return np.sum(r) + np.sum(x)


@pytest.mark.xfail(strict=True, reason="not done: check_not_in_place has no Numba version for "
                   "an array (jit names the helper instead of grad's explanation)")
def test_jit_refuses_aliasing_as_grad_does():
    pytest.importorskip("numba")
    x0 = np.array([1.0, 2.0])
    with pytest.raises(UnsupportedSyntaxError) as want:
        grad(aliased)(2.0, x0)
    with pytest.raises(UnsupportedSyntaxError) as got:
        jit(aliased)(2.0, x0)
    assert str(got.value) == str(want.value)
    assert "r holds the same array" in str(got.value)


class Shared:
    def __init__(self, vel):
        self.vel = vel  # (no copy: the caller's array)

    def kick(self, acc, dt):
        self.vel += acc * dt


def kick_shared(m1, vy):
    v = np.array([0.0, vy])
    bodies = [Shared(v)]
    bodies[0].kick(np.array([1.0, 2.0]) * m1, 0.1)
    return bodies[0].vel[1] + v[1]


def test_list_item_method_still_refused_where_another_name_holds_it():
    with pytest.raises(UnsupportedSyntaxError, match="v holds the same array|holds the same"):
        grad(kick_shared)(1.0, 2.0)
