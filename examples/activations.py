"""An activation gallery: each function, its derivative's generated code, and a check of that
derivative against a finite difference at a few points (negative, zero-crossing, positive).

`python examples/activations.py --draw DIR` also draws each one's circuit at x = 0.7 into DIR
(SVG with Graphviz's `dot` installed, else DOT text)."""
import os
import shutil
import sys

import numpy as np

from adcompile import graph, grad, relu, sigmoid, softplus, source


def sigmoid_act(x):
    return sigmoid(x)


def tanh_act(x):
    return np.tanh(x)


def relu_act(x):
    return relu(x)


def softplus_act(x):
    return softplus(x)


def leaky_relu(x):
    return np.maximum(x, 0.01 * x)


def elu(x):
    # alpha * (exp(x) - 1) for x < 0, else x; exp only ever sees x <= 0, so nothing overflows
    return np.maximum(x, 0.0) + 1.0 * np.expm1(np.minimum(x, 0.0))


def gelu(x):
    # the tanh approximation of x * Phi(x) (Hendrycks and Gimpel)
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)))


def swish(x):
    return x * sigmoid(x)


GALLERY = [sigmoid_act, tanh_act, relu_act, softplus_act, leaky_relu, elu, gelu, swish]


def main():
    points = np.array([-3.0, -0.5, 0.7, 2.0])
    for f in GALLERY:
        df = grad(f)
        print(f"# {f.__name__}")
        print(source(df, annotate=True), end="")
        values = np.array([df(float(p)) for p in points], dtype=float)
        eps = 1e-6
        numeric = np.array([(f(p + eps) - f(p - eps)) / (2 * eps) for p in points])
        print(f"# at x = {points}: {np.round(values, 4)}\n")
        assert np.allclose(values, numeric, atol=1e-5), f.__name__
        # The circuit at 0.7: one gate per operation, its wires' gradients from the same rules
        diagram = graph(f, 0.7)
        assert np.isclose(diagram.gradients["x"], df(0.7)), f.__name__
        if "--draw" in sys.argv:
            folder = sys.argv[sys.argv.index("--draw") + 1]
            os.makedirs(folder, exist_ok=True)
            ext = ".svg" if shutil.which("dot") else ".dot"
            print(f"# wrote {diagram.save(os.path.join(folder, f.__name__ + ext))}\n")


if __name__ == "__main__":
    main()
