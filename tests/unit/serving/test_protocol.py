"""The server's HTTP protocol closes connections that never complete their headers (idle
or trickling), and leaves keep-alive connections idle between requests alone."""

from __future__ import annotations

import http.client
import socket
import time
from urllib.parse import urlsplit

from featureops.serving.protocol import HEADER_TIMEOUT_ENV
from featureops.serving.settings import ServingSettings
from tests.integration.serving_support import live_server


async def hello(scope, receive, send):
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": message["type"] + ".complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(3)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_connections_without_complete_headers_are_closed(monkeypatch):
    monkeypatch.setenv(HEADER_TIMEOUT_ENV, "0.5")
    with live_server(hello, ServingSettings(keep_alive_seconds=5)) as url:
        address = (urlsplit(url).hostname, urlsplit(url).port)
        idle = [socket.create_connection(address) for _ in range(50)]
        trickling = socket.create_connection(address)
        trickling.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        kept = http.client.HTTPConnection(*address)
        kept.request("GET", "/")
        assert kept.getresponse().read() == b"ok"
        time.sleep(1.0)
        try:
            assert all(closed_by_server(sock) for sock in [*idle, trickling])
            kept.request("GET", "/")  # idle for 1 s between requests: within keep-alive
            assert kept.getresponse().read() == b"ok"
            fresh = http.client.HTTPConnection(*address)
            fresh.request("GET", "/")
            assert fresh.getresponse().status == 200
        finally:
            for sock in [*idle, trickling]:
                sock.close()
            kept.close()


def test_pooled_connections_survive_a_pause_between_bursts():
    """With the default settings a keep-alive connection idle for longer than uvicorn's
    own 5 s default is still served (pooled clients reuse it between bursts)."""
    with live_server(hello, ServingSettings()) as url:
        connection = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port)
        try:
            connection.request("GET", "/")
            assert connection.getresponse().read() == b"ok"
            first_socket = connection.sock
            time.sleep(6.0)
            connection.request("GET", "/")  # RemoteDisconnected if the server had closed it
            assert connection.getresponse().read() == b"ok"
            assert connection.sock is first_socket
        finally:
            connection.close()
