"""Idioms testers found in student code and signal/graphics code: each supported by a general
mechanism (checked against finite differences, and jvp against vjp where the rule is new) or
refused at the user's line."""
import cmath
import math

import numpy as np
import pytest

from adcompile import grad, jvp, vjp
from adcompile.errors import UnsupportedSyntaxError
from checks import agree, assert_close, check_complex_direction, jitted, numeric_grad


def dot_test(f, args, seed=0):
    """jvp and vjp of f at args agree: <vjp(u), v> == <u, jvp(v)>."""
    rng = np.random.default_rng(seed)
    tangents = tuple(rng.standard_normal(np.shape(a)) if np.ndim(a)
                     else float(rng.standard_normal()) for a in args)
    y, dy = jvp(f, args, tangents)
    u = rng.standard_normal(np.shape(y)) if np.ndim(y) else float(rng.standard_normal())
    _, pullback = vjp(f, *args)
    cotangents = pullback(u)
    left = sum(float(np.sum(c * t)) for c, t in zip(cotangents, tangents))
    assert np.isclose(left, float(np.sum(u * dy)), rtol=1e-9, atol=1e-12)


def check_grad(f, *args, argnums=0, tol=1e-6):
    numbers = argnums if type(argnums) is tuple else (argnums,)
    got = grad(f, argnums=argnums)(*args)
    got = got if type(argnums) is tuple else (got,)
    for k, g in zip(numbers, got):
        assert_close(g, numeric_grad(f, args, k), rtol=tol, atol=tol, what=f"argument {k}")


# --- 4. imports inside the differentiated function -------------------------------------------
def imports_math(a):
    import math
    return math.exp(a) * math.sin(a)


def imports_numpy_as(a):
    import numpy as npx
    return npx.sum(npx.tanh(a) ** 2)


def imports_from(a):
    from math import exp
    from numpy import cos as c
    return exp(a) * c(a)


def imports_and_assigns(a):
    import math
    math = a  # noqa: F811 (the idiom refused)
    return math


def test_import_inside_the_function_binds_like_a_module_import():
    check_grad(imports_math, 0.3)
    check_grad(imports_numpy_as, np.array([0.3, -1.2, 0.7]))
    check_grad(imports_from, 0.3)
    assert np.isclose(jvp(imports_from, (0.3,), (1.0,))[1], grad(imports_from)(0.3))


def test_import_of_a_name_also_assigned_is_refused_at_its_line():
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(imports_and_assigns)(0.3)
    assert info.value.line == imports_and_assigns.__code__.co_firstlineno + 1


# --- 2. a random draw given its shape spread out ---------------------------------------------
def noisy_rand(a):
    return np.sum(a * np.random.rand(*a.shape))


def noisy_randn(a):
    noise = np.random.randn(*a.shape)
    return np.sum(np.sin(a) * noise)


@pytest.mark.parametrize("f, draw", [(noisy_rand, np.random.rand),
                                     (noisy_randn, np.random.randn)])
def test_a_draw_given_a_run_time_shape_spread_is_a_constant_of_the_same_numbers(f, draw):
    a = np.array([[0.3, -1.2, 0.7], [0.1, 0.2, 0.5]])
    np.random.seed(3)
    got = grad(f)(a)
    np.random.seed(3)
    noise = draw(*a.shape)
    want = noise if f is noisy_rand else np.cos(a) * noise
    assert_close(got, want, rtol=1e-12, atol=1e-14)
    np.random.seed(3)
    y, dy = jvp(f, (a,), (np.ones_like(a),))
    assert_close(dy, np.sum(want), rtol=1e-12)
    assert "np.random.rand(*" in __import__("adcompile").source(grad(noisy_rand))


# --- 3. a.flat[i] read and written, a.view() -------------------------------------------------
def flat_written(a):
    b = a.copy()
    b.flat[1] = a[0, 0] * 3
    b.flat[np.array([4, 2])] = np.sin(a[1, :2])
    return np.sum(b ** 2) + a.flat[5] * a.flat[-1]


