"""The lecture example, printed: a sigmoid neuron, its flat code, forward and reverse mode."""
from adcompile import grad, sigmoid, source


def neuron(w0, x0, w1, x1, w2):
    L = sigmoid(w0 * x0 + w1 * x1 + w2)
    return L


def main():
    args = (2.0, -1.0, -3.0, -2.0, -3.0)
    names = ("w0", "x0", "w1", "x1", "w2")
    every = (0, 1, 2, 3, 4)
    show = [
        ("The function", None),
        ("Flat code: one operation per line, every intermediate named", "flat"),
        ("Forward mode: each value followed by its tangent d_<name>", "forward"),
        ("Reverse mode: the forward sweep, then the adjoints grad_<name>, last to first",
         "reverse"),
    ]
    for title, mode in show:
        print(f"# {title}")
        if mode is None:
            print("def neuron(w0, x0, w1, x1, w2):\n    L = sigmoid(w0 * x0 + w1 * x1 + w2)\n"
                  "    return L\n")
        else:
            print(source(neuron, mode=mode, argnums=every, optimize=False))
    df = grad(neuron, argnums=every)
    print("# The optimized gradient that grad(neuron, argnums=(0, 1, 2, 3, 4)) runs")
    print(source(df))
    print(f"# At {', '.join(f'{n} = {v}' for n, v in zip(names, args))}:")
    print(f"L = {neuron(*args):.4f}")
    for n, g in zip(names, df(*args)):
        print(f"grad_{n} = {g:+.4f}")
