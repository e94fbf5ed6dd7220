"""A recurrent network trained with grad through its loop: backpropagation through time.

The loss runs an RNN h = tanh(W @ h + U * x[t]) over a sequence and asks its last state to
predict the sequence's mean. grad differentiates the loop: the generated code runs the loop
backwards and keeps on a tape only the states the forward loop overwrote. Printed: the
generated backward loop, then the loss falling under plain gradient descent.
"""
import numpy as np

from adcompile import grad, source


def loss(W, U, v, xs, target):
    h = np.zeros(W.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U * xs[t])
    prediction = v @ h
    return (prediction - target) ** 2


def main():
    rng = np.random.default_rng(0)
    hidden, steps = 8, 6
    W = rng.normal(size=(hidden, hidden)) * 0.3
    U = rng.normal(size=hidden) * 0.5
    v = rng.normal(size=hidden) * 0.3
    sequences = rng.uniform(-1, 1, size=(20, steps))

    dloss = grad(loss, argnums=(0, 1, 2))
    print("# The generated gradient: the loop forward with its tape, then reversed")
    print(source(dloss))

    def total(W, U, v):
        return np.mean([loss(W, U, v, xs, xs.mean()) for xs in sequences])

    first = total(W, U, v)
    for epoch in range(40):
        for xs in sequences:
            gW, gU, gv = dloss(W, U, v, xs, xs.mean())
            W, U, v = W - 0.1 * gW, U - 0.1 * gU, v - 0.1 * gv
        if epoch % 8 == 0:
            print(f"epoch {epoch:2d}  loss {total(W, U, v):.5f}")
    last = total(W, U, v)
    print(f"loss {first:.5f} -> {last:.5f}")
    assert last < first / 2, "training through the loop should at least halve the loss"


if __name__ == "__main__":
    main()
