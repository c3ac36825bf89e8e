"""The demo's mail server on 127.0.0.1: a minimal SMTP receiver that keeps every message it is sent."""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass
from types import TracebackType

# Enough for any alert or digest; a runaway client cannot fill the memory.
MAX_MESSAGE_BYTES = 20_000_000
MAX_LINE_BYTES = 4096


@dataclass(frozen=True)
class Received:
    """One message as it crossed the wire (CRLF line ends, dot-stuffing undone)."""

    mail_from: str
    recipients: tuple[str, ...]
    raw: bytes


class Mailbox:
    """Start with `with Mailbox() as box:`; point [email] at `box.port` with security "none"."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._lock = threading.Lock()
        self._messages: list[Received] = []
        self._server = socketserver.ThreadingTCPServer((host, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._messages)

    def keep(self, message: Received) -> None:
        with self._lock:
            self._messages.append(message)

    def __enter__(self) -> Mailbox:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _address(argument: bytes) -> str:
    """The address in `FROM:<a@b> BODY=8BITMIME` or `TO:<a@b>`."""
    text = argument.decode("utf-8", "replace")
    start, end = text.find("<"), text.find(">")
    if start >= 0 and end > start:
        return text[start + 1 : end]
    return text.partition(":")[2].strip().split(" ")[0]


def _handler_for(box: Mailbox) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            self._reply("220 monitor-demo ESMTP")
            sender: str | None = None
            recipients: list[str] = []
            while True:
                line = self.rfile.readline(MAX_LINE_BYTES)
                if not line:
                    return
                verb, _, argument = line.rstrip(b"\r\n").partition(b" ")
                command = verb.upper()
                if command == b"EHLO":
                    self._reply("250-monitor-demo", "250-8BITMIME", "250 SIZE 20000000")
                elif command == b"HELO":
                    self._reply("250 monitor-demo")
                elif command == b"MAIL":
                    sender, recipients = _address(argument), []
                    self._reply("250 OK")
                elif command == b"RCPT":
                    recipients.append(_address(argument))
                    self._reply("250 OK")
                elif command == b"DATA":
                    if sender is None or not recipients:
                        self._reply("503 need MAIL and RCPT first")
                        continue
                    self._reply("354 end with <CRLF>.<CRLF>")
                    raw = self._data()
                    if raw is None:
                        self._reply("552 message too large")
                        return
                    box.keep(Received(sender, tuple(recipients), raw))
                    sender, recipients = None, []
                    self._reply("250 OK: kept")
                elif command in (b"RSET", b"NOOP"):
                    if command == b"RSET":
                        sender, recipients = None, []
                    self._reply("250 OK")
                elif command == b"QUIT":
                    self._reply("221 bye")
                    return
                else:
                    self._reply("502 not implemented")

        def _data(self) -> bytes | None:
            lines: list[bytes] = []
            size = 0
            while True:
                line = self.rfile.readline(MAX_MESSAGE_BYTES)
                if not line or line in (b".\r\n", b".\n"):
                    return b"".join(lines)
                size += len(line)
                if size > MAX_MESSAGE_BYTES:
                    return None
                # Dot-stuffing: the client doubled every leading dot.
                lines.append(line[1:] if line.startswith(b".") else line)

        def _reply(self, *lines: str) -> None:
            self.wfile.write("".join(f"{line}\r\n" for line in lines).encode("ascii"))
            self.wfile.flush()

    return Handler
