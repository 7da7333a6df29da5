"""Load and timing helpers of the iCal benchmark, on loopback only.

``run_conditional_load`` is ``bench.loadgen.run_load`` with request headers
and an expected status (304 for conditional requests); ``timed_get`` times one
GET on a fresh connection, body read to the end.
"""

from __future__ import annotations

import http.client
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench.loadgen import TIMEOUT_SECONDS, BadResponse, LoadResult


def timed_get(
    host: str, port: int, path: str, headers: dict[str, str] | None = None
) -> tuple[float, int, dict[str, str], bytes]:
    """One GET on a new connection: (seconds, status, headers, body)."""
    connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS)
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        return elapsed, response.status, dict(response.getheaders()), body
    finally:
        connection.close()


def _client_loop(
    host: str,
    port: int,
    path: str,
    headers: dict[str, str],
    expected: int,
    deadline: float,
    stop: threading.Event,
) -> list[float]:
    connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS)
    latencies: list[float] = []
    try:
        while not stop.is_set():
            started = time.perf_counter()
            if started >= deadline:
                break
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            latencies.append(time.perf_counter() - started)
            if response.status != expected:
                stop.set()
                raise BadResponse(
                    f"GET {path} answered {response.status} (expected {expected}): {body[:300]!r}"
                )
    except BaseException:
        stop.set()
        raise
    finally:
        connection.close()
    return latencies


def run_conditional_load(
    host: str,
    port: int,
    path: str,
    seconds: float,
    threads: int,
    headers: dict[str, str] | None = None,
    expected: int = 200,
) -> LoadResult:
    """Hit ``path`` with ``headers`` from ``threads`` clients for ``seconds``;
    ``BadResponse`` on the first answer whose status is not ``expected``."""
    stop = threading.Event()
    cpu_started = time.process_time()
    started = time.perf_counter()
    deadline = started + seconds
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench-ical")
    try:
        futures = [
            pool.submit(_client_loop, host, port, path, headers or {}, expected, deadline, stop)
            for _ in range(threads)
        ]
        per_thread = [future.result() for future in futures]
    except BaseException:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True)
    elapsed = time.perf_counter() - started
    latencies = [latency for thread in per_thread for latency in thread]
    return LoadResult(
        requests=len(latencies),
        elapsed=elapsed,
        client_cpu=time.process_time() - cpu_started,
        latencies=latencies,
    )
