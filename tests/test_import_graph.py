"""The layers of weizhi, kept by a check over the import graph of its source:

- no import cycles among weizhi modules, imports inside functions included;
- core imports no app (apps register their jobs, hooks and routes with core instead);
- search is a leaf below content: content uses it, it imports only core;
- content, audience, analytics and search import nothing from wechat, templates included
  (no `{% load %}` of a wechat template tag library);
- the WeChat protocol (wechat/protocol) imports neither Django nor anything of weizhi;
- the WeChat API client (wechat/api) imports nothing of weizhi above wechat/account.py (the
  account, the models, the protocol and core only);
- followers are written only by the audience app, the custom menu only by
  wechat/menu/services.py.

The checker reads the source with `ast` and imports none of it, so a violation planted in a
synthetic package (the tests at the end) is reported as one in weizhi would be.
"""

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DOMAIN_APPS = ("content", "audience", "analytics", "search")
TEMPLATE_LOAD = re.compile(r"{%-?\s*load\s+(.+?)\s*-?%}")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (or, for a name outside the tree, the dotted name)
    line: int
    in_function: bool


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules(root: Path, package: str) -> dict[str, Path]:
    """Every module of `package` (a directory under `root`), by dotted name; migrations aside,
    which only `migrate` loads."""
    return {
        module_name(path, root): path
        for path in sorted((root / package).rglob("*.py"))
        if "migrations" not in path.parts
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.Module) -> Iterable[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import that runs, with whether it runs inside a function (not at import time)."""

    def walk(node: ast.AST, in_function: bool) -> Iterable[tuple[ast.AST, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                yield from (pair for stmt in child.orelse for pair in walk_one(stmt, in_function))
                continue
            yield from walk_one(child, in_function)

    def walk_one(node: ast.AST, in_function: bool) -> Iterable[tuple[ast.AST, bool]]:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, in_function
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        yield from walk(node, inner)

    yield from walk(tree, False)  # type: ignore[misc]


def imports_of(source: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """The imports in one module, resolved to modules of the tree where they name one."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    package_parts = source.split(".") if is_package else source.split(".")[:-1]
    found = []
    for node, in_function in _import_nodes(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base_parts = package_parts[: len(package_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            # `from a import b` imports the module a.b when there is one, else a name of a.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        for target in dict.fromkeys(targets):
            found.append(Import(source, _resolve(target, modules), node.lineno, in_function))
    return found


def _resolve(target: str, modules: dict[str, Path]) -> str:
    """The longest prefix of a dotted name that is a module of the tree, or the name itself."""
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return target


def import_graph(root: Path, package: str) -> list[Import]:
    modules = package_modules(root, package)
    return [found for name, path in modules.items() for found in imports_of(name, path, modules)]


def find_cycles(imports: list[Import], within: str) -> list[str]:
    """One cycle path (a → b → … → a) per strongly connected group of modules of `within`,
    naming the group's other modules when it has more than the path."""
    graph: dict[str, set[str]] = {}
    for found in imports:
        if _inside(found.target, within) and found.target != found.source:
            graph.setdefault(found.source, set()).add(found.target)
    cycles = []
    for group in _strongly_connected(graph):
        if len(group) > 1:
            path = _a_cycle_through(min(group), graph, group)
            others = sorted(group - set(path))
            cycles.append(" → ".join(path) + (f" (and {', '.join(others)})" if others else ""))
    return sorted(cycles)


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    # Tarjan's algorithm, iterative so that deep graphs do not hit the recursion limit.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    groups.append(group)
    return groups


def _a_cycle_through(start: str, graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """The shortest path from start back to itself, staying inside the group."""
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        next_frontier = []
        for node in frontier:
            for child in sorted(graph.get(node, ())):
                if child == start:
                    return [*paths[node], start]
                if child in group and child not in paths:
                    paths[child] = [*paths[node], child]
                    next_frontier.append(child)
        frontier = next_frontier
    raise AssertionError(f"{start} is in a cycle group but no cycle was found")


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def forbidden_imports(imports: list[Import], source: str, targets: Iterable[str]) -> list[str]:
    """Imports from modules of `source` of any module under one of `targets`."""
    targets = tuple(targets)
    return [
        f"{found.source}:{found.line} imports {found.target}"
        for found in imports
        if _inside(found.source, source) and any(_inside(found.target, t) for t in targets)
    ]


def apps_of(root: Path, package: str) -> list[str]:
    """The apps of a project: the packages directly under it."""
    return sorted(
        f"{package}.{path.parent.name}" for path in (root / package).glob("*/__init__.py")
    )


def template_loads(root: Path, package: str, app: str) -> list[str]:
    """Template libraries loaded by an app's templates: those under `<package>/templates/<app>/`
    and `<package>/<app>/templates/`, as "path: library"."""
    directories = [root / package / "templates" / app, root / package / app / "templates"]
    found = []
    for directory in directories:
        for path in sorted(directory.rglob("*.html")):
            for match in TEMPLATE_LOAD.finditer(path.read_text(encoding="utf-8")):
                for library in match.group(1).split():
                    found.append((str(path.relative_to(root)), library))
    return [f"{path}: {library}" for path, library in found]


def template_libraries(root: Path, package: str, app: str) -> set[str]:
    """The names of the template tag libraries an app (or any of its sub-packages) provides."""
    return {
        path.stem
        for path in (root / package / app).rglob("templatetags/*.py")
        if path.name != "__init__.py"
    }


def violations(root: Path, package: str) -> list[str]:
    """Every broken rule in a project laid out like weizhi, one line each."""
    imports = import_graph(root, package)
    apps = apps_of(root, package)
    found = find_cycles(imports, package)
    core, search, wechat = f"{package}.core", f"{package}.search", f"{package}.wechat"
    found += forbidden_imports(imports, core, [app for app in apps if app != core])
    found += forbidden_imports(imports, search, [app for app in apps if app not in (core, search)])
    for app in DOMAIN_APPS:
        found += forbidden_imports(imports, f"{package}.{app}", [wechat])
    protocol = f"{wechat}.protocol"
    modules = package_modules(root, package)
    found += [
        f"{found.source}:{found.line} imports {found.target}"
        for found in imports
        if _inside(found.source, protocol)
        and not _inside(found.target, protocol)
        and (found.target in modules or found.target.split(".")[0] in ("django", "wagtail"))
    ]
    api = f"{wechat}.api"
    below_api = (api, f"{wechat}.account", f"{wechat}.models", f"{wechat}.records", protocol)
    found += [
        f"{found.source}:{found.line} imports {found.target}"
        for found in imports
        if _inside(found.source, api)
        and found.target in modules
        and not any(_inside(found.target, allowed) for allowed in (*below_api, core))
    ]
    wechat_libraries = template_libraries(root, package, "wechat")
    for app in DOMAIN_APPS:
        found += [
            f"{load} is a wechat template library"
            for load in template_loads(root, package, app)
            if load.rsplit(": ", 1)[1] in wechat_libraries
        ]
    return found


WRITES = {"create", "get_or_create", "update_or_create", "bulk_create", "bulk_update", "update"}


def writes_through_managers(root: Path, package: str, models: set[str]) -> list[tuple[str, str]]:
    """(module, "Model.objects.method:line") for every write called straight on the manager
    of one of `models` (Model.objects.create(…), Model.objects.filter(…).update(…), …)."""
    found = []
    for name, path in package_modules(root, package).items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in WRITES:
                continue
            model = _manager_model(node.func.value)
            if model in models:
                found.append((name, f"{model}.objects…{node.func.attr}:{node.lineno}"))
    return found


def _manager_model(node: ast.expr) -> str | None:
    """The model whose `objects` a chain of calls starts from: Follower in
    Follower.objects.filter(x=1).exclude(y=2)."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node.attr == "objects" and isinstance(node.value, ast.Name):
                return node.value.id
            node = node.value
        else:
            return None


def state_changes_outside_their_services(root: Path, package: str) -> list[str]:
    """Followers are written by the audience app (its services; the callback's upserts in
    audience/followers.py), the custom menu only by wechat/menu/services.py."""
    owners = {
        "Follower": (f"{package}.audience",),
        "CustomMenu": (f"{package}.wechat.menu.services", f"{package}.wechat.models"),
        "MenuPush": (f"{package}.wechat.menu.services",),
    }
    return [
        f"{module} writes {write}"
        for module, write in writes_through_managers(root, package, set(owners))
        if not any(_inside(module, owner) for owner in owners[write.split(".")[0]])
    ]


def test_weizhi_keeps_its_layers():
    assert violations(ROOT, "weizhi") == []


def test_followers_and_the_menu_change_only_through_their_owners_services():
    assert state_changes_outside_their_services(ROOT, "weizhi") == []


# The checker itself, on a synthetic project: it must see what it is meant to forbid.


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


CLEAN = {
    "proj/__init__.py": "",
    "proj/env.py": "",
    "proj/core/__init__.py": "",
    "proj/core/schedule.py": "from proj import env\n",
    "proj/search/__init__.py": "",
    "proj/search/backend.py": "from proj.core import schedule\n",
    "proj/content/__init__.py": "",
    "proj/content/models.py": "from proj.search import backend\nfrom . import views\n",
    "proj/content/views.py": "import proj.core.schedule\n",
    "proj/content/blocks.py": "",
    "proj/wechat/__init__.py": "",
    "proj/wechat/hooks.py": "from proj.content import models\n",
    "proj/wechat/templatetags/__init__.py": "",
    "proj/wechat/templatetags/wechat_share.py": "from django import template\n",
    "proj/wechat/protocol/__init__.py": "from .codec import decode\n",
    "proj/wechat/protocol/codec.py": "import hashlib\n\ndef decode(): ...\n",
    "proj/templates/content/story.html": "{% load static %}<p>{% static 'a.css' %}</p>\n",
}


def test_the_checker_passes_a_clean_project(tmp_path):
    write(tmp_path, CLEAN)
    assert violations(tmp_path, "proj") == []


def test_the_checker_reports_a_cycle_hidden_in_a_function(tmp_path):
    write(
        tmp_path,
        CLEAN
        | {
            "proj/content/views.py": "import proj.core.schedule\n\n"
            "def view():\n    from .models import Story\n",
        },
    )
    assert violations(tmp_path, "proj") == [
        "proj.content.models → proj.content.views → proj.content.models"
    ]


def test_the_checker_reports_a_cycle_through_a_relative_package_import(tmp_path):
    write(
        tmp_path,
        CLEAN
        | {
            "proj/wechat/a.py": "from . import b\n",
            "proj/wechat/b.py": "def f():\n    from .. import wechat\n    import proj.wechat.a\n",
        },
    )
    assert violations(tmp_path, "proj") == ["proj.wechat.a → proj.wechat.b → proj.wechat.a"]


def test_the_checker_names_every_module_of_a_tangle(tmp_path):
    write(
        tmp_path,
        CLEAN
        | {
            "proj/wechat/a.py": "from . import b\n",
            "proj/wechat/b.py": "from . import c\n",
            "proj/wechat/c.py": "from . import a, d\n",
            "proj/wechat/d.py": "def f():\n    from .b import x\n",
        },
    )
    assert violations(tmp_path, "proj") == [
        "proj.wechat.a → proj.wechat.b → proj.wechat.c → proj.wechat.a (and proj.wechat.d)"
    ]


def test_the_checker_reports_core_importing_an_app(tmp_path):
    write(
        tmp_path, CLEAN | {"proj/core/schedule.py": "def jobs():\n    import proj.content.blocks\n"}
    )
    assert violations(tmp_path, "proj") == ["proj.core.schedule:2 imports proj.content.blocks"]


def test_the_checker_reports_search_importing_content(tmp_path):
    write(tmp_path, CLEAN | {"proj/search/backend.py": "from proj.content.views import x\n"})
    assert violations(tmp_path, "proj") == ["proj.search.backend:1 imports proj.content.views"]


def test_the_checker_reports_a_domain_app_importing_wechat(tmp_path):
    write(tmp_path, CLEAN | {"proj/content/views.py": "from proj.wechat import hooks\n"})
    assert violations(tmp_path, "proj") == [
        "proj.content.models → proj.content.views → proj.wechat.hooks → proj.content.models",
        "proj.content.views:1 imports proj.wechat.hooks",
    ]


def test_the_checker_reports_a_domain_template_loading_a_wechat_library(tmp_path):
    write(
        tmp_path,
        CLEAN | {"proj/templates/content/story.html": "{% load static wechat_share %}\n"},
    )
    assert violations(tmp_path, "proj") == [
        "proj/templates/content/story.html: wechat_share is a wechat template library"
    ]


def test_the_checker_reports_an_impure_protocol(tmp_path):
    write(
        tmp_path,
        CLEAN
        | {
            "proj/wechat/protocol/codec.py": "import hashlib\nfrom django.conf import settings\n"
            "from proj import env\nfrom proj.wechat import hooks\n\ndef decode(): ...\n",
        },
    )
    assert violations(tmp_path, "proj") == [
        "proj.wechat.protocol.codec:2 imports django.conf",
        "proj.wechat.protocol.codec:3 imports proj.env",
        "proj.wechat.protocol.codec:4 imports proj.wechat.hooks",
    ]


def test_the_checker_reports_the_api_client_importing_a_feature_above_it(tmp_path):
    write(
        tmp_path,
        CLEAN
        | {
            "proj/wechat/account.py": "",
            "proj/wechat/publishing/__init__.py": "",
            "proj/wechat/publishing/services.py": "",
            "proj/wechat/api/__init__.py": "",
            "proj/wechat/api/client.py": "from proj.wechat import account\n"
            "from proj.core import schedule\n\n"
            "def send():\n    from proj.wechat.publishing import services\n",
        },
    )
    assert violations(tmp_path, "proj") == [
        "proj.wechat.api.client:5 imports proj.wechat.publishing.services"
    ]


def test_the_checker_reports_a_follower_written_outside_the_audience_app(tmp_path):
    write(
        tmp_path,
        CLEAN
        | {
            "proj/wechat/views.py": "def sign_in(openid):\n"
            "    Follower.objects.get_or_create(openid=openid)\n"
            "    Follower.objects.filter(openid=openid).update(subscribed=False)\n"
            "    Follower.objects.filter(openid=openid).first()\n"
            "    MenuPush.objects.create(buttons=[])\n",
            "proj/audience/__init__.py": "",
            "proj/audience/services.py": "Follower.objects.create(openid='x')\n",
        },
    )
    assert state_changes_outside_their_services(tmp_path, "proj") == [
        "proj.wechat.views writes Follower.objects…get_or_create:2",
        "proj.wechat.views writes Follower.objects…update:3",
        "proj.wechat.views writes MenuPush.objects…create:5",
    ]


def test_the_checker_ignores_imports_only_for_type_checking(tmp_path):
    write(
        tmp_path,
        CLEAN
        | {
            "proj/content/views.py": "from typing import TYPE_CHECKING\n\n"
            "if TYPE_CHECKING:\n    from .models import Story\n",
        },
    )
    assert violations(tmp_path, "proj") == []
