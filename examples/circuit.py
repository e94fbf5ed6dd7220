"""The lecture's first circuit: f(x, y, z) = (x + y) * z at x = -2, y = 5, z = -4.

The forward pass gives q = x + y = 3 and f = q * z = -12; the backward pass sends the gradient
back through the multiply gate (it swaps its inputs: df/dq = z, df/dz = q) and the add gate (it
distributes: df/dx = df/dy = df/dq).
"""
from adcompile import grad, source


def circuit(x, y, z):
    q = x + y
    f = q * z
    return f


def main():
    print("# Flat code")
    print(source(circuit, mode="flat"))
    print("# Reverse mode: grad(circuit, argnums=(0, 1, 2))")
    df = grad(circuit, argnums=(0, 1, 2))
    print(source(df))
    x, y, z = -2.0, 5.0, -4.0
    dx, dy, dz = df(x, y, z)
    print(f"f({x}, {y}, {z}) = {circuit(x, y, z)}")
    print(f"grad_x = {dx}, grad_y = {dy}, grad_z = {dz}")
    assert (dx, dy, dz) == (-4.0, -4.0, 3.0)


if __name__ == "__main__":
    main()
