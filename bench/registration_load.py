"""POST load for the registration benchmark: a timed load and a rush.

* ``run_post_load``: like ``loadgen.run_load`` but each request is a POST
  whose path and form body come from a ``make_request(n)`` callable (``n``
  unique in the process, so every sign-up has an e-mail of its own), and
  whose answer is checked by ``expect(status, location)``.
* ``run_rush``: ``clients`` threads, each with its own connection, wait on a
  barrier and then send one POST each at the same moment; the wall time runs
  from the release of the barrier to the last answer.

Any unexpected answer raises ``loadgen.BadResponse`` (with the start of the
body, where a refused form shows its French error).
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bench.loadgen import TIMEOUT_SECONDS, BadResponse, LoadResult, percentile

# (path, urlencoded form body) for request number n.
RequestMaker = Callable[[int], tuple[str, bytes]]
# Whether (status, Location header) is the expected answer.
Expectation = Callable[[int, str], bool]

FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
RUSH_TIMEOUT_SECONDS = 120.0

SIGNUP_PATH = "/events/{slug}/register"
SENT_PATH = "/events/{slug}/register/sent"
# The floor of a sign-up (bench/registration_app.py), for the same form.
FLOOR_PATH = "/_bench/floor/{slug}"

_request_numbers = itertools.count(1)
# Part of every e-mail, so that two runs against a kept database never collide.
RUN_TAG = f"{int(time.time()) % 100000:05d}"


def next_request_number() -> int:
    """A number unique within the process (``next()`` is atomic under the GIL)."""
    return next(_request_numbers)


def signup_form(email: str) -> bytes:
    """The sign-up form as a person fills it in (no phone, one seat, the
    honeypot left out: it must stay empty)."""
    return urllib.parse.urlencode(
        {
            "first_name": "Camille",
            "last_name": "Martin",
            "email": email,
            "phone": "",
            "structure": "Association Le Lien",
            "category": "grand-public",
            "consent": "y",
            "seats": "1",
        }
    ).encode()


def bench_email(number: int) -> str:
    """An address unique to request ``number`` of this run."""
    return f"inscrit.{RUN_TAG}.{number}@exemple.org"


def signup_request(slugs: list[str]) -> RequestMaker:
    """Sign-ups spread round-robin over ``slugs``, each with a new e-mail."""

    def make(number: int) -> tuple[str, bytes]:
        slug = slugs[number % len(slugs)]
        return SIGNUP_PATH.format(slug=slug), signup_form(bench_email(number))

    return make


def floor_request(slugs: list[str]) -> RequestMaker:
    """The sign-ups of ``signup_request(slugs)``, posted to the floor endpoint."""
    signups = signup_request(slugs)

    def make(number: int) -> tuple[str, bytes]:
        path, body = signups(number)
        slug = path.split("/")[2]  # /events/<slug>/register
        return FLOOR_PATH.format(slug=slug), body

    return make


def expect_signup(status: int, location: str) -> bool:
    """Success is a redirect (303, post/redirect/get) to the event's ``/register/sent`` page."""
    return status in (302, 303) and location.rstrip("/").endswith("/register/sent")


def bare_request(path: str) -> RequestMaker:
    """POSTs to a bare route, with an e-mail field like a sign-up's."""

    def make(number: int) -> tuple[str, bytes]:
        return path, urllib.parse.urlencode({"email": bench_email(number)}).encode()

    return make


def expect_ok(status: int, _location: str) -> bool:
    """Any 2xx."""
    return 200 <= status < 300


def post(connection: http.client.HTTPConnection, path: str, body: bytes, expect: Expectation) -> None:
    """Send one POST, read the answer, raise ``BadResponse`` if unexpected."""
    connection.request("POST", path, body=body, headers=FORM_HEADERS)
    response = connection.getresponse()
    content = response.read()
    location = response.getheader("Location") or ""
    if not expect(response.status, location):
        excerpt = content[:600].decode("utf-8", "replace")
        raise BadResponse(
            f"POST {path} answered {response.status} {response.reason} (Location: {location!r}): {excerpt!r}"
        )


def _client_loop(
    host: str,
    port: int,
    make_request: RequestMaker,
    expect: Expectation,
    deadline: float,
    stop: threading.Event,
) -> list[float]:
    connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS)
    latencies: list[float] = []
    try:
        while not stop.is_set():
            path, body = make_request(next_request_number())
            started = time.perf_counter()
            if started >= deadline:
                break
            post(connection, path, body, expect)
            latencies.append(time.perf_counter() - started)
    except BaseException:
        stop.set()
        raise
    finally:
        connection.close()
    return latencies


def run_post_load(
    host: str, port: int, make_request: RequestMaker, expect: Expectation, seconds: float, threads: int
) -> LoadResult:
    """POST from ``threads`` clients back to back for ``seconds``; requests in
    flight at the deadline are completed and counted."""
    stop = threading.Event()
    cpu_started = time.process_time()
    started = time.perf_counter()
    deadline = started + seconds
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench-client")
    try:
        futures = [
            pool.submit(_client_loop, host, port, make_request, expect, deadline, stop)
            for _ in range(threads)
        ]
        per_thread = [future.result() for future in futures]
    except BaseException:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True)
    elapsed = time.perf_counter() - started
    latencies = [latency for thread_latencies in per_thread for latency in thread_latencies]
    return LoadResult(
        requests=len(latencies),
        elapsed=elapsed,
        client_cpu=time.process_time() - cpu_started,
        latencies=latencies,
    )


@dataclass
class RushResult:
    """One burst: every client's latency, and the wall time of the burst."""

    clients: int
    wall: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Requests completed per second of the burst's wall time."""
        return len(self.latencies) / self.wall if self.wall else 0.0

    @property
    def p50_ms(self) -> float:
        return 1000 * percentile(self.latencies, 50)

    @property
    def p99_ms(self) -> float:
        return 1000 * percentile(self.latencies, 99)


def run_rush(
    host: str, port: int, make_request: RequestMaker, expect: Expectation, clients: int
) -> RushResult:
    """``clients`` threads, one connection each, released together by a
    barrier, each sending one POST. Raises ``BadResponse`` (after every
    client has finished) if any answer was unexpected."""
    barrier = threading.Barrier(clients)
    starts: list[float] = [0.0] * clients
    ends: list[float] = [0.0] * clients
    errors: list[str] = []
    requests = [make_request(next_request_number()) for _ in range(clients)]

    def client(index: int) -> None:
        path, body = requests[index]
        connection = http.client.HTTPConnection(host, port, timeout=RUSH_TIMEOUT_SECONDS)
        try:
            barrier.wait(timeout=60)
            starts[index] = time.perf_counter()
            post(connection, path, body, expect)
            ends[index] = time.perf_counter()
        except Exception as error:  # noqa: BLE001 - reported for all clients below
            errors.append(f"{type(error).__name__}: {error}")
            barrier.abort()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=client, args=(index,), name=f"bench-rush-{index}", daemon=True)
        for index in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise BadResponse(f"{len(errors)} of {clients} rush requests failed; first: {errors[0]}")
    return RushResult(
        clients=clients,
        wall=max(ends) - min(starts),
        latencies=[end - start for start, end in zip(starts, ends, strict=True)],
    )
