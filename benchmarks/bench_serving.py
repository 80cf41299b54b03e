"""`featureops serve` in its default configuration (serving log on, auth on) against the
floor, a bare ASGI app on the same server stack doing the same single store read
(`benchmarks/serving_floor.py`), on SQLite and Redis, in the same run.

    .venv/bin/python benchmarks/bench_serving.py                 # 100k entities, 3 rounds
    .venv/bin/python benchmarks/bench_serving.py --small         # smoke run
    .venv/bin/python benchmarks/bench_serving.py --feast-python /tmp/feast-venv/bin/python
    .venv/bin/python benchmarks/bench_serving.py --request-time [--work DIR]

Measured (each implementation a server process of its own, the client on the same machine):

- **latency**: ``--requests`` requests of one random entity x 10 features, then of 100
  entities x 10 features, over one keep-alive connection (stdlib ``http.client``: little
  client overhead); p50 and p99 per round, featureops and the floor alternating round by
  round in rotating order (``benchmarks/alternation.py``); ratios within each round.
- **throughput**: requests/s at saturation with 16 concurrent keep-alive clients (``wrk``,
  Debian's package, one thread), featureops with 1 and 2 workers and the floor.
- **tail under load**: 50 concurrent clients for ``--seconds``, idle and while a
  materialize of the same view runs in a loop in another process; p99 of each, alternated.
- **Feast** (``feast serve`` 0.67 in its own venv, its Redis store, same data): one-entity
  latency and throughput as a ratio, if ``--feast-python`` exists.

Before timing, every server answers a sample of users: featureops must serve the
warehouse's values with status ``present``, refuse a request without the token (401), and
the floor must find every record; after the run, the serving log must hold a row for every
(request, feature) featureops answered in the latency rounds (the log was on). The work
directory is removed at the end unless ``--keep``.

``--request-time`` measures instead what request-time features add over HTTP: the example
project built with dbt at the test scale (``bench_request_time.build``), its online views
materialized to SQLite, the same server configuration; the fraud exposure for one
transaction and for 100, with feat_transaction__context's request fields and without them
(the view skipped), alternated round by round, the added p50 and p99 within each round.
Before timing, the request-time values must equal the dbt-built rows and the stored
features must be the same with and without the fields; after it, the serving log must hold
every timed row.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import secrets
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.alternation import alternate, describe_ratios, round_ratios  # noqa: E402
from benchmarks.bench_online_common import (  # noqa: E402
    END,
    REFS,
    VIEW,
    PrivateRedis,
    add_keep_option,
    assert_served,
    expected_values,
    free_port,
    http_served,
    machine,
    make_manifest,
    make_warehouse,
    percentiles,
    sample_users,
    work_directory,
)

HERE = Path(__file__).resolve().parent
TOKEN_HEADER = "Authorization"
#: pause before each timed run (the log writer of 5,000 requests drains in well under this)
SETTLE_SECONDS = 1.5


# --- servers ---------------------------------------------------------------------------


class Server:
    """A server process on a spare loopback port, stopped by pid."""

    def __init__(self, name: str, command: list[str], env: dict[str, str],
                 path: str = "/features", headers: dict[str, str] | None = None) -> None:
        import httpx

        self.name, self.path = name, path
        self.headers = {"Content-Type": "application/json", **(headers or {})}
        self.port = free_port()
        self.process = subprocess.Popen([*command, "--port", str(self.port)], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(600):
            if self.process.poll() is not None:
                raise SystemExit(f"{name} did not start: "
                                 f"{self.process.stderr.read().decode().strip()[-300:]}")
            try:
                httpx.get(f"{self.url}/health", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise SystemExit(f"{name} did not answer /health within 30 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


class KeepAlive:
    """One persistent HTTP/1.1 connection."""

    def __init__(self, server: Server) -> None:
        import http.client

        self.server = server
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port)

    def post(self, body: bytes) -> bytes:
        self.connection.request("POST", self.server.path, body=body,
                                headers=self.server.headers)
        response = self.connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise SystemExit(f"{self.server.name}: HTTP {response.status}: {payload[:200]!r}")
        return payload

    def close(self) -> None:
        self.connection.close()


def body(ids: list[int]) -> bytes:
    import orjson

    return orjson.dumps({"features": REFS, "entities": {"user_id": ids}})


# --- measurements ------------------------------------------------------------------------


def latency(server: Server, bodies: list[bytes], warmup: int) -> tuple[float, float]:
    """(p50, p99) in ms over one keep-alive connection."""
    client = KeepAlive(server)
    try:
        for payload in bodies[:warmup]:
            client.post(payload)
        samples = []
        for payload in bodies[warmup:]:
            started = time.perf_counter()
            client.post(payload)
            samples.append(time.perf_counter() - started)
    finally:
        client.close()
    return percentiles(samples)


def wrk(server: Server, work: Path, connections: int, seconds: float, entities: int,
        seed: int) -> dict[str, float]:
    """wrk at ``connections`` keep-alive clients: requests/s, p50 and p99 (ms); fails the
    run on any error or non-2xx answer."""
    script = work / f"wrk_{seed}.lua"
    headers = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in server.headers.items())
    refs = json.dumps(REFS)
    script.write_text(
        f'math.randomseed({seed})\nwrk.method = "POST"\n{headers}'
        "request = function()\n"
        f"  local id = math.random(0, {entities - 1})\n"
        f'  return wrk.format(nil, "{server.path}", nil, \'{{"features":{refs},'
        '"entities":{"user_id":[\' .. id .. \']}}\')\nend\n'
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format("WRK %d %d %d %d %d %d %d %d %d\\n", summary.requests, '
        "summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,"
        " summary.errors.status, summary.errors.timeout, latency:percentile(50),"
        " latency:percentile(99)))\nend\n")
    script.chmod(0o600)  # it holds the run's token
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "-s", str(script),
                          server.url], capture_output=True, text=True, check=True).stdout
    line = next(row for row in out.splitlines() if row.startswith("WRK "))
    requests, duration, *errors, p50, p99 = (int(x) for x in line.split()[1:])
    if any(errors):
        raise SystemExit(f"{server.name}: wrk saw errors (connect, read, write, status, "
                         f"timeout) = {errors}")
    return {"rps": requests / (duration / 1e6), "p50": p50 / 1000, "p99": p99 / 1000}


# --- set-up ------------------------------------------------------------------------------


def prepare(work: Path, entities: int, redis_url: str) -> dict[str, Any]:
    """Warehouse, manifest, both stores materialized; what the floors read."""
    import redis

    from featureops.online.config import open_online_store
    from featureops.online.materialize import materialize
    from featureops.project import Project

    warehouse = make_warehouse(work, entities)
    os.environ["FEATUREOPS_DUCKDB_PATH"] = str(warehouse)
    os.environ["FEATUREOPS_REDIS_URL"] = redis_url  # the private server, never 6379
    manifest = make_manifest(work)
    (work / "dbt_project.yml").write_text("name: bench\nprofile: bench\n")
    # the default serving settings: log on (every request), auth by token (the env)
    (work / "featureops.yml").write_text(f"online_store:\n  path: {work / 'online.db'}\n")
    project = Project.locate(work, manifest)
    floors: dict[str, list[str]] = {}
    for kind in ("sqlite", "redis"):
        os.environ["FEATUREOPS_ONLINE_STORE"] = kind
        store = open_online_store(project)
        try:
            materialize(project, store=store, end_time=END, progress=False)
            version = store.live_state(VIEW).version
        finally:
            store.close()
        floors[kind] = ([str(work / "online.db"), f"fo__{VIEW}__{int(version)}"]
                        if kind == "sqlite" else
                        [redis_url, f"{store.key_prefix}:{VIEW}:{version}:"])
    raw = redis.Redis.from_url(redis_url)
    if raw.get(f"{floors['redis'][1]}0") is None:
        raise SystemExit("benchmark check: the floor's Redis keys are not featureops's")
    return {"project": project, "manifest": manifest, "warehouse": warehouse,
            "floors": floors}


def featureops_server(work: Path, setup: dict[str, Any], kind: str, token: str,
                      redis_url: str, workers: int = 1) -> Server:
    return serve(f"featureops {kind} ({workers} worker{'s' * (workers > 1)})", work,
                 setup["manifest"], token, work / f"log_{kind}_{workers}",
                 {"FEATUREOPS_ONLINE_STORE": kind, "FEATUREOPS_REDIS_URL": redis_url},
                 workers)


def serve(name: str, project_dir: Path, manifest: Path, token: str, log_dir: Path,
          env: dict[str, str], workers: int = 1) -> Server:
    """`featureops serve` as users run it: serving log on (into ``log_dir``), auth on."""
    env = {**os.environ, **env, "FEATUREOPS_SERVE_TOKEN": token,
           "FEATUREOPS_SERVING_LOG_DIR": str(log_dir)}
    return Server(name, [sys.executable, "-m", "featureops", "serve", "--project-dir",
                         str(project_dir), "--manifest", str(manifest), "--workers",
                         str(workers)],
                  env, headers={TOKEN_HEADER: f"Bearer {token}"})


def floor_server(setup: dict[str, Any], kind: str) -> Server:
    return Server(f"floor {kind}", [sys.executable, str(HERE / "serving_floor.py"), kind,
                                    *setup["floors"][kind]], dict(os.environ))


def check_servers(featureops: Server, floor: Server, users: list[int],
                  expected: dict[int, dict[str, Any]]) -> None:
    import httpx
    import orjson

    client = KeepAlive(featureops)
    try:
        assert_served(featureops.name, users, http_served(orjson.loads(client.post(
            body(users)))), expected)
    finally:
        client.close()
    refused = httpx.post(f"{featureops.url}/features", content=body(users[:1]),
                         headers={"Content-Type": "application/json"})
    if refused.status_code != 401:
        raise SystemExit(f"{featureops.name}: answered {refused.status_code} without a token: "
                         "auth is not on")
    found = orjson.loads(KeepAlive(floor).post(body(users)))["found"]
    if not all(found) or len(found) != len(users):
        raise SystemExit(f"{floor.name}: did not find every record")


def log_dropped(server: Server) -> int:
    """featureops_serving_log_dropped_total from the server's /metrics."""
    import httpx

    text = httpx.get(f"{server.url}/metrics", headers=server.headers).text
    line = next(row for row in text.splitlines()
                if row.startswith("featureops_serving_log_dropped_total"))
    return int(float(line.split()[-1]))


