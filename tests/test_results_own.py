"""Found by tester T12: results that are one array. NumPy code changes arrays in place (a
gradient scaled with `g *= lr`, clipped with `out=g`); two gradients that were one array, a
gradient that was the caller's input, or a pullback that read arrays the caller changed after
vjp, gave silently wrong numbers. Each case failed before results.py and api._detached."""
import numpy as np

from adcompile import grad, jvp, value_and_grad, vjp

A = np.array([[0.1, 0.2], [0.3, -0.4]])
B = np.array([[0.5, 0.0], [-0.2, 0.1]])


def embeddings(tok, pos):
    return np.sum(np.tanh(tok + pos) ** 2)


def expected_embeddings(tok, pos):
    t = np.tanh(tok + pos)
    return 2 * t * (1 - t ** 2)


def circuit(x, y, z):
    return (x + y) * z


def test_two_gradients_are_two_arrays():
    g_tok, g_pos = grad(embeddings, argnums=(0, 1))(A, B)
    assert not np.shares_memory(g_tok, g_pos)
    g_tok *= 0.1  # (in place, as NumPy optimizers do)
    g_pos *= 0.1
    assert np.allclose(g_pos, 0.1 * expected_embeddings(A, B))
    value, (g_tok, g_pos) = value_and_grad(embeddings, argnums=(0, 1))(A, B)
    assert not np.shares_memory(g_tok, g_pos)


def test_a_gradient_is_not_the_callers_array():
    x, y, z = A.copy(), B.copy(), np.array([[1.0, 2.0], [3.0, 4.0]])
    g = grad(lambda x, y, z: np.sum(circuit(x, y, z)), argnums=(0, 1, 2))(x, y, z)
    assert not any(np.shares_memory(a, b) for a in g for b in (x, y, z))
    assert not np.shares_memory(g[0], g[1])
    g[0][:] = 0.0
    assert np.array_equal(z, [[1.0, 2.0], [3.0, 4.0]]) and np.array_equal(g[1], z)


def test_gradients_of_a_dict_and_a_list_are_their_own():
    g = grad(lambda p, x: np.sum(np.tanh(x + p["a"] + p["b"])))({"a": A, "b": B}, 0.5)
    assert not np.shares_memory(g["a"], g["b"])
    g = grad(lambda p: np.sum(np.tanh(p[0] + p[1]) * p[2]))([A, B, A])
    assert not np.shares_memory(g[0], g[1])


def test_a_pullback_returns_arrays_of_its_own():
    ct = np.ones((2, 2))
    out, pullback = vjp(lambda a, b: a + b, A, B)
    ga, gb = pullback(ct)
    assert not np.shares_memory(ga, gb) and not np.shares_memory(ga, ct) and \
        not np.shares_memory(gb, ct)
    ga *= 2.0
    assert np.array_equal(ct, np.ones((2, 2))) and np.array_equal(gb, np.ones((2, 2)))


def test_a_tangent_is_not_the_callers_tangent():
    t = np.ones(3)
    value, tangent = jvp(lambda x: x, (np.arange(3.0),), (t,))
    tangent *= 2.0
    assert np.array_equal(t, np.ones(3))


def test_a_pullback_reads_the_arrays_as_they_were_at_vjp():
    w, X = np.array([0.3, -0.5]), np.array([[1.0, 2.0], [0.5, -1.0]])

    def f(w, X):
        return np.sum(np.sin(X @ w) * w[0])
    want = vjp(f, w, X)[1](1.0)[0]
    out, pullback = vjp(f, w, X)
    w -= 0.5  # an in-place step between vjp and the pullback
    assert np.allclose(pullback(1.0)[0], want)
    out, pullback = vjp(np.exp, np.array([0.3, -0.5]))
    want = pullback(np.ones(2))[0].copy()
    out -= 1.0  # the output changed in place
    assert np.allclose(pullback(np.ones(2))[0], want)


def test_a_chain_of_copies_as_long_as_the_program(tmp_path):
    """My own final read: results.py followed copies by recursion, and the unoptimized gradient
    of 3000 `a = a + y` (each adjoint a copy of the next) raised RecursionError."""
    import importlib.util
    lines = ["def f(x, y):", "    a = x"] + ["    a = a + y"] * 3000 + ["    return a"]
    path = tmp_path / "long_chain.py"
    path.write_text("\n".join(lines) + "\n")
    spec = importlib.util.spec_from_file_location("long_chain", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for optimize in (True, False):
        assert grad(module.f, argnums=(0, 1), optimize=optimize)(1.0, 2.0) == (1.0, 3000.0)