def flat_added_into(a):
    b = a * 2.0
    b.flat[3] += a[0, 1] ** 2
    return np.sum(b ** 2)


def flat_read(a):
    return np.sum(np.cumsum(a.flat[1:5]) ** 2)


def view_read(a):
    b = a.view()
    return np.sum(b ** 3)


def flat_of_a_view_written(a):
    b = a * 1.0
    c = b.T
    c.flat[1] = 5.0
    return np.sum(b ** 2)


def view_written(a):
    b = a * 1.0
    c = b.view()
    c[0, 0] = 5.0
    return np.sum(b ** 2)


def flat_slice_written(a):
    b = a * 1.0
    b.flat[1:3] = 0.0
    return np.sum(b ** 2)


@pytest.mark.parametrize("f", [flat_written, flat_added_into, flat_read, view_read])
def test_flat_and_view_of_an_array(f):
    a = np.array([[0.3, -1.2, 0.7], [0.1, 0.2, 0.5]])
    check_grad(f, a)
    dot_test(f, (a,))


@pytest.mark.parametrize("f", [flat_of_a_view_written, view_written, flat_slice_written])
def test_writing_flat_through_a_view_or_by_slice_is_refused_at_its_line(f):
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(f)(np.ones((2, 3)))
    assert info.value.line == f.__code__.co_firstlineno + 3 - (f is flat_slice_written)


# --- 1. list(a) and sorted(a) of an array ----------------------------------------------------
def rows_summed(a):
    s = 0.0
    for r in list(a):
        s = s + np.sum(r ** 2) * np.sum(r)
    return s


def rows_picked(a):
    rows = list(a)
    first, *rest = tuple(a)
    return np.sum(rows[0] * rows[-1]) + np.sum(first) * len(rest)


def sorted_picked(a):
    s = sorted(a)
    return s[0] * 2 + s[-1] * s[1]


def sorted_descending(a):
    s = sorted(a * a, reverse=True)
    return s[0] - 3 * s[1] + np.sum(np.array(s) ** 2)


def sorted_of_a_list_built(a):
    xs = []
    for v in a:
        xs.append(np.sin(v))
    ys = sorted(xs)
    return ys[0] * ys[-1]


@pytest.mark.parametrize("f", [rows_summed, rows_picked])
@pytest.mark.parametrize("a", [np.array([0.3, -1.2, 0.7]),
                               np.array([[0.3, -1.2, 0.7], [0.1, 0.2, 0.5]])])
def test_list_of_an_array_is_its_rows(f, a):
    check_grad(f, a)
    dot_test(f, (a,))


@pytest.mark.parametrize("f", [sorted_picked, sorted_descending, sorted_of_a_list_built])
def test_sorted_of_a_1d_array_routes_the_gradient_as_np_sort(f):
    a = np.array([0.3, -1.2, 0.7, 2.1])
    check_grad(f, a)
    dot_test(f, (a,))


def test_sorted_of_a_2d_array_is_refused_at_its_line():
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(sorted_picked)(np.ones((2, 3)))
    assert info.value.line == sorted_picked.__code__.co_firstlineno + 1


def test_list_of_a_list_argument_is_still_its_items():
    def f(xs):
        ys = list(xs)
        return ys[0] * ys[1]
    g = grad(f)([2.0, 3.0])
    assert g == [3.0, 2.0]


# --- 6. np.pad's constant_values, np.gradient's spacing, np.interp's xp -----------------------
def padded_with(a, c):
    return np.sum(np.pad(a, 2, constant_values=c) ** 2 * np.arange(7.0))


def padded_2d_with(a, c):
    return np.sum(np.sin(np.pad(a, ((1, 0), (2, 1)), constant_values=c * c)))


def padded_per_side(a, c):
    return np.sum(np.pad(a, 1, constant_values=(c, 2.0)) ** 2)


COORDINATES = np.array([0.0, 0.5, 1.2, 2.0, 2.3, 3.1])


def spaced(a, h):
    return np.sum(np.gradient(a, h) ** 2 * np.arange(6.0))


