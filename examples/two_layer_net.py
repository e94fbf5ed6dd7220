"""The lectures' two-layer network in NumPy, trained by gradient descent with `grad`.

    h = sigmoid(x @ w1);  y_pred = h @ w2;  loss = sum((y_pred - y) ** 2)

The generated gradient is checked against the backward pass the lecture writes by hand, then
used to train the network; the loss printed every 50 steps decreases.
"""
import numpy as np

from adcompile import grad, sigmoid, source


def loss(w1, w2, x, y):
    h = sigmoid(x.dot(w1))
    y_pred = h.dot(w2)
    return np.square(y_pred - y).sum()


def backprop_by_hand(w1, w2, x, y):
    h = 1 / (1 + np.exp(-x.dot(w1)))
    y_pred = h.dot(w2)
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h.T.dot(grad_y_pred)
    grad_h = grad_y_pred.dot(w2.T)
    grad_w1 = x.T.dot(grad_h * h * (1 - h))
    return grad_w1, grad_w2


def main(steps=300, lr=1e-3):
    rng = np.random.default_rng(0)
    N, D_in, H, D_out = 64, 100, 50, 10
    x, y = rng.standard_normal((N, D_in)), rng.standard_normal((N, D_out))
    w1, w2 = rng.standard_normal((D_in, H)) * 0.1, rng.standard_normal((H, D_out)) * 0.1
    dloss = grad(loss, argnums=(0, 1))
    print("# grad(loss, argnums=(0, 1)): the backward pass, generated")
    print(source(dloss))
    for ours, theirs in zip(dloss(w1, w2, x, y), backprop_by_hand(w1, w2, x, y)):
        assert np.allclose(ours, theirs)
    print("matches the lecture's hand-written backward pass\n")
    losses = []
    for t in range(steps + 1):
        losses.append(loss(w1, w2, x, y))
        if t % 50 == 0:
            print(f"step {t:3d}  loss {losses[-1]:10.3f}")
        g1, g2 = dloss(w1, w2, x, y)
        w1, w2 = w1 - lr * g1, w2 - lr * g2
    assert all(b < a for a, b in zip(losses[::50], losses[50::50])), "the loss must decrease"


if __name__ == "__main__":
    main()
