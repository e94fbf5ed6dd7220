"""jit gaps found by tester T51 (deep-learning code ported to NumPy), fixed by fixjitidx: the
gradients of batched indexing under jit (§5) — the cross-entropy gather, embedding lookups with
repeated indices, np.add.at, np.split and np.array_split, np.repeat, an indexed write with
integer arrays, sliding_window_view — each compared with grad's to 1e-12 and with finite
differences; a write into a read-only view; a list comprehension given to np.stack (§10)."""
import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from adcompile import grad, jit
from checks import agree

pytest.importorskip("numba")

from adcompile.jit import JitError  # noqa: E402


def cross_entropy(z, y):
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(logp[np.arange(len(y)), y])


def gather_pairs(z, rows, cols):  # (the place (0, 1) read twice)
    return np.sum(z[rows, cols] ** 3)


def embedding_rows(E, idx):
    return np.sum(np.tanh(E[idx]) ** 2)


def embedding_rows_colon(E, idx):
    return np.sum(E[idx, :] ** 3)


def embedding_columns(E, idx):
    return np.sum(E[:, idx] ** 3)


def embedding_batch(E, idx2d):  # (a 2-D index: a 3-D result)
    return np.sum(E[idx2d] ** 3)


def outer_pairs(x, rows, cols):
    return np.sum(x[rows[:, None], cols] ** 3)


def middle_axis(T, idx):  # (3-D: any rank goes through the flat positions)
    return np.sum(T[:, idx, 1] ** 3)


def add_at_vector(v, idx):
    out = np.zeros(3)
    np.add.at(out, idx, v)
    return np.sum(out ** 3)


def add_at_pairs(v, rows, cols):
    out = np.ones((2, 3))
    np.add.at(out, (rows, cols), v)
    return np.sum(out ** 3)


def split_rows(x):
    a, b = np.split(x, 2)
    return np.sum(a * b ** 2)


def split_columns(x):
    a, b, c = np.split(x, 3, axis=1)
    return np.sum(a * b ** 2 + c ** 3)


def array_split_vector(x):
    a, b, c = np.array_split(x, 3)
    return np.sum(a ** 2) + np.sum(b) * np.sum(c ** 3)


def split_read_twice(x):  # (the pieces' gradients added: list_add, not `+`, which joins)
    parts = np.split(x, 2)
    return np.sum(parts[0] * parts[1]) + np.sum(parts[0] ** 3)


def split_loop(x):  # (a loop over the pieces: their gradients a list, added into per step)
    s = 0.0
    for p in np.split(x, 3):
        s = s + np.sum(p ** 2) * p[0]
    return s


def array_split_loop(x):
    parts = np.array_split(x, 3)
    s = 0.0
    for k in range(3):
        s = s + np.sum(parts[k] ** 2) * k
    return s


def repeat_flat(x):
    return np.sum(np.repeat(x, 2) ** 2 * np.arange(12.0))


def repeat_counts(x, counts):  # (an entry repeated 0 times gets 0)
    return np.sum(np.repeat(x, counts) ** 3)


def repeat_columns(x):  # (Numba's np.repeat takes no axis: refused at this line)
    return np.sum(np.repeat(x, 3, axis=1) ** 2)


def written_twice(z, rows, cols):  # (the last write to (0, 1) keeps its gradient)
    d = z * 1.0
    d[rows, cols] = z[rows, cols] ** 2 * np.array([1.0, 2.0, 3.0])
    return np.sum(d ** 3)


def windows_1d(x):
    w = sliding_window_view(x, 3)
    return np.sum(w[:, 0] * w[:, 1] ** 2 + w[:, 2] ** 3)


def windows_2d(x):  # (the window's shape a tuple: an array before, which Numba's view refused)
    w = sliding_window_view(x, (2, 2))
    return np.sum(w[:, :, 0, 1] * w[:, :, 1, 0] ** 2 + w[:, :, 1, 1] ** 3)


def windows_axis(x):
    w = sliding_window_view(x, 2, axis=1)
    return np.sum(w[..., 0] * w[..., 1] ** 2)


def new_axes(x):
    return np.sum(x[..., None] * np.arange(3.0)) + np.sum(x[None] ** 2)


RNG = np.random.default_rng(7)
Z = RNG.standard_normal((4, 5))
Y = np.array([0, 3, 3, 1])
ROWS, COLS = np.array([0, 1, 0]), np.array([1, 4, 1])
IDX = np.array([2, 0, 2, 2])


