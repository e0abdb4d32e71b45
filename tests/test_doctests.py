"""Every module's docstring examples run, so the documentation cannot drift from the code."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import nerkit

MODULES = sorted(m.name for m in pkgutil.walk_packages(nerkit.__path__, "nerkit.") if not m.name.endswith("__main__"))


def test_every_module_is_found():
    assert {"nerkit.labels", "nerkit.training.loop", "nerkit.cli.flags", "nerkit.serving.app"} <= set(MODULES)


@pytest.mark.parametrize("name", ["nerkit", *MODULES])
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name} (see the output above)"


DOCS = sorted((Path(__file__).parent.parent / "docs").glob("*.md"))


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_examples_in_the_docs(path):
    result = doctest.testfile(str(path), module_relative=False, optionflags=doctest.ELLIPSIS, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {path.name}"
