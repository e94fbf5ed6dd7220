"""Every corpus function through every mode: reverse and forward against central finite
differences, reverse against forward by the dot-product test. Hypothesis draws the inputs."""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from adcompile import grad, jvp, value_and_grad, vjp
from checks import assert_close, directional, inner, numeric_grad
from corpus import CORPUS, S
from corpus_control import CONTROL

CORPUS = CORPUS + CONTROL

SETTINGS = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def draw_args(domains):
    parts = []
    for d in domains:
        floats = st.floats(d.lo, d.hi, allow_nan=False, allow_subnormal=False)
        parts.append(floats if type(d) is S else hnp.arrays(np.float64, d.shape, elements=floats))
    return st.tuples(*parts)


def smooth_at(f, args, h=3e-6):
    """One-sided differences agree in every coordinate: no kink (max, abs) next to the point
    that could move a central difference by more than the gradient tests' tolerance (the step
    is wider than the difference step, so a kink inside that stencil is seen). Not at or next
    to a pole, where Python itself raises (math.lgamma(-2.9 + 0.9): a domain error)."""
    try:
        return _smooth_at(f, args, h)
    except (ValueError, ZeroDivisionError, OverflowError):
        return False


def _smooth_at(f, args, h):
    f0 = f(*args)
    for i, x in enumerate(args):
        for idx in np.ndindex(np.shape(x)):
            step = h if np.ndim(x) == 0 else np.zeros_like(x)
            if np.ndim(x):
                step[idx] = h
            hi, lo = list(args), list(args)
            hi[i], lo[i] = x + step, x - step
            right, left = (f(*hi) - f0) / h, (f0 - f(*lo)) / h
            if not np.isclose(right, left, rtol=1e-4, atol=2e-5):
                return False
    return True


def cases(test):
    return pytest.mark.parametrize("f, domains", CORPUS, ids=[f.__name__ for f, _ in CORPUS])(test)


@cases
def test_grad_matches_finite_differences(f, domains):
    every = tuple(range(len(domains)))
    df = grad(f, argnums=every)

    @SETTINGS
    @given(draw_args(domains))
    def check(args):
        assume(smooth_at(f, args))
        grads = df(*args)
        assert len(grads) == len(args)
        for i, g in enumerate(grads):
            assert_close(g, numeric_grad(f, args, i), rtol=1e-4, atol=1e-5,
                         what=f"d{f.__name__}/d{i}")
    check()


@cases
def test_value_and_grad(f, domains):
    vg = value_and_grad(f, argnums=len(domains) - 1)
    args = [d.lo + (0.37 + 0.11 * i) * (d.hi - d.lo) if type(d) is S else
            np.linspace(d.lo, d.hi, int(np.prod(d.shape)) + 2 + i)[1:-1 - i].reshape(d.shape)
            for i, d in enumerate(domains)]
    value, g = vg(*args)
    assert_close(value, f(*args), what="value")
    assert_close(g, numeric_grad(f, args, len(args) - 1), rtol=1e-4, atol=1e-5)


@cases
def test_jvp_matches_finite_differences(f, domains):
    @SETTINGS
    @given(draw_args(domains), st.integers(0, 2 ** 32 - 1))
    def check(args, seed):
        assume(smooth_at(f, args))
        rng = np.random.default_rng(seed)
        direction = [rng.normal() if np.ndim(a) == 0 else rng.normal(size=np.shape(a))
                     for a in args]
        out, tangent = jvp(f, args, direction)
        assert_close(out, f(*args), what="primal output")
        assert_close(tangent, directional(f, args, direction), rtol=1e-4, atol=1e-5,
                     what="tangent")
    check()


@cases
def test_vjp_agrees_with_jvp(f, domains):
    @SETTINGS
    @given(draw_args(domains), st.integers(0, 2 ** 32 - 1))
    def check(args, seed):
        assume(smooth_at(f, args))  # (at a kink such as the norm of zero both may be nan)
        rng = np.random.default_rng(seed)
        u = [rng.normal() if np.ndim(a) == 0 else rng.normal(size=np.shape(a)) for a in args]
        out, pullback = vjp(f, *args)
        v = rng.normal() if np.ndim(out) == 0 else rng.normal(size=np.shape(out))
        _, ju = jvp(f, args, u)
        vj = pullback(v)
        assert len(vj) == len(args)
        for g, a in zip(vj, args):
            assert np.shape(g) == np.shape(a)
        assert np.isclose(inner(vj, u), inner([v], [ju]), rtol=1e-7, atol=1e-8)
    check()
