"""jit gaps left by fixjitgaps (fixer fixjitnumba): Numba versions of the gradients of list(a),
np.pad, np.tile, np.take and np.kron; any()/all() of a generator; scipy.linalg.cho_factor and
cho_solve; np.random.rand(*shape) of a shape () known at run time (a float, as NumPy's)."""
import numpy as np
import pytest

from adcompile import grad, source, value_and_grad

try:
    import scipy.linalg
except ImportError:  # (the tests that call it skip)
    scipy = None


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


# --- 1. Numba versions of np.pad, np.tile and the gradients that add copies back -----------------
V3 = np.array([1.0, -2.0, 0.5])
M3 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [0.5, 0.25, -1.0]])


def pad_constant(x):
    return np.sum(np.pad(x, 2) ** 2 * np.arange(1.0, 8.0))


def pad_copies(x):
    return np.sum(np.pad(x, (1, 4), mode="reflect") ** 2 * np.arange(1.0, 9.0)) + \
        np.sum(np.pad(x, ((2, 1),), mode="symmetric") ** 3) + \
        np.sum(np.pad(x, 3, mode="wrap") * np.arange(9.0)) + np.sum(np.pad(x, (0, 2), "edge") ** 2)


def pad_matrix(m):
    return np.sum(np.pad(m, ((1, 0), (2, 3)), mode="reflect") ** 2) + \
        np.sum(np.pad(m, 1, mode="edge") ** 3)


def pad_value(x, c):
    return np.sum(np.pad(x, 1, constant_values=c) ** 2)


def tiled(x):
    return np.sum(np.tile(x, 3) ** 2 * np.arange(1.0, 10.0)) + np.sum(np.tile(x, (2, 2)) ** 3)


def tiled_matrix(m):
    return np.sum(np.tile(m, (2, 1, 2)) ** 3)


def taken(x):
    return np.sum(np.take(x, np.array([0, 2, 2, -1])) ** 2)


def taken_along(m):
    return np.sum(np.take(m, np.array([[1, 0], [1, 2]]), axis=1) ** 2) + np.sum(np.take(m, 2) * m)


def kron_vectors(x):
    return np.sum(np.kron(x, np.array([1.0, 2.0])) ** 2)


def kron_matrices(m):
    y = np.array([[1.0, 2.0], [3.0, 4.0]])
    return np.sum(np.kron(y, m) ** 2) + np.sum(np.kron(m, m) ** 2) + np.sum(np.kron(m, V3) ** 3)


def rows_of_a_vector(x):
    rs = list(x)
    return rs[0] * rs[1] + rs[2] ** 2


@pytest.mark.parametrize("f, x", [(pad_constant, V3), (pad_copies, V3), (pad_matrix, M3[:2]),
                                  (tiled, V3), (tiled_matrix, M3[:2, :2]), (taken, V3),
                                  (taken_along, M3), (kron_vectors, V3),
                                  (kron_matrices, M3[:2, :2]), (rows_of_a_vector, V3)])
def test_the_gradients_of_copies_compile(f, x):
    from checks import agree
    agree(f, x)


def test_np_pad_constant_values_compile():
    from checks import agree
    agree(pad_value, V3, 1.5, argnums=(0, 1))


def pad_any(x, widths, mode):
    return np.pad(x, widths, mode=mode)


def tile_any(x, reps):
    return np.tile(x, reps)


def test_np_pad_and_np_tile_under_jit_give_numpys_arrays():
    pytest.importorskip("numba")
    from adcompile import jit
    pad, tile = jit(pad_any), jit(tile_any)
    for x in (V3, np.arange(1.0, 3.0), np.array([7.0]), np.arange(24).reshape(2, 3, 4)):
        for mode in ("constant", "edge", "reflect", "symmetric", "wrap"):
            # (widths beyond the axis: reflections of reflections)
            for widths in ((0, 5), (2, 7)) if x.ndim == 1 else (((3, 1), (0, 2), (5, 4)),):
                np.testing.assert_array_equal(pad(x, widths, mode), np.pad(x, widths, mode=mode))
        for reps in (2, (2, 3)) if x.ndim == 1 else ((1, 2, 1, 3),):
            np.testing.assert_array_equal(tile(x, reps), np.tile(x, reps))


