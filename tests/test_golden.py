"""Golden tests: the lecture's flat code and backward pass, line for line."""
from adcompile import grad, source
from corpus import lecture_q, neuron, swish

EVERY = (0, 1, 2, 3, 4)


def lines(src):
    return [line.strip() for line in src.splitlines()]


def test_flat_code_of_the_neuron():
    assert source(neuron, mode="flat") == (
        "def neuron(w0, x0, w1, x1, w2):\n"
        "    s0 = w0 * x0\n"
        "    s1 = w1 * x1\n"
        "    s2 = s0 + s1\n"
        "    s3 = s2 + w2\n"
        "    L = sigmoid(s3)\n"
        "    return L\n")


def test_backward_pass_of_the_neuron_is_the_lecture():
    src = lines(source(grad(neuron, argnums=EVERY, optimize=False)))
    for expected in ["grad_L = 1.0", "grad_s3 = grad_L * (1 - L) * L", "grad_w2 = grad_s3",
                     "grad_s2 = grad_s3", "grad_s0 = grad_s2", "grad_s1 = grad_s2",
                     "grad_w1 = grad_s1 * x1", "grad_x1 = grad_s1 * w1",
                     "grad_w0 = grad_s0 * x0", "grad_x0 = grad_s0 * w0"]:
        assert expected in src, expected
    # in the lecture's order: each adjoint right after the line that completes it
    assert src.index("grad_s3 = grad_L * (1 - L) * L") < src.index("grad_w2 = grad_s3") \
        < src.index("grad_s0 = grad_s2") < src.index("grad_x0 = grad_s0 * w0")


def test_optimized_neuron_folds_the_seed_and_copies():
    src = source(grad(neuron, argnums=EVERY))
    assert "grad_s3 = (1 - L) * L" in src
    assert "grad_L" not in src and "grad_s2" not in src
    assert "grad_x0 = grad_s3 * w0" in src


def test_forward_mode_names_tangents_d():
    src = lines(source(neuron, mode="forward", argnums=EVERY))
    assert src[0] == "def jvp_neuron(w0, x0, w1, x1, w2, d_w0, d_x0, d_w1, d_x1, d_w2):"
    assert "d_s0 = d_w0 * x0 + d_x0 * w0" in src
    assert "d_L = d_s3 * (1 - L) * L" in src
    assert src[-1] == "return (L, d_L)"


def test_gates_in_generated_code():
    # add distributes, multiply swaps
    src = lines(source(grad(lecture_q, argnums=(0, 1, 2), optimize=False)))
    assert "grad_x = grad_s0" in src and "grad_y = grad_s0" in src
    assert "grad_s0 = grad_s1 * z" in src and "grad_z = grad_s1 * s0" in src
    # copy adds: x is used twice, its adjoint sums both contributions
    src = lines(source(grad(swish)))
    assert "grad_x = s0 + x * (1 - s0) * s0" in src


def test_same_source_every_time():
    a = source(neuron, mode="reverse", argnums=EVERY)
    b = source(neuron, mode="reverse", argnums=EVERY)
    assert a == b


def test_lecture_numbers():
    g = grad(neuron, argnums=EVERY)(2.0, -1.0, -3.0, -2.0, -3.0)
    assert [round(v, 2) for v in g] == [-0.2, 0.39, -0.39, -0.59, 0.2]
    assert grad(lecture_q, argnums=(0, 1, 2))(-2.0, 5.0, -4.0) == (-4.0, -4.0, 3.0)
