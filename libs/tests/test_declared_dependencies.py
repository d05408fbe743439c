"""libs/pyproject.toml names exactly the distributions marketplace_libs imports: a new import without a
declaration, or a declaration nothing uses any more, fails here."""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

LIBS = Path(__file__).resolve().parents[1]
PACKAGE = LIBS / "marketplace_libs"
# Modules Django imports from the dotted paths in marketplace_libs/settings.py ("whitenoise.middleware...").
DOTTED_PATH = re.compile(r"""["']([a-z_]+)\.[a-zA-Z_.]+["']""")


def _imported_top_level_modules() -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    found.update(DOTTED_PATH.findall((PACKAGE / "settings.py").read_text()))
    return found


def _distribution_names(modules: set[str]) -> set[str]:
    owners = packages_distributions()
    names = set()
    for module in modules:
        if module in sys.stdlib_module_names or module in ("marketplace_libs", "__future__"):
            continue
        if module in owners:
            names.update(_normal(name) for name in owners[module])
    return names


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((LIBS / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"], *sum(project.get("optional-dependencies", {}).values(), [])]
    return {_normal(re.split(r"[\[<>=;\s]", requirement, maxsplit=1)[0]) for requirement in requirements}


def test_pyproject_declares_exactly_what_marketplace_libs_imports():
    imported = _distribution_names(_imported_top_level_modules())
    declared = _declared()
    assert imported - declared == set(), "imported, not declared in libs/pyproject.toml"
    assert declared - imported == set(), "declared in libs/pyproject.toml, never imported"
