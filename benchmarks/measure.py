"""Measuring one process: per-stage peaks inside it, and wall, CPU, memory and load from outside.

Inside a measured process (the staged runs of ``ours.py`` and ``dense.py``), :class:`Meter`
times each stage and records its peak resident memory: as a stage starts it resets the
kernel's high-water mark (``/proc/self/clear_refs`` = 5, Linux >= 4.0) and reads it
(``VmHWM``) when the stage ends. With ``log`` it also appends one line per stage event to a
file, so that the parent still knows the stage, time and memory when the process is killed.

Outside, :func:`spawn` runs a command in its own session and polls it every
:data:`POLL_S` seconds: the summed resident memory of its process tree (a future
``--jobs N`` may fork workers), the CPU the rest of the machine used (``/proc/stat`` minus the
tree's own CPU), and the limits: past ``timeout_s`` or ``mem_limit_mb`` the whole session is
killed and the run is reported as failed with what was seen until then.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

POLL_S = 0.25
_CLK = os.sysconf("SC_CLK_TCK")
_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


# ---------------------------------------------------------------- inside a measured process


def _status_mb(field_name: str, pid: str = "self") -> float | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def _maxrss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 2**20 if sys.platform == "darwin" else kb / 1024


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


class Meter:
    """Wall time, CPU time (all threads) and peak resident memory per stage of this process.

    Parameters
    ----------
    log
        File to append a JSON line to at each stage start and end (for the parent).
    """

    def __init__(self, log: str | None = None) -> None:
        self.stages: dict[str, dict[str, float]] = {}
        self.resettable = _reset_peak()
        self._log = log
        self._origin = time.perf_counter()
        self._stage: str | None = None
        self._t0 = 0.0
        self._cpu0 = 0.0
        self._rss0 = 0.0

    @staticmethod
    def rss_mb() -> float:
        value = _status_mb("VmRSS")
        return value if value is not None else _maxrss_mb()

    @staticmethod
    def peak_mb() -> float:
        value = _status_mb("VmHWM")
        return value if value is not None else _maxrss_mb()

    def begin(self, stage: str) -> None:
        """End the running stage (if any) and start ``stage``."""
        self.end()
        self._stage = stage
        if self.resettable:
            _reset_peak()
        self._rss0 = self.rss_mb()
        self._cpu0 = time.process_time()
        self._t0 = time.perf_counter()
        self._note("begin", stage, self._rss0)

    def end(self) -> None:
        """End the running stage."""
        if self._stage is None:
            return
        elapsed = time.perf_counter() - self._t0
        cpu = time.process_time() - self._cpu0
        peak = self.peak_mb()
        record = {
            "time_s": elapsed,
            "cpu_s": cpu,
            "peak_mb": peak,
            "start_mb": self._rss0,
            "end_mb": self.rss_mb(),
            "delta_mb": peak - self._rss0,
        }
        before = self.stages.get(self._stage)
        if before is not None:  # a stage entered again: add the times, keep the highest peak
            record["time_s"] += before["time_s"]
            record["cpu_s"] += before["cpu_s"]
            record["start_mb"] = before["start_mb"]
            record["peak_mb"] = max(peak, before["peak_mb"])
            record["delta_mb"] = max(record["delta_mb"], before["delta_mb"])
        self.stages[self._stage] = record
        self._note("end", self._stage, peak)
        self._stage = None

    def _note(self, event: str, stage: str, mb: float) -> None:
        if not self._log:
            return
        line = {"event": event, "stage": stage, "t": time.perf_counter() - self._origin, "mb": mb}
        with open(self._log, "a") as fh:
            fh.write(json.dumps(line) + "\n")


def read_log(path: Path) -> list[dict[str, Any]]:
    """The stage events a measured process wrote (possibly cut short by a kill)."""
    try:
        text = path.read_text()
    except OSError:
        return []
    events = []
    for line in text.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:  # a line cut short by the kill
            break
    return events


# ---------------------------------------------------------------- outside: the parent


def busy_cpu_s() -> float:
    """Busy CPU seconds of the whole machine so far (all processes), from ``/proc/stat``."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return float("nan")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    guest = sum(fields[8:10]) if len(fields) > 9 else 0  # already counted in user/nice
    return (sum(fields) - idle - guest) / _CLK


def _tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (``/proc/PID/task/TID/children``)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return out


def _tree_usage(pid: int) -> tuple[float, float]:
    """Resident MB and CPU seconds (user + system) of the live process tree of ``pid``."""
    rss = cpu = 0.0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/stat") as fh:
                stat = fh.read().rsplit(")", 1)[1].split()
            rss += int(stat[21]) * _PAGE_MB
            cpu += (int(stat[11]) + int(stat[12]) + int(stat[13]) + int(stat[14])) / _CLK
        except (OSError, ValueError, IndexError):
            continue
    return rss, cpu