def logged_rows(directory: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(path).metadata.num_rows for path in directory.glob("*.parquet"))


def materialize_loop(work: Path, setup: dict[str, Any], kind: str, redis_url: str,
                     stop: Path) -> subprocess.Popen:
    """`featureops materialize` (as a user runs it: its default CPU priority) again and
    again until ``stop`` exists; a run under way finishes (a killed one would leave its
    version in progress)."""
    command = (f"while [ ! -e {shlex.quote(str(stop))} ]; do "
               f"{shlex.quote(sys.executable)} -m featureops materialize --quiet "
               f"--project-dir {shlex.quote(str(work))} "
               f"--manifest {shlex.quote(str(setup['manifest']))} || exit 1; done")
    env = {**os.environ, "FEATUREOPS_ONLINE_STORE": kind, "FEATUREOPS_REDIS_URL": redis_url}
    return subprocess.Popen(["sh", "-c", command], env=env, stdout=subprocess.DEVNULL)


def feast_server(args: argparse.Namespace, work: Path, setup: dict[str, Any],
                 expected: dict[int, dict[str, Any]], users: list[int],
                 cleanup: list[Any]) -> Server | None:
    """`feast serve` (Feast's HTTP feature server, its defaults but worker recycling off)
    on the same data in its own private Redis, materialized and checked by Feast's SDK in
    its venv (bench_online_feast.py's child), then checked over HTTP; None without Feast."""
    import orjson

    from benchmarks.bench_online_common import export_parquet

    if not Path(args.feast_python).exists():
        print(f"# Feast skipped: {args.feast_python} not found (see bench_online_feast.py)")
        return None
    redis_server = PrivateRedis()
    cleanup.append(redis_server)
    (work / "expected.json").write_text(json.dumps(expected))
    child = subprocess.run(
        [args.feast_python, str(HERE / "bench_online_feast.py"), "--feast-child",
         "--repo", str(work / "feast_repo"), "--parquet",
         str(export_parquet(setup["warehouse"], work / "bench.parquet")),
         "--redis-port", str(redis_server.port), "--entities", str(args.entities),
         "--requests", "0", "--expected", str(work / "expected.json"), "--end", END.isoformat()],
        capture_output=True, text=True)
    if child.returncode != 0:
        raise SystemExit(f"Feast's materialize failed: {child.stderr.strip()[-300:]}")
    feast = Server("Feast serve", [str(Path(args.feast_python).parent / "feast"), "-c",
                                   str(work / "feast_repo"), "serve", "--no-access-log",
                                   "--max-requests", "0"],
                   dict(os.environ), path="/get-online-features")
    cleanup.append(feast)
    answer = orjson.loads(KeepAlive(feast).post(body(users)))
    columns = dict(zip(answer["metadata"]["feature_names"], answer["results"], strict=True))
    for ref in REFS:  # Feast's answer lists the features in an order of its own
        name = ref.split(":", 1)[1]
        column = columns[name]
        for user, value, status in zip(users, column["values"], column["statuses"],
                                       strict=True):
            if status.lower() != "present" or value != expected[user][name]:
                raise SystemExit(f"benchmark check failed (Feast serve): user {user} {name}: "
                                 f"got {value!r} ({status}), expected {expected[user][name]!r}")
    return feast


