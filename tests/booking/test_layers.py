"""The house's layering, read from the code's own imports (module-level and inside
functions alike): no import circle between modules of booking/, and none of the
imports STYLE.md forbids (a lower room never imports a higher one, even lazily)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("booking", "faq", "prefecture")

# Rooms as path prefixes (relative to the repository), as the README's layout says.
ROOMS = {
    "rules": ("booking/rules.py", "booking/errors.py", "booking/phone.py"),
    "models": ("booking/models/",),
    "selectors": ("booking/selectors.py", "booking/availability.py"),
    "services": ("booking/services/",),
    "sms": ("booking/sms/",),
    "web": ("booking/web/",),
    "face": (
        "booking/views/",
        "booking/forms.py",
        "booking/admin/",
        "booking/urls.py",
    ),
    "tasks": ("booking/tasks.py",),
    "faq": ("faq/",),
}
# (importer, imported, why): the imports that must never exist.
NEVER = [
    ("rules", "models", "rules are pure: no ORM"),
    ("rules", "services", "rules know no writes"),
    ("rules", "face", "rules know no pages"),
    ("models", "services", "no side effects hidden in models"),
    ("sms", "models", "the provider client knows no database"),
    ("face", "sms", "pages never talk to the provider"),
    ("services", "tasks", "the tasks services enqueue live beside them"),
    ("selectors", "services", "reads never write"),
    ("services", "face", "writes know no pages"),
    ("services", "web", "writes know no request"),
    ("faq", "services", "the FAQ does not depend on booking"),
    ("faq", "models", "the FAQ does not depend on booking"),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    return {
        _module_name(path): path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    }


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    """Every module of ours this file imports, wherever the import statement is."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from booking import services` imports the submodule booking.services.
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    sources = _sources()
    known = set(sources)
    return {module: _imports(path, module, known) for module, path in sources.items()}


def _room(module: str, sources: dict[str, Path]) -> str | None:
    relative = sources[module].relative_to(ROOT).as_posix()
    for room, prefixes in ROOMS.items():
        if relative.startswith(prefixes):
            return room
    return None


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for child in graph.get(node, ()):
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in on_stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_lazy_imports():
    # The reader must find imports inside functions, or the test below proves nothing.
    graph = _graph()
    assert "booking.sms.checks" in graph["booking.apps"]
    assert "booking.services" in graph["booking.tasks"]


def test_no_import_circle_between_modules():
    # The former layout's circle (services → tasks → services, through a lazy import
    # and the services package) is what this finds; checked against commit 5d474a3.
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]
    ]


@pytest.mark.parametrize(("importer", "imported", "why"), NEVER)
def test_no_forbidden_import(importer, imported, why):
    sources = _sources()
    graph = _graph()
    offending = sorted(
        f"{module} → {target}"
        for module, targets in graph.items()
        if _room(module, sources) == importer
        for target in targets
        if _room(target, sources) == imported
    )
    assert offending == [], why


def test_nothing_imports_the_beat_entry_points():
    importers = [m for m, targets in _graph().items() if "booking.tasks" in targets]
    assert importers == []
