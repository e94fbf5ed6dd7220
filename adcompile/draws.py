"""Random draws seen once per call by derivatives that run the function's code several times.

`jacfwd` (and so `hessian`) runs forward-mode code once per input element, `check_grads` runs
the function at several points; a function that draws random numbers (dropout, noise) would draw
anew each time, and the columns would belong to different draws: not the derivative of any one
call. `Draws` records the random state the call starts from, that of each Generator (or legacy
RandomState) among the arguments, in the function's closure and in the globals it names, and of
NumPy's global state, and puts it back before each run: every run sees the draws of the first,
and afterwards the state has advanced as one call of the function advances it.
"""
from __future__ import annotations

import numpy as np

_STATES = (np.random.Generator, np.random.RandomState)


class Draws:
    def __init__(self, f, leaves):
        sources = list(leaves) + _read_by(f)
        seen, self.saved = set(), []
        for obj in sources:
            if isinstance(obj, _STATES) and id(obj) not in seen:
                seen.add(id(obj))
                self.saved.append((obj, _get(obj)))
        self.global_state = np.random.get_state()

    def restore(self):
        """The random state as the call found it."""
        for obj, state in self.saved:
            _set(obj, state)
        np.random.set_state(self.global_state)


def _get(obj):
    if isinstance(obj, np.random.Generator):
        return obj.bit_generator.state
    return obj.get_state()


def _set(obj, state):
    if isinstance(obj, np.random.Generator):
        obj.bit_generator.state = state
    else:
        obj.set_state(state)


def _read_by(f):
    """The objects the function (or the one a derivative was made from) reads from its closure
    and its globals."""
    info = getattr(f, "__adcompile__", None)
    f = getattr(info, "function", None) or getattr(f, "__func__", f)
    code = getattr(f, "__code__", None)
    if code is None:
        return []
    cells = []
    for cell in getattr(f, "__closure__", None) or ():
        try:
            cells.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    names = getattr(f, "__globals__", {})
    return cells + [names[n] for n in code.co_names if n in names]
