"""A small HTTP load generator for benchmarks on loopback: threads of http.client.

A path may contain ``{n}``: it is replaced by a number unique to each request
(to defeat a page cache keyed on the URL).

Each thread keeps one ``http.client.HTTPConnection`` and sends GET requests
back to back until the deadline (HTTP/1.1 keep-alive when the server allows
it; gunicorn's sync workers close the connection after each response and
http.client then reconnects by itself, so the connection cost is part of
every request, the same for every target). Any answer other than 200 stops
the run with ``BadResponse``.
"""

from __future__ import annotations

import http.client
import itertools
import math
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

TIMEOUT_SECONDS = 30.0


class BadResponse(RuntimeError):
    """The server answered something other than 200."""


@dataclass
class LoadResult:
    """Requests completed during one or more timed runs, with their latencies."""

    requests: int = 0
    elapsed: float = 0.0
    # CPU time of this (client) process meanwhile, all threads: how much of
    # the machine the load generator itself took from the server.
    client_cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)
    round_rps: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    @property
    def client_cpu_share(self) -> float:
        """Client CPU time / wall time (1.0 = one core busy all along)."""
        return self.client_cpu / self.elapsed if self.elapsed else 0.0

    @property
    def mean_ms(self) -> float:
        return 1000 * sum(self.latencies) / len(self.latencies) if self.latencies else 0.0

    @property
    def p95_ms(self) -> float:
        return 1000 * percentile(self.latencies, 95)

    def add(self, other: LoadResult) -> None:
        """Pool another run into this one (requests, time and latencies)."""
        self.requests += other.requests
        self.elapsed += other.elapsed
        self.client_cpu += other.client_cpu
        self.latencies.extend(other.latencies)
        self.round_rps.append(other.rps)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(math.ceil(pct / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def fetch(host: str, port: int, path: str, timeout: float = TIMEOUT_SECONDS) -> tuple[int, bytes]:
    """One GET on a fresh connection: (status, body)."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# Numbers for ``{n}`` in paths, unique within the process (next() is atomic under the GIL).
_request_numbers = itertools.count(1)


def expand_path(path: str, number: int | str) -> str:
    """``path`` with ``{n}`` replaced by ``number`` (unchanged without ``{n}``)."""
    return path.replace("{n}", str(number))


def _client_loop(host: str, port: int, path: str, deadline: float, stop: threading.Event) -> list[float]:
    connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS)
    latencies: list[float] = []
    unique = "{n}" in path
    try:
        while not stop.is_set():
            request_path = expand_path(path, next(_request_numbers)) if unique else path
            started = time.perf_counter()
            if started >= deadline:
                break
            connection.request("GET", request_path)
            response = connection.getresponse()
            body = response.read()
            latencies.append(time.perf_counter() - started)
            if response.status != 200:
                stop.set()
                excerpt = body[:300].decode("utf-8", "replace")
                raise BadResponse(
                    f"GET {request_path} answered {response.status} {response.reason}: {excerpt!r}"
                )
    except BaseException:
        stop.set()
        raise
    finally:
        connection.close()
    return latencies


def run_load(host: str, port: int, path: str, seconds: float, threads: int) -> LoadResult:
    """Hit ``path`` from ``threads`` clients for ``seconds``; raises ``BadResponse``
    on the first answer that is not 200. Requests in flight at the deadline are
    completed and counted, and the elapsed time runs until the last of them."""
    stop = threading.Event()
    cpu_started = time.process_time()
    started = time.perf_counter()
    deadline = started + seconds
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench-client")
    try:
        futures = [pool.submit(_client_loop, host, port, path, deadline, stop) for _ in range(threads)]
        per_thread = [future.result() for future in futures]
    except BaseException:
        stop.set()  # interrupted (Ctrl-C, SIGTERM) or failed: the other clients stop too
        raise
    finally:
        pool.shutdown(wait=True)
    elapsed = time.perf_counter() - started
    client_cpu = time.process_time() - cpu_started
    latencies = [latency for thread_latencies in per_thread for latency in thread_latencies]
    return LoadResult(requests=len(latencies), elapsed=elapsed, client_cpu=client_cpu, latencies=latencies)
