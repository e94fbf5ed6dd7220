"""jit gaps left by fixjitgaps (fixer fixjitnumba): Numba versions of the gradients of list(a),
np.pad, np.tile, np.take and np.kron; any()/all() of a generator; scipy.linalg.cho_factor and
cho_solve; np.random.rand(*shape) of a shape () known at run time (a float, as NumPy's)."""
import numpy as np
import pytest

from adcompile import grad, source, value_and_grad


def rand_of_shape(x, shape):
    m = np.random.rand(*shape)
    return x * m if type(m) is float else np.sum(x * m), type(m) is float


def randn_of_shape(x):
    m = np.random.randn(*np.shape(x))
    return x * m


def test_rand_of_a_run_time_shape_draws_what_numpy_draws():
    # NumPy's rand(*()) is a float (random_sample(()) a 0-d array): the same type, the same draw
    for shape in ((), (2,), (2, 3)):
        np.random.seed(3)
        want, kind = rand_of_shape(2.0, shape)
        np.random.seed(3)
        (got, got_kind), g = value_and_grad(rand_of_shape, has_aux=True)(2.0, shape)
        assert got_kind == kind and type(got) is type(want)
        np.testing.assert_array_equal(got, want)
    np.random.seed(4)
    want = randn_of_shape(2.0)
    np.random.seed(4)
    got, g = value_and_grad(randn_of_shape)(2.0)
    assert type(got) is type(want) is float and type(g) is float and got == want
    assert "np.random.randn(*s0)" in source(grad(randn_of_shape))


def dropout(x):
    mask = np.random.rand(*x.shape) < 0.5
    return np.sum(x * mask) + np.sum(x * np.random.randn(*np.shape(x[0, 0])))


def test_a_draw_of_a_run_time_shape_compiles():
    pytest.importorskip("numba")
    from adcompile import jit
    x = np.array([[1.0, 2.0], [0.5, -1.0], [0.3, 0.3]])
    g = jit(grad(dropout))(x)  # (Numba's draws are its own: the mask's 0 or 1, plus one normal)
    values = np.unique(g)
    assert g.shape == x.shape and len(values) <= 2 and np.isclose(np.ptp(values), 1.0) | \
        (len(values) == 1)
