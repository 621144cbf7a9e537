"""pyproject.toml, environment.yml, the Makefile and CI agree with each other."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_installs_the_package_with_every_extra() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml needs exactly one pip: section"
    (entries,) = pip_sections
    match = [re.fullmatch(r"-e \.\[([\w,]+)\]", e) for e in entries]
    assert all(match), f"pip entries must be `-e .[extras]` only, got {entries}"
    extras = set(match[0].group(1).split(","))
    assert extras == set(_pyproject()["project"]["optional-dependencies"])
    # Only python and pip come from conda itself; everything else from pyproject.
    conda_names = {re.split(r"[<>=]", d)[0] for d in deps if isinstance(d, str)}
    assert conda_names == {"python", "pip"}


def test_python_floor_matches() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    py = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert py == "python" + _pyproject()["project"]["requires-python"]


def test_makefile_installs_the_same_extras_as_environment_yml() -> None:
    extras = re.search(r"^EXTRAS \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert extras, "Makefile must define EXTRAS"
    assert set(extras.group(1).split(",")) == set(_pyproject()["project"]["optional-dependencies"])


def test_ci_runs_make_test() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", script, re.M)


def test_runtime_dependencies_have_ranges() -> None:
    for dep in _pyproject()["project"]["dependencies"]:
        assert ">=" in dep and "<" in dep, f"{dep} needs a tested range (>=low,<next-major)"


def test_generated_data_is_ignored() -> None:
    ignored = (ROOT / ".gitignore").read_text().split()
    for entry in ("data/generated/", ".venv/", "artifacts/"):
        assert entry in ignored
