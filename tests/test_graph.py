"""Circuit diagrams: the lecture's values and gradients on the wires, loops and branches drawn,
files written with and without Graphviz, and the `adcompile graph` command."""
import os
import re
import shutil

import numpy as np
import pytest

import adcompile
from adcompile import cli, grad, sigmoid
from adcompile.errors import ADCompileError
from adcompile.graph import GraphvizMissingError

HAVE_DOT = shutil.which("dot") is not None
HERE = os.path.abspath(__file__)


def neuron(w0, x0, w1, x1, w2):
    L = sigmoid(w0 * x0 + w1 * x1 + w2)
    return L


def circuit(x, y, z):
    q = x + y
    f = q * z
    return f


def gates(x, y, z, w):
    return 2 * (x * y + max(z, w))


def gates_copy(x):
    a = x * 2.0
    b = x * 3.0
    return a + b


def looped(x, n):
    y = x
    for i in range(n):
        y = y * x + 1.0
        if y > 3:
            y = y / 2
    return y


def halving(x):
    while x > 1.0:
        x = x / 2.0
    return x


def layer(W, x):
    h = np.maximum(W @ x, 0.0)
    return np.sum(h ** 2)


def wires(dot):
    """{(name, 'value' | 'grad'): the two-decimal text on the wires} from the DOT labels."""
    out = {}
    for name, value in re.findall(r">(\w+) = ([^<]+)</font>", dot):
        kind = "grad" if name.startswith("grad_") else "value"
        out[(name[5:] if kind == "grad" else name, kind)] = value
    return out


def test_the_neuron_carries_the_lecture_values_and_gradients():
    d = adcompile.graph(neuron, 2.0, -1.0, -3.0, -2.0, -3.0)
    w = wires(d.dot)
    assert [w[(n, "grad")] for n in ("w0", "x0", "w1", "x1", "w2")] == \
        ["-0.20", "0.39", "-0.39", "-0.59", "0.20"]
    assert w[("L", "value")] == "0.73" and w[("L", "grad")] == "1.00"
    assert w[("s3", "value")] == "1.00" and w[("s3", "grad")] == "0.20"
    expected = grad(neuron, argnums=(0, 1, 2, 3, 4))(2.0, -1.0, -3.0, -2.0, -3.0)
    assert tuple(d.gradients.values()) == pytest.approx(expected)
    assert d.value == pytest.approx(0.7310585786300049)


def test_add_distributes_and_multiply_swaps():
    d = adcompile.graph(circuit, -2.0, 5.0, -4.0)
    w = wires(d.dot)
    assert (w[("x", "grad")], w[("y", "grad")], w[("z", "grad")]) == ("-4.00", "-4.00", "3.00")
    assert w[("q", "value")] == "3.00" and w[("q", "grad")] == "-4.00"
    assert w[("f", "value")] == "-12.00"
    assert d.gradients == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert re.search(r'label="\+", shape=circle', d.dot) and re.search(r'label="\*"', d.dot)
    assert "-> output" in d.dot and "fillcolor=" in d.dot  # inputs and output marked


def test_one_gate_per_primitive_labelled_like_the_lecture():
    d = adcompile.graph(gates, 3.0, -4.0, 2.0, -1.0)
    labels = re.findall(r'\[label="([^"]+)", shape=(?:circle|ellipse)', d.dot)
    assert sorted(labels) == sorted(["*", "max", "2 *", "+"])
    w = wires(d.dot)
    # max routes the gradient to the larger input only
    assert w[("z", "grad")] == "2.00" and w[("w", "grad")] == "0.00"
    assert w[("x", "grad")] == "-8.00" and w[("y", "grad")] == "6.00"


def test_copy_adds_each_wire_carries_what_its_reader_sends_back():
    d = adcompile.graph(gates_copy, 3.0)
    assert "grad_x += 2.00" in d.dot and "grad_x += 3.00" in d.dot
    assert d.gradients["x"] == 5.0 and 'tooltip="x = 3.0; grad_x = 5.0"' in d.dot


def test_a_short_loop_is_unrolled_in_a_box_with_its_trip_count_and_the_branch_taken():
    d = adcompile.graph(looped, 1.5, 3, argnums=0)
    assert "for i in range(n):  3 iterations" in d.dot
    assert all(f'label="i = {i}"' in d.dot for i in range(3))
    assert "if y > 3:  took the if-branch" in d.dot
    assert d.gradients["x"] == pytest.approx(grad(looped)(1.5, 3))
    assert "grad_n" not in d.dot  # not differentiated: value only


