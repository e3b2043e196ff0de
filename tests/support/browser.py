"""Drive a real headless Chromium (Debian's ``chromium`` package) for the HTML report tests.

No browser is downloaded: the binary is ``$KAIFAQU_CHROMIUM``, or ``chromium`` /
``chromium-browser`` / ``google-chrome`` on PATH. Tests skip when none is found.
Every run uses a fresh profile directory and switches off everything that
would reach the network on its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["find_chromium", "dump_dom", "screenshot"]

_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--hide-scrollbars", "--mute-audio",
]


def find_chromium() -> str | None:
    """Return the path of a Chromium binary, or None when there is none."""
    explicit = os.environ.get("KAIFAQU_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    binary = find_chromium()
    if binary is None:
        raise FileNotFoundError("no chromium binary")
    with tempfile.TemporaryDirectory(prefix="kaifaqu-chromium-") as profile:
        return subprocess.run([binary, *_FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout, check=True)


def dump_dom(url: str, *, timeout: float = 60) -> str:
    """Return the serialized DOM of ``url`` after its scripts ran (2 s of virtual time)."""
    return _run(["--virtual-time-budget=2000", "--dump-dom", url], timeout).stdout


def screenshot(url: str, path: Path, *, size: tuple[int, int] = (1280, 1800), timeout: float = 60) -> Path:
    """Save a PNG screenshot of ``url`` at window ``size`` to ``path`` and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _run([f"--window-size={size[0]},{size[1]}", "--virtual-time-budget=2000", f"--screenshot={path}", url], timeout)
    return path
