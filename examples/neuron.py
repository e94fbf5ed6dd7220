"""The lecture's sigmoid neuron: L = sigmoid(w0 * x0 + w1 * x1 + w2) at w = (2, -3, -3),
x = (-1, -2). Its flat code, the backward pass grad() generates, and the gradient values
(-0.20, 0.39, -0.39, -0.59, 0.20), checked against finite differences."""
from adcompile import grad, sigmoid, source


def neuron(w0, x0, w1, x1, w2):
    L = sigmoid(w0 * x0 + w1 * x1 + w2)
    return L


def main():
    every = (0, 1, 2, 3, 4)
    print("# Flat code: one operation per line, every intermediate named")
    print(source(neuron, mode="flat"))
    print("# The backward pass before the optimizer (the lecture's version, line by line)")
    print(source(neuron, mode="reverse", argnums=every, optimize=False))
    df = grad(neuron, argnums=every)
    print("# What grad(neuron, argnums=(0, 1, 2, 3, 4)) runs")
    print(source(df))
    args = (2.0, -1.0, -3.0, -2.0, -3.0)
    print(f"L = {neuron(*args):.4f}")
    eps = 1e-6
    for i, (name, g) in enumerate(zip(("w0", "x0", "w1", "x1", "w2"), df(*args))):
        hi, lo = list(args), list(args)
        hi[i] += eps
        lo[i] -= eps
        numeric = (neuron(*hi) - neuron(*lo)) / (2 * eps)
        print(f"grad_{name} = {g:+.4f}   (finite difference {numeric:+.4f})")
        assert abs(g - numeric) < 1e-6


if __name__ == "__main__":
    main()
