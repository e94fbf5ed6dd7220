"""Every script in examples/ runs to completion (each asserts its own results) in seconds."""
import glob
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.py")))


def run(path):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, path], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"{os.path.basename(path)} failed:\n{done.stderr}"
    return done.stdout


def test_the_examples_are_there():
    names = {os.path.basename(p) for p in EXAMPLES}
    assert {"neuron.py", "circuit.py", "gates.py", "logistic_regression.py", "two_layer_net.py",
            "xor.py", "activations.py"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_example_runs(path):
    out = run(path)
    assert out.strip(), "an example prints what it shows"


def test_two_layer_net_loss_decreases():
    out = run(os.path.join(ROOT, "examples", "two_layer_net.py"))
    losses = [float(v) for v in re.findall(r"loss\s+([0-9.]+)", out)]
    assert len(losses) >= 5 and all(b < a for a, b in zip(losses, losses[1:]))


def test_activation_gallery_prints_each_derivative():
    out = run(os.path.join(ROOT, "examples", "activations.py"))
    for name in ("sigmoid", "tanh", "relu", "softplus", "leaky_relu", "elu", "gelu", "swish"):
        assert f"def grad_{name}" in out