def at_coordinates(a):
    return np.sum(np.gradient(a, COORDINATES) ** 2 * np.arange(6.0)) + \
        np.sum(np.gradient(a, COORDINATES, edge_order=2) ** 3)


def at_coordinates_2d(a):
    gx, gy = np.gradient(a, COORDINATES[:4], 0.3)
    return np.sum(gx ** 2 * np.arange(3.0)) + np.sum(np.sin(gy))


def moving_coordinates(a, xs):
    return np.sum(np.gradient(a, xs) ** 2)


@pytest.mark.parametrize("f", [padded_with, padded_2d_with])
def test_pad_with_a_differentiated_constant(f):
    a = np.array([0.3, -1.2, 0.7]) if f is padded_with else np.array([[0.3, -1.2], [0.7, 0.1]])
    check_grad(f, a, 0.4, argnums=(0, 1))
    dot_test(f, (a, 0.4))


def test_pad_with_constants_per_side_differentiated_is_refused_where_it_runs():
    from adcompile.errors import OutsideRuleError
    check_grad(padded_per_side, np.array([0.3, -1.2, 0.7]), 0.4)  # (of a: fine)
    with pytest.raises(OutsideRuleError) as info:
        grad(padded_per_side, argnums=1)(np.array([0.3, -1.2, 0.7]), 0.4)
    assert info.value.line == padded_per_side.__code__.co_firstlineno + 1


def test_gradient_with_a_differentiated_spacing_and_with_coordinates():
    a = np.array([0.3, 1.2, 0.7, 2.0, -1.0, 0.4])
    check_grad(spaced, a, 0.7, argnums=(0, 1))
    dot_test(spaced, (a, 0.7))
    check_grad(at_coordinates, a)
    check_grad(at_coordinates_2d, np.arange(12.0).reshape(4, 3) ** 1.5 / 7)
    dot_test(at_coordinates, (a,))


def test_gradient_with_differentiated_coordinates_is_refused_where_it_runs():
    from adcompile.errors import OutsideRuleError
    with pytest.raises(OutsideRuleError) as info:
        grad(moving_coordinates, argnums=1)(np.ones(6), COORDINATES)
    assert info.value.line == moving_coordinates.__code__.co_firstlineno + 1


def interpolated(x, xp, fp):
    return np.sum(np.interp(x, xp, fp) ** 2 * np.arange(1.0, 6.0))


def interpolated_complex(xp):
    fp = np.array([1.0 + 2.0j, 2.0 - 1.0j, 0.5 + 0.5j, 3.0 + 0.0j])
    return np.sum(np.abs(np.interp(np.array([0.2, 0.9, 1.7, -0.5, 2.4]), xp, fp)) ** 2)


def test_interp_differentiated_with_respect_to_its_sample_points():
    x = np.array([0.2, 0.9, 1.7, -0.5, 2.4])  # (two outside xp: fp[0], fp[-1])
    xp, fp = np.array([0.0, 0.5, 1.2, 2.0]), np.array([1.0, 2.0, 0.5, 3.0])
    check_grad(interpolated, x, xp, fp, argnums=(0, 1, 2))
    dot_test(interpolated, (x, xp, fp))
    check_grad(interpolated_complex, xp)


def interpolated_options(x, xp, fp):
    return np.sum(np.interp(x, xp, fp, left=0.5, right=-1.0) ** 2) + \
        np.sum(np.sin(np.interp(x, xp, fp, period=2.5)))


def test_interp_sample_points_with_left_right_and_period():
    x = np.array([0.2, 0.9, 1.7, -0.7, 2.4])  # (none at a sample point modulo the period)
    xp, fp = np.array([0.0, 0.5, 1.2, 2.0]), np.array([1.0, 2.0, 0.5, 3.0])
    check_grad(interpolated_options, x, xp, fp, argnums=(0, 1, 2))
    dot_test(interpolated_options, (x, xp, fp))


# --- 5. cmath of complex values ----------------------------------------------------------------
def c_exp(z):
    w = cmath.exp(z) * cmath.sin(z)
    return w.real * 2 + w.imag ** 2


