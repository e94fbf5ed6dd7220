"""Found by a tester's sweep of deep-learning code ported to NumPy (T51): np.maximum/np.minimum
(and np.fmax/np.fmin) split a tie evenly, as JAX and PyTorch do, so the stable BCE-with-logits
and softplus formulas, written with two kinks at the same point, get sigmoid(0) = 0.5 at a zero
logit (the old convention, all to the first operand, gave 1); Python's max(x, y) keeps following
the object it returns."""
import numpy as np
import pytest

import adcompile as ad
from checks import agree, assert_close, inner, numeric_grad


# --- 1. ties of np.maximum / np.minimum / np.fmax / np.fmin split evenly ------------------------
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def bce_with_logits(w, X, y):
    z = X @ w
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def softplus(x):
    return np.sum(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))


def softplus_min(x):  # softplus(x) = x - min(x, 0) + log1p(exp(-|x|))
    return np.sum(x - np.minimum(x, 0.0) + np.log1p(np.exp(-np.abs(x))))


def relu_sum(x):
    return np.sum(np.maximum(x, 0.0) ** 2 + np.maximum(x, 0.0))


X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
Y = np.array([1.0, 0.0, 1.0])


def test_bce_with_logits_at_zero_is_the_exact_sigmoid_gradient():
    w = np.zeros(2)
    exact = X.T @ (sigmoid(X @ w) - Y) / 3
    assert_close(ad.grad(bce_with_logits)(w, X, Y), exact, rtol=1e-12, atol=1e-14)
    d = np.array([0.3, -0.7])
    _, t = ad.jvp(bce_with_logits, (w, X, Y), (d, np.zeros_like(X), np.zeros(3)))
    assert np.isclose(t, exact @ d, rtol=1e-12)


@pytest.mark.parametrize("f", [softplus, softplus_min])
def test_softplus_written_with_kinks_is_sigmoid_at_zero(f):
    x = np.array([0.0, 0.0, 1.5, -2.0])
    assert_close(ad.grad(f)(x), sigmoid(x), rtol=1e-12, atol=1e-14)
    assert_close(ad.jvp(f, (x,), (np.ones(4),))[1], np.sum(sigmoid(x)), rtol=1e-12)
    assert_close(numeric_grad(f, (x,), 0), sigmoid(x), rtol=1e-6)


def test_relu_by_maximum_at_zero_is_one_half():
    x = np.array([0.0, 1.0, -1.0])
    assert_close(ad.grad(relu_sum)(x), [0.5, 3.0, 0.0])
    assert_close(ad.grad(lambda a: np.sum(np.minimum(a, 0.0)))(x), [0.5, 0.0, 1.0])


def ties(x, y):
    return np.sum(np.maximum(x, y) * np.minimum(y, x) + np.fmax(x, 2 * y) ** 2
                  - np.fmin(y, x) * x)


def test_ties_split_evenly_in_both_modes_and_operands():
    x, y = np.array([1.0, 2.0, -1.0, 0.5]), np.array([1.0, 3.0, -1.0, 0.25])
    gx, gy = ad.grad(ties, argnums=(0, 1))(x, y)
    # by hand: at a tie each of max, min, fmax, fmin is (x + y) / 2 in its derivative
    h = 0.5
    max_x = np.array([h, 0.0, h, 1.0])
    min_x = np.array([h, 1.0, h, 0.0])
    fmax_x = np.array([0.0, 0.0, 1.0, h])  # x vs 2y: 1 < 2, 2 < 6, -1 > -2, a tie 0.5 == 0.5
    mx, mn = np.maximum(x, y), np.minimum(x, y)
    fx, fn = np.fmax(x, 2 * y), np.fmin(y, x)
    want_x = max_x * mn + mx * min_x + 2 * fx * fmax_x - (min_x * x + fn)
    want_y = (1 - max_x) * mn + mx * (1 - min_x) + 2 * fx * 2 * (1 - fmax_x) - (1 - min_x) * x
    assert_close(gx, want_x, rtol=1e-12, atol=1e-14)
    assert_close(gy, want_y, rtol=1e-12, atol=1e-14)
    # the dot-product test: jvp along (u, v) is <grad, (u, v)>
    u, v = np.array([0.3, -0.2, 0.7, 1.1]), np.array([-0.5, 0.4, 0.9, 0.2])
    _, t = ad.jvp(ties, (x, y), (u, v))
    assert np.isclose(t, inner((gx, gy), (u, v)), rtol=1e-12)
    _, pullback = ad.vjp(ties, x, y)
    assert_close(pullback(1.0)[0], gx, rtol=1e-12)