@dataclass
class Run:
    """What was seen of one spawned process."""

    wall_s: float
    cpu_s: float
    peak_mb: float
    returncode: int | None
    other_cores: float | None  # mean CPU use of other processes, in cores
    other_cores_max: float | None  # highest over any ~2 s window
    loadavg: tuple[float, float]  # 1-minute load average at start and end
    killed: str | None = None  # why the parent stopped it
    stderr: str = ""
    samples: list[tuple[float, float]] = field(default_factory=list)  # (t, tree RSS MB)

    def record(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k not in ("stderr", "samples")}
        data["rss_timeline"] = self.samples[:: max(1, len(self.samples) // 200)]
        return data


def _loadavg() -> float:
    try:
        with open("/proc/loadavg") as fh:
            return float(fh.read().split()[0])
    except (OSError, ValueError):
        return float("nan")


def spawn(
    cmd: list[str], *, timeout_s: float | None = None, mem_limit_mb: float | None = None
) -> Run:
    """Run ``cmd`` to the end (or to a limit) and measure it from outside.

    Wall time; CPU and peak RSS from ``os.wait4`` (the child and its reaped descendants;
    ``ru_maxrss`` is the largest single process) raised to the largest summed tree RSS seen
    while polling; other processes' CPU from ``/proc/stat``.
    """
    load0 = _loadavg()
    busy0 = busy_cpu_s()
    window: list[tuple[float, float, float]] = []  # (t, busy, own cpu)
    other_max = 0.0
    samples: list[tuple[float, float]] = []
    tree_peak = tree_cpu = 0.0
    killed = None
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        # a thread waits for the end, so that the wall time is exact: taken after the polling
        # sleep, it came out up to POLL_S late (a quarter of a second on a 2-second run)
        ended: dict[str, Any] = {}
        done = threading.Event()

        def wait() -> None:
            _, ended["status"], ended["usage"] = os.wait4(proc.pid, 0)
            ended["at"] = time.perf_counter()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        while not done.is_set():
            now = time.perf_counter() - start
            rss, cpu = _tree_usage(proc.pid)
            tree_peak, tree_cpu = max(tree_peak, rss), max(tree_cpu, cpu)
            samples.append((round(now, 2), round(rss, 1)))
            window.append((now, busy_cpu_s(), cpu))
            while len(window) > 2 and window[-1][0] - window[0][0] > 2.0:
                window.pop(0)
            if len(window) > 1 and window[-1][0] - window[0][0] >= 1.0:
                (t0, b0, c0), (t1, b1, c1) = window[0], window[-1]
                other_max = max(other_max, max(0.0, (b1 - b0) - (c1 - c0)) / (t1 - t0))
            if killed is None and timeout_s is not None and now > timeout_s:
                killed = f"timeout: still running after {timeout_s:.0f} s"
            if killed is None and mem_limit_mb is not None and rss > mem_limit_mb:
                killed = (
                    f"memory: {rss:,.0f} MB resident, above the limit of {mem_limit_mb:,.0f} MB"
                )
            if killed is not None:
                os.killpg(proc.pid, signal.SIGKILL)  # the session we started, nothing else
            done.wait(POLL_S)
        wall = ended["at"] - start
        status, usage = ended["status"], ended["usage"]
        busy = busy_cpu_s() - busy0
        err.seek(0)
        tail = err.read().decode("utf-8", "replace")[-3000:]
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = max(usage.ru_utime + usage.ru_stime, tree_cpu)
    other = max(0.0, busy - cpu) / wall if busy == busy and wall > 0 else None
    return Run(
        wall_s=wall,
        cpu_s=cpu,
        peak_mb=max(usage.ru_maxrss / 1024, tree_peak),
        returncode=proc.returncode,
        other_cores=other,
        other_cores_max=max(other_max, other or 0.0) if other is not None else None,
        loadavg=(load0, _loadavg()),
        killed=killed,
        stderr=tail,
        samples=samples,
    )


def mem_available_mb() -> float | None:
    """``MemAvailable`` of ``/proc/meminfo`` in MB."""
    try:
        with open("/proc/meminfo") as fh:
            kb = next(int(ln.split()[1]) for ln in fh if ln.startswith("MemAvailable"))
        return kb / 1024
    except (OSError, StopIteration, ValueError):
        return None


def machine() -> dict[str, Any]:
    """CPU, cores, memory, OS and the versions of the libraries that matter."""
    import importlib.metadata as md

    import shapely

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    ram_gb = None
    try:
        with open("/proc/meminfo") as fh:
            kb = next(int(ln.split()[1]) for ln in fh if ln.startswith("MemTotal"))
            ram_gb = round(kb / 1024**2, 1)
    except (OSError, StopIteration):
        pass
    versions = {}
    for pkg in (
        "umkm-alloc",
        "numpy",
        "pandas",
        "shapely",
        "geopandas",
        "pyproj",
        "ortools",
        "scipy",
        "pyogrio",
        "pyarrow",
    ):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "geos": shapely.geos_version_string,
        "versions": versions,
    }


def describe_machine(m: dict[str, Any]) -> str:
    """One line describing the machine."""
    libs = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    return (
        f"{m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; {m['os']}; "
        f"Python {m['python']}; GEOS {m['geos']}; {libs}"
    )


def staged_main(run: Callable[[argparse.Namespace], dict[str, Any]], description: str) -> int:
    """The command line of a staged tool (``ours.py``, ``dense.py``): run it, write its JSON.

    Both take the inputs, ``--boundaries``, ``--max-km``, ``--circuity``, ``--out-dir``,
    ``--json`` (where the measurements go) and ``--log`` (stage events as they happen).
    """
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("producers")
    ap.add_argument("stores")
    ap.add_argument("--boundaries", default="banten")
    ap.add_argument("--max-km", type=float, default=20.0)
    ap.add_argument("--circuity", type=float, default=1.4)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--json", required=True, help="where to write the measurements")
    ap.add_argument("--log", help="append stage events here as they happen")
    args = ap.parse_args()
    Path(args.json).write_text(json.dumps(run(args)))
    return 0
