"""The floor of the serving benchmark: a bare ASGI app on the same server stack as
`featureops serve` (uvicorn with the same options: uvloop, httptools, access log off) that
does the least a feature server must: read the request body, take the entity ids from it,
make one store read for them and answer JSON. No framework, no auth, no statuses, no log.

    python benchmarks/serving_floor.py --port P sqlite PATH TABLE
    python benchmarks/serving_floor.py --port P redis URL PREFIX

SQLite: one ``select`` of the featureops table the live version points at (one key, or
``in (json_each(?))`` for several), on the event loop as featureops reads SQLite.
Redis: one ``GET`` (``MGET`` for several) of ``PREFIX<id>`` through redis-py's asyncio
client, as featureops reads Redis. The benchmark writes those keys with the very records
featureops stored, so both answer from the same bytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HEADERS = [(b"content-type", b"application/json")]


def sqlite_reader(path: str, table: str) -> Any:
    import apsw

    conn = apsw.Connection(path, flags=apsw.SQLITE_OPEN_READONLY)
    one = f"select value from {table} where entity_key = ?"
    many = f"select value from {table} where entity_key in (select value from json_each(?))"

    async def read(ids: list[Any]) -> list[Any]:
        if len(ids) == 1:
            row = conn.execute(one, (str(ids[0]),)).fetchone()
            return [row[0] if row else None]
        return [row[0] for row in conn.execute(many, (orjson.dumps([str(i) for i in ids])
                                                      .decode(),))]
    return read


def redis_reader(url: str, prefix: str) -> Any:
    import redis.asyncio as aioredis

    holder: dict[str, Any] = {}

    async def read(ids: list[Any]) -> list[Any]:
        client = holder.get("client")
        if client is None:  # asyncio connections belong to the serving loop
            client = holder["client"] = aioredis.Redis.from_url(url)
        if len(ids) == 1:
            return [await client.get(f"{prefix}{ids[0]}")]
        return await client.mget([f"{prefix}{i}" for i in ids])
    return read


def floor_app(read: Any) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                while (await receive())["type"] != "lifespan.shutdown":
                    await send({"type": "lifespan.startup.complete"})
                await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if scope["path"] == "/health":
            payload = b'{"status":"ok"}'
        else:
            ids = orjson.loads(body)["entities"]["user_id"]
            records = await read(ids)
            payload = orjson.dumps({"found": [record is not None for record in records]})
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*HEADERS, (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})
    return app


def main() -> None:
    import uvicorn

    from featureops.serving.protocol import uvicorn_options
    from featureops.serving.settings import ServingSettings

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("store", choices=["sqlite", "redis"])
    parser.add_argument("where", help="SQLite file or Redis URL")
    parser.add_argument("name", help="SQLite table or Redis key prefix")
    args = parser.parse_args()
    read = (sqlite_reader if args.store == "sqlite" else redis_reader)(args.where, args.name)
    uvicorn.run(floor_app(read), host="127.0.0.1", port=args.port,
                **uvicorn_options(ServingSettings()))


if __name__ == "__main__":
    main()