def maxsq(x):
    return np.sum(np.maximum(x, x[::-1]) ** 2 + np.minimum(x ** 2, 1.0))


def test_ties_in_the_hessian():
    x = np.array([1.0, 0.5, 1.0])  # x[0] ties x[2]; x[0] ** 2 and x[2] ** 2 tie 1.0
    hf = ad.hessian(maxsq)(x)
    # max(x, x[::-1]) ** 2 at the tie 0 <-> 2: d/dx0 = 2 m (1/2 + 1/2 ... per entry)
    want = np.zeros((3, 3))
    # entries 0 and 2: m = max(x0, x2), each entry's square contributes the Hessian of m ** 2
    # with dm = (dx0 + dx2) / 2 (twice: entries 0 and 2): 2 * 2 * (1/2)(1/2) = 1 each
    want[np.ix_([0, 2], [0, 2])] = 1.0
    want[1, 1] = 2.0 + 2.0  # max(x1, x1) ** 2 = x1 ** 2 and min(x1 ** 2, 1) = x1 ** 2
    # min(x0 ** 2, 1) at x0 == 1: a tie: half of x0 ** 2's second derivative, 1
    want[0, 0] += 1.0
    want[2, 2] += 1.0
    assert_close(hf, want, rtol=1e-12, atol=1e-14)
    assert_close(ad.jacfwd(ad.grad(maxsq))(x), want, rtol=1e-12, atol=1e-14)


def builtin_max(x, y):
    return max(x, y) * 3.0 + min(x, y)


def test_python_max_follows_the_object_it_returns():
    # max(1.0, 1.0) is its first argument, min(1.0, 1.0) too: the derivative follows it
    assert ad.grad(builtin_max, argnums=(0, 1))(1.0, 1.0) == (4.0, 0.0)


def clipped(x):
    return np.sum(np.clip(x, 0.0, 1.0))


def test_clip_at_a_bound_keeps_its_documented_convention():
    assert_close(ad.grad(clipped)(np.array([0.0, 1.0, 0.5])), [1.0, 1.0, 1.0])


def jit_ties(x):
    return np.sum(np.maximum(x, 0.0) * 2.0 + np.minimum(x, x[::-1]) + np.fmax(x, 0.0)
                  + np.fmin(x, 1.0))


def test_ties_under_jit():
    pytest.importorskip("numba")
    x = np.array([0.0, 1.0, -1.0, 0.0])
    assert_close(ad.jit(ad.grad(jit_ties))(x), ad.grad(jit_ties)(x), rtol=1e-12)
    # x[0]: 2 * 1/2 (max tie) + 1/2 + 1/2 (min(x0, x3) tied, twice) + 1/2 (fmax tie) + 1 (fmin)
    assert_close(ad.grad(jit_ties)(x), [3.5, 2 + 1 + 0.5, 1 + 1 + 1, 3.5])
    x = np.array([0.3, 1.7, -1.2, 0.6])
    agree(jit_ties, x)


def test_float32_stays_float32_at_a_tie():
    g = ad.grad(softplus)(np.zeros(3, np.float32))
    assert g.dtype == np.float32
    assert_close(g, [0.5, 0.5, 0.5])


# --- 2. np.lib.stride_tricks.sliding_window_view: the NumPy conv/pool idiom --------------------
swv = np.lib.stride_tricks.sliding_window_view
RNG = np.random.default_rng(5)


