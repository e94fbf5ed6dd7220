"""Found by a tester writing machine-learning code as an engineer does (T17): each was silently
wrong or crashed before; checked against central finite differences."""
import numpy as np

from adcompile import grad, hessian, jacrev, jvp, value_and_grad, vjp

X = np.arange(12.0).reshape(4, 3) / 10
W = np.array([0.5, -1.0, 2.0])


def _fd(f, args, k):
    """Central differences of the scalar f with respect to argument k (a float or an array)."""
    h = 1e-6
    a = np.array(args[k], dtype=float)
    out = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[i] += h
        down[i] -= h
        moved = lambda v: [v if j == k else x for j, x in enumerate(args)]  # noqa: E731
        out[i] = (f(*moved(up)) - f(*moved(down))) / (2 * h)
    return out


def item_loss(b, x):
    return np.mean((x + b) ** 2).item()


def item_of_a_global(b):
    return np.sum(W * b).item()


def test_item_of_the_loss_keeps_the_gradient_in_the_parameter_shape():
    """`.item()` turns an array into a Python float; the float shortcut took the float output
    for proof that only Python numbers took part and returned the gradient unreduced: a (4, 3)
    array for a 0-d or (1, 3) parameter (value_and_grad and vjp too; jacrev then crashed)."""
    for b in (np.array(0.3), np.array([[0.1, 0.2, 0.3]])):
        fd = _fd(item_loss, (b, X), 0)
        for g in (grad(item_loss)(b, X), value_and_grad(item_loss)(b, X)[1],
                  vjp(item_loss, b, X)[1](1.0)[0], jacrev(item_loss)(b, X)):
            assert np.shape(g) == np.shape(b)
            np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9)
    # a float parameter times a global array: the float output does not make the product a float
    g = grad(item_of_a_global)(0.7)
    assert np.shape(g) == () and abs(g - np.sum(W)) < 1e-12


def clip_below(x):
    return np.sum(x.clip(0.0) ** 2)


def clip_above(x):
    return np.sum(x.clip(None, 1.0) ** 2)


def test_clip_with_one_bound_given_by_position():
    """`x.clip(0.0)` (the array method takes one bound) crashed inside adcompile: the rule
    unpacked three operands, and the call written for it lacked the other bound."""
    x = np.array([-1.0, 0.5, 2.0])
    np.testing.assert_allclose(grad(clip_below)(x), [0.0, 1.0, 4.0])
    np.testing.assert_allclose(grad(clip_above)(x), [-2.0, 1.0, 0.0])
    np.testing.assert_allclose(grad(clip_below)(x), _fd(clip_below, (x,), 0), atol=1e-8)


class Linear:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return np.tanh(x @ self.W)


MODEL = Linear(np.eye(2))


def closure_model_loss(x):
    return np.sum(MODEL(x) ** 2)


def test_a_model_read_from_a_global_is_refused_with_what_to_do():
    """A callable object read from a global was refused as having "no derivative rule and no
    Python source", with advice to register a rule, though its class's __call__ is Python."""
    import pytest
    from adcompile.errors import ADCompileError
    with pytest.raises(ADCompileError, match=r"Linear object read from a global.*pass MODEL as "
                                             r"an argument") as info:
        grad(closure_model_loss)(np.ones((3, 2)))
    assert info.value.filename.endswith("test_ml_found.py")


ACTS = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0)}


def chosen_activation(W, x, name):
    return np.sum(ACTS[name](x @ W) ** 2)


