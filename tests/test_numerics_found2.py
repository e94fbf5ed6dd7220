"""Defects a tester found differentiating textbook numerical methods (T54), each checked against
finite differences before its fix."""
import numpy as np
import pytest
from numpy import array

import adcompile as ad
from checks import assert_close, numeric_grad

# --- a helper that starts with its own copy of an argument (`c = c.copy()`) was refused as
# changing the caller's array when a module global had the same name: the copy's method was looked
# up in the globals (`c` the global array, not the parameter); `c.astype(float)`, `c.flatten()`
# and `array(c)` (from numpy import array) were not seen as copies at all ----------------------
c = np.array([5.0, 6.0, 7.0])  # a global of the parameter's name, as textbook scripts have


def copy_method(c, s):
    c = c.copy()
    c[0] = c[0] * s
    return c


def astype_copy(c, s):
    c = c.astype(float)
    c[1] *= s
    return c


def flatten_copy(c, s):
    c = c.flatten()
    c[2] = s * c[2] ** 2
    return c


def array_copy(c, s):
    c = array(c)
    c[0] += s * c[1]
    return c


@pytest.mark.parametrize("helper", [copy_method, astype_copy, flatten_copy, array_copy])
def test_a_helper_copying_its_argument_first_leaves_the_callers_array(helper):
    def f(x, s):
        y = helper(x, s)
        return np.sum(y ** 2) + np.sum(x * np.arange(1.0, 4.0))  # (x itself read after)

    x, s = np.array([1.0, 2.0, 3.0]), 1.5
    gx, gs = ad.grad(f, (0, 1))(x, s)
    assert_close(gx, numeric_grad(f, (x, s), 0))
    assert_close(gs, numeric_grad(f, (x, s), 1))
    assert_close(ad.value_and_grad(f)(x, s)[0], f(x, s))
    assert_close(x, [1.0, 2.0, 3.0])


def in_place_no_copy(c, s):
    c = np.asarray(c)  # (the same array when it is already one: not a copy)
    c[0] *= s
    return c


def test_asarray_still_counts_as_changing_the_argument():
    def f(x, s):
        y = in_place_no_copy(x, s)
        return np.sum(y) + np.sum(x)

    with pytest.raises(ad.ADCompileError, match="changes its argument c in place"):
        ad.grad(f)(np.array([1.0, 2.0]), 2.0)


# --- a value read only by a loop's test (a solver's convergence measure) was given an adjoint:
# `norm_grad(grad_err, ...)` ran every backward step (always zero), and hessian was refused as
# norm_grad has no forward rule. A name whose derivative reaches the output through no operand
# that carries one needs no adjoint (analysis.reaching) --------------------------------------
def fixed_point_while(p):
    x = np.zeros_like(p)
    err = 1.0
    while err > 1e-12:
        xn = np.cos(p * x)
        err = np.linalg.norm(xn - x, np.inf)
        x = xn
    return np.sum(x)


def fixed_point_break(p):
    x = np.zeros_like(p)
    for k in range(200):
        xn = np.cos(p * x)
        err = np.max(np.abs(xn - x))
        x = xn
        if err < 1e-12:
            break
    return np.sum(x ** 2)


def newton_sqrt(a):
    x = a
    step = 1.0
    while abs(step) > 1e-13 * a:
        step = (x * x - a) / (2.0 * x)
        x = x - step
    return x


@pytest.mark.parametrize("f", [fixed_point_while, fixed_point_break])
def test_a_convergence_measure_gets_no_adjoint_and_hessian_works(f):
    p = np.array([0.3, 0.5])
    assert_close(ad.grad(f)(p), numeric_grad(f, (p,), 0))
    text = ad.source(ad.grad(f))
    assert "grad_err" not in text and "norm_grad" not in text and "max_grad" not in text
    H = ad.hessian(f)(p)
    assert_close(H, np.array([numeric_grad(lambda q, k=k: ad.grad(f)(q)[k], (p,), 0)
                              for k in range(2)]), rtol=1e-4, atol=1e-6)


def test_newtons_step_still_carries_its_derivative():
    # step is read by the test and by the update: it keeps its adjoint (sqrt'(a) = 1/(2 sqrt a))
    assert_close(ad.grad(newton_sqrt)(2.0), 0.5 / np.sqrt(2.0))
    assert_close(ad.hessian(newton_sqrt)(2.0), -0.25 * 2.0 ** -1.5, rtol=1e-6)
    assert "grad_step" in ad.source(ad.grad(newton_sqrt))


def measure_without_a_rule(x):
    total = 0.0
    if np.linalg.matrix_rank(np.outer(x, x) + np.eye(2) * 1e-9) > 0:  # (an int: no derivative)
        total = np.sum(np.sin(x))
    return total


