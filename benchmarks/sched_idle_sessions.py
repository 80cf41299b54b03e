"""Why the serving log's writer process stays in the server's session: a SCHED_IDLE busy
process in a session of its own is not preempted when a normal process wakes up on its CPU.

    .venv/bin/python benchmarks/sched_idle_sessions.py [--pings 20000] [--rounds 2]

A socket ping-pong between two processes (the "server" echoes one byte) is timed with no
busy process, with one SCHED_IDLE busy loop per core started in the same session, and
with the same loops started with ``start_new_session`` (Linux gives each session an
autogroup; with ``kernel.sched_autogroup_enabled`` the scheduler shares CPU fairly between
groups before policies inside a group count). Configurations alternate round by round;
p50, p99 and p99.9 of the round trip per round. Linux only.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

BUSY = ("import os\n"
        "os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))\n"
        "while True:\n    pass\n")
CONFIGURATIONS = {"no busy loop": None, "busy loops, same session": False,
                  "busy loops, own session": True}


def _echo(sock: socket.socket) -> None:
    while data := sock.recv(64):
        sock.sendall(data)


def ping_pong(pings: int) -> list[float]:
    """Round trips in microseconds, sorted."""
    client, server = socket.socketpair()
    child = os.fork()
    if child == 0:
        client.close()
        _echo(server)
        os._exit(0)
    server.close()
    times = []
    for _ in range(pings):
        started = time.perf_counter()
        client.sendall(b"x")
        client.recv(64)
        times.append((time.perf_counter() - started) * 1e6)
    client.close()
    os.waitpid(child, 0)
    return sorted(times)


def measure(own_session: bool | None, pings: int) -> tuple[float, float, float]:
    busy = [] if own_session is None else [
        subprocess.Popen([sys.executable, "-c", BUSY], start_new_session=own_session)
        for _ in range(os.cpu_count() or 1)]
    try:
        time.sleep(0.3)  # the loops are running and have switched to SCHED_IDLE
        times = ping_pong(pings)
    finally:
        for process in busy:
            process.kill()
            process.wait()
    return (times[len(times) // 2], times[int(len(times) * 0.99)],
            times[int(len(times) * 0.999)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pings", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    autogroup = Path("/proc/sys/kernel/sched_autogroup_enabled")
    print(f"kernel {os.uname().release}, {os.cpu_count()} CPUs, sched_autogroup_enabled="
          f"{autogroup.read_text().strip() if autogroup.exists() else 'absent'}")
    for round_number in range(args.rounds):
        names = list(CONFIGURATIONS)
        names = names[round_number % len(names):] + names[:round_number % len(names)]
        for name in names:
            p50, p99, p999 = measure(CONFIGURATIONS[name], args.pings)
            print(f"round {round_number + 1}  {name:26s} p50 {p50:7.1f} us  "
                  f"p99 {p99:7.1f} us  p99.9 {p999:8.1f} us", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
