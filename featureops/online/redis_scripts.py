"""Lua scripts that make the Redis store's multi-key steps atomic (Redis runs a script
without interleaving other commands).

Keys of a view live under ``<base> = <prefix>:<view>`` (``{<prefix>:<view>}`` on a Redis
Cluster: one hash slot per view):
``<base>:_ptr`` live version, ``<base>:_seq`` version counter, ``<base>:_building`` build
lock (expires unless refreshed), ``<base>:_state:<v>`` version state (JSON),
``<base>:_versions`` every version id, ``<base>:_stat:<v>`` newest feature timestamp,
``<base>:_gen:<v>`` change counter (for caches), ``<base>:_layout:<v>`` the layout
fingerprint of a version being built, ``<base>:_journal:<v>`` upserts (pushes and
incremental runs) of that layout made while <v> was being built, ``<base>:_pushed`` the push
log (a hash: entity key -> newest pushed record) and ``<base>:_pushed_layout`` the layout
fingerprint of its records, and ``<base>:<v>:<entity key>`` the records. Each script but
READ gets the base as its one key (KEYS[1], which routes it on a cluster) and again as
ARGV[1]; READ takes the bases in ARGV (one view per call on a cluster).

A full run merges the push log into its version in chunks (MERGE_PUSHED) before PUBLISH;
a push acknowledged during or after that scan is in the build's journal, which PUBLISH
replays in the flip itself, so every acknowledged push reaches the new version.
"""

# Newest feature timestamp wins: bytes 2-9 of a record are its little-endian int64
# timestamp (microseconds, exact in Lua's doubles until year 2255).
_NEWER = """
local function ts(record) return struct.unpack('<i8', string.sub(record, 2, 9)) end
-- 0: the stored record is as new or newer, 1: replaced it, 2: the entity was absent
local function put_newer(key, record)
  local current = redis.call('GETRANGE', key, 1, 8)
  if current == '' then
    redis.call('SET', key, record)
    return 2
  end
  if ts(record) > struct.unpack('<i8', current) then
    redis.call('SET', key, record)
    return 1
  end
  return 0
end
local function raise_stat(stat_key, value)
  local current = tonumber(redis.call('GET', stat_key) or '-1')
  if value > current then redis.call('SET', stat_key, string.format('%d', value)) end
end
"""

#: ARGV: number of views, then per view: base, number of keys, keys...
#: Returns per view: false (never materialized) or {version, newest timestamp, records}.
READ = """
local out = {}
local i = 2
for v = 1, tonumber(ARGV[1]) do
  local base = ARGV[i]
  local n = tonumber(ARGV[i + 1])
  i = i + 2
  local version = redis.call('GET', base .. ':_ptr')
  if not version then
    out[v] = false
  else
    local records = {}
    local data = base .. ':' .. version .. ':'
    for start = 0, n - 1, 500 do
      local keys = {}
      for j = start, math.min(start + 499, n - 1) do keys[#keys + 1] = data .. ARGV[i + j] end
      local found = redis.call('MGET', unpack(keys))
      for j = 1, #keys do records[start + j] = found[j] end
    end
    out[v] = {version, redis.call('GET', base .. ':_stat:' .. version) or '', records}
  end
  i = i + n
end
return out
"""

#: ARGV: base, version, lock milliseconds, layout fingerprint. Take the build lock or fail.
BEGIN = """
if redis.call('SET', ARGV[1] .. ':_building', ARGV[2], 'NX', 'PX', ARGV[3]) then
  redis.call('SET', ARGV[1] .. ':_layout:' .. ARGV[2], ARGV[4])
  return 1
end
return redis.call('GET', ARGV[1] .. ':_building') or ''
"""

#: ARGV: base, version, lock milliseconds. Refresh the lock if it is still ours.
HEARTBEAT = """
if redis.call('GET', ARGV[1] .. ':_building') == ARGV[2] then
  return redis.call('PEXPIRE', ARGV[1] .. ':_building', ARGV[3])
end
return 0
"""

#: ARGV: base, version, lock milliseconds, layout fingerprint, HSCAN cursor, count.
#: Merge one chunk of the push log into the version being built (newest wins) and keep
#: the build lock alive. Returns {next cursor, entities added, newest merged timestamp}.
MERGE_PUSHED = _NEWER + """
if redis.replicate_commands then redis.replicate_commands() end  -- Redis 6: HSCAN, then writes
local base, version = ARGV[1], ARGV[2]
if redis.call('GET', base .. ':_building') ~= version then
  return redis.error_reply('FEATUREOPS_LOST_LOCK')
end
redis.call('PEXPIRE', base .. ':_building', ARGV[3])
if redis.call('GET', base .. ':_pushed_layout') ~= ARGV[4] then return {'0', 0, -1} end
local scan = redis.call('HSCAN', base .. ':_pushed', ARGV[5], 'COUNT', ARGV[6])
local entries = scan[2]
local data = base .. ':' .. version .. ':'
local added, newest = 0, -1
for j = 1, #entries, 2 do
  local outcome = put_newer(data .. entries[j], entries[j + 1])
  if outcome == 2 then added = added + 1 end
  if outcome > 0 then newest = math.max(newest, ts(entries[j + 1])) end
end
return {scan[1], added, newest}
"""