def grow_until(x):
    y = x
    while np.i0(y) < 5.0:  # (np.i0 has no rule: read only by the test, it needs none)
        y = y * 1.5
    return y * x


def i0_in_the_value(x):
    return np.i0(x) * x


def test_a_function_without_a_rule_is_refused_only_where_its_value_reaches_the_output():
    assert_close(ad.grad(grow_until)(0.5), numeric_grad(grow_until, (0.5,), 0))
    with pytest.raises(ad.NoDerivativeError, match="np.i0"):
        ad.grad(i0_in_the_value)(0.5)
    with pytest.raises(ad.NoDerivativeError, match="np.i0"):
        ad.jvp(i0_in_the_value, (0.5,), (1.0,))


def test_a_branch_on_a_measure_differentiates_the_taken_branch():
    x = np.array([0.2, 0.7])
    assert_close(ad.grad(measure_without_a_rule)(x), np.cos(x))


# --- sorted(xs, key=f) and xs.sort(key=f) of a list a loop carries (a Nelder-Mead simplex) were
# refused (advice: np.sort); after sorting, storing a new vertex (`simplex[1] = v`) was refused as
# changing an array that `best, good, worst = simplex` held: a list's item stored anew changes no
# array -------------------------------------------------------------------------------------
def norm2(v):
    return v[0] ** 2 + v[1] ** 2


def sorted_each_step(c):
    pts = [np.array([c, 0.0]), np.array([1.0, c]), np.array([0.0, 1.0])]
    for it in range(3):
        pts = sorted(pts, key=lambda v: v[0] ** 2 + v[1] ** 2)
        best, good, worst = pts
        pts[2] = 0.5 * (best + worst) + c * good
        pts[1] = good * 0.9
    return pts[0][0] + 2 * pts[1][1] + pts[2][0] * pts[2][1]


def sort_method_reversed(c):
    pts = [np.array([c, 0.0]), np.array([1.0, c]), np.array([0.0, 1.0]), np.array([c, c])]
    for it in range(3):
        pts.sort(key=norm2, reverse=True)
        pts[0] = pts[0] * 0.5 + c * pts[3]
    return pts[0][0] + 3 * pts[1][1] + pts[2][0] * pts[3][1]


def sorted_scalars_with_ties(c):
    xs = [c, 1.0, c, 2.0 * c]
    out = 0.0
    for k in range(2):
        xs = sorted(xs, key=lambda v: round(v, 1), reverse=True)  # (ties keep their order)
        out = out + xs[0] * 3.0 + xs[1] * 2.0 + xs[2]
        xs[3] = xs[3] + c * k
    return out


@pytest.mark.parametrize("f", [sorted_each_step, sort_method_reversed, sorted_scalars_with_ties])
@pytest.mark.parametrize("c", [0.3, 0.8])
def test_sorting_a_list_a_loop_carries(f, c):
    assert_close(ad.value_and_grad(f)(c)[0], f(c))
    assert_close(ad.grad(f)(c), numeric_grad(f, (c,), 0))
    assert_close(ad.jvp(f, (c,), (1.0,))[1], numeric_grad(f, (c,), 0))


def test_sorting_a_list_another_name_holds_is_still_refused():
    def f(c):
        pts = [np.array([c, 0.0]), np.array([1.0, c])]
        for it in range(2):
            held = pts
            pts.sort(key=norm2)  # (Python sorts held too)
            pts[0] = pts[0] * c
        return held[0][0] + pts[1][1]

    with pytest.raises(ad.ADCompileError):
        ad.grad(f)(0.5)


# --- np.polynomial's series (chebval, legval, ...) were refused: their source was followed into
# np.array(..., ndmin=1). Each has a rule now: linear in c (the basis at x), in x the series of
# the derivative's coefficients; second derivatives through series_value's own rules ---------
SERIES_VALUES = [np.polynomial.chebyshev.chebval, np.polynomial.legendre.legval,
                 np.polynomial.hermite.hermval, np.polynomial.hermite_e.hermeval,
                 np.polynomial.laguerre.lagval, np.polynomial.polynomial.polyval]


