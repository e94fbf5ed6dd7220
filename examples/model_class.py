"""A small model written the way model code is written: a class whose parameters are a dict of
arrays, a dataclass for the training settings, and a loss that is a method. adcompile
differentiates `Model.loss` with respect to the model itself: the gradient is a `Model` whose
`params` is a dict of gradients, with the same keys.

    python examples/model_class.py
"""
import dataclasses

import numpy as np

from adcompile import grad, log_sigmoid, source


@dataclasses.dataclass
class Settings:
    learning_rate: float = 0.5
    steps: int = 200
    weight_decay: float = 1e-3


class Model:
    def __init__(self, sizes, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {}
        for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            self.params[f"W{k}"] = rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)
            self.params[f"b{k}"] = np.zeros(n_out)
        self.layers = len(sizes) - 1

    def logits(self, X):
        h = X
        for k in range(self.layers):
            h = h @ self.params[f"W{k}"] + self.params[f"b{k}"]
            if k < self.layers - 1:
                h = np.tanh(h)
        return h[:, 0]

    def loss(self, X, y, settings):
        z = self.logits(X)
        nll = -np.mean(y * log_sigmoid(z) + (1 - y) * log_sigmoid(-z))
        decay = 0.0
        for name, value in self.params.items():
            decay = decay + np.sum(value ** 2)
        return nll + settings.weight_decay * decay


def train(model, X, y, settings):
    dloss = grad(Model.loss)  # with respect to the model: returns a Model of gradients
    losses = []
    for step in range(settings.steps):
        g = dloss(model, X, y, settings)
        model.params = {k: v - settings.learning_rate * g.params[k]
                        for k, v in model.params.items()}
        if step % 40 == 0 or step == settings.steps - 1:
            losses.append(model.loss(X, y, settings))
            print(f"step {step:4d}   loss {losses[-1]:.4f}")
    return losses


def main():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(float)  # XOR-like: needs the hidden layer
    model = Model([2, 8, 1])
    settings = Settings()
    print("the gradient of Model.loss, generated for this model's structure:\n")
    print(source(grad(Model.loss), at=(model, X, y, settings)))
    losses = train(model, X, y, settings)
    accuracy = np.mean((model.logits(X) > 0) == (y > 0.5))
    print(f"training accuracy {accuracy:.2f}")
    assert losses[-1] < losses[0] and accuracy > 0.85


if __name__ == "__main__":
    main()
