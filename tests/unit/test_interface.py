"""The algorithm interface (``byoa``): declared, complete, torch-free, and the only way in."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import byoa
from container.hooks import AlgorithmModule, CodecHooks
from container.plugin import load_algorithm
from tests.conftest import INSTALLED_ALGORITHM, REPO_ROOT, TOOLKIT_ALGORITHM

TOOLKIT_PACKAGES = ("container", "serve", "tests")


def test_every_declared_name_resolves() -> None:
    for name in byoa.__all__:
        assert getattr(byoa, name) is not None, name


def test_undeclared_names_are_refused_by_name() -> None:
    with pytest.raises(AttributeError, match="no attribute 'TrainingEnvironment'"):
        _ = byoa.TrainingEnvironment  # type: ignore[attr-defined]


def test_importing_the_interface_does_not_import_torch() -> None:
    probe = "import sys, byoa; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=REPO_ROOT, check=True)  # fmt: skip
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("protocol", [AlgorithmModule, CodecHooks])
def test_every_hook_states_its_contract(protocol: type) -> None:
    hooks = [n for n, v in vars(protocol).items() if inspect.isfunction(v) and n[0] != "_"]
    assert hooks
    for name in hooks:
        doc = inspect.getdoc(getattr(protocol, name)) or ""
        assert len(doc.split()) >= 20, f"{protocol.__name__}.{name} needs a docstring"


def _toolkit_imports(source: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        found += [f"{source.name}: {n}" for n in names if n.split(".")[0] in TOOLKIT_PACKAGES]
    return found


ALGORITHMS = sorted({INSTALLED_ALGORITHM, "examples.ridge", TOOLKIT_ALGORITHM})


def _package_sources(module_name: str) -> list[Path]:
    module = importlib.import_module(module_name)
    path = Path(module.__file__ or "")
    if path.name != "__init__.py":
        return [path]
    own_tests = path.parent / "tests"  # the algorithm's tests may use the toolkit's test helpers
    return sorted(p for p in path.parent.rglob("*.py") if own_tests not in p.parents)


@pytest.mark.parametrize("module_name", ALGORITHMS)
def test_an_algorithm_imports_the_toolkit_only_through_byoa(module_name: str) -> None:
    offending = [i for s in _package_sources(module_name) for i in _toolkit_imports(s)]
    assert not offending, f"import these names from byoa instead: {offending}"


@pytest.mark.parametrize("module_name", ALGORITHMS)
def test_an_algorithm_defines_the_protocols_names(module_name: str) -> None:
    module = load_algorithm(module_name).module
    for name in ("train", "model_fn", "predict_fn", "input_fn", "output_fn"):
        hook = getattr(module, name, None)
        if hook is None:
            continue
        declared = list(
            inspect.signature(
                getattr(AlgorithmModule, name, None) or getattr(CodecHooks, name)
            ).parameters
        )[1:]
        parameters = [p for p in inspect.signature(hook).parameters if p != "context"]
        assert len(parameters) == len(declared), f"{module_name}.{name}{parameters}"
