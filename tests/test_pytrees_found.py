"""Defects a tester found at the API boundary for container (pytree) arguments and outputs: a list
argument changed in a loop (grad's result type, a loop with a break, hessian), an int output,
the gradient of an argument the function never reads, a SimpleNamespace argument. Values are
checked against plain Python and finite differences, and the structure (type, keys, shapes)."""
import dataclasses
import types
from collections import namedtuple

import numpy as np
import pytest

import adcompile as ad
from adcompile import ADCompileError

P = namedtuple("P", "a b")


@dataclasses.dataclass
class D:
    a: float


def same(got, want):
    """`got` has `want`'s structure (type, keys, length, shapes) and values."""
    assert type(got) is type(want), (got, want)
    if isinstance(want, dict):
        assert list(got) == list(want)
        for k in want:
            same(got[k], want[k])
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            same(g, w)
    elif dataclasses.is_dataclass(want) or isinstance(want, types.SimpleNamespace):
        assert vars(got).keys() == vars(want).keys()
        for k in vars(want):
            same(getattr(got, k), getattr(want, k))
    else:
        assert np.shape(got) == np.shape(want)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)


def fd_list(f, xs, eps=1e-6):
    """The gradient of f at the list xs by central differences (on copies: f changes xs)."""
    out = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += eps
        down[i] -= eps
        out.append((f(up) - f(down)) / (2 * eps))
    return out


# --- 1. a list argument changed in a loop: grad gives a list, also with a break ---------------
def doubles(xs):
    for i in range(2):
        xs[i] = xs[i] * 2.0
    return xs[0] + xs[1]


def product_loop(xs):
    for i in range(2):
        xs[0] = xs[0] * xs[1]
    return xs[0]  # x0 * x1**2


def with_break(p, x):
    for i in range(2):
        p[1] += p[2] * x
        if p[0] > 1.5:
            break
        p[1] = p[2] * x
    return p[1]


def rows(m):
    for i in range(2):
        m[i][0] = m[i][0] * m[i][1]
    return m[0][0] + 2.0 * m[1][0]


@pytest.mark.parametrize("f", [doubles, product_loop])
def test_list_argument_changed_in_loop_grad_is_list(f):
    xs = [1.5, 2.0]
    same(ad.grad(f)(list(xs)), fd_list(f, xs))
    value, pullback = ad.vjp(f, list(xs))
    assert value == f(list(xs))
    same(pullback(1.0)[0], fd_list(f, xs))


def test_list_of_lists_argument_changed_in_loop():
    m = [[1.5, 2.0], [0.5, 3.0]]
    same(ad.grad(rows)([list(r) for r in m]), [[2.0, 1.5], [6.0, 1.0]])


def test_list_argument_loop_with_break():
    p, x = [0.3, 1.0, 0.9], 1.1
    assert abs(with_break(list(p), x) - 0.99) < 1e-12
    gp, gx = ad.grad(with_break, (0, 1))(list(p), x)
    same(gp, fd_list(lambda q: with_break(q, x), p))
    same(gx, 0.9)


# --- 2. hessian of such a function: the blocks, not None --------------------------------------
def test_hessian_list_argument_changed_in_loop():
    want = [[0.0, 4.0], [4.0, 3.0]]
    for h in (ad.hessian(product_loop), ad.jacfwd(ad.grad(product_loop))):
        got = h([1.5, 2.0])
        assert got is not None
        np.testing.assert_allclose(np.array(got, dtype=float), want, atol=1e-9)
        assert isinstance(got, list) and all(isinstance(r, list) for r in got)


# --- 3. an int output on the path taken: a zero Jacobian --------------------------------------
def early_zero(x):
    if np.sum(x) < 0:
        return 0
    return np.sum(x ** 2)


def early_zero_pair(x):
    if np.sum(x) < 0:
        return (0, np.sum(x))
    return (np.sum(x), np.sum(x))


