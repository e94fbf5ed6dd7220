"""Logistic regression on a small generated dataset, trained by gradient descent with `grad`.

Two Gaussian blobs in 2-D; the model is p = sigmoid(X @ w + b) and the loss the mean negative
log-likelihood, written with the stable `log_sigmoid` so no probability is ever rounded to 0.
"""
import numpy as np

from adcompile import grad, log_sigmoid, sigmoid, source


def loss(w, b, X, y):
    z = X @ w + b
    # -log p(y | x) with p = sigmoid(z): y * -log_sigmoid(z) + (1 - y) * -log_sigmoid(-z)
    nll = -(y * log_sigmoid(z) + (1 - y) * log_sigmoid(-z))
    return np.mean(nll)


def make_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(-1.0, 1.0, (n // 2, 2)), rng.normal(1.5, 1.0, (n // 2, 2))])
    y = np.concatenate([np.zeros(n // 2), np.ones(n // 2)])
    return X, y


def main(steps=300, lr=0.5):
    X, y = make_data()
    w, b = np.zeros(2), 0.0
    dloss = grad(loss, argnums=(0, 1))
    print("# The gradient grad(loss, argnums=(0, 1)) runs")
    print(source(dloss))
    losses = []
    for step in range(steps + 1):
        losses.append(loss(w, b, X, y))
        if step % 50 == 0:
            print(f"step {step:3d}  loss {losses[-1]:.4f}")
        gw, gb = dloss(w, b, X, y)
        w, b = w - lr * gw, b - lr * gb
    accuracy = np.mean((sigmoid(X @ w + b) > 0.5) == y)
    print(f"accuracy {accuracy:.1%}, w = {np.round(w, 3)}, b = {b:.3f}")
    assert losses[-1] < 0.5 * losses[0] and accuracy > 0.85


if __name__ == "__main__":
    main()
