"""The example proxy (bench/scaleout/nginx.conf), run by a real nginx in front of two tiny
HTTP servers: a chat's updates reach one worker, and a dead worker's chats reach the other."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.scaleout.proxy import Proxy, nginx_binary

pytestmark = pytest.mark.skipif(
    nginx_binary() is None, reason="nginx is not installed (apt-get install -y nginx-light)"
)


class _Worker(BaseHTTPRequestHandler):
    """Answers each POST with its own port, as if it were the bot worker behind that port."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = str(self.server.server_address[1]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        """Quiet: the test reads answers, not logs."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def workers() -> Iterator[list[ThreadingHTTPServer]]:
    servers = [ThreadingHTTPServer(("127.0.0.1", _free_port()), _Worker) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def proxy(tmp_path: Path, workers: list[ThreadingHTTPServer]) -> Iterator[int]:
    port = _free_port()
    running = Proxy(tmp_path, port, [server.server_address[1] for server in workers])
    running.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield port
    running.stop()


def _post(port: int, update: dict[str, object]) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/telegram",
        data=json.dumps(update).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.read())


def _message(update_id: int, chat: int) -> dict[str, object]:
    sender = {"id": chat, "is_bot": False, "first_name": "P"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": sender,
            "chat": {"id": chat, "type": "private", "first_name": "P"},
            "date": 1_700_000_000,
            "text": "hello",
        },
    }


def _button(update_id: int, chat: int) -> dict[str, object]:
    sender = {"id": chat, "is_bot": False, "first_name": "P"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id),
            "from": sender,
            "message": {
                "message_id": 1,
                "from": {"id": 1, "is_bot": True, "first_name": "Bot"},
                "chat": {"id": chat, "type": "private"},
                "date": 1_700_000_000,
                "text": "Choose",
            },
            "chat_instance": "1",
            "data": "yes",
        },
    }


def test_each_chat_stays_on_one_worker_whatever_the_update(proxy: int) -> None:
    chats = [1000 + n for n in range(40)] + [-1001234567890]
    first = {chat: _post(proxy, _message(chat, chat)) for chat in chats}
    assert len(set(first.values())) == 2, "all chats on one worker: nothing was spread"
    for round_ in range(3):
        for chat in chats:
            make = _button if round_ % 2 else _message
            assert _post(proxy, make(10_000 * (round_ + 1) + chat, chat)) == first[chat], chat


def test_a_dead_workers_chats_go_to_the_other(
    proxy: int, workers: list[ThreadingHTTPServer]
) -> None:
    chats = [2000 + n for n in range(40)]
    before = {chat: _post(proxy, _message(chat, chat)) for chat in chats}
    dead, alive = workers[0], workers[1]
    dead.shutdown()
    dead.server_close()
    after = {chat: _post(proxy, _message(50_000 + chat, chat)) for chat in chats}
    assert dead.server_address[1] in before.values()
    assert set(after.values()) == {alive.server_address[1]}
