"""The gates of backpropagation, each shown in the code adcompile generates:

  add distributes   z = x + y:      grad_x = grad_z,  grad_y = grad_z
  multiply swaps    z = x * y:      grad_x = grad_z * y,  grad_y = grad_z * x
  copy adds         a = x * 2, b = x * 3: grad_x = grad_a * 2 + grad_b * 3
  max routes        z = max(x, y):  grad_x = grad_z * (x >= y),  grad_y = grad_z * (x < y)
"""
from adcompile import grad, source


def add_gate(x, y):
    z = x + y
    return z


def multiply_gate(x, y):
    z = x * y
    return z


def copy_gate(x):
    a = x * 2.0
    b = x * 3.0
    z = a + b
    return z


def max_gate(x, y):
    z = max(x, y)
    return z


GATES = [(add_gate, (0, 1), (3.0, -1.0)), (multiply_gate, (0, 1), (3.0, -1.0)),
         (copy_gate, 0, (3.0,)), (max_gate, (0, 1), (3.0, -1.0))]


def main():
    for f, argnums, args in GATES:
        print(f"# {f.__name__} at {args}")
        print(source(f, mode="reverse", argnums=argnums, optimize=False), end="")
        print(f"# -> {grad(f, argnums=argnums)(*args)}\n")
    assert grad(add_gate, argnums=(0, 1))(3.0, -1.0) == (1.0, 1.0)
    assert grad(multiply_gate, argnums=(0, 1))(3.0, -1.0) == (-1.0, 3.0)
    assert grad(copy_gate)(3.0) == 5.0
    assert grad(max_gate, argnums=(0, 1))(3.0, -1.0) == (1.0, 0.0)


if __name__ == "__main__":
    main()
