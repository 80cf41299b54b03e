"""A private Redis Cluster for tests and benchmarks: three masters (no replicas) on spare
loopback ports, each its own redis-server process, stopped by pid (never the shared 6379).

``cluster-require-full-coverage no`` lets the live masters keep answering for their slots
while one is down (the default refuses every query then); ``cluster-node-timeout`` is short
so a killed master is flagged, and a restarted one (same port, same nodes.conf) taken
back, within seconds.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NODE_TIMEOUT_MS = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def command(port: int, *words: str, timeout: float = 2) -> bytes:
    """One command over a raw socket (no client library), its reply's first line."""
    payload = b"*%d\r\n" % len(words) + b"".join(
        b"$%d\r\n%s\r\n" % (len(w.encode()), w.encode()) for w in words)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        return sock.recv(65536)


class ClusterNode:
    """One master: its port, directory (nodes.conf) and process."""

    def __init__(self, directory: Path, extra: tuple[str, ...]) -> None:
        self.directory, self.extra = directory, extra
        # the cluster bus port is chosen too: the default, port + 10000, may not exist
        self.port, self.bus_port = free_port(), free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--cluster-port", str(self.bus_port),
             "--bind", "127.0.0.1", "--cluster-enabled", "yes",
             "--cluster-config-file", "nodes.conf",
             "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
             "--cluster-require-full-coverage", "no", "--dir", str(self.directory),
             "--logfile", "redis.log", "--save", "", "--appendonly", "no",
             "--daemonize", "no", *self.extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(lambda: command(self.port, "PING").startswith(b"+PONG"),
              f"redis-server on port {self.port} did not start (see {self.directory}/redis.log)")

    def pause(self, paused: bool) -> None:
        """SIGSTOP (a hung master: connections open, no answers) or SIGCONT this node."""
        if self.process is not None:
            self.process.send_signal(signal.SIGSTOP if paused else signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL this node's process only (a crash: nothing saved)."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None


class PrivateRedisCluster:
    """Three masters sharing the 16,384 slots; ``url`` is every node, comma-separated."""

    def __init__(self, directory: Path, masters: int = 3, extra: tuple[str, ...] = ()) -> None:
        self.nodes = [ClusterNode(directory / f"node{i}", extra) for i in range(masters)]
        self.url = ",".join(f"redis://127.0.0.1:{node.port}" for node in self.nodes)

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        subprocess.run(["redis-cli", "--cluster", "create",
                        *(f"127.0.0.1:{node.port}" for node in self.nodes),
                        "--cluster-replicas", "0", "--cluster-yes"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=60)
        self.wait_healthy()

    def wait_healthy(self, seconds: float = 30) -> None:
        """Until every node reports cluster_state:ok and knows no failed node."""
        def healthy() -> bool:
            return all(b"cluster_state:ok" in command(n.port, "CLUSTER", "INFO")
                       and b"fail" not in command(n.port, "CLUSTER", "NODES")
                       for n in self.nodes)
        _wait(healthy, "the private Redis Cluster did not become healthy", seconds)

    def stop(self) -> None:
        for node in self.nodes:
            node.kill()


def _wait(ready, message: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if ready():
                return
        time.sleep(0.05)
    raise RuntimeError(message)


def cluster_problem() -> str | None:
    """Why no private cluster can be started here, or None."""
    for tool in ("redis-server", "redis-cli"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (needed for a private Redis Cluster)"
    return None


@contextmanager
def private_cluster(directory: Path, extra: tuple[str, ...] = ()
                    ) -> Iterator[PrivateRedisCluster]:
    """A started cluster (``extra``: more redis-server settings), stopped on exit."""
    cluster = PrivateRedisCluster(directory, extra=extra)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
