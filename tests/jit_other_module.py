"""A helper in a module of its own, for tests/test_jit_found9.py: a JitError raised in it names
this file by its path."""
import math


def close_enough(a, b):
    return math.isclose(a, b)
