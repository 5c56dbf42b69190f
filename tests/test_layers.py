"""The house stays easy to see: no import circles, and no import from a lower layer up.

Every module of the project is parsed with `ast` (never imported) and each of its imports is
read, wherever it stands: at the top, inside a function (an import put there to dodge a
circle is still a dependency), and under `if TYPE_CHECKING:`. TYPE_CHECKING-only imports
count: a module that names a higher layer's class in its annotations, or a protocol from
above, depends on that layer as surely as one that calls it; the cure is a protocol, or the
callables passed in, from the lower side.

What counts as an import of module M:
- `import a.b` and `from a.b import c` of a project module: the module named (a.b), or the
  submodule a.b.c when c is one; relative imports are resolved first;
- and the packages on the way: importing a.b.c runs `a/b/__init__.py` first, so a module
  outside a.b that imports a.b.c depends on a.b too. A module's own packages do not count
  (they are already being imported when it runs; a package that gathers its own submodules
  would otherwise be in a circle with each of them).

The layers, bottom first, are in LAYERS below: a module may import modules of its own layer
and of the layers below it, never of a layer above. Each module belongs to the layer of the
longest dotted prefix that names it ("a.__init__" names the package a alone); a project
module no prefix names fails the test (say where it belongs). `bench/` and `tests/` stand
outside, above everything: they may import anything and nothing may import them.
"""

from __future__ import annotations

import ast
import itertools
from collections import deque
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# Every folder of Python code in the project.
PACKAGES = (
    "translation", "understanding", "storage", "actions", "emulator",
    "bot", "staff", "console", "bench", "tests",
)

# Bottom first. The gateway's folder `bot/` holds three floors of its own: its ground (what
# staff and the console use too), the patient's conversation (below the staff side, which
# relays into it), and the process that assembles everything (above the console it starts).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # A local Bot API: runs on its own, imports nothing of the project.
    ("the Bot API emulator", ("emulator",)),
    # The patient's language and the Hindi laid over the English content.
    ("translation", ("translation",)),
    # The deterministic readings of the NLU pipeline, the procedure catalog among them.
    ("understanding", ("understanding",)),
    # The database: models, migrations, the repository, receipts, the reports' queries.
    ("storage", ("storage",)),
    # Rasa's custom actions: pure, reading the tracker and content/.
    ("actions", ("actions",)),
    # The gateway's ground: paths, configuration, logs, its wording, metrics, the model.
    (
        "the bot's ground",
        (
            "bot.__init__", "bot.paths", "bot.config", "bot.logs", "bot.content", "bot.commands",
            "bot.model", "bot.metrics", "bot.actionserver",
        ),
    ),
    # The one interface the gateway reaches Rasa through, and its two implementations.
    ("the dialogue seam", ("bot.dialogue",)),
    # Updates in, messages out: the durable inbox and outbox, turns, rendering, receipts.
    (
        "delivery",
        (
            "bot.inbox", "bot.outbox", "bot.outbox_payloads", "bot.outbox_tasks", "bot.turn_buffer",
            "bot.ratelimit", "bot.render", "bot.incoming", "bot.turns", "bot.receipts",
            "bot.locks", "bot.ordering", "bot.transport", "bot.failover", "bot.webhook",
        ),
    ),
    # A patient's conversation: routing, turns, effects, withdrawal, language, handlers.
    (
        "the patient's conversation",
        (
            "bot.gateway_ports", "bot.gateway", "bot.patient_turns", "bot.effects",
            "bot.withdrawal", "bot.language", "bot.leave", "bot.handlers",
        ),
    ),
    # The staff groups: cards, topics, relay, the desk and its handlers.
    ("the staff side", ("staff",)),
    # The care console, served inside the bot's process.
    ("the console", ("console",)),
    # The process: the Application, the runtime that starts the bot and the console, the
    # start-up checks, the sandbox, `python -m bot`.
    (
        "the process",
        (
            "bot.app", "bot.runtime", "bot.__main__", "bot.check", "bot.check_server",
            "bot.preflight", "bot.startup", "bot.sandbox", "bot.migrate", "bot.check_result",
            "bot.sandbox_world",
        ),
    ),
)

OUTSIDE = ("bench", "tests")

# Known tangles not yet undone, each an import "a -> b" that closes a circle or runs upward.
# Empty since issue 23 (point 4) undid them all: keep it so. An entry that no longer occurs
# fails the test too, so the list can only shrink.
EXPECTED: frozenset[str] = frozenset()


def project_modules() -> dict[str, Path]:
    """Dotted module name -> file, for every Python file of the project's folders."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _imported_names(module: str, path: Path) -> Iterator[tuple[str, str]]:
    """Each name an import statement of the module asks for, wherever it stands, with the
    name it falls back to: `from a import b` asks for the module a.b, else for a."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.split(".") if is_package else module.split(".")[:-1]
                here = here[: len(here) - (node.level - 1)]
                base = ".".join([*here, base] if base else here)
            yield from ((f"{base}.{alias.name}", base) for alias in node.names)