@pytest.mark.parametrize("val", SERIES_VALUES, ids=lambda v: v.__name__)
def test_series_values_in_x_and_c_to_second_order(val):
    def f(x, c):
        return np.sum(np.sin(val(x, c))) + val(0.3, c) * np.sum(x ** 2)

    x, c = np.array([0.1, -0.5, 0.9]), np.array([0.5, -1.0, 2.0, 0.7, 0.2])
    gx, gc = ad.grad(f, (0, 1))(x, c)
    assert_close(gx, numeric_grad(f, (x, c), 0))
    assert_close(gc, numeric_grad(f, (x, c), 1))
    tangent = ad.jvp(f, (x, c), (np.array([1.0, 0.5, -2.0]), np.linspace(-1, 1, 5)))[1]
    assert_close(tangent, np.sum(gx * [1.0, 0.5, -2.0]) + np.sum(gc * np.linspace(-1, 1, 5)))
    for i, w in ((0, x), (1, c)):
        H = ad.hessian(f, i)(x, c)
        expected = np.array([numeric_grad(lambda v, k=k, i=i: ad.grad(f, i)(
            *((v, c) if i == 0 else (x, v)))[k], (w,), 0) for k in range(len(w))])
        assert_close(H, expected, rtol=1e-4, atol=1e-5)
    assert_close(ad.jacrev(val, 1)(x, c), ad.jacfwd(val, 1)(x, c))


def test_a_series_of_several_columns_and_a_scalar_point():
    def f(x, C):  # (C's columns: three series, tensor=True's default)
        return np.sum(np.polynomial.chebyshev.chebval(x, C) * np.arange(1.0, 4.0)) ** 2

    C = np.array([[0.5, 1.0, -0.2], [0.3, -0.7, 0.4], [1.1, 0.2, 0.6]])
    for x in (0.4, np.array([0.4])):
        gx, gC = ad.grad(f, (0, 1))(x, C)
        assert_close(gx, numeric_grad(f, (x, C), 0))
        assert_close(gC, numeric_grad(f, (x, C), 1))


def test_a_series_of_degree_zero_has_no_slope():
    def f(x, c):
        return np.polynomial.chebyshev.chebval(x, c) * x

    gx, gc = ad.grad(f, (0, 1))(0.7, np.array([2.0]))
    assert_close(gx, 2.0)
    assert_close(gc, [0.7])
    assert_close(ad.hessian(f)(0.7, np.array([2.0])), 0.0)


# --- np.fft.fftfreq(n, d=L / n) with L differentiated was refused with a wrong reason (NumPy's
# isinstance with a tuple of classes); the frequencies k / (n d) have a rule in d ------------
def spectral_energy(L):
    n = 8
    k = 2 * np.pi * np.fft.fftfreq(n, d=L / n)
    u = np.sin(np.arange(n) * 0.3)
    smooth = np.real(np.fft.ifft(-(k ** 2) * np.fft.fft(u)))
    return np.sum(smooth ** 2) + np.sum(np.fft.rfftfreq(n, L / n) ** 3) + np.sum(np.fft.fftfreq(4))


def test_fftfreq_in_the_sample_spacing():
    assert_close(ad.grad(spectral_energy)(2.0), numeric_grad(spectral_energy, (2.0,), 0),
                 rtol=1e-6)
    assert_close(ad.jvp(spectral_energy, (2.0,), (1.0,))[1], ad.grad(spectral_energy)(2.0))
    assert_close(ad.hessian(spectral_energy)(2.0),
                 numeric_grad(ad.grad(spectral_energy), (2.0,), 0), rtol=1e-5)


# --- passing a lambda to scipy's quad or brentq was refused with advice about functools.reduce
# and np.apply_along_axis; the advice now names quadrature and iteration -------------------
def test_passing_a_function_to_scipy_gets_advice_about_its_kind():
    integrate = pytest.importorskip("scipy.integrate")
    optimize = pytest.importorskip("scipy.optimize")

    def area(p):
        return integrate.quad(lambda t: np.sin(p * t), 0.0, 1.0)[0]

    def root(p):
        return optimize.brentq(lambda t: t ** 3 - p, 0.0, 2.0)

    with pytest.raises(ad.ADCompileError, match="quadrature") as info:
        ad.grad(area)(0.5)
    assert "reduce" not in str(info.value)
    with pytest.raises(ad.ADCompileError, match="Newton") as info:
        ad.grad(root)(0.5)
    assert "reduce" not in str(info.value)


def sort_an_array_by_a_key(x):
    a = x * 1.0
    a.sort(key=abs)  # (an array's .sort takes no key: Python raises)
    return np.sum(a)


def test_sorting_an_array_by_a_key_raises_as_python_does():
    """(The sort of a run-time list was taken for an array too, which Python refuses.)"""
    with pytest.raises(TypeError, match="unexpected keyword argument 'key'"):
        sort_an_array_by_a_key(np.array([1.0, -2.0]))
    with pytest.raises(TypeError, match="unexpected keyword argument 'key'"):
        ad.grad(sort_an_array_by_a_key)(np.array([1.0, -2.0]))
