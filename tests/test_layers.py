"""The layers stay apart: the core never imports a channel's library, the domain never imports the bot."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imports(package: str) -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {(str(path.relative_to(ROOT)), a.name.split(".")[0]) for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add((str(path.relative_to(ROOT)), node.module.split(".")[0]))
    return found


@pytest.mark.parametrize(
    "package, forbidden",
    [
        ("bot/core", {"aiogram", "viberbot", "aiohttp"}),
        ("catalog", {"bot", "aiogram", "viberbot", "aiohttp"}),
    ],
)
def test_layers_do_not_reach_up(package, forbidden):
    assert {(path, module) for path, module in imports(package) if module in forbidden} == set()
