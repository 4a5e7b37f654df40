"""The package's layering, read from the source: no import cycle, and no layer that
reaches up into a layer above it.

Every ``import`` of a ``fastdimse`` module counts, wherever it stands: at module
level, inside a function (a lazy import), or under ``if TYPE_CHECKING:`` (a type
is a dependency too). Every module has a rank (``RANKS``), lowest first:
foundations, files and events, the upper layer, DIMSE, services, the engine,
the drivers; pynetdicom's public names and the apps sit above them all, and no
layer imports them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "python" / "fastdimse"

# Every module's layer, lowest first: a module may import its own layer and those
# below it, never those above. Listed by name or package prefix; anything not
# listed (pynetdicom's public names, ``aio``, the apps, the package itself) is the
# top, which no layer imports.
RANKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # The core, errors, configuration, validators, the status and SOP class tables.
    (
        "foundations",
        (
            "fastdimse._core",
            "fastdimse.errors",
            "fastdimse._config",
            "fastdimse._validation",
            "fastdimse._validators",
            "fastdimse._implementation",
            "fastdimse.utils",
            "fastdimse.status",
            "fastdimse._sop_class_table",
            "fastdimse.sop_class",
        ),
    ),
    # Part 10 files, spools, FileStore; the event API handlers see.
    ("files and events", ("fastdimse._files", "fastdimse.events")),
    # PS3.8: the state table, the sans-IO connection, negotiation, contexts.
    ("upper layer", ("fastdimse._upper",)),
    # PS3.7: primitives, command sets, the provider, the operations window.
    ("DIMSE", ("fastdimse._dimse", "fastdimse._logging")),
    # PS3.4: the service classes and what an SCU sends.
    ("services", ("fastdimse._services",)),
    # The association's policy shared by the drivers, the AE's settings.
    ("engine", ("fastdimse._engine",)),
    # The drivers: threads and asyncio.
    ("drivers", ("fastdimse._io",)),
)
LAYERS = tuple(name for name, _ in RANKS)
TOP = len(RANKS)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports_of(name: str) -> set[str]:
    """The fastdimse modules ``name`` imports, anywhere in its source."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    # The package itself is imported by Python before any of its modules: not a
    # dependency of one module on another.
    found.discard("fastdimse")
    return {module for module in found if module in MODULES and module != name}


GRAPH = {name: imports_of(name) for name in MODULES}


def rank_of(name: str) -> int:
    """The layer of ``name`` (``TOP`` for pynetdicom's public names and the apps)."""
    for rank, (_, prefixes) in enumerate(RANKS):
        if any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes):
            return rank
    return TOP


def cycles() -> Iterator[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = [0]
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in sorted(GRAPH[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return iter(found)


def test_the_reader_sees_the_package() -> None:
    assert "fastdimse._upper.connection" in MODULES
    assert "fastdimse._upper.state_table" in GRAPH["fastdimse._upper.connection"]
    assert "fastdimse._engine.core" in GRAPH["fastdimse._io.thread_association"]
    assert rank_of("fastdimse._upper.connection") < rank_of("fastdimse._io.threads")
    assert rank_of("fastdimse.association") == TOP


def test_no_import_cycle() -> None:
    found = list(cycles())
    assert found == [], "\n".join(" <-> ".join(component) for component in found)


@pytest.mark.parametrize("name", sorted(n for n in MODULES if rank_of(n) < TOP))
def test_no_layer_reaches_up(name: str) -> None:
    rank = rank_of(name)
    upward = sorted(other for other in GRAPH[name] if rank_of(other) > rank)
    assert upward == [], f"{name} ({LAYERS[rank]}) imports from above: {upward}"


def test_every_layer_has_modules() -> None:
    counts = {LAYERS[rank]: 0 for rank in range(TOP)}
    for name in MODULES:
        if rank_of(name) < TOP:
            counts[LAYERS[rank_of(name)]] += 1
    assert all(counts.values()), counts


def test_no_source_file_over_800_lines() -> None:
    long = {
        name: count
        for name, path in MODULES.items()
        if (count := len(path.read_text().splitlines())) > 800
    }
    assert long == {}
