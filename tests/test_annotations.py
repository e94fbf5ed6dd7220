"""Annotated source (`source(f, annotate=True)`, `adcompile show`): each `# line N: ...` comment
names the statement of the user's code that produced the statements under it."""
import math

import pytest

from adcompile import source


def pendulum(theta):
    omega = 0.0
    for _ in range(100):
        omega = omega - 0.01 * math.sin(theta)
        theta = theta + 0.01 * omega
    return theta


def count(x):
    n = 0
    s = 0.0
    while n < 3:
        s = s + x
        n = n + 1
    return s


def listed(x):
    acc = []
    for i in range(3):
        acc.append(x * i)
    return acc[0] + acc[2]


def branch(x):
    y = 1.0
    if x > 0:
        y = x * 2
    return y


def label(src, statement):
    """The annotation over the first line of `src` that reads `statement`."""
    found = None
    for line in src.splitlines():
        text = line.strip()
        if text.startswith("# line "):
            found = text.split(": ", 1)[1]
        elif text == statement:
            return found
    raise AssertionError(f"{statement!r} is not in\n{src}")


def test_statements_in_the_loop_are_labelled_with_their_own_line():
    src = source(pendulum, mode="flat", annotate=True)
    assert label(src, "omega_1 = omega - s1") == "omega = omega - 0.01 * math.sin(theta)"
    assert label(src, "s2 = 0.01 * omega_1") == "theta = theta + 0.01 * omega"



@pytest.mark.parametrize("mode", ["flat", "reverse", "forward"])
def test_a_value_set_before_a_loop_is_labelled_with_its_assignment(mode):
    src = source(pendulum, mode=mode, annotate=True)
    assert label(src, "omega = 0.0") == "omega = 0.0"  # not "for _ in range(100):"


def test_values_set_before_a_while_loop_and_a_list_built_in_a_loop():
    src = source(count, mode="flat", annotate=True)
    assert label(src, "n = 0") == "n = 0" and label(src, "s = 0.0") == "s = 0.0"
    assert label(source(listed, mode="flat", annotate=True), "acc = []") == "acc = []"


def test_a_value_kept_on_one_path_of_an_if_is_labelled_with_its_assignment():
    src = source(branch, mode="flat", annotate=True)
    assert label(src, "y = x * 2") == "y = x * 2"
    assert label(src, "y = 1.0") == "y = 1.0"  # the else path the merge adds; not "if x > 0:"