#: ARGV: base, version, state JSON, newest timestamp, layout fingerprint. Replay the
#: journal, drop a push log of another layout, flip the pointer. Returns entities added.
PUBLISH = _NEWER + """
local base, version = ARGV[1], ARGV[2]
if redis.call('GET', base .. ':_building') ~= version then
  return redis.error_reply('FEATUREOPS_LOST_LOCK')
end
local journal = base .. ':_journal:' .. version
local entries = redis.call('LRANGE', journal, 0, -1)
local data = base .. ':' .. version .. ':'
local added = 0
local newest = tonumber(ARGV[4])
for j = 1, #entries, 2 do
  if put_newer(data .. entries[j], entries[j + 1]) == 2 then added = added + 1 end
  newest = math.max(newest, ts(entries[j + 1]))
end
if redis.call('GET', base .. ':_pushed_layout') ~= ARGV[5] then
  -- written with other columns: they cannot be decoded with this version's layout
  redis.call('UNLINK', base .. ':_pushed', base .. ':_pushed_layout')
end
redis.call('SET', base .. ':_state:' .. version, ARGV[3])
redis.call('SET', base .. ':_stat:' .. version, string.format('%d', newest))
redis.call('INCR', base .. ':_gen:' .. version)
redis.call('SET', base .. ':_ptr', version)
redis.call('DEL', journal, base .. ':_building', base .. ':_layout:' .. version)
return added
"""

#: ARGV: base, HSCAN cursor, count. Drop push-log entries of one chunk that the live
#: version holds a strictly newer record for: the warehouse superseded them (a pushed
#: record is never newer than the log's). Returns {next cursor, entries dropped}.
PRUNE_PUSHED = """
if redis.replicate_commands then redis.replicate_commands() end
local base = ARGV[1]
local live = redis.call('GET', base .. ':_ptr')
if not live then return {'0', 0} end
local log = base .. ':_pushed'
local scan = redis.call('HSCAN', log, ARGV[2], 'COUNT', ARGV[3])
local entries = scan[2]
local data = base .. ':' .. live .. ':'
local dropped = 0
for j = 1, #entries, 2 do
  local current = redis.call('GETRANGE', data .. entries[j], 1, 8)
  if current ~= '' and struct.unpack('<i8', current) >
      struct.unpack('<i8', string.sub(entries[j + 1], 2, 9)) then
    redis.call('HDEL', log, entries[j])
    dropped = dropped + 1
  end
end
return {scan[1], dropped}
"""

#: ARGV: base, expected live version, state JSON or '', layout fingerprint, '1' for a push
#: ('0': an incremental run), then key, record pairs. Upserts into the live version;
#: journals for a running build of the same layout; logs pushes. Returns records written.
UPSERT = _NEWER + """
local base, version, layout = ARGV[1], ARGV[2], ARGV[4]
if redis.call('GET', base .. ':_ptr') ~= version then
  return redis.error_reply('FEATUREOPS_VERSION_CHANGED')
end
local building = redis.call('GET', base .. ':_building')
local journal = false
if building and redis.call('GET', base .. ':_layout:' .. building) == layout then
  journal = base .. ':_journal:' .. building
end
local log = false
if ARGV[5] == '1' then
  log = base .. ':_pushed'
  if redis.call('GET', base .. ':_pushed_layout') ~= layout then
    redis.call('UNLINK', log)  -- another layout's: a publish of this one made them moot
    redis.call('SET', base .. ':_pushed_layout', layout)
  end
end
local data = base .. ':' .. version .. ':'
local written = 0
local newest = -1
for j = 6, #ARGV, 2 do
  if put_newer(data .. ARGV[j], ARGV[j + 1]) > 0 then written = written + 1 end
  newest = math.max(newest, ts(ARGV[j + 1]))
  if journal then redis.call('RPUSH', journal, ARGV[j], ARGV[j + 1]) end
  if log then
    local logged = redis.call('HGET', log, ARGV[j])
    if not logged or ts(ARGV[j + 1]) > ts(logged) then
      redis.call('HSET', log, ARGV[j], ARGV[j + 1])
    end
  end
end
if newest >= 0 then raise_stat(base .. ':_stat:' .. version, newest) end
if ARGV[3] ~= '' then redis.call('SET', base .. ':_state:' .. version, ARGV[3]) end
if written > 0 then redis.call('INCR', base .. ':_gen:' .. version) end
return written
"""

#: ARGV: base, state JSON with version "0". Make an empty live version if there is none.
CREATE_LIVE = """
local base = ARGV[1]
local live = redis.call('GET', base .. ':_ptr')
if live then return live end
local version = tostring(redis.call('INCR', base .. ':_seq'))
local state = cjson.decode(ARGV[2])
state['version'] = version
redis.call('SET', base .. ':_state:' .. version, cjson.encode(state))
redis.call('SADD', base .. ':_versions', version)
redis.call('SET', base .. ':_ptr', version)
return version
"""

#: ARGV: base, version. Release the build lock if it is still ours.
RELEASE = """
if redis.call('GET', ARGV[1] .. ':_building') == ARGV[2] then
  return redis.call('DEL', ARGV[1] .. ':_building')
end
return 0
"""