def conv1d(x, w):
    return np.sum(np.sin(swv(x, w.shape[0]) @ w))


def conv2d(x, k):
    return np.sum(np.tanh(np.einsum("ijkl,kl->ij", swv(x, k.shape), k)) ** 2)


def along_axis(x):
    return np.sum(np.cos(swv(x, 3, axis=1)) * np.arange(3.0))


def twice_on_one_axis(x):
    return np.sum(swv(x, (2, 3), axis=(0, 0)) ** 2 * np.arange(6.0).reshape(2, 3))


def pool(x):  # 2x2 max pooling with stride 2
    return np.sum(np.max(swv(x, (2, 2))[::2, ::2], axis=(2, 3)) ** 2)


def avg_pool(x):
    return np.sum(np.sin(np.mean(swv(x, (2, 2), axis=(0, 1))[::2, ::2], axis=(-1, -2))))


@pytest.mark.parametrize("f, shapes", [(conv1d, [(7,), (3,)]), (conv2d, [(5, 6), (2, 3)]),
                                       (along_axis, [(3, 6)]), (twice_on_one_axis, [(6, 2)]),
                                       (pool, [(4, 6)]), (avg_pool, [(4, 6)])])
def test_sliding_window_view_against_finite_differences(f, shapes):
    args = tuple(RNG.normal(size=s) for s in shapes)
    for k in range(len(args)):
        assert_close(ad.grad(f, argnums=k)(*args), numeric_grad(f, args, k), rtol=1e-6,
                     atol=1e-8)
    ts = tuple(RNG.normal(size=s) for s in shapes)
    _, t = ad.jvp(f, args, ts)
    assert np.isclose(t, inner(ad.grad(f, argnums=tuple(range(len(args))))(*args), ts),
                      rtol=1e-10)


def test_sliding_window_view_hessian_of_a_small_conv():
    x, w = RNG.normal(size=5), RNG.normal(size=2)
    h = ad.hessian(conv1d)(x, w)
    assert_close(h, ad.jacfwd(ad.grad(conv1d))(x, w), rtol=1e-10, atol=1e-12)
    fd = np.stack([numeric_grad(lambda a, k=k: ad.grad(conv1d)(a, w)[k], (x,), 0)
                   for k in range(5)])
    assert_close(h, fd, rtol=1e-5, atol=1e-7)
    hw = ad.hessian(conv1d, argnums=1)(x, w)
    assert_close(hw, ad.jacrev(ad.grad(conv1d, argnums=1), argnums=1)(x, w), rtol=1e-10)


def write_into_windows(x):
    v = swv(x, 3)
    v[0, 0] = 1.0
    return np.sum(v)


def writeable_windows(x):
    return np.sum(swv(x, 3, writeable=True) ** 2)


def test_sliding_window_view_stays_read_only():
    x = np.arange(5.0)
    with pytest.raises(ValueError, match="read-only"):
        write_into_windows(x)
    for mode in (lambda: ad.grad(write_into_windows)(x),
                 lambda: ad.jvp(write_into_windows, (x,), (x,))):
        with pytest.raises(ValueError, match="read-only"):
            mode()
    with pytest.raises(ad.NoDerivativeError):
        ad.grad(writeable_windows)(x)


def test_sliding_window_view_float32_stays_float32():
    g = ad.grad(conv1d)(np.ones(6, np.float32), np.ones(2, np.float32))
    assert g.dtype == np.float32


# --- 3. a function picked by a string: grad and vjp take it as jvp does --------------------------
def by_default_name(x, act="tanh"):
    return np.sum(getattr(np, act)(x))


def by_name(x, act):
    return np.sum(getattr(np, act)(x) ** 2)


ACTS = {"tanh": np.tanh, "sin": np.sin, "relu": lambda z: np.maximum(z, 0.0)}
CFG = {"acts": ["tanh", "sin", "relu"]}
NAMES = ("sin", "tanh")