def c_sqrt(z):
    w = cmath.sqrt(z) + cmath.tanh(z)
    return w.real * 2 + w.imag ** 2


def c_log(z):
    w = cmath.log(z) + cmath.log(z, 3.0) + cmath.log10(z)
    return w.real * 2 + w.imag ** 2


def c_phase(z):
    return cmath.phase(z) * 3 + abs(z)


def c_polar(z):
    r, p = cmath.polar(z)
    return r * p + r ** 2


@pytest.mark.parametrize("f", [c_exp, c_sqrt, c_log, c_phase, c_polar])
def test_cmath_functions_of_a_complex_value(f):
    z = 0.3 + 0.4j
    for u in (1.0, 1j, 0.6 - 0.2j):
        check_complex_direction(f, z, u)
    # (the dot test of complex values: <u, jvp(v)> = re(sum(vjp(u) * v)), JAX's convention)
    v, u = 0.6 - 0.2j, 1.7
    _, dy = jvp(f, (z,), (v,))
    _, pullback = vjp(f, z)
    assert np.isclose(np.real(pullback(u)[0] * v), u * dy, rtol=1e-10)


@pytest.mark.parametrize("f", [c_exp, c_sqrt, c_phase, c_polar])
def test_cmath_functions_of_a_real_value(f):
    check_grad(f, 0.7)
    check_grad(f, -0.7) if f is c_sqrt else None  # (cmath.sqrt(-0.7): imaginary)


def c_log_base(z, b):
    w = cmath.log(z, b)
    return w.real * 2 + w.imag ** 2


def test_cmath_log_in_its_base():
    check_grad(c_log_base, 0.7, 2.5, argnums=(0, 1))
    check_complex_direction(lambda b: c_log_base(0.3 + 0.4j, b), 2.5 + 0.5j, 0.6 - 0.2j)


# --- 7. under jit: np.cross, np.roll, math.fmod ---------------------------------------------
def crossed(a, b):
    return np.sum(np.cross(a, b) ** 2)


def rolled(a):
    return np.sum(np.roll(a, 2) * np.arange(1.0, 1.0 + a.size).reshape(a.shape))


def rolled_along(a):
    return np.sum(np.roll(a, 1, axis=0) * np.roll(a, -2, axis=-1) ** 2)


def wrapped(x):
    return math.fmod(x * 3.0, 1.3) * x


def wrapped_by_zero(x):
    return math.fmod(x, 0.0) * x


@pytest.mark.parametrize("f, args, argnums", [
    (crossed, (np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])), (0, 1)),
    (crossed, (np.arange(6.0).reshape(2, 3) + 0.5, np.array([0.5, -1.0, 2.0])), (0, 1)),
    (rolled, (np.arange(5.0) ** 2,), 0),
    (rolled, (np.arange(6.0).reshape(2, 3) ** 2,), 0),
    (rolled_along, (np.arange(6.0).reshape(2, 3) ** 1.5,), 0),
    (wrapped, (0.9,), 0), (wrapped, (-2.3,), 0)])
def test_jit_grad_of_cross_roll_and_fmod(f, args, argnums):
    agree(f, *args, argnums=argnums)


def test_jit_fmod_raises_as_python_does():
    pytest.importorskip("numba")
    with pytest.raises(ValueError):
        wrapped_by_zero(0.5)
    with pytest.raises(ValueError):
        jitted(wrapped_by_zero)(0.5)


def test_jit_cross_of_2_vectors_is_refused_at_its_line():
    pytest.importorskip("numba")
    from adcompile.jit import JitError
    a, b = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    try:
        crossed(a, b)
    except ValueError:  # (NumPy 2.5 removed 2-vectors: Python raises, and Numba's np.cross too)
        with pytest.raises(ValueError, match="3-dimensional vectors"):
            jitted(crossed, (0, 1))(a, b)
        return
    with pytest.raises(JitError, match="np.cross of 2-vectors") as info:
        jitted(crossed, (0, 1))(a, b)
    assert info.value.line == crossed.__code__.co_firstlineno + 1