def test_a_long_loop_shows_its_first_and_last_iteration():
    d = adcompile.graph(looped, 1.1, 10, argnums=0)
    assert "10 iterations" in d.dot and "... 8 more iterations" in d.dot
    assert 'label="i = 0"' in d.dot and 'label="i = 9"' in d.dot
    assert 'label="i = 5"' not in d.dot
    assert "took the else-branch" in d.dot and "took the if-branch" in d.dot
    assert d.gradients["x"] == pytest.approx(grad(looped)(1.1, 10))


def test_a_while_loop():
    d = adcompile.graph(halving, 5.0)
    assert "while x > 1.0:  3 iterations" in d.dot
    assert d.gradients["x"] == pytest.approx(0.125)


def test_arrays_show_shape_and_summary():
    W = np.arange(6.0).reshape(2, 3) - 2
    x = np.array([1.0, -1.0, 2.0])
    d = adcompile.graph(layer, W, x)
    assert "W = 2x3 in [-2.00, 3.00]" in d.dot
    assert "x = [1.00, -1.00, 2.00]" in d.dot and 'label="max(., 0.0)"' in d.dot
    gW, gx = grad(layer, argnums=(0, 1))(W, x)
    assert np.allclose(d.gradients["W"], gW) and np.allclose(d.gradients["x"], gx)


def test_the_same_function_gives_the_same_text():
    assert adcompile.graph(looped, 1.1, 10, argnums=0).dot == \
        adcompile.graph(looped, 1.1, 10, argnums=0).dot


def test_dot_is_written_without_graphviz_and_svg_says_what_to_install(tmp_path, monkeypatch):
    d = adcompile.graph(circuit, -2.0, 5.0, -4.0)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    d.save(tmp_path / "c.dot")
    assert (tmp_path / "c.dot").read_text().startswith("digraph circuit {")
    with pytest.raises(GraphvizMissingError, match="install graphviz"):
        d.save(tmp_path / "c.svg")
    assert d._repr_svg_() is None
    with pytest.raises(ADCompileError, match=r"\.svg, \.png"):
        d.save(tmp_path / "c.txt")


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's dot is not installed")
def test_svg_and_png_drawn_by_graphviz(tmp_path):
    d = adcompile.graph(neuron, 2.0, -1.0, -3.0, -2.0, -3.0)
    svg = d._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "grad_w0 = &#45;0.20" in svg
    d.save(tmp_path / "n.png")
    assert (tmp_path / "n.png").read_bytes()[:4] == b"\x89PNG"


def test_wrong_number_of_arguments():
    with pytest.raises(ADCompileError, match="one argument per parameter"):
        adcompile.graph(circuit, 1.0, 2.0)


def test_cli_prints_dot_and_writes_files(tmp_path, capsys):
    assert cli.main(["graph", f"{HERE}:circuit", "--at", "-2,5,-4"]) == 0
    w = wires(capsys.readouterr().out)
    assert (w[("x", "grad")], w[("y", "grad")], w[("z", "grad")]) == ("-4.00", "-4.00", "3.00")
    out = tmp_path / "loop.dot"
    assert cli.main(["graph", f"{HERE}:looped", "--at", "1.5,3", "--argnums", "0",
                     "--out", str(out)]) == 0
    assert "3 iterations" in out.read_text()


def test_cli_keeps_loop_counts_integers_outside_argnums(capsys):
    assert cli.main(["graph", f"{HERE}:looped", "--at", "1.5,3"]) == 1
    err = capsys.readouterr().err
    assert "for i in range(n): raised TypeError" in err and "--argnums" in err


def test_cli_version(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"adcompile {adcompile.__version__}"


def test_every_corpus_function_draws_with_grads_gradients():
    """The shared corpus (scalar, NumPy, loops, branches): the diagram's input gradients are
    grad's."""
    from corpus import CORPUS, S
    from corpus_control import CONTROL
    rng = np.random.default_rng(0)
    for f, domains in CORPUS + CONTROL:
        args = [float(rng.uniform(d.lo, d.hi)) if isinstance(d, S) else
                rng.uniform(d.lo, d.hi, d.shape) for d in domains]
        expected = grad(f, argnums=tuple(range(len(args))))(*args)
        d = adcompile.graph(f, *args)
        for got, want in zip(d.gradients.values(), expected, strict=True):
            assert np.allclose(got, want), f.__name__
        assert d.dot.startswith("digraph circuit {")