def gradient_of(x, h):
    return np.sum(np.gradient(x, h) ** 2)


def rows_tuple(m):
    a, b = tuple(m)
    return np.sum(a * b)


def test_np_gradient_and_tuple_of_rows_are_refused_at_their_line():
    pytest.importorskip("numba")
    from adcompile import JitError, jit
    for f, args, line, words in [(gradient_of, (V3, 0.5), "np.gradient(x, h)", "gradient_grad"),
                                 (rows_tuple, (M3[:2],), "a, b = tuple(m)", "tuple")]:
        with pytest.raises(JitError) as e:
            jit(grad(f))(*args)
        assert "test_jit_found6.py:" in str(e.value) and line in str(e.value) and \
            words in str(e.value)


# --- 3. scipy.linalg.cho_factor and cho_solve ----------------------------------------------------
SPD = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 1.5]])


def cho_solved(B, b, lower):
    A = B @ B.T + np.eye(3)
    c, low = scipy.linalg.cho_factor(A, lower=lower)
    return np.sum(scipy.linalg.cho_solve((c, low), b) ** 2)


def cho_upper(B, b):
    cf = scipy.linalg.cho_factor(B @ B.T + np.eye(3))
    return np.sum(scipy.linalg.cho_solve(cf, b) * b)


def triangular_solved(B, b):
    L = np.linalg.cholesky(B @ B.T + np.eye(3))
    y = scipy.linalg.solve_triangular(L, b, lower=True)
    return np.sum(scipy.linalg.solve_triangular(L.T, y, lower=False) ** 2)


def test_cho_factor_and_cho_solve_compile_and_so_does_their_gradient():
    pytest.importorskip("scipy")
    pytest.importorskip("numba")
    from adcompile import jit
    b = np.array([1.0, -2.0, 0.5])
    for lower in (False, True):
        np.testing.assert_allclose(jit(cho_solved)(SPD, b, lower), cho_solved(SPD, b, lower),
                                   rtol=1e-12)
    np.testing.assert_allclose(jit(cho_upper)(SPD, b), cho_upper(SPD, b), rtol=1e-12)
    c, low = jit(lambda A: scipy.linalg.cho_factor(A, lower=True))(SPD)  # (SciPy's triangles)
    want, _ = scipy.linalg.cho_factor(SPD, lower=True)
    np.testing.assert_allclose(c, want, rtol=1e-12)
    assert low is True
    from checks import agree
    agree(cho_upper, SPD, b, argnums=(0, 1))  # (the (c, lower) pair's gradient: jit_tuples)
    agree(triangular_solved, SPD, b, argnums=(0, 1))


# --- 2. any() and all() -------------------------------------------------------------------------
def any_of_a_list(x):
    xs = [x[0], x[1], x[2]]
    if any(v > 1.5 for v in xs):
        return np.sum(x ** 2)
    return np.sum(x)


def all_of_an_array(x):
    if all(x > 0.0) and not any(x > 2.5):
        return np.sum(x ** 3)
    return np.sum(x)


def all_of_a_generator(x):
    if all(v > 0.0 for v in x):
        return np.sum(x ** 3)
    return np.sum(x)


def test_any_and_all_of_a_list_or_an_array_compile():
    from checks import agree
    for x in (V3, np.abs(V3), np.abs(V3) * 3):
        agree(any_of_a_list, x)
        agree(all_of_an_array, x)


def test_all_of_a_generator_over_an_array_is_refused_with_what_to_write():
    pytest.importorskip("numba")
    from adcompile import JitError, jit
    with pytest.raises(JitError) as e:
        jit(grad(all_of_a_generator))(V3)
    assert "test_jit_found6.py:" in str(e.value) and "if all(v > 0.0 for v in x):" in \
        str(e.value) and "np.all(...)" in str(e.value)


def any_of_rows(m):
    return np.sum(m) if any(m > 0.0) else 0.0


def test_any_of_a_matrix_is_refused_as_python_raises():
    pytest.importorskip("numba")
    from adcompile import JitError, jit
    with pytest.raises(ValueError):  # (the truth of a row)
        any_of_rows(M3)
    with pytest.raises(JitError) as e:
        jit(any_of_rows)(M3)
    assert "test_jit_found6.py:" in str(e.value) and "any(m > 0.0)" in str(e.value)