def net_from_config(Ws, x):
    for W, name in zip(Ws, CFG["acts"]):
        x = ACTS[name](x @ W)
    return np.sum(x ** 2)


def net_from_names(W, x):
    for name in NAMES:
        x = ACTS[name](x @ W)
    return np.sum(x ** 2)


def net_from_cfg_argument(W, x, cfg):
    return np.sum(ACTS[cfg["act"]](x @ W))


def test_getattr_with_a_string_argument_in_every_mode():
    x = np.array([0.1, 0.2, -0.3])
    assert_close(ad.grad(by_default_name)(x), 1 - np.tanh(x) ** 2, rtol=1e-12)
    assert_close(ad.grad(by_default_name)(x, "sin"), np.cos(x), rtol=1e-12)
    assert_close(ad.vjp(by_default_name, x)[1](1.0)[0], 1 - np.tanh(x) ** 2, rtol=1e-12)
    assert_close(ad.grad(by_name)(x, "sin"), 2 * np.sin(x) * np.cos(x), rtol=1e-12)
    value, pullback = ad.vjp(by_name, x, "cos")
    assert np.isclose(value, by_name(x, "cos"))
    assert_close(pullback(1.0)[0], -2 * np.cos(x) * np.sin(x), rtol=1e-12)
    _, t = ad.jvp(by_name, (x, "cos"), (np.ones(3), None))
    assert np.isclose(t, np.sum(pullback(1.0)[0]), rtol=1e-12)


def test_function_picked_from_a_config_of_constant_strings():
    x = RNG.normal(size=(2, 3))
    Ws = [RNG.normal(size=(3, 3)) for _ in range(3)]
    gs = ad.grad(net_from_config)(Ws, x)
    for k in range(3):
        def at(W, k=k):
            return net_from_config(Ws[:k] + [W] + Ws[k + 1:], x)
        assert_close(gs[k], numeric_grad(at, (Ws[k],), 0), rtol=1e-6, atol=1e-8)
    W = RNG.normal(size=(3, 3))
    assert_close(ad.grad(net_from_names)(W, x), numeric_grad(net_from_names, (W, x), 0),
                 rtol=1e-6, atol=1e-8)
    assert_close(ad.grad(net_from_cfg_argument)(W, x, {"act": "sin"}),
                 numeric_grad(lambda a: net_from_cfg_argument(a, x, {"act": "sin"}), (W,), 0),
                 rtol=1e-6, atol=1e-8)


def test_a_changed_config_gives_a_new_derivative():
    x, W = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 3))
    before = ad.grad(net_from_names)(W, x)
    global NAMES
    NAMES = ("tanh", "tanh", "tanh")
    try:
        assert_close(ad.grad(net_from_names)(W, x), numeric_grad(net_from_names, (W, x), 0),
                     rtol=1e-6, atol=1e-8)
    finally:
        NAMES = ("sin", "tanh")
    CFG["acts"].append("sin")
    try:
        Ws = [RNG.normal(size=(3, 3)) for _ in range(4)]
        assert_close(ad.grad(net_from_config)(Ws, x)[3],
                     numeric_grad(lambda a: net_from_config(Ws[:3] + [a], x), (Ws[3],), 0),
                     rtol=1e-6, atol=1e-8)
    finally:
        CFG["acts"].pop()
    assert_close(ad.grad(net_from_names)(W, x), before, rtol=1e-12)


# --- 4. grad called with a dict inside a differentiated function: refused (naming grad(loss) as
# the user wrote it) until fixinside41 compiled such a derivative for the dict's structure -------
def maml_step(p, x):
    def loss(q):
        return np.sum(x * q["W"])
    g = ad.grad(loss)(p)
    return np.sum(g["W"] * p["W"])


def test_grad_with_a_dict_inside_is_taken():
    p, x = {"W": np.array([1.0, 2.0])}, np.array([0.5, -1.5])
    assert_close(ad.grad(maml_step)(p, x)["W"], x)
    assert_close(ad.grad(maml_step, 1)(p, x), p["W"])
