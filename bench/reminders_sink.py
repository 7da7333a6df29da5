"""The SMTP sink of the reminders benchmark, in a process of its own.

    python bench/reminders_sink.py PORT DIRECTORY

An aiosmtpd server on 127.0.0.1:PORT that accepts everything. It writes how
many messages it accepted (and how many distinct Message-IDs) to
``DIRECTORY/count`` every 0.1 s, and keeps the raw messages it accepts until
it gets SIGUSR1: it then writes them to ``DIRECTORY/messages.bin`` (each one
as an 8-byte length, the envelope sender and recipient lines, then the
bytes), stops keeping them, and writes ``DIRECTORY/dumped``. The baseline
sends exactly those messages again.
"""

from __future__ import annotations

import signal
import struct
import sys
import threading
import time
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.ids: set[str] = set()
        self.kept: list[tuple[str, str, bytes]] | None = []
        self.parser = BytesHeaderParser()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001, ANN201
        content = envelope.original_content
        message_id = str(self.parser.parsebytes(content).get("Message-ID", ""))
        with self.lock:
            self.count += 1
            self.ids.add(message_id)
            if self.kept is not None:
                self.kept.append((envelope.mail_from, envelope.rcpt_tos[0], content))
        return "250 OK"


def main(port: int, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    dump_requested = threading.Event()
    stop = threading.Event()
    signal.signal(signal.SIGUSR1, lambda *_: dump_requested.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    (directory / "ready").write_text("ready")
    try:
        while not stop.is_set():
            with sink.lock:
                line = f"{sink.count} {len(sink.ids)}"
            partial = directory / "count.part"
            partial.write_text(line)
            partial.replace(directory / "count")
            if dump_requested.is_set():
                dump_requested.clear()
                with sink.lock:
                    kept, sink.kept = sink.kept or [], None
                with (directory / "messages.bin").open("wb") as out:
                    for sender, recipient, content in kept:
                        head = f"{sender}\n{recipient}\n".encode()
                        out.write(struct.pack(">II", len(head), len(content)) + head + content)
                (directory / "dumped").write_text(str(len(kept)))
            time.sleep(0.1)
    finally:
        controller.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