def import_graph(packages_on_the_way: bool = True) -> dict[str, set[str]]:
    """Module -> the project modules it imports (itself and its own packages left out); with
    the packages each import runs on the way, unless `packages_on_the_way` is False."""
    modules = project_modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = {
            name if name in modules else fallback
            for name, fallback in _imported_names(module, path)
            if name in modules or fallback in modules
        }
        # Importing a.b.c runs a/b/__init__.py first, unless a.b is the importer's own package.
        if packages_on_the_way:
            targets |= {p for target in targets for p in _packages_of(target, modules)}
        graph[module] = {t for t in targets if t != module and not module.startswith(t + ".")}
    return graph


def _packages_of(module: str, modules: dict[str, Path]) -> Iterator[str]:
    parts = module.split(".")
    for end in range(1, len(parts)):
        package = ".".join(parts[:end])
        if package in modules:
            yield package


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's components of more than one module (iterative: no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
    return components


def _shortest_path(
    graph: dict[str, set[str]], start: str, goal: str, within: set[str]
) -> list[str]:
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node] & within):
            if child not in came_from and child != start:
                came_from[child] = node
                if child == goal:
                    path = [goal]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return path[::-1]
                queue.append(child)
    raise AssertionError(f"no path {start} -> {goal}")


def circles(graph: dict[str, set[str]]) -> tuple[list[str], set[str]]:
    """Readable circles (each import on one shown once at least) and the imports on them."""
    shown: list[str] = []
    edges: set[str] = set()
    for component in _strongly_connected(graph):
        covered: set[tuple[str, str]] = set()
        for source in sorted(component):
            for target in sorted(graph[source] & component):
                edges.add(f"{source} -> {target}")
                if (source, target) in covered:
                    continue
                path = [source, *_shortest_path(graph, target, source, component)]
                covered |= set(itertools.pairwise(path))
                shown.append(" -> ".join(path))
    return shown, edges


def layer_of(module: str) -> int | None:
    """The index in LAYERS of the longest prefix naming the module; None outside or unnamed."""
    best: tuple[int, int] | None = None
    for number, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if prefix.endswith(".__init__"):  # the package itself, not what is in it
                if module == prefix.removesuffix(".__init__"):
                    return number
            elif module == prefix or module.startswith(prefix + "."):
                length = prefix.count(".") + 1
                if best is None or length > best[0]:
                    best = (length, number)
    return None if best is None else best[1]


def _outside(module: str) -> bool:
    return module.split(".")[0] in OUTSIDE


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for module in sorted(graph):
        if _outside(module):
            continue
        for target in sorted(graph[module]):
            if _outside(target):
                found.append(f"{module} -> {target} (into {target.split('.')[0]}/)")
                continue
            low, high = layer_of(module), layer_of(target)
            if low is not None and high is not None and high > low:
                found.append(
                    f"{module} -> {target} ({LAYERS[low][0]} -> {LAYERS[high][0]})"
                )
    return found


def test_every_module_has_a_layer() -> None:
    unnamed = [m for m in project_modules() if not _outside(m) and layer_of(m) is None]
    assert not unnamed, f"say in LAYERS where these belong: {unnamed}"


def test_no_import_circles_and_no_import_upward() -> None:
    shown, circle_edges = circles(import_graph())
    # Upward: the imports as written; their packages on the way would only say them twice.
    upward = upward_imports(import_graph(packages_on_the_way=False))
    upward_edges = {line.split(" (")[0] for line in upward}
    new_circles = [c for c in shown if not _within(c, EXPECTED)]
    new_upward = [u for u in upward if u.split(" (")[0] not in EXPECTED]
    gone = sorted(EXPECTED - circle_edges - upward_edges)
    report = []
    if new_circles:
        report.append("import circles:\n  " + "\n  ".join(new_circles))
    if new_upward:
        report.append("imports from a lower layer up:\n  " + "\n  ".join(new_upward))
    if gone:
        report.append("undone, take them out of EXPECTED:\n  " + "\n  ".join(gone))
    assert not report, "\n".join(report)


def _within(circle: str, expected: frozenset[str]) -> bool:
    """A circle is expected when one of its imports is (undoing that one breaks it)."""
    path = circle.split(" -> ")
    return any(f"{a} -> {b}" in expected for a, b in itertools.pairwise(path))


def test_the_reader_sees_imports_everywhere(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import bot.config\n"
        "from .sibling import thing\n"
        "if TYPE_CHECKING:\n"
        "    from bot.runtime import Runtime\n"
        "def later():\n"
        "    from console import wiring\n",
        encoding="utf-8",
    )
    names = {name for name, _ in _imported_names("staff.mod", source)}
    assert {"bot.config", "staff.sibling.thing", "bot.runtime.Runtime", "console.wiring"} <= names


def test_circles_are_read_as_paths() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    shown, edges = circles(graph)
    assert shown == ["a -> b -> c -> a"]
    assert edges == {"a -> b", "b -> c", "c -> a"}
