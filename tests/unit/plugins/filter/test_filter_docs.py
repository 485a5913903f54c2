"""Every public filter has its own documentation where ansible-doc looks for it
(ansible.utils.plugin_docs: a .py file's DOCUMENTATION first, the sidecar <filter>.yml next
to it only when the file has none), so a file holding several filters keeps its docs in
sidecars: with DOCUMENTATION of its own, every other filter in it would show that one's."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

FILTERS = Path(__file__).parents[4] / "plugins" / "filter"
PACKAGE = "ansible_collections.crosscluster.link.plugins.filter"


def _filters() -> list[tuple[str, str]]:
    return [
        (path.stem, name)
        for path in sorted(FILTERS.glob("*.py"))
        if path.stem != "__init__"
        for name in importlib.import_module(f"{PACKAGE}.{path.stem}").FilterModule().filters()
    ]


@pytest.mark.parametrize(("stem", "name"), _filters())
def test_each_filter_documents_itself(stem: str, name: str) -> None:
    module = importlib.import_module(f"{PACKAGE}.{stem}")
    inline = getattr(module, "DOCUMENTATION", None)
    doc = yaml.safe_load(inline) if inline else None
    if doc is None:
        doc = yaml.safe_load((FILTERS / f"{name}.yml").read_text())["DOCUMENTATION"]
    assert doc["name"] == name