def test_a_global_table_of_activations_keyed_by_a_string_argument():
    """`ACTS[name](x @ W)`, name a string argument: jvp took it (the string is a constant at the
    call), grad and vjp refused it as a key computed at run time."""
    W = np.array([[0.3, -0.2], [0.5, 0.1]])
    x = np.array([[1.0, 2.5], [-1.0, 0.5], [0.3, 0.3]])
    for name in ("tanh", "relu", "tanh"):
        fd = _fd(chosen_activation, (W, x, name), 0)
        np.testing.assert_allclose(grad(chosen_activation)(W, x, name), fd, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(vjp(chosen_activation, W, x, name)[1](1.0)[0], fd,
                                   rtol=1e-6, atol=1e-8)


def embedded(E, tokens):
    return np.sum(np.tanh(E[tokens]))


def test_jvp_takes_none_for_a_list_of_token_ids():
    """A list of ints is a constant like an int: its tangent may be None (it was refused as not
    a list of length 4, while [0] * 4 was taken)."""
    from adcompile import jvp
    E = np.arange(10.0).reshape(5, 2) / 10
    dE = np.ones_like(E)
    value, tangent = jvp(embedded, (E, [0, 1, 1, 3]), (dE, None))
    assert value == embedded(E, [0, 1, 1, 3])
    assert abs(tangent - jvp(embedded, (E, [0, 1, 1, 3]), (dE, [0] * 4))[1]) < 1e-12
    assert abs(tangent - np.sum(_fd(lambda e: embedded(e, [0, 1, 1, 3]), (E,), 0))) < 1e-6


def layers_loss(params, x):
    for W, b in params:
        x = np.tanh(x @ W + b)
    return np.sum(x ** 2)


def unrolled_step(lr, params, x):
    grads = grad(layers_loss)(params, x)
    params = [(W - lr * gW, b - lr * gb) for (W, b), (gW, gb) in zip(params, grads)]
    return layers_loss(params, x)


def test_an_inner_grad_of_a_list_of_layers_inside():
    """grad called on a list of (W, b) inside a differentiated function got grad's run-time
    message with every array printed ("argument 0 of those in argnums is list [(array(..."),
    then a refusal at the user's line; now its code is compiled for the list's structure there
    (lower/structured.py), the gradients a list of (gW, gb) as outside."""
    params = [(np.array([[0.3, -0.2], [0.1, 0.4]]), np.array([0.1, -0.1])),
              (np.array([[0.5, 0.2], [-0.3, 0.6]]), np.array([0.0, 0.2]))]
    x = np.array([[1.0, 0.5], [-0.3, 0.7], [0.2, -1.1]])
    assert abs(grad(unrolled_step)(0.1, params, x) -
               _fd(unrolled_step, (0.1, params, x), 0)) < 1e-6
    got = grad(unrolled_step, 1)(0.1, params, x)
    for k, (W, b) in enumerate(params):
        def at(v, k=k, b=b):
            return unrolled_step(0.1, params[:k] + [(v, b)] + params[k + 1:], x)
        assert np.allclose(got[k][0], _fd(at, (W,), 0), atol=1e-6)


def dense(x, W, b):
    return np.tanh(x @ W + b)


def spread_layers(params, x):
    for block in params:
        x = dense(x, *block)
    return np.sum(x ** 2)


def spread_shape(x):
    mask = np.random.rand(*x.shape) < 0.5
    return np.sum(x * mask)


def test_spreading_an_item_of_a_list_of_tuples_argument():
    """`dense(x, *block)`, block an item of a list of (W, b) tuples passed in: refused as
    spreading "a sequence known only at run time", though its structure is known at the call;
    it is compiled there now. A shape spread (`*x.shape`) into np.random.rand is the same draw
    taking the shape whole (fixidioms): the gradient is the mask drawn, seed for seed."""
    params = [(np.array([[0.5, 0.2], [-0.3, 0.5]]), np.array([0.1, 0.1])),
              (np.eye(2), np.zeros(2))]
    x = np.array([[1.0, 2.0], [0.5, -1.0], [0.3, 0.3]])
    g = grad(spread_layers)(params, x)
    fd = _fd(lambda W: spread_layers([(W, params[0][1]), params[1]], x), (params[0][0],), 0)
    np.testing.assert_allclose(g[0][0], fd, rtol=1e-6, atol=1e-8)
    np.random.seed(3)
    g = grad(spread_shape)(x)
    np.random.seed(3)
    np.testing.assert_array_equal(g, (np.random.rand(*x.shape) < 0.5) * 1.0)


def layers_by_percent(params, x, cfg):
    h = x
    for i in range(1, cfg["L"] + 1):
        h = np.tanh(h @ params["W%d" % i] + params["b%d" % i])
    return np.sum(h ** 2) + np.sum(params["%s%d" % ("W", 1)])


def test_keys_built_with_percent_formatting():
    """`params["W%d" % i]` (cs231n's layered nets), i from a loop over a known count: refused
    as a key computed at run time, where "W" + str(i) and f"W{i}" were taken."""
    rng = np.random.default_rng(0)
    params = {k: rng.normal(size=(3, 3) if k[0] == "W" else 3) for k in ("W1", "b1", "W2", "b2")}
    g = grad(layers_by_percent)(params, X, {"L": 2})
    for key in params:
        def along(v, key=key):
            return layers_by_percent({**params, key: v}, X, {"L": 2})
        np.testing.assert_allclose(g[key], _fd(along, [params[key]], 0), rtol=1e-5, atol=1e-7)


def layers_counted_by_an_int(params, x, n):
    h = x
    for i in range(n):
        h = np.tanh(h @ params["W%d" % i])
    return np.sum(h)


def test_key_from_an_int_argument_count_read_at_run_time():
    """(Refused before: a key computed at run time is now looked up then, among the dict's.)"""
    rng = np.random.default_rng(3)
    params = {"W0": rng.normal(size=(3, 3)), "W1": rng.normal(size=(3, 3))}
    g = grad(layers_counted_by_an_int)(params, X, 2)
    for key in params:
        def along(v, key=key):
            return layers_counted_by_an_int({**params, key: v}, X, 2)
        np.testing.assert_allclose(g[key], _fd(along, [params[key]], 0), rtol=1e-5, atol=1e-7)


def masked_attention(s, m, v):
    s = np.where(m, s, np.finfo(s.dtype).min)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return np.sum(e / e.sum(axis=-1, keepdims=True) @ v)


def eps_guarded(p):
    info = np.finfo(np.float64)
    return -np.sum(np.log(np.clip(p, info.eps, 1.0 - info.eps)))


def test_fields_of_finfo():
    """np.finfo(s.dtype).min (an attention mask's fill value) and np.finfo(float).eps were
    refused as "the attribute .min of a number or array"; a field of what a function without a
    rule returns is read as written (a constant of the derivative)."""
    rng = np.random.default_rng(1)
    s, v = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    m = np.array([[1, 1, 0], [1, 0, 1]], bool)
    g = grad(masked_attention)(s, m, v)
    np.testing.assert_allclose(g, _fd(masked_attention, [s, m, v], 0), rtol=1e-5, atol=1e-8)
    assert np.all(g[~m] == 0.0)
    p = np.array([0.2, 0.5, 0.9])
    np.testing.assert_allclose(grad(eps_guarded)(p), -1.0 / p)
    np.testing.assert_allclose(hessian(eps_guarded)(p), np.diag(1.0 / p ** 2))
    tangent = jvp(masked_attention, (s, m, v), (np.ones_like(s), None, np.zeros_like(v)))[1]
    np.testing.assert_allclose(tangent, np.sum(g * (m | True)), rtol=1e-9)