@pytest.mark.parametrize("jac", [ad.jacrev, ad.jacfwd])
def test_jacobian_of_int_output(jac):
    x = np.array([-1.0, 0.5])
    same(jac(early_zero)(x), np.zeros(2))
    same(jac(early_zero)(np.array([1.0, 0.5])), np.array([2.0, 1.0]))
    got = jac(early_zero_pair)(x)
    assert type(got) is tuple
    same(got[0], np.zeros(2))
    same(got[1], np.ones(2))


# --- 4. the gradient of a container argument the function never reads ------------------------
def unused(p, y):
    return y * 2.0


@pytest.mark.parametrize("arg, want", [
    ({"a": 1.0}, {"a": 0.0}),
    (P(1.0, 2.0), P(0.0, 0.0)),
    (D(1.0), D(0.0)),
    ((1.0, np.ones(2)), (0.0, np.zeros(2))),
    ([1.0, np.ones(2)], [0.0, np.zeros(2)]),
])
def test_gradient_of_unread_container(arg, want):
    same(ad.grad(unused)(arg, 1.0), want)
    gp, gy = ad.grad(unused, (0, 1))(arg, 1.0)
    same(gp, want)
    same(gy, 2.0)
    value, pullback = ad.vjp(unused, arg, 1.0)
    assert value == 2.0
    gp, gy = pullback(1.0)
    same(gp, want)
    same(gy, 2.0)


# --- 5. a types.SimpleNamespace argument ------------------------------------------------------
def of_namespace(p):
    return p.a * p.b ** 2


def test_simplenamespace_argument():
    p = types.SimpleNamespace(a=1.5, b=2.0)
    same(ad.grad(of_namespace)(p), types.SimpleNamespace(a=4.0, b=6.0))
    value, tangent = ad.jvp(of_namespace, (p,), (types.SimpleNamespace(a=1.0, b=0.0),))
    assert (value, tangent) == (6.0, 4.0)


# --- also noted: messages ---------------------------------------------------------------------
def test_hessian_of_non_scalar_function_names_the_place():
    with pytest.raises(ADCompileError) as e:
        ad.hessian(np.sin)(np.array([0.1, 0.2]))
    assert "scalar" in str(e.value)
    assert e.value.filename == __file__  # the line that called it: np.sin has none


def test_jvp_slice_primal_message():
    def f(x, s):
        return np.sum(x[s])
    with pytest.raises(ADCompileError) as e:
        ad.jvp(f, (np.ones(3), slice(0, 2)), (np.ones(3), slice(0, 2)))
    assert "primal 1 is a slice" in str(e.value)
    assert e.value.filename == __file__


# --- the same copy (`p_1 = p`, a loop's) of a dict argument changed in a loop ----------------
def dict_loop(p, x):
    for i in range(2):
        p["w"] = p["w"] * x
    return p["w"] + p["b"]


def dict_product_loop(p):
    for i in range(2):
        p["a"] = p["a"] * p["b"]
    return p["a"]


def test_dict_argument_changed_in_loop():
    p = {"w": 1.0, "b": 1.0}
    same(ad.grad(dict_loop)(dict(p), 2.0), {"w": 4.0, "b": 1.0})
    same(ad.grad(dict_loop, 1)(dict(p), 2.0), 4.0)
    h = ad.hessian(dict_product_loop)({"a": 1.5, "b": 2.0})
    assert list(h) == ["a", "b"] and all(list(row) == ["a", "b"] for row in h.values())
    np.testing.assert_allclose([[h[i][j] for j in "ab"] for i in "ab"], [[0.0, 4.0], [4.0, 3.0]])


def scaled_by_mode(x, mode):
    scale = {"a": 1.0, "b": 2.0}[mode]
    return scale * x ** 2


def test_a_str_argument_keys_a_dict_in_every_mode():
    """T13: a str argument indexing a dict the function writes is a constant of the code
    compiled for it, in reverse mode as in forward mode (grad, vjp and hessian refused it as
    a key computed at run time)."""
    assert ad.jvp(scaled_by_mode, (0.7, "b"), (1.0, None))[1] == pytest.approx(2.8)
    assert ad.grad(scaled_by_mode)(0.7, "b") == pytest.approx(2.8)
    assert ad.grad(scaled_by_mode)(0.7, "a") == pytest.approx(1.4)
    assert ad.vjp(scaled_by_mode, 0.7, "b")[1](1.0)[0] == pytest.approx(2.8)
    assert ad.hessian(scaled_by_mode)(0.7, "b") == pytest.approx(4.0)
    with pytest.raises(ADCompileError, match="has no field 'c'"):
        ad.grad(scaled_by_mode)(0.7, "c")


