"""JupyterLab in headless Chromium (Debian's ``chromium``, driven by Playwright for Python).

The browser is never downloaded (``playwright install`` is not used): tests run against
``/usr/bin/chromium`` or ``$LABKIT_CHROMIUM``, and are skipped with a clear reason when neither
exists, unless ``LABKIT_REQUIRE_BROWSER=1`` (set by CI), which turns the skip into a failure.
JupyterLab and Chromium are started per test module and stopped by their own process ids,
pass or fail. Screenshots go to ``artifacts/browser/`` (git-ignored).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """The Chromium to drive, or None."""
    for candidate in (os.environ.get("LABKIT_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if chromium_path() or os.environ.get("LABKIT_REQUIRE_BROWSER") == "1":
        return
    skip = pytest.mark.skip(
        reason="no Chromium found (install Debian's `chromium` or set LABKIT_CHROMIUM); "
        "CI installs it and sets LABKIT_REQUIRE_BROWSER=1"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kill_tree(pid: int) -> None:
    """Terminate a process and its children by pid; kill what is left after 5 s."""
    try:
        parent = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    procs = [*parent.children(recursive=True), parent]
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.send_signal(signal.SIGTERM)
    _gone, alive = psutil.wait_procs(procs, timeout=5)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=5)


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    pid: int

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/notebooks/{name}?token={self.token}"

    def saved_notebook(self, name: str) -> dict:
        return json.loads((self.root / "notebooks" / name).read_text())


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab from this environment on 127.0.0.1, a free port and a token, serving a copy
    of the notebooks (so saving never touches the committed ones)."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    # the project's JupyterLab settings (as `make lab` installs them), as user settings here
    overrides = json.loads((ROOT / "jupyter" / "overrides.json").read_text())
    for plugin, values in overrides.items():
        package, name = plugin.split(":")
        folder = root / "settings" / package
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.jupyterlab-settings").write_text(json.dumps(values))
    port, token = _free_port(), os.urandom(16).hex()
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(root / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(root / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "LABKIT_SMALL": "1",
    }
    log = (root / "jupyter.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--ServerApp.open_browser=False",
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=root,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "JupyterLab did not start:\n" + (root / "jupyter.log").read_text()[-3000:]
                    ) from None
                time.sleep(0.3)
        yield Lab(url, token, root, proc.pid)
    finally:
        _kill_tree(proc.pid)
        proc.wait(timeout=10)  # reap it
        log.close()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's), closed and its processes killed by pid at the end."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        pytest.fail("LABKIT_REQUIRE_BROWSER=1 but no Chromium was found")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS, headless=True)
        pids = {
            p.pid for p in psutil.Process().children(recursive=True) if "chrom" in p.name().lower()
        }
        try:
            yield browser
        finally:
            with contextlib.suppress(Exception):
                browser.close()
            for pid in pids:
                _kill_tree(pid)


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        yield page
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True)
        context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def open_notebook(page, lab: Lab, name: str) -> None:
    """Open a notebook and wait until its kernel is idle."""
    page.goto(lab.notebook_url(name))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    select = page.get_by_role("button", name="Select", exact=True)
    with contextlib.suppress(Exception):  # a kernel dialog, if settings did not prevent it
        select.click(timeout=3000)
    page.wait_for_function(
        "() => { const s = document.querySelector('.jp-Notebook-ExecutionIndicator');"
        " return s && s.getAttribute('data-status') === 'idle'; }",
        timeout=60_000,
    )


def run_all_cells(page, timeout_s: float = 180) -> None:
    """Run > Run All Cells, then wait until no cell is queued or running."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_timeout(500)
    page.wait_for_function(
        "() => { const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];"
        " return prompts.length && prompts.every(p => /\\[\\d+\\]/.test(p.textContent)); }",
        timeout=timeout_s * 1000,
    )


def save(page) -> None:
    page.keyboard.press("Control+s")
    page.wait_for_timeout(1500)


def error_outputs(nb: dict) -> list[str]:
    """Error outputs of a saved notebook, as 'cell N: EName: value'."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
    return found
