"""Streaming state in the Redis online store (docs/decisions/0060-...).

Keys live beside the view's online keys, under ``<s> = <prefix>:<view>:_stream``:
``<s>:live`` / ``<s>:building`` the live state version and one a replay builds, ``<s>:seq``
the version counter, and per state version ``<v>``: ``<s>:<v>:cols`` its columns,
``<s>:<v>:wm`` the watermark, ``<s>:<v>:ids`` every stored event id scored by event time
(duplicates and pruning), ``<s>:<v>:log`` the log frontier (lateness in log order:
members ``<position, 20 digits>:<micros>`` ordered by position, since log positions exceed
2^53), ``<s>:<v>:own`` id -> entity, and per entity ``<s>:<v>:e:<key>``
(ids scored by event time) and ``<s>:<v>:v:<key>`` (id -> the values, a JSON array). The
batch edge of online version ``<o>``: ``<s>:edge:<o>`` (boundary, columns) and per entity
``<s>:edge:<o>:e:<key>`` (members ``<n>|<values>`` scored by event time).

``apply`` is one Lua script for the whole batch and every version it feeds, so a batch is
counted completely or not at all; reads are one script too (a consistent snapshot). Values
cross as JSON text Python writes and reads (floats round-trip exactly); Lua never parses
them. Event times are integers below 2^53 microseconds (exact in Lua numbers and scores).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa

from featureops.online.base import StoreUnavailableError
from featureops.online.redis import (
    RedisConnectionError,
    RedisOnlineStore,
    RedisOnlineStoreConfig,
    RedisTimeoutError,
    ResponseError,
)
from featureops.streaming.merge import EntityEvents
from featureops.streaming.state import (
    ApplyResult,
    EventRows,
    StreamRead,
    StreamStateError,
    event_rows,
)
from featureops.streaming.windows import StreamingView

_T = TypeVar("_T")
_VERSION = re.compile(r"[A-Za-z0-9_]{1,64}")
#: Ids pruned per apply at most (each prune touches four keys; the rest waits a batch).
PRUNE_LIMIT = 2000
COLUMNS_CHANGED = "FEATUREOPS_COLUMNS_CHANGED"
NO_REPLAY = "FEATUREOPS_NO_REPLAY"

# ARGV: s, lateness, longest window, columns JSON, mode ('all' or a replay version id),
# then id, entity, micros, values, log position (20 digits, '' for none) per event, in log
# order. Returns per fed version {applied, dups, late ids}: the live version's first.
APPLY = """
local s, lateness, wmax, cols, mode = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]),
  ARGV[4], ARGV[5]
-- the log frontier (featureops.streaming.state): members '<position>:<micros>' at score 0,
-- ordered by position (20 digits), their times growing with it
local function frontier_time(member) return tonumber(string.sub(member, 22)) end
-- remove the entries from `start` on (a ZRANGEBYLEX bound) while their time is at most
-- `micros`, at most `rounds` x 100 of them
local function drop_up_to(fr, start, micros, rounds)
  for _ = 1, rounds do
    local found = redis.call('ZRANGEBYLEX', fr, start, '+', 'LIMIT', 0, 100)
    local last = 0
    while last < #found and frontier_time(found[last + 1]) <= micros do last = last + 1 end
    if last > 0 then redis.call('ZREMRANGEBYLEX', fr, start, '[' .. found[last]) end
    if last < 100 then return end
  end
end
-- 20-digit positions compared in two exact halves (Lua numbers hold 53 bits)
local function later(a, b)
  local ha, hb = tonumber(string.sub(a, 1, 10)), tonumber(string.sub(b, 1, 10))
  if ha ~= hb then return ha > hb end
  return tonumber(string.sub(a, 11)) > tonumber(string.sub(b, 11))
