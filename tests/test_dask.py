"""Generated gradients on Dask arrays: lazy results, nothing computed while the graph is built,
no chunk larger than an input chunk, NumPy's values; and on a distributed LocalCluster."""
import numpy as np
import pytest
from backend_cases import cases

from adcompile import grad, jvp, value_and_grad

da = pytest.importorskip("dask.array")
import dask  # noqa: E402
from dask.callbacks import Callback  # noqa: E402

# Rows in chunks of 10; no intermediate (the MLP's hidden layer) is wider than the input.
CASES = cases(n=40, d=6, h=5, o=3)
CHUNKS = 10


def lazy(a):
    """`a` as a Dask array in chunks of CHUNKS rows, held in the graph chunk by chunk."""
    chunks = (CHUNKS,) + a.shape[1:] if a.shape[0] == 40 else a.shape
    return da.from_array(a, chunks=chunks).persist(scheduler="sync")


class Counting:
    """A scheduler that counts the computations asked of it."""

    def __init__(self):
        self.computes = 0

    def __call__(self, dsk, keys, **kwargs):
        self.computes += 1
        return dask.get(dsk, keys, **kwargs)


def _arrays(v):
    """The NumPy arrays held in a graph value (a task, its arguments, a literal)."""
    if isinstance(v, np.ndarray):
        yield v
    elif isinstance(v, (list, tuple, set, frozenset)):
        for e in v:
            yield from _arrays(e)
    elif isinstance(v, dict):
        for e in v.values():
            yield from _arrays(e)
    else:
        for attr in ("args", "kwargs", "value"):  # dask's Task and DataNode
            if hasattr(v, attr) and not callable(getattr(v, attr)):
                yield from _arrays(getattr(v, attr))


def _largest_result(results):
    """The largest task result in bytes when `results` (Dask arrays) are computed (but for the
    last step, which joins each result's chunks into one NumPy array)."""
    sizes = []

    class Sizes(Callback):
        def _posttask(self, key, result, dsk, state, id):
            if not str(key).startswith("finalize"):
                sizes.append(getattr(result, "nbytes", 0))

    with Sizes():
        out = dask.compute(*results, scheduler="sync")
    return max(sizes), out


@pytest.mark.parametrize("mode", ["grad", "value_and_grad", "jvp"])
@pytest.mark.parametrize("name, f, args, argnums", CASES, ids=[c[0] for c in CASES])
def test_lazy_and_equal_to_numpy(name, f, args, argnums, mode):
    inputs = tuple(lazy(a) for a in args)
    largest_chunk = max(c.nbytes for x in inputs for c in _arrays(dict(x.__dask_graph__())))
    count = Counting()
    with dask.config.set(scheduler=count):
        if mode == "jvp":
            tangents = tuple(lazy(np.ones_like(a)) for a in args)
            got = jvp(f, inputs, tangents)
            want = jvp(f, args, tuple(np.ones_like(a) for a in args))
        else:
            make = grad if mode == "grad" else value_and_grad
            got = make(f, argnums=argnums)(*inputs)
            want = make(f, argnums=argnums)(*args)
    assert count.computes == 0, f"{count.computes} computations while the graph was built"
    got, want = _leaves(got), _leaves(want)
    assert all(isinstance(g, da.Array) for g in got), [type(g) for g in got]
    graph_arrays = [a.nbytes for g in got for a in _arrays(dict(g.__dask_graph__()))]
    assert max(graph_arrays) <= largest_chunk, "a NumPy array larger than an input chunk in graph"
    largest, values = _largest_result(got)
    assert largest <= largest_chunk, f"a chunk of {largest} bytes, inputs' of {largest_chunk}"
    for v, w in zip(values, want):
        np.testing.assert_allclose(v, w, rtol=1e-12, atol=1e-14)


def _leaves(v):
    return [e for part in v for e in _leaves(part)] if type(v) in (tuple, list) else [v]


def test_float32_stays_float32_on_dask():
    name, f, args, argnums = CASES[1]
    inputs = tuple(lazy(a.astype(np.float32)) for a in args)
    value, (g1, g2) = value_and_grad(f, argnums=argnums)(*inputs)
    assert value.dtype == g1.dtype == g2.dtype == np.float32


@pytest.mark.parametrize("name, f, args, argnums", CASES, ids=[c[0] for c in CASES])
def test_unknown_chunk_sizes(name, f, args, argnums):
    """Rows chosen by a mask: Dask knows their number only when it computes (nan chunks)."""
    keep = np.arange(40) % 4 != 1

    def masked(a):
        return lazy(a)[da.from_array(keep, chunks=CHUNKS)] if a.shape[0] == 40 else lazy(a)

    inputs = tuple(masked(a) for a in args)
    assert any(np.isnan(x.shape[0]) for x in inputs)
    count = Counting()
    with dask.config.set(scheduler=count):
        got = grad(f, argnums=argnums)(*inputs)
    assert count.computes == 0
    want = grad(f, argnums=argnums)(*(a[keep] if a.shape[0] == 40 else a for a in args))
    for g, w in zip(_leaves(got), _leaves(want)):
        np.testing.assert_allclose(g.compute(scheduler="sync"), w, rtol=1e-12, atol=1e-14)


def biased(x, b, c):
    return np.sum(np.tanh(x + b) * c)


def test_unknown_lengths_beside_broadcast_operands():
    """The gradients of b (1, 3) and c (1, 1), broadcast against x's rows of unknown number, are
    summed over those rows without computing how many there are."""
    keep = np.arange(40) % 3 != 0
    x, b, c = np.arange(120.0).reshape(40, 3) / 100, np.ones((1, 3)), np.full((1, 1), 2.0)
    rows = lazy(x)[da.from_array(keep, chunks=CHUNKS)]
    count = Counting()
    with dask.config.set(scheduler=count):
        got = grad(biased, argnums=(0, 1, 2))(rows, b, c)
    assert count.computes == 0
    want = grad(biased, argnums=(0, 1, 2))(x[keep], b, c)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.compute(scheduler="sync"), w, rtol=1e-12)


def row_plus_rows(x, B):
    return np.sum(np.tanh(x[1] + B) * x[0, :]) + x[1, 2]


def test_indexing_outside_a_loop():
    """The gradient of x[1] went through np.add.at, which Dask arrays do not take (TypeError);
    with a basic index there are no repeated indices, and the share is added by item assignment
    (B's rows broadcast x[1]: its share is summed over them first)."""
    x, B = np.arange(8.0).reshape(2, 4) / 10, np.linspace(-1, 1, 12).reshape(3, 4)
    count = Counting()
    with dask.config.set(scheduler=count):
        got = grad(row_plus_rows, argnums=(0, 1))(lazy(x), lazy(B))
    assert count.computes == 0
    want = grad(row_plus_rows, argnums=(0, 1))(x, B)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.compute(scheduler="sync"), w, rtol=1e-12)


def test_logistic_gradient_on_a_local_cluster():
    distributed = pytest.importorskip("distributed")
    name, f, args, argnums = CASES[0]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster):
        w, X, y = args
        X = da.from_array(X, chunks=(CHUNKS, X.shape[1]))
        y = da.from_array(y, chunks=CHUNKS)
        got = grad(f)(w, X, y).compute()
    np.testing.assert_allclose(got, grad(f)(*args), rtol=1e-12)
