"""What the processes of a benchmark run used, read from /proc (Linux):
a process and its descendants, their peak memory, and CPU time by group."""

from __future__ import annotations

import os
from pathlib import Path


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc)."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return pids


def peak_memory_mib(pid: int) -> dict[int, float]:
    """VmHWM (peak resident memory) of each process of the tree, in MiB."""
    peaks = {}
    for member in process_tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[member] = int(line.split()[1]) / 1024
        except FileNotFoundError:
            continue
    return peaks


CPU_GROUPS = ("worker pool", "worker main", "sink", "postgres", "redis", "benchmark")


def cpu_seconds(worker_pid: int, sink_pid: int) -> dict[str, float]:
    """CPU time (user + system, from /proc) used so far by the worker's pool
    processes, its main process (which consumes from Redis), the sink,
    PostgreSQL's and Redis's server processes, and this script: read before
    and after the pipeline, it says who used the cores. Approximate: every
    ``postgres`` and ``redis-server`` process of the machine counts (another
    test run on the same servers inflates them), and a process that exits
    during the pipeline drops out of the second reading (none does with
    these settings: pooled connections, no ``max-tasks-per-child``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    worker = set(process_tree(worker_pid))
    totals = dict.fromkeys(CPU_GROUPS, 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name, rest = (entry / "stat").read_text().rsplit(")", 1)
        except (FileNotFoundError, ProcessLookupError):
            continue
        pid, command = int(entry.name), name.split("(", 1)[1]
        fields = rest.split()
        used = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        if pid == worker_pid:
            totals["worker main"] += used
        elif pid in worker:
            totals["worker pool"] += used
        elif pid == sink_pid:
            totals["sink"] += used
        elif pid == os.getpid():
            totals["benchmark"] += used
        elif command == "postgres":
            totals["postgres"] += used
        elif command.startswith("redis-server"):
            totals["redis"] += used
    return totals
