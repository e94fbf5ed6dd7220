"""The cache stage: derivatives compiled in this process.

Keyed by the function's code, mode, argnums and options (api.compile_derivative); each entry also
holds what the function was made of and the globals it resolved, compared on every lookup.
Registering a rule (custom.py) forgets everything: a derivative compiled before may have inlined
or refused the function that now has a rule.
"""
from __future__ import annotations

COMPILED: dict = {}


def forget_all() -> None:
    COMPILED.clear()