# --- a tangent or cotangent that is a namedtuple of other fields (T26) ---------------------------
P2 = namedtuple("P2", "a b")
Q2 = namedtuple("Q2", "b a")


def weighted_fields(o):
    return o.a * 3.0 + o.b * 5.0


def made_fields(x):
    return P2(x * 3.0, x * 5.0)


def test_a_namedtuple_of_other_fields_as_tangent_or_cotangent_is_refused():
    """Matched by position, Q2(b=0, a=1) put 1 into P2's b: 5.0 for 3.0, silently."""
    with pytest.raises(ad.ArgumentError, match="fields"):
        ad.jvp(weighted_fields, (P2(1.0, 2.0),), (Q2(b=0.0, a=1.0),))
    _, pullback = ad.vjp(made_fields, 1.0)
    with pytest.raises(ad.ArgumentError, match="fields"):
        pullback(Q2(b=0.0, a=1.0))
    # the same class is taken; a plain tuple is refused too, as JAX refuses it (T53 10)
    assert ad.jvp(weighted_fields, (P2(1.0, 2.0),), (P2(1.0, 0.0),))[1] == 3.0
    with pytest.raises(ad.ArgumentError, match="should be a P2 with fields"):
        ad.jvp(weighted_fields, (P2(1.0, 2.0),), ((0.0, 1.0),))
    assert pullback(P2(1.0, 0.0)) == (3.0,)


# --- a dict output whose key comes from a config argument, in vjp (T26) --------------------------
def keyed_by_config(x, cfg):
    return {cfg["name"]: x * 2.0, "other": x ** 2}


def test_vjp_of_a_dict_keyed_by_a_config_argument():
    """Refused by vjp alone as "a key computed at run time": the key is known at the call."""
    out, pullback = ad.vjp(keyed_by_config, 1.5, {"name": "a"})
    assert out == {"a": 3.0, "other": 2.25}
    assert pullback({"a": 1.0, "other": 0.0})[0] == 2.0
    assert pullback({"a": 0.0, "other": 1.0})[0] == 3.0


def _whole_sum(v):
    return np.sum(v)


def _whole_mean(v):
    return np.mean(v)


def _whole_var(v):
    return np.var(v)


def _whole_doubled(v):
    return np.asarray(v) * 2.0


def test_vjp_of_a_list_read_whole_by_numpy():
    """vjp of a function reading a list argument only through a NumPy function (np.sum(xs)) ran
    the code compiled for arrays on the list: the pullback returned one number for the whole list
    (1.0 for [1.0, 1.0, 1.0, 1.0]), a bare array for np.var, a tuple for a list (T35). It is
    compiled for the list's structure, as jvp, jacfwd and jacrev are."""
    xs = [0.3, 1.2, -0.5, 2.0]
    mean = float(np.mean(xs))
    centred = [(x - mean) / 2 for x in xs]  # (a comprehension beside a lambda: 3.10 cannot
    cases = [(_whole_sum, 1.0, [1.0] * 4),  # tell which code is on the line)
             (_whole_mean, 1.0, [0.25] * 4),
             (_whole_var, 1.0, centred),
             (_whole_doubled, np.ones(4), [2.0] * 4)]
    for f, cotangent, want in cases:
        value, pullback = ad.vjp(f, xs)
        np.testing.assert_allclose(value, f(xs))
        (got,) = pullback(cotangent)
        same(got, want)


def test_grad_of_a_non_scalar_made_of_a_list_is_refused_by_name():
    """value_and_grad of np.asarray(xs) * 2 with a list xs crashed (IndexError in the backward
    sweep, before the check that the output is a scalar): the same message as for an array."""
    with pytest.raises(ADCompileError, match="scalar output"):
        ad.value_and_grad(lambda v: np.asarray(v) * 2.0)([0.3, 1.2])
