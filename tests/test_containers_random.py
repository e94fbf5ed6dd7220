"""Random nested containers (dicts, tuples, lists, namedtuples, dataclasses, objects, with int,
string and None fields among the leaves) through grad, value_and_grad, vjp and jvp.

Each case writes a function that reads every float leaf by its path (`p["a"][1].u`) and returns
the sum of `c * sin(leaf)`; the exact gradient is `c * cos(leaf)` in the argument's structure,
with None at the leaves without one. jvp is checked against the same numbers."""
import dataclasses
import importlib.util
import random
from collections import namedtuple

import numpy as np
import pytest

from adcompile import grad, jvp, value_and_grad, vjp
from adcompile.pytree import flatten

Pair = namedtuple("Pair", "x y")


@dataclasses.dataclass
class Cell:
    u: object
    v: object


class Box:
    def __init__(self, inner, tag):
        self.inner = inner
        self.tag = tag


def _make(rng, depth):
    """(value, [(access path, float leaf)])"""
    kind = rng.choice(["float", "array"] * 2 + (["dict", "tuple", "list", "pair", "cell", "box"]
                                                if depth < 3 else []))
    if kind == "float":
        v = rng.uniform(-2, 2)
        return v, [("", v)]
    if kind == "array":
        v = np.array([rng.uniform(-2, 2) for _ in range(rng.choice([1, 3]))])
        return v, [("", v)]
    if kind in ("tuple", "list"):
        items = [_make(rng, depth + 1) for _ in range(rng.choice([1, 2, 3]))]
        value = tuple(i[0] for i in items) if kind == "tuple" else [i[0] for i in items]
        return value, [(f"[{k}]{p}", v) for k, (_, leaves) in enumerate(items)
                       for p, v in leaves]
    if kind == "dict":
        keys = rng.sample(["a", "b", "W", "bias"], rng.choice([1, 2, 3]))
        items = {k: _make(rng, depth + 1) for k in keys}
        value = {k: i[0] for k, i in items.items()}
        value["steps"] = 3  # an int field: part of the structure, no gradient
        return value, [(f"[{k!r}]{p}", v) for k, (_, leaves) in items.items() for p, v in leaves]
    if kind == "pair":
        x, y = _make(rng, depth + 1), _make(rng, depth + 1)
        return Pair(x[0], y[0]), [(f".x{p}", v) for p, v in x[1]] + \
            [(f".y{p}", v) for p, v in y[1]]
    if kind == "cell":
        u, v = _make(rng, depth + 1), _make(rng, depth + 1)
        return Cell(u[0], v[0]), [(f".u{p}", w) for p, w in u[1]] + \
            [(f".v{p}", w) for p, w in v[1]]
    inner = _make(rng, depth + 1)
    return Box(inner[0], rng.choice(["relu", None])), [(f".inner{p}", w) for p, w in inner[1]]


def _module(tmp_path, name, paths, weights):
    terms = " + ".join(f"np.sum({c!r} * np.sin(p{path}))" for path, c in zip(paths, weights))
    source = f"import numpy as np\n\n\ndef f(p, x):\n    return x * ({terms})\n"
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


@pytest.mark.parametrize("seed", range(60))
def test_random_structures(tmp_path, seed):
    rng = random.Random(seed)
    p, leaves = _make(rng, 0)
    paths = [path for path, _ in leaves]
    weights = [round(rng.uniform(0.5, 2.0), 3) for _ in leaves]
    f = _module(tmp_path, f"random_{seed}", paths, weights)
    x = 1.3
    g_p, g_x = grad(f, (0, 1))(p, x)
    if not isinstance(p, (float, np.ndarray)):  # (a float through np.sin: a NumPy scalar)
        assert type(g_p) is type(p)
    got, tree = flatten(g_p)
    # the gradient's leaves, in the structure's order: c * cos(leaf) * x for each float leaf
    expected = {id(v): c * np.cos(v) * x for (_, v), c in zip(leaves, weights)}
    order, _ = flatten(p)
    want = [expected[id(v)] for v in order if id(v) in expected]
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g_x, f(p, 1.0), rtol=1e-12)
    value, (g2, _) = value_and_grad(f, (0, 1))(p, x)
    np.testing.assert_allclose(value, f(p, x), rtol=1e-12)
    out, pullback = vjp(f, p, x)
    for a, b in zip(flatten(pullback(1.0)[0])[0], want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    # jvp along the gradient itself: the tangent is |grad|^2 (over p; x held)
    direction = g_p
    tangent_p = _tangent_like(p, direction)
    _, t = jvp(f, (p, x), (tangent_p, 0.0))
    np.testing.assert_allclose(t, sum(float(np.sum(w * w)) for w in want), rtol=1e-10)


def _tangent_like(p, g):
    """A tangent shaped like p: g's numbers at the float leaves, p's own value elsewhere."""
    from adcompile.pytree import unflatten
    leaves, tree = flatten(p)
    gs = iter(flatten(g)[0])
    return unflatten(tree, [next(gs) if n.diff else v for v, n in zip(leaves, tree.leaves())])
