"""Defects a tester found differentiating machine-learning code written in plain NumPy (T55,
stop 42), each checked against finite differences before its fix."""
import numpy as np
import pytest

import adcompile as ad
from checks import assert_close, numeric_grad


# --- the array methods argsort, nonzero and searchsorted (top-k, masks, binning) were refused,
# though np.argsort(x), np.nonzero(x) and np.searchsorted(a, v) have rules -------------------
def top_two(x):
    idx = x.argsort()[-2:]
    return np.sum(x[idx] ** 2)


def positive_part(x):
    return np.sum(x[(x > 0).nonzero()] ** 2)


def binned(x):
    edges = np.array([-1.0, 0.0, 1.0])
    return np.sum(x * edges.searchsorted(x) + np.sin(x) * edges.searchsorted(x, side="right"))


def ranked(w, y):
    order = y.argsort(kind="stable")
    return np.sum(w[order] * np.arange(len(y)))


@pytest.mark.parametrize("f", [top_two, positive_part, binned])
def test_index_methods_of_arrays(f):
    x = np.array([0.3, -1.2, 2.0, 0.7])
    value, g = ad.value_and_grad(f)(x)
    assert value == f(x)
    assert_close(g, numeric_grad(f, (x,), 0), rtol=1e-6)
    assert_close(ad.jacfwd(f)(x), g, rtol=1e-9)


def test_argsort_method_of_data():
    w, y = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    assert_close(ad.grad(ranked)(w, y), numeric_grad(ranked, (w, y), 0), rtol=1e-6)


# --- np.logaddexp.reduce (a log-likelihood's log-sum-exp) had no rule: computed as written,
# its derivative the softmax along the axis ------------------------------------------------
def log_evidence(logits):
    return np.logaddexp.reduce(logits) - np.sum(np.logaddexp.reduce(logits.reshape(2, 2),
                                                                     axis=1) ** 2)


def test_logaddexp_reduce():
    x = np.array([0.3, -1.2, 2.0, 0.7])
    value, g = ad.value_and_grad(log_evidence)(x)
    assert value == log_evidence(x)
    assert_close(g, numeric_grad(log_evidence, (x,), 0), rtol=1e-6)
    assert_close(ad.jacfwd(log_evidence)(x), g, rtol=1e-9)
    assert_close(ad.hessian(log_evidence)(x), ad.jacfwd(ad.grad(log_evidence))(x), rtol=1e-9)
    assert_close(ad.hessian(log_evidence)(x)[1],
                 numeric_grad(lambda y: ad.grad(log_evidence)(y)[1], (x,), 0), rtol=1e-5)


# --- `block(x, **p)` of a dict read out of an argument (`for p in params["blocks"]`,
# `**ps[0]`, `d = params["l1"]`: picoGPT's layers) was refused as "a mapping known only at run
# time": its keys are known at the first call, as a dict argument's are --------------------
def _lin(x, w, b):
    return x @ w + b


def layers(ps, x):
    for p in ps:
        x = np.tanh(_lin(x, **p))
    return np.sum(x ** 2)


def first_layer(ps, x):
    return np.sum(np.tanh(_lin(x, **ps[0])))


def named_layer(params, x):
    d = params["l1"]
    return np.sum(_lin(x, **d) ** 2)


def _flat_check(f, params, x):
    g = ad.grad(f)(params, x)
    leaves = [(path, v) for path, v in _leaves(params)]
    for path, v in leaves:
        def moved(a, path=path):
            return f(_replaced(params, path, a), x)
        assert_close(_get(g, path), numeric_grad(moved, (v,), 0), rtol=1e-6)


def _leaves(tree, path=()):
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(tree, list):
        for k, v in enumerate(tree):
            yield from _leaves(v, path + (k,))
    else:
        yield path, tree


def _get(tree, path):
    for k in path:
        tree = tree[k]
    return tree


def _replaced(tree, path, value):
    if not path:
        return value
    out = dict(tree) if isinstance(tree, dict) else list(tree)
    out[path[0]] = _replaced(tree[path[0]], path[1:], value)
    return out


def test_spreading_a_dict_read_out_of_an_argument():
    rng = np.random.default_rng(0)
    p = {"w": rng.standard_normal((2, 2)), "b": np.ones(2)}
    q = {"w": rng.standard_normal((2, 2)), "b": np.zeros(2)}
    x = rng.standard_normal(2)
    _flat_check(layers, [p, q], x)
    _flat_check(first_layer, [p, q], x)
    _flat_check(named_layer, {"l1": p}, x)


# --- appending to a module's list inside the loss (logging) said only "this append is not
# supported"; it names the list and what to do ------------------------------------------------
history = []


def logged_loss(w):
    loss = np.sum(w ** 2)
    history.append(loss)
    return loss


def test_appending_to_a_global_list_says_why():
    with pytest.raises(ad.UnsupportedSyntaxError,
                       match=r"test_ml_found2.py:\d+: appending to history, a list of the module "
                             r".*value_and_grad"):
        ad.grad(logged_loss)(np.ones(2))


# --- np.log(p, where=p > 0, out=...) (entropy's 0 log 0) was refused naming only the keywords
# np.log takes; it says how to write it (np.where) ----------------------------------------------
def entropy_where(p):
    return -np.sum(p * np.log(p, where=p > 0, out=np.zeros_like(p)))


def entropy_np_where(p):
    return -np.sum(p * np.where(p > 0, np.log(np.where(p > 0, p, 1.0)), 0.0))


def test_a_ufuncs_where_keyword_says_how_to_write_it():
    with pytest.raises(ad.UnsupportedSyntaxError, match=r"test_ml_found2.py:\d+: the argument "
                                                        r"where= of np.log .*np.where"):
        ad.grad(entropy_where)(np.array([0.5, 0.5, 0.0]))
    p = np.array([0.5, 0.25, 0.25, 0.0])
    assert_close(ad.grad(entropy_np_where)(p)[:3], -np.log(p[:3]) - 1.0, rtol=1e-12)
