"""The docs cover every public name, their links resolve, and their listings are up to date."""
import os
import re
import subprocess
import sys

import adcompile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")


def read(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        return f.read()


def test_every_public_name_has_an_entry_in_the_api_reference():
    api = read("docs/api.md")
    missing = [n for n in adcompile.__all__ if f"### `{n}`" not in api]
    assert not missing, f"document these in docs/api.md: {missing}"


def test_relative_links_resolve():
    for name in ["README.md"] + [f"docs/{n}" for n in os.listdir(DOCS) if n.endswith(".md")]:
        folder = os.path.dirname(os.path.join(ROOT, name))
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", read(name)):
            assert os.path.exists(os.path.join(folder, target)), f"{name} links to {target}"


def test_readme_keeps_the_two_commands():
    readme = read("README.md")
    assert "pip install . && python -m adcompile demo" in readme
    assert 'pip install ".[test]" && python -m pytest -q' in readme


def test_listings_are_generated_and_current():
    """Code listings in docs/ come from running the tool; after a change to code generation,
    run `python docs/generate.py` to refresh them."""
    done = subprocess.run([sys.executable, os.path.join(DOCS, "generate.py"), "--check"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
