"""Newton's method with `hessian`: forward mode over the reverse-mode gradient, both generated.

Two problems, each solved by x <- x - H(x)^-1 g(x):
  * the Rosenbrock function from the usual start (-1.2, 1), minimum at (1, 1);
  * logistic regression fitted by Newton's method (what statistics calls IRLS), checked against
    its optimality condition: the gradient is zero at the fitted weights.

Run it:  python examples/newton.py
"""
import numpy as np

from adcompile import grad, hessian, sigmoid, source


def rosenbrock(x):
    return (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] ** 2) ** 2


def newton(f, x, steps=50, tol=1e-10, args=()):
    """Minimize f from x by Newton steps; returns the point and the number of steps taken."""
    g, H = grad(f), hessian(f)
    for k in range(steps):
        step = np.linalg.solve(H(x, *args), g(x, *args))
        x = x - step
        if np.linalg.norm(step) < tol:
            return x, k + 1
    raise RuntimeError(f"Newton's method did not converge in {steps} steps")


def log_loss(w, X, y):
    p = sigmoid(X @ w)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) + 0.01 * w @ w


def main():
    x, steps = newton(rosenbrock, np.array([-1.2, 1.0]))
    print(f"Rosenbrock: minimum {x} after {steps} Newton steps")
    assert np.allclose(x, [1.0, 1.0])

    rng = np.random.default_rng(0)
    X = np.hstack([rng.normal(size=(200, 3)), np.ones((200, 1))])
    y = (X @ np.array([1.5, -2.0, 0.5, 0.3]) + rng.normal(size=200) > 0).astype(float)
    w, steps = newton(log_loss, np.zeros(4), args=(X, y))
    print(f"logistic regression: weights {np.round(w, 3)} after {steps} Newton steps")
    assert np.linalg.norm(grad(log_loss)(w, X, y)) < 1e-9

    print("\nThe code behind hessian(rosenbrock): forward mode of the generated gradient,")
    print("called once per basis vector to give the Hessian's columns:\n")
    print(source(grad(rosenbrock), mode="forward"))


if __name__ == "__main__":
    main()
