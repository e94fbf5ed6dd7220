"""Defects found by a tester (T53) taking derivatives inside a differentiated function: each a
regression test before its fix."""
import math

import numpy as np
import pytest

from adcompile import grad, jvp, source, vjp
from checks import assert_close, numeric_grad


# --- (1) vjp's pullback inside a differentiated function, of a function with a `for` loop: the
# pullback's default `s0=locals().get('s0')` (a name the pullback recomputes before reading it)
# was read again as code and refused with "the method .get()"; a tape holding a tuple at some
# steps and one value at others was then read back as a list of lists -------------------------
def loop_sum(y):
    s = 0.0
    for k in range(3):
        s = s + math.sin(y + k)
    return s


def loop_tanh(w):
    z = w
    for i in range(3):
        z = np.tanh(z) + w
    return z


def loop_append(y):
    xs = []
    for k in range(3):
        xs.append(math.sin(y * k))
    return sum(xs)


def loop_indexed(w):  # the tape holds s at one push, (s1, s2) at the other
    s = np.ones(2)
    for k in range(3):
        s = s + np.sin(w + k) * s[0]
    return s


def loop_in_a_branch(y):  # s bound by the loop on one path only
    s = y
    if y > 0:
        for k in range(3):
            u = math.exp(s)
            s = s * u
    return s


@pytest.mark.parametrize("h, x", [(loop_sum, 0.4), (loop_tanh, np.array([0.3, 0.5])),
                                  (loop_append, 0.4), (loop_indexed, np.array([0.3, 0.6])),
                                  (loop_in_a_branch, 0.4), (loop_in_a_branch, -0.3)])
def test_a_pullback_of_a_loop_is_differentiated_inside(h, x):
    def f(x):
        out, pb = vjp(h, x)
        return np.sum(pb(x)[0] * out)

    expected = numeric_grad(f, (x,), 0)
    assert_close(grad(f)(x), expected, rtol=1e-6, what=h.__name__)
    assert_close(jvp(f, (x,), (np.ones_like(x),))[1], np.sum(expected), rtol=1e-6)
    assert "locals()" not in source(h, mode="vjp")


def test_a_pullback_reads_no_name_it_recomputes():
    head = source(loop_sum, mode="vjp").split("def pullback")[1].split("\n")[0]
    assert head == "(grad_s):"