# --- the run -----------------------------------------------------------------------------


def summarise(name: str, values: list[tuple[float, float]]) -> tuple[float, float]:
    p50 = statistics.median(v[0] for v in values)
    p99 = statistics.median(v[1] for v in values)
    rounds = ", ".join(f"{a:.3f}/{b:.3f}" for a, b in values)
    print(f"  {name}: median p50 {p50:.3f} ms, p99 {p99:.3f} ms (rounds p50/p99: {rounds})")
    return p50, p99


def settled(measure: Callable[..., Any], *args: Any) -> Any:
    """``measure(*args)`` after a pause: the previous run's background work (featureops's
    serving-log writer drains what the run handed it) must not land in this run, whichever
    implementation it times."""
    time.sleep(SETTLE_SECONDS)
    return measure(*args)


def compare_latency(runs: dict[str, tuple[Server, list[bytes]]], warmup: int,
                    rounds: int, label: str) -> dict[str, list[tuple[float, float]]]:
    """Each named (server, request bodies) timed by ``latency``, alternated round by round."""
    print(f"latency, {label}:")
    results = alternate({name: (lambda r=run: settled(latency, r[0], r[1], warmup))
                         for name, run in runs.items()}, rounds)
    for name, values in results.items():
        summarise(name, values)
    return results


