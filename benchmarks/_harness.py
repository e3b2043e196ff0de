"""What every benchmark returns, the machine it ran on, and the markdown they become."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata

__all__ = ["Row", "Section", "machine", "machine_markdown", "percentile", "fmt"]


@dataclass(frozen=True)
class Row:
    """One measured number: what, the value as shown, the target (if any) and whether it is met."""

    metric: str
    value: str
    target: str = ""
    met: bool | None = None  # None: no target


@dataclass
class Section:
    """One benchmark's results: a table, notes under it, and the raw numbers (for tests and JSON)."""

    name: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    seconds: float = 0.0

    def markdown(self) -> str:
        """Return the section as markdown: a heading, the table, then the notes."""
        lines = [f"## {self.title}", "", "| metric | value | target | met |", "| --- | --- | --- | --- |"]
        for row in self.rows:
            met = "" if row.met is None else ("yes" if row.met else "**no**")
            lines.append(f"| {row.metric} | {row.value} | {row.target} | {met} |")
        lines.append("")
        lines.extend(f"{note}\n" for note in self.notes)
        lines.append(f"_(`python -m benchmarks {self.name}` took {self.seconds:.1f} s.)_\n")
        return "\n".join(lines)


def percentile(values: list[float], q: float) -> float:
    """Return the ``q`` quantile (0..1) of ``values`` (linear interpolation)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, round(q * 100) - 1))]


def fmt(value: float, digits: int = 2) -> str:
    """Return ``value`` with ``digits`` decimals."""
    return f"{value:.{digits}f}"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict:
    """Return a description of this machine and of the packages the numbers depend on."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=os.path.dirname(__file__), timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "ram_gib": round(_ram_gib(), 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "packages": {p: _version(p) for p in ("kaifaqu-llm", "openai", "instructor", "pydantic", "httpx2", "tiktoken")},
        "commit": commit,
        "load": os.getloadavg(),
    }


def machine_markdown(info: dict) -> str:
    """Return the machine paragraph of results.md."""
    packages = ", ".join(f"{name} {version}" for name, version in info["packages"].items())
    return (
        f"Measured {info['date']} on {info['cpus']} CPU(s) ({info['cpu_model']}), {info['ram_gib']} GiB RAM, "
        f"{info['os']}, {info['python']}; {packages}"
        + (f"; repository at commit {info['commit']}" if info["commit"] else "")
        + f". Load average when the run ended: {' / '.join(f'{x:.2f}' for x in info['load'])} (1 / 5 / 15 min; "
        "other work on the machine slows the client and the server alike)"
        + ". The model server is `tests/support/fake_openai_server.py` in a separate process (or thread where noted) "
        "on 127.0.0.1, answering valid profiles after a fixed latency; it shares these CPUs with the client."
    )
