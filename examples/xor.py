"""XOR learned by a small network (2 inputs, 8 tanh units, 1 sigmoid output) with `grad`.

No straight line separates XOR's classes, so a hidden layer is needed. Full-batch gradient
descent on the four points, with the cross-entropy written with the stable `log_sigmoid`.
"""
import numpy as np

from adcompile import grad, log_sigmoid, sigmoid

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([0.0, 1.0, 1.0, 0.0])


def predict_logit(W1, b1, W2, b2, X):
    h = np.tanh(X @ W1 + b1)
    return h @ W2 + b2


def loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    return -np.mean(Y * log_sigmoid(z) + (1 - Y) * log_sigmoid(-z))


def main(steps=1500, lr=0.5):
    rng = np.random.default_rng(1)
    params = [rng.standard_normal((2, 8)), np.zeros(8), rng.standard_normal(8) * 0.5, 0.0]
    dloss = grad(loss, argnums=(0, 1, 2, 3))
    for step in range(steps + 1):
        if step % 300 == 0:
            print(f"step {step:4d}  loss {loss(*params, X, Y):.4f}")
        grads = dloss(*params, X, Y)
        params = [p - lr * g for p, g in zip(params, grads)]
    p = sigmoid(predict_logit(*params, X))
    for x, target, prob in zip(X, Y, p):
        print(f"xor{tuple(int(v) for v in x)} = {int(target)}   predicted {prob:.3f}")
    assert np.all((p > 0.5) == (Y > 0.5)), "XOR not learned"


if __name__ == "__main__":
    main()