def ratio_line(results: dict[str, list[tuple[float, float]]], ours: str, floor: str) -> None:
    for index, what in ((0, "p50"), (1, "p99")):
        ratios = round_ratios([v[index] for v in results[ours]],
                              [v[index] for v in results[floor]])
        print(f"  {ours} / {floor} {what}: {describe_ratios(ratios)}")


def run(args: argparse.Namespace, work: Path) -> None:
    redis_server = PrivateRedis()
    token = secrets.token_urlsafe(24)
    servers: list[Any] = []  # stopped at the end, by pid
    try:
        setup = prepare(work, args.entities, redis_server.url)
        users = sample_users(args.entities)
        expected = expected_values(setup["warehouse"], users)
        rng = random.Random(7)
        singles = [body([rng.randrange(args.entities)])
                   for _ in range(args.requests + args.warmup)]
        batches = [body([rng.randrange(args.entities) for _ in range(100)])
                   for _ in range(args.requests // 10 + args.warmup // 4)]
        feast = (feast_server(args, work, setup, expected, users, servers)
                 if "redis" in args.stores else None)
        print(f"# {machine()}; load average {os.getloadavg()[0]:.2f}; {args.entities:,} "
              f"entities x 10 features; {args.requests:,} requests per round, "
              f"{args.rounds} rounds")
        for kind in args.stores:
            ours = featureops_server(work, setup, kind, token, redis_server.url)
            floor = floor_server(setup, kind)
            servers += [ours, floor]
            check_servers(ours, floor, users, expected)
            pair = {ours.name: ours, floor.name: floor}
            with_feast = {**pair, feast.name: feast} if feast and kind == "redis" else pair
            single = compare_latency({n: (s, singles) for n, s in with_feast.items()},
                                     args.warmup, args.rounds,
                                     f"{kind}, 1 entity x 10 features")
            ratio_line(single, ours.name, floor.name)
            if len(with_feast) > 2:
                ratio_line(single, feast.name, ours.name)
            many = compare_latency({n: (s, batches) for n, s in pair.items()},
                                   args.warmup // 4, args.rounds,
                                   f"{kind}, 100 entities x 10 features")
            ratio_line(many, ours.name, floor.name)
            throughput(args, work, setup, kind, token, redis_server.url, ours, floor, servers,
                       feast if kind == "redis" else None)
            tail_under_load(args, work, setup, kind, redis_server.url, ours)
            dropped = log_dropped(ours)
            ours.stop()  # a clean stop writes the queued log
            served = args.rounds * (len(singles) + len(batches) * 100) * len(REFS)
            rows = logged_rows(work / f"log_{kind}_1")
            if rows < served:
                raise SystemExit(f"benchmark check: the serving log holds {rows:,} rows, "
                                 f"fewer than the {served:,} served in the latency rounds")
            print(f"  serving log: {rows:,} rows written (>= {served:,} from the latency "
                  f"rounds); {dropped:,} responses dropped from it (its writer runs on idle "
                  "CPU: at saturation it falls behind)")
    finally:
        for server in servers:
            server.stop()
        redis_server.stop()


def throughput(args: argparse.Namespace, work: Path, setup: dict[str, Any], kind: str,
               token: str, redis_url: str, ours: Server, floor: Server,
               servers: list[Any], feast: Server | None) -> None:
    if shutil.which("wrk") is None:
        print("  throughput skipped: wrk is not installed (apt-get install wrk)")
        return
    two = featureops_server(work, setup, kind, token, redis_url, workers=2)
    servers.append(two)
    runs: dict[str, Callable[[], dict[str, float]]] = {
        server.name: (lambda s=server: settled(wrk, s, work, 16, args.seconds, args.entities, 1))
        for server in (ours, two, floor, *([feast] if feast else []))}
    print(f"throughput, {kind}, 16 keep-alive clients, {args.seconds:g} s per run:")
    results = alternate(runs, args.rounds)
    for name, values in results.items():
        rates = ", ".join(f"{v['rps']:,.0f}" for v in values)
        print(f"  {name}: median {statistics.median(v['rps'] for v in values):,.0f} req/s "
              f"(rounds {rates}); p99 {statistics.median(v['p99'] for v in values):.2f} ms")
    for other in (two.name, floor.name):
        ratios = round_ratios([v["rps"] for v in results[other]],
                              [v["rps"] for v in results[ours.name]])
        print(f"  {other} / {ours.name} req/s: {describe_ratios(ratios)}")
    if feast:
        ratios = round_ratios([v["rps"] for v in results[ours.name]],
                              [v["rps"] for v in results[feast.name]])
        print(f"  {ours.name} / {feast.name} req/s: {describe_ratios(ratios)}")
    two.stop()


def tail_under_load(args: argparse.Namespace, work: Path, setup: dict[str, Any], kind: str,
                    redis_url: str, ours: Server) -> None:
    if shutil.which("wrk") is None:
        return

    def loaded() -> dict[str, float]:
        time.sleep(SETTLE_SECONDS)
        stop = work / "stop_materialize"
        stop.unlink(missing_ok=True)
        loop = materialize_loop(work, setup, kind, redis_url, stop)
        try:
            time.sleep(1.0)  # let it reach the warehouse read and the writes
            return wrk(ours, work, 50, args.seconds, args.entities, 2)
        finally:
            stop.touch()
            if loop.wait(timeout=300) != 0:
                raise SystemExit("the materialize loop failed")

    print(f"tail, {kind}, 50 keep-alive clients, {args.seconds:g} s per run:")
    results = alternate({"idle": lambda: settled(wrk, ours, work, 50, args.seconds,
                                                 args.entities, 3),
                         "materialize running": loaded}, args.rounds)
    for name, values in results.items():
        print(f"  {name}: median p99 {statistics.median(v['p99'] for v in values):.2f} ms, "
              f"{statistics.median(v['rps'] for v in values):,.0f} req/s")
    ratios = round_ratios([v["p99"] for v in results["materialize running"]],
                          [v["p99"] for v in results["idle"]])
    print(f"  p99 with materialize / idle: {describe_ratios(ratios)} (goal <= 3x)")


# --- request-time features (--request-time) -----------------------------------------------

EXPOSURE = "fraud_detection_model"


def exposure_body(rows: list[dict[str, Any]], with_fields: bool, as_of: str) -> bytes:
    """POST /features for the fraud exposure and ``rows`` (transactions of the example),
    with or without feat_transaction__context's request fields."""
    import orjson

    from benchmarks.bench_request_time import request_of

    entities: dict[str, list[Any]] = {}
    for row in rows:
        for name, values in request_of(row, with_fields).items():
            entities.setdefault(name, []).extend(values)
    return orjson.dumps({"exposure": EXPOSURE, "entities": entities, "as_of": as_of})


def exposure_answer(payload: bytes) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """(column by feature ref, offline_views) of a /features answer."""
    import orjson

    answer = orjson.loads(payload)
    names = answer["metadata"]["feature_names"]
    return (dict(zip(names, answer["results"], strict=True)),
            answer["metadata"].get("offline_views", []))


def check_request_time(server: Server, rows: list[dict[str, Any]], as_of: str) -> int:
    """Before timing: with the fields, every request-time value equals the dbt-built row
    (present, floats within 1e-12); without them the view is skipped and every stored
    feature is served as with them; 401 without the token. One entity at a time, then 100
    in one request. Returns the features answered per entity (with + without)."""
    import httpx

    from benchmarks.bench_request_time import VIEW as REQUEST_VIEW

    client = KeepAlive(server)
    try:
        for chunk in [*([row] for row in rows[:50]), rows[:100]]:
            with_fields, _ = exposure_answer(client.post(exposure_body(chunk, True, as_of)))
            stored, offline = exposure_answer(client.post(exposure_body(chunk, False, as_of)))
            if REQUEST_VIEW not in offline:
                raise SystemExit(f"benchmark check: without its fields {REQUEST_VIEW} was "
                                 f"not skipped (offline_views {offline})")
            for ref, column in with_fields.items():
                view, _, name = ref.partition(":")
                for i, row in enumerate(chunk):
                    value, status = column["values"][i], column["statuses"][i]
                    if view == REQUEST_VIEW:
                        truth = row[name]
                        same = (math.isclose(value, truth, rel_tol=0, abs_tol=1e-12)
                                if isinstance(truth, float) and value is not None
                                else value == truth)
                        if status != "present" or not same:
                            raise SystemExit(f"benchmark check: {ref} of transaction "
                                             f"{row['transaction_id']}: served {value!r} "
                                             f"({status}), dbt built {truth!r}")
                    elif name and (stored[ref]["values"][i], stored[ref]["statuses"][i]) != (
                            value, status):
                        raise SystemExit(f"benchmark check: {ref} differs with and without "
                                         "the request fields")
    finally:
        client.close()
    refused = httpx.post(f"{server.url}/features", content=exposure_body(rows[:1], True, as_of),
                         headers={"Content-Type": "application/json"})
    if refused.status_code != 401:
        raise SystemExit(f"{server.name}: answered {refused.status_code} without a token")
    return sum(":" in ref for ref in (*with_fields, *stored))


def request_time_run(args: argparse.Namespace, work: Path) -> None:
    """The fraud exposure over POST /features with and without feat_transaction__context's
    request fields, one entity and 100, alternated; the added p50 and p99 per round."""
    from benchmarks.bench_request_time import build, sample_requests
    from featureops.online.config import open_online_store
    from featureops.online.materialize import materialize
    from featureops.project import Project
    from tests.integration.online_support import END as EXAMPLE_END

    built = build(work)  # the example at the test scale (reused when already built)
    os.environ["FEATUREOPS_DUCKDB_PATH"] = str(built.duckdb_path)
    (built.project_dir / "featureops.yml").write_text(
        f"online_store:\n  type: sqlite\n  path: {work / 'online_http.db'}\n")
    project = Project.locate(built.project_dir, built.manifest_path)
    store = open_online_store(project)
    try:
        materialize(project, end_time=EXAMPLE_END, store=store, progress=False)
    finally:
        store.close()
    rows = sample_requests(built, 500)
    as_of = EXAMPLE_END.isoformat()
    rng = random.Random(7)
    singles = [rng.choice(rows) for _ in range(args.requests + args.warmup)]
    batches = [rng.sample(rows, 100) for _ in range(args.requests // 10 + args.warmup // 4)]
    log_dir = work / "log_request_time"
    shutil.rmtree(log_dir, ignore_errors=True)  # a reused --work holds an earlier run's log
    server = serve("featureops serve", built.project_dir, built.manifest_path,
                   secrets.token_urlsafe(24), log_dir, {})
    try:
        per_entity = check_request_time(server, rows, as_of)
        print(f"# {machine()}; load average {os.getloadavg()[0]:.2f}; the example at the "
              f"test scale, SQLite store, {EXPOSURE}; {args.requests:,} requests per round, "
              f"{args.rounds} rounds")
        for label, chosen, warmup in (("1 entity", [[r] for r in singles], args.warmup),
                                      ("100 entities", batches, args.warmup // 4)):
            results = compare_latency(
                {f"{name} request fields": (server, [exposure_body(c, fields, as_of)
                                                     for c in chosen])
                 for name, fields in (("without", False), ("with", True))},
                warmup, args.rounds, f"{EXPOSURE}, {label}")
            without, with_fields = results.values()
            for index, what in ((0, "p50"), (1, "p99")):
                added = [a[index] - b[index] for a, b in zip(with_fields, without, strict=True)]
                print(f"  added {what}: median {statistics.median(added):.3f} ms (rounds "
                      f"{', '.join(f'{a:.3f}' for a in added)})")
        dropped = log_dropped(server)
        server.stop()  # a clean stop writes the queued log
        served = args.rounds * (len(singles) + 100 * len(batches)) * per_entity
        rows_logged = logged_rows(log_dir)
        # its writer runs on idle CPU: on a busy machine it drops responses (counted)
        if rows_logged < served and not dropped:
            raise SystemExit(f"benchmark check: the serving log holds {rows_logged:,} rows, "
                             f"fewer than the {served:,} served in the latency rounds, and "
                             "no response was counted as dropped")
        print(f"  serving log: {rows_logged:,} rows ({served:,} served in the timed runs); "
              f"{dropped:,} responses dropped from it")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="duration of each throughput and tail run")
    parser.add_argument("--stores", default="sqlite,redis",
                        type=lambda text: [s for s in text.split(",") if s])
    parser.add_argument("--feast-python", default="/tmp/feast-venv/bin/python",
                        help="Feast's venv (with feast[redis]); skipped when absent")
    parser.add_argument("--small", action="store_true",
                        help="smoke run: 5,000 entities, 500 requests, 2 rounds, 1 s runs")
    parser.add_argument("--request-time", action="store_true",
                        help="instead: the example's fraud exposure with and without its "
                             "request fields (builds the example with dbt)")
    parser.add_argument("--work", type=Path,
                        help="--request-time: build directory, kept and reused when built")
    add_keep_option(parser)
    args = parser.parse_args()
    if args.small:
        args.entities, args.requests, args.warmup, args.rounds, args.seconds = (
            5000, 500, 100, 2, 1.0)
    if args.request_time:
        if args.work:
            args.work.mkdir(parents=True, exist_ok=True)
            request_time_run(args, args.work.resolve())
            return
        with work_directory("fo-bench-serving-rt-", args.keep) as work:
            request_time_run(args, work)
        return
    unknown = set(args.stores) - {"sqlite", "redis"}
    if unknown:
        raise SystemExit(f"--stores: unknown store {sorted(unknown)[0]!r} (sqlite, redis)")
    with work_directory("fo-bench-serving-", args.keep) as work:
        run(args, work)


if __name__ == "__main__":
    main()