@pytest.mark.parametrize("f, args", [
    (cross_entropy, (Z, Y)),
    (gather_pairs, (Z, ROWS, COLS)),
    (embedding_rows, (Z, IDX)),
    (embedding_rows_colon, (Z, IDX)),
    (embedding_columns, (Z, IDX)),
    (embedding_batch, (Z, np.array([[1, 1], [3, 0]]))),
    (outer_pairs, (Z, np.array([0, 2, 0]), np.array([4, 4]))),
    (middle_axis, (RNG.standard_normal((2, 3, 2)), np.array([1, 1, 0]))),
    (add_at_vector, (np.array([0.5, -1.0, 2.0, 0.3]), np.array([0, 2, 0, 0]))),
    (add_at_pairs, (np.array([0.5, -1.0, 2.0]), ROWS[:3] % 2, np.array([1, 2, 1]))),
    (split_rows, (RNG.standard_normal(6),)),
    (split_columns, (RNG.standard_normal((2, 6)),)),
    (array_split_vector, (RNG.standard_normal(7),)),
    (split_read_twice, (RNG.standard_normal(6),)),
    (split_loop, (RNG.standard_normal(6),)),
    (array_split_loop, (RNG.standard_normal(7),)),
    (repeat_flat, (RNG.standard_normal((2, 3)),)),
    (repeat_counts, (RNG.standard_normal(3), np.array([2, 0, 3]))),
    (written_twice, (Z, ROWS, COLS)),
    (windows_1d, (RNG.standard_normal(6),)),
    (windows_2d, (RNG.standard_normal((3, 4)),)),
    (windows_axis, (RNG.standard_normal((2, 4)),)),
    (new_axes, (RNG.standard_normal((2, 3)),)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_batched_indexing_gradients_compile_and_agree(f, args):
    # refused before ("has no Numba version"): jit(grad(f)) equals grad(f) to 1e-12 and
    # central differences; repeated places add up (np.add.at's semantics)
    agree(f, *args)


def test_a_repeated_place_adds_up_under_jit():
    # (0, 1) read twice: its gradient is the sum of both reads', as np.add.at adds
    got = jit(grad(gather_pairs))(Z, ROWS, COLS)
    assert got[0, 1] == pytest.approx(2 * 3 * Z[0, 1] ** 2, rel=1e-12)
    assert np.count_nonzero(got) == 2


def test_np_repeat_along_an_axis_is_refused_at_its_line():
    with pytest.raises(JitError, match="repeat") as info:
        jit(grad(repeat_columns))(RNG.standard_normal((2, 3)))
    assert info.value.line == repeat_columns.__code__.co_firstlineno + 1


def written_into_broadcast(x):
    b = np.broadcast_to(x, (2, 3))
    b[0, 0] = 1.0
    return np.sum(b)


def written_into_windows(x):
    w = sliding_window_view(x, 2)
    w[0, 0] = 1.0
    return np.sum(w)


def test_a_write_into_a_read_only_view_is_refused_as_numpy_refuses_it():
    x = np.arange(3.0)
    with pytest.raises(ValueError, match="read-only"):
        written_into_broadcast(x)
    with pytest.raises(ValueError, match="read-only"):  # (jit wrote into a copy: 1.0 + ...)
        jit(written_into_broadcast)(x)
    with pytest.raises(ValueError, match="read-only"):
        grad(written_into_windows)(x)
    for f in (written_into_windows, grad(written_into_windows)):  # (Numba's view is writable)
        with pytest.raises(JitError, match="read-only") as info:
            jit(f)(x)
        assert info.value.line == written_into_windows.__code__.co_firstlineno + 2


def im2col(x, w):
    H, W = x.shape
    cols = np.stack([x[i:i + 2, j:j + 2].ravel() for i in range(H - 1) for j in range(W - 1)])
    return np.sum(cols * w.ravel())


def test_a_comprehension_given_to_np_stack_is_refused_in_adcompile_words():
    # T51 §10: Numba's own text ("Type of variable 'cols' cannot be determined, ...") before; a
    # comprehension of two loops grows a copy of its list (items_1 = items), which stays a list
    x, w = RNG.standard_normal((3, 3)), RNG.standard_normal((2, 2))
    with pytest.raises(JitError) as info:
        jit(grad(im2col))(x, w)
    message = str(info.value)
    assert info.value.line == im2col.__code__.co_firstlineno + 2
    assert "list comprehension" in message and "cannot be determined" not in message
    assert "np.empty" in message
