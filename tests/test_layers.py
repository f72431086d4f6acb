"""The layers stay apart. Read from the code (every import, at the top of a module or inside a
function), not from what a test happens to run:
- the conversation core imports no channel, no channel library and no infrastructure;
- the help desk imports neither the core above it nor the channels;
- the catalogue imports neither the bot nor its own search engine, which reads it;
- the channels talk to the conversation, not to its services;
- and no modules import each other, in a circle of any length."""

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "catalog")
CHANNEL_LIBRARIES = ("aiogram", "viberbot", "aiohttp")


@dataclass(frozen=True)
class Import:
    importer: str  # a module of ours: bot.core.state (a package is its __init__: bot.core)
    imported: str  # as written, made absolute: aiogram.types, catalog.models
    line: int
    typing_only: bool  # under `if TYPE_CHECKING:`, never run

    def where(self) -> str:
        return f"{self.importer}:{self.line} imports {self.imported}"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


class _Imports(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool):
        self.module, self.found, self.typing_only = module, [], False
        self.package = module if is_package else module.rpartition(".")[0]

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            outer, self.typing_only = self.typing_only, True
            for child in node.body:
                self.visit(child)
            self.typing_only = outer
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            package = self.package.split(".")
            base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            self._add(submodule if submodule in modules() else base, node)

    def _add(self, name: str, node: ast.stmt) -> None:
        self.found.append(Import(self.module, name, node.lineno, self.typing_only))


@cache
def all_imports() -> tuple[Import, ...]:
    found = []
    for module, path in modules().items():
        visitor = _Imports(module, path.name == "__init__.py")
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        found += visitor.found
    return tuple(found)


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    """Dotted prefixes: bot.core is within bot and bot.core, bot.coordination within neither."""
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


LAYERS = {
    # (modules, except these): what they must not import
    ("bot.core", ()): (
        *CHANNEL_LIBRARIES,
        "redis",
        "prometheus_client",
        "bot.coordination",
        "bot.metrics",
        "bot.telegram",
        "bot.viber",
        "bot.web",
        "bot.app",
        "bot.cli",
    ),
    ("bot.helpdesk", ()): (
        "aiogram",
        "viberbot",
        "bot.core",
        "bot.telegram",
        "bot.viber",
        "bot.web",
        "bot.metrics",
        "bot.app",
    ),
    ("catalog", ("catalog.search",)): ("bot", "catalog.search", *CHANNEL_LIBRARIES),
    ("catalog.search", ()): ("bot", *CHANNEL_LIBRARIES),
}


@pytest.mark.parametrize("layer, forbidden", LAYERS.items(), ids=[layer for layer, _ in LAYERS])
def test_a_layer_does_not_reach_up(layer, forbidden):
    package, exceptions = layer
    wrong = sorted(
        {
            i.where()
            for i in all_imports()
            if within(i.importer, (package,)) and not within(i.importer, exceptions) and within(i.imported, forbidden)
        }
    )
    assert wrong == [], "\n".join(wrong)


def test_the_rules_see_what_they_must():
    """The rules would pass on nothing: they see imports inside functions, and no more than prefixes."""
    seen = {(i.importer, i.imported) for i in all_imports()}
    assert ("bot.app", "bot.telegram.runner") in seen  # inside serve()
    assert within("bot.core.state", ("bot.core",)) and not within("bot.coordination", ("bot.core",))
    assert {"bot.core", "bot.storage.engine", "catalog.search.terms"} <= set(modules())


CHANNELS = ("bot.telegram", "bot.viber", "bot.web", "bot.terminal")


def _named(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def test_channels_talk_to_the_conversation_not_to_its_services():
    """`conversation.services` (`self.conversation.services`, ...) is the core's inside: the
    state store, the help desk, the limits. A channel gets what it needs handed to it."""
    wrong = []
    for module, path in modules().items():
        if within(module, CHANNELS):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and node.attr == "services" and _named(node.value) == "conversation":
                    wrong.append(f"{module}:{node.lineno}")
    assert wrong == [], "\n".join(wrong)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, or of one that imports itself (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for next_ in sorted(graph[node]):
            if next_ not in index:
                visit(next_)
                low[node] = min(low[node], low[next_])
            elif next_ in stack:
                low[node] = min(low[node], index[next_])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_modules_import_each_other():
    """Counted: imports at the top and inside functions, and a package's __init__, which Python
    runs before any of its modules. Not counted: imports only for the type checker."""
    ours = modules()
    graph: dict[str, set[str]] = {module: set() for module in ours}
    for i in all_imports():
        if i.typing_only:
            continue
        parts = i.imported.split(".")
        for end in range(1, len(parts) + 1):  # bot.core.state: bot, bot.core, then bot.core.state
            target = ".".join(parts[:end])
            if target in ours and target != i.importer:
                graph[i.importer].add(target)
    assert _cycles(graph) == [], "import each other: " + "; ".join(" ⇄ ".join(c) for c in _cycles(graph))
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]  # the check can fail


def test_opora_without_bot_tokens_never_imports_a_messenger_library():
    """aiogram alone takes two seconds to import: the web chat and `opora ask` start without it."""
    import subprocess
    import sys

    code = (
        "import sys, bot.app, bot.cli, bot.web.chat, bot.web.staff, bot.web.guard, bot.web.sessions;"
        "print(sorted(m for m in ('aiogram', 'viberbot') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"