end
local function frontier(fr)
  -- its last entry (the newest) is kept at hand: events after it in the log, the usual
  -- case, need no lookup and have no following entries to remove; their entries are
  -- added with one ZADD per 500 (flush), before any lookup
  local tail_pos, tail_time
  local pending = {}
  local f = {}
  function f.flush()
    for first = 1, #pending, 1000 do
      redis.call('ZADD', fr, unpack(pending, first, math.min(first + 999, #pending)))
    end
    pending = {}
  end
  local function load_tail()
    f.flush()
    local last = redis.call('ZREVRANGEBYLEX', fr, '+', '-', 'LIMIT', 0, 1)[1]
    tail_pos, tail_time = nil, nil
    if last then tail_pos, tail_time = string.sub(last, 1, 20), frontier_time(last) end
  end
  load_tail()
  function f.newest_before(pos)
    if not tail_pos or later(pos, tail_pos) then return tail_time end
    f.flush()
    local found = redis.call('ZREVRANGEBYLEX', fr, '(' .. pos, '-', 'LIMIT', 0, 1)
    return found[1] and frontier_time(found[1])
  end
  function f.add(pos, micros, before)
    if before and before >= micros then return end
    local member = pos .. ':' .. string.format('%d', micros)
    if not tail_pos or later(pos, tail_pos) then
      pending[#pending + 1] = 0
      pending[#pending + 1] = member
      tail_pos, tail_time = pos, micros
      return
    end
    f.flush()
    redis.call('ZADD', fr, 0, member)
    -- the following entries it is newer than leave the frontier
    drop_up_to(fr, '(' .. member, micros, math.huge)
    load_tail()
  end
  return f
end
local function apply(v)
  local p = s .. ':' .. v
  local fr = p .. ':log'
  local log = frontier(fr)
  local wm = tonumber(redis.call('GET', p .. ':wm') or '')
  local limit = wm and (wm - lateness)
  local floor = wm and (wm - lateness - wmax)
  local applied, dups, late = 0, 0, {}
  local newest = wm
  for i = 6, #ARGV, 5 do
    local id, entity, micros, vals, pos = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]),
      ARGV[i + 3], ARGV[i + 4]
    local counted = false
    if redis.call('ZSCORE', p .. ':ids', id) then
      dups = dups + 1
    elseif floor and micros < floor then
      late[#late + 1] = id
    elseif pos == '' then
      if limit and micros < limit then late[#late + 1] = id else counted = true end
    else
      local before = log.newest_before(pos)
      if before and micros < before - lateness then
        late[#late + 1] = id
      else
        log.add(pos, micros, before)
        counted = true
      end
    end
    if counted then
      redis.call('ZADD', p .. ':ids', micros, id)
      redis.call('HSET', p .. ':own', id, entity)
      redis.call('ZADD', p .. ':e:' .. entity, micros, id)
      redis.call('HSET', p .. ':v:' .. entity, id, vals)
      applied = applied + 1
      if not newest or micros > newest then newest = micros end
    end
  end
  log.flush()
  if applied > 0 then
    redis.call('SET', p .. ':wm', string.format('%d', newest))
    -- older events can no longer be in a window; their redeliveries are too late
    local old = redis.call('ZRANGEBYSCORE', p .. ':ids', '-inf',
      '(' .. string.format('%d', newest - lateness - wmax), 'LIMIT', 0, PRUNE_LIMIT)
    for _, id in ipairs(old) do
      local entity = redis.call('HGET', p .. ':own', id)
      if entity then
        redis.call('ZREM', p .. ':e:' .. entity, id)
        redis.call('HDEL', p .. ':v:' .. entity, id)
      end
      redis.call('HDEL', p .. ':own', id)
      redis.call('ZREM', p .. ':ids', id)
    end
    -- entries up to the new floor plus the lateness decide nothing any more (the
    -- frontier's first ones: its times grow)
    drop_up_to(fr, '-', newest - wmax, PRUNE_LIMIT / 100)
  end
  return {applied, dups, late}
end
local live = redis.call('GET', s .. ':live')
local building = redis.call('GET', s .. ':building')
local targets = {}
if mode == 'all' then
  targets[1] = live or 'new'
  if building then targets[2] = building end
else
  if building ~= mode then return redis.error_reply('FEATUREOPS_NO_REPLAY ' .. mode) end
  targets[1] = building
end
-- everything that could fail is checked before the first write: Redis does not undo a
-- script's writes when it stops half way
for i = 6, #ARGV, 5 do
  if not tonumber(ARGV[i + 2]) then
    return redis.error_reply('FEATUREOPS_BAD_EVENT ' .. ARGV[i])
  end
end
for _, v in ipairs(targets) do
  local stored = v ~= 'new' and redis.call('GET', s .. ':' .. v .. ':cols')
  if stored and stored ~= cols then
    return redis.error_reply('FEATUREOPS_COLUMNS_CHANGED ' .. v .. ' ' .. stored)
  end
end
if targets[1] == 'new' then
  targets[1] = tostring(redis.call('INCR', s .. ':seq'))
  redis.call('SET', s .. ':live', targets[1])
end
local out = {}
for _, v in ipairs(targets) do
  redis.call('SET', s .. ':' .. v .. ':cols', cols)
  out[#out + 1] = apply(v)
end
return out
""".replace("PRUNE_LIMIT", str(PRUNE_LIMIT))

# ARGV: s, online version ('' for none), since, until, then entity keys. Returns
# {boundary or '', watermark or '', per key: {edge members/scores}, {values/scores}}.
READ = """
local s, ov, since, untl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local boundary = false
if ov ~= '' then boundary = redis.call('HGET', s .. ':edge:' .. ov, 'boundary') end
local live = redis.call('GET', s .. ':live')
local wm = live and redis.call('GET', s .. ':' .. live .. ':wm') or false
local out = {boundary or '', wm or ''}
local edge_until = untl
if boundary and tonumber(boundary) < edge_until then edge_until = tonumber(boundary) end
local stream_since = since
if boundary and tonumber(boundary) > stream_since then stream_since = tonumber(boundary) end
for i = 5, #ARGV do
  local key = ARGV[i]
  local edge = {}
  if boundary and since < edge_until then
    edge = redis.call('ZRANGEBYSCORE', s .. ':edge:' .. ov .. ':e:' .. key, since,
      '(' .. string.format('%d', edge_until), 'WITHSCORES')
  end
  local stream = {}
  if live and stream_since < untl then
    local p = s .. ':' .. live
    local ids = redis.call('ZRANGEBYSCORE', p .. ':e:' .. key, stream_since,
      '(' .. string.format('%d', untl), 'WITHSCORES')
    for j = 1, #ids, 2 do
      stream[#stream + 1] = redis.call('HGET', p .. ':v:' .. key, ids[j])
      stream[#stream + 1] = ids[j + 1]
    end
  end
  out[#out + 1] = edge
  out[#out + 1] = stream
end
return out
"""

# ARGV: s, version. Makes a replay version live; returns the old live version or ''.
PUBLISH = """
local s, v = ARGV[1], ARGV[2]
if redis.call('GET', s .. ':building') ~= v then
  return redis.error_reply('FEATUREOPS_NO_REPLAY ' .. v)
end
local old = redis.call('GET', s .. ':live') or ''
redis.call('SET', s .. ':live', v)
redis.call('DEL', s .. ':building')
return old
"""


class RedisStreamState:
    """StreamState in the Redis online store."""

    def __init__(self, config: RedisOnlineStoreConfig, project_dir: Path) -> None:
        self.store = RedisOnlineStore(config, project_dir)
        self.client = self.store.client
        self._scripts = {name: self.client.register_script(script)
                         for name, script in (("APPLY", APPLY), ("READ", READ),
                                              ("PUBLISH", PUBLISH))}

    def _base(self, view: StreamingView) -> str:
        return f"{self.store._base(view.name)}:_stream"  # validates the view name

    def _call(self, view: StreamingView, action: Callable[[], _T]) -> _T:
        try:
            return action()
        except (RedisConnectionError, RedisTimeoutError) as error:
            raise StoreUnavailableError(f"{self.store.describe()} unreachable: "
                                        f"{error}") from None
        except ResponseError as error:
            text = str(error)
            if text.startswith(COLUMNS_CHANGED):
                raise StreamStateError(
                    f"streaming view '{view.name}': a state version holds other columns than "
                    f"the view now aggregates ({', '.join(_columns(view))}); run "
                    "`featureops stream replay` to rebuild it from the log") from None
            if text.startswith(NO_REPLAY):
                raise StreamStateError(f"streaming view '{view.name}': no replay version "
                                       f"{text.split()[-1]} is being built") from None
            raise

    def close(self) -> None:
        self.store.close()

    # --- apply ------------------------------------------------------------------------

    def apply(self, view: StreamingView, rows: pa.Table) -> ApplyResult:
        return self._apply(view, event_rows(view, rows), "all")

    def apply_replayed(self, view: StreamingView, version: str, rows: pa.Table
                       ) -> ApplyResult:
        return self._apply(view, event_rows(view, rows), _version(version))

    def _apply(self, view: StreamingView, events: EventRows, mode: str) -> ApplyResult:
        args: list[Any] = [self._base(view), view.allowed_lateness_micros,
                           view.widths_micros[0], json.dumps(_columns(view)), mode]
        for index in events.log_order():
            position = events.positions[index]
            args += [events.ids[index], events.keys[index], events.micros[index],
                     json.dumps(events.row_values(index)),
                     "" if position is None else f"{position:020d}"]
        # the state's key routes each script to the view's slot on a Redis Cluster
        results = self._call(view, lambda: self._scripts["APPLY"](keys=args[:1], args=args))
        applied, duplicates, late = results[0]
        late_ids = tuple(i.decode() for i in late)
        return ApplyResult(applied, duplicates, len(late_ids), late_ids)

    # --- versions -----------------------------------------------------------------------

    def begin_replay(self, view: StreamingView) -> str:
        base = self._base(view)
        version = str(self._call(view, lambda: self.client.incr(f"{base}:seq")))
        if not self._call(view, lambda: self.client.set(f"{base}:building", version, nx=True)):
            raise StreamStateError(f"streaming view '{view.name}' is already being "
                                   "replayed; abort that replay first")
        self._call(view, lambda: self.client.set(f"{base}:{version}:cols",
                                                 json.dumps(_columns(view))))
        return version

    def publish_replay(self, view: StreamingView, version: str) -> None:
        base = self._base(view)
        old = self._call(view, lambda: self._scripts["PUBLISH"](
            keys=[base], args=[base, _version(version)]))
        if old:
            self._delete(view, f"{base}:{old.decode()}:*")

    def abort_replay(self, view: StreamingView, version: str) -> None:
        base = self._base(view)
        pipe = self.client.pipeline(transaction=True)
        pipe.watch(f"{base}:building")
        if pipe.get(f"{base}:building") == _version(version).encode():
            pipe.multi()
            pipe.delete(f"{base}:building")
            self._call(view, pipe.execute)
        else:
            pipe.reset()
        self._delete(view, f"{base}:{version}:*")

    def _delete(self, view: StreamingView, pattern: str) -> None:
        # SCAN + UNLINK of our own keys (the store's helper is private and changing)
        def delete() -> None:
            keys = list(self.client.scan_iter(match=pattern, count=10_000))
            for start in range(0, len(keys), 10_000):
                self.client.unlink(*keys[start:start + 10_000])

        self._call(view, delete)

    # --- the batch edge ---------------------------------------------------------------

    def write_edge(self, view: StreamingView, online_version: str, boundary_micros: int,
                   rows: pa.Table) -> int:
        events = event_rows(view, rows, with_ids=False)
        base = f"{self._base(view)}:edge:{_version(online_version)}"
        horizon = boundary_micros - view.widths_micros[0]
        by_key: dict[str, dict[str, int]] = {}
        for index in range(len(events)):
            micros = events.micros[index]
            if horizon <= micros < boundary_micros:
                member = f"{index}|{json.dumps(events.row_values(index))}"
                by_key.setdefault(events.keys[index], {})[member] = micros
        # the edge of a version is written before its pointer flips; its meta hash last,
        # so a reader finds a complete edge or none
        self._call(view, lambda: self.client.delete(base))
        self._delete(view, f"{base}:e:*")
        pipe = self.client.pipeline(transaction=False)
        for key, members in by_key.items():
            pipe.zadd(f"{base}:e:{key}", members)
            if len(pipe) >= 1000:
                self._call(view, pipe.execute)
        pipe.hset(base, mapping={"boundary": boundary_micros,
                                 "columns": json.dumps(_columns(view))})
        self._call(view, pipe.execute)
        return sum(len(m) for m in by_key.values())

    def drop_edges(self, view: StreamingView, keep: Sequence[str]) -> list[str]:
        """Delete the edges of online versions not in ``keep``; return their versions."""
        prefix = f"{self._base(view)}:edge:"
        found = {key.decode()[len(prefix):].split(":", 1)[0] for key in self._call(
            view, lambda: list(self.client.scan_iter(match=f"{prefix}*", count=10_000)))}
        dropped = sorted(found - set(keep))
        for version in dropped:
            self._call(view, lambda v=version: self.client.delete(f"{prefix}{v}"))
            self._delete(view, f"{prefix}{version}:e:*")
        return dropped

    # --- reads ------------------------------------------------------------------------

    def read(self, view: StreamingView, online_version: str | None, keys: list[str],
             since_micros: int, until_micros: int) -> StreamRead:
        unique = list(dict.fromkeys(keys))
        args = [self._base(view), _version(online_version) if online_version else "",
                since_micros, until_micros, *unique]
        reply = self._call(view, lambda: self._scripts["READ"](keys=args[:1], args=args))
        boundary = int(reply[0]) if reply[0] else None
        watermark = int(reply[1]) if reply[1] else None
        columns = _columns(view)
        edge: dict[str, EntityEvents] = {}
        stream: dict[str, EntityEvents] = {}
        for index, key in enumerate(unique):
            edge_flat, stream_flat = reply[2 + 2 * index], reply[3 + 2 * index]
            if edge_flat:
                edge[key] = _entity_events(columns, edge_flat, member_values=True)
            if stream_flat:
                stream[key] = _entity_events(columns, stream_flat, member_values=False)
        return StreamRead(boundary, edge, stream, watermark)


def _entity_events(columns: list[str], flat: list[bytes], member_values: bool) -> EntityEvents:
    events = EntityEvents(values={c: [] for c in columns})
    for position in range(0, len(flat), 2):
        text = flat[position].decode()
        if member_values:
            text = text.split("|", 1)[1]
        events.add(int(float(flat[position + 1])), dict(zip(columns, json.loads(text),
                                                            strict=True)))
    return events


def _columns(view: StreamingView) -> list[str]:
    return list(dict.fromkeys(w.column for w in view.windows))


def _version(version: str) -> str:
    if not _VERSION.fullmatch(version):
        raise StreamStateError(f"version {version!r} is not a version id")
    return version
