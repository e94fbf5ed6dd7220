"""Programs large enough that a pass quadratic in their size shows: each is built and checked
against finite differences (what a hang looks like here is CI's timeout; speed itself is
measured in benchmarks/bench_build.py)."""
import numpy as np

from adcompile import value_and_grad
from checks import numeric_grad
from nested_helpers import f as nested_helpers


def test_helpers_inlined_in_a_loop_nest():
    args = (0.3, 0.3, 0.3)
    value, grads = value_and_grad(nested_helpers, argnums=(0, 1, 2))(*args)
    assert value == nested_helpers(*args)
    for i in range(3):
        assert np.isclose(grads[i], numeric_grad(nested_helpers, args, i), rtol=1e-6, atol=1e-8)
