"""What the Redis store does differently on a Redis Cluster (``cluster: true``).

Every key of a view (its pointer, versions, records, push log, journals) carries the hash
tag ``{<prefix>:<view>}``, so they all live in one hash slot on one master: the Lua
scripts that flip, upsert and read stay atomic, as on one node. Scripts name that tag as
their one key, which is how the cluster client routes them. The price is that a view is
never spread over masters (see docs/online-store.md, "Redis Cluster").

The client fails fast: one retry after 10 ms, so a dead master costs its views' requests
milliseconds (503), never the other views' answers; a failover or a restart is picked up
by the topology refresh that error asks for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from featureops._optional import require
from featureops.online.base import OnlineStoreError

redis = require("redis", extra="redis")
exceptions = redis.exceptions
# the cluster clients are imported when a cluster is opened: one-node stores skip them

#: Errors of one master (down, restarting, its slots not served): its views only.
NODE_ERRORS = (exceptions.ConnectionError, exceptions.TimeoutError,
               exceptions.ClusterDownError, exceptions.TryAgainError,
               exceptions.SlotNotCoveredError)
#: No master answers, or the client cannot work out the topology at all.
CLUSTER_ERRORS = (exceptions.RedisClusterException,)
SCAN_COUNT = 10_000


def view_base(prefix: str, view: str) -> str:
    """The hash-tagged base of a view's keys: one slot per view."""
    return f"{{{prefix}:{view}}}"


def startup_nodes(urls: str) -> tuple[list[tuple[str, int]], dict[str, Any]]:
    """(host, port) of each comma-separated ``redis://`` URL (or ``host:port``), and the
    credentials/TLS the first URL carries."""
    nodes: list[tuple[str, int]] = []
    options: dict[str, Any] = {}
    for item in (part.strip() for part in urls.split(",")):
        if not item:
            continue
        parsed = urlsplit(item if "://" in item else f"redis://{item}")
        if parsed.scheme not in ("redis", "rediss"):
            raise ValueError(f"{item!r}: a cluster node is redis://host:port or host:port")
        try:
            port = parsed.port or 6379
        except ValueError:
            raise ValueError(f"{item!r}: the port is not a number") from None
        if parsed.path not in ("", "/", "/0"):
            raise ValueError(f"{item!r}: a Redis Cluster has database 0 only")
        nodes.append((parsed.hostname or "127.0.0.1", port))
        if not options:
            options = {"ssl": parsed.scheme == "rediss",
                       "username": unquote(parsed.username) if parsed.username else None,
                       "password": unquote(parsed.password) if parsed.password else None}
    if not nodes:
        raise ValueError("no cluster node given")
    return nodes, options


def cluster_kwargs(urls: str, connection: dict[str, Any], tls: bool) -> dict[str, Any]:
    """Keyword arguments of a (sync or asyncio) cluster client, minus nodes and retry."""
    nodes, options = startup_nodes(urls)
    password = connection.get("password") or options["password"]
    return {"nodes": nodes, "ssl": tls or options["ssl"], "username": options["username"],
            "password": password, "socket_timeout": connection["socket_timeout"],
            "socket_connect_timeout": connection["socket_connect_timeout"]}


def open_cluster(settings: dict[str, Any]) -> Any:
    """A sync cluster client (raises RedisClusterException when no node answers)."""
    return _open(require("redis.cluster", extra="redis"),
                 require("redis.retry", extra="redis"), settings)


def open_async_cluster(settings: dict[str, Any]) -> Any:
    """The asyncio client of the same cluster (connects lazily, on its first call)."""
    return _open(require("redis.asyncio.cluster", extra="redis"),
                 require("redis.asyncio.retry", extra="redis"), settings)


def _open(module: Any, retry: Any, settings: dict[str, Any]) -> Any:
    nodes = [module.ClusterNode(host, port) for host, port in settings["nodes"]]
    options = {k: v for k, v in settings.items() if k != "nodes"}
    return module.RedisCluster(startup_nodes=nodes, retry=retry.Retry(_fast_backoff(), 1),
                               require_full_coverage=False, **options)


def _fast_backoff() -> Any:
    return require("redis.backoff", extra="redis").ConstantBackoff(0.01)


def describe(settings: dict[str, Any]) -> str:
    shown = ",".join(f"{host}:{port}" for host, port in settings["nodes"][:3])
    more = len(settings["nodes"]) - 3
    return f"Redis Cluster at {shown}{f' (+{more})' if more > 0 else ''}"


def node_pool(client: Any, key: str) -> Any:
    """The connection pool of the master serving ``key``'s slot (bulk writes go there)."""
    node = client.get_node_from_key(key)
    return client.get_redis_connection(node).connection_pool


def scan_slot(client: Any, key: str, pattern: str) -> Iterator[bytes]:
    """Keys matching ``pattern`` on the master serving ``key``'s slot: every key of a view
    is in that one slot, so one master's SCAN finds them all."""
    node = client.get_node_from_key(key)
    yield from client.scan_iter(match=pattern, count=SCAN_COUNT, target_nodes=node)


def queue_script(pipe: Any, script: Any, keys: list[str], args: Iterable[Any]) -> None:
    """Queue ``script`` on a cluster pipeline by its body (EVAL): a cluster pipeline does
    not load scripts, and an EVALSHA refused as NOSCRIPT inside MULTI would leave the
    transaction's other commands applied."""
    pipe.execute_command("EVAL", script.script, len(keys), *keys, *args)


def ping_all(client: Any) -> None:
    """PING every master (a plain ping asks one node)."""
    client.ping(target_nodes=client.PRIMARIES)


async def ping_all_async(client: Any) -> None:
    await client.ping(target_nodes=client.PRIMARIES)


def check_config(cluster: bool, url: str) -> None:
    if not cluster and "," in url:
        raise OnlineStoreError("several Redis URLs are cluster startup nodes: set "
                               "`cluster: true` in online_store (or FEATUREOPS_REDIS_CLUSTER=1)")
