"""Lua scripts that make the Redis store's multi-key steps atomic (Redis runs a script
without interleaving other commands).

Keys of a view live under ``<base> = <prefix>:<view>``:
``<base>:_ptr`` live version, ``<base>:_seq`` version counter, ``<base>:_building`` build
lock (expires unless refreshed), ``<base>:_state:<v>`` version state (JSON),
``<base>:_versions`` every version id, ``<base>:_stat:<v>`` newest feature timestamp,
``<base>:_gen:<v>`` change counter (for caches), ``<base>:_journal:<v>`` pushes made
while <v> was being built, and ``<base>:<v>:<entity key>`` the records.
"""

# Newest feature timestamp wins: bytes 2-9 of a record are its little-endian int64
# timestamp (microseconds, exact in Lua's doubles until year 2255).
_NEWER = """
local function ts(record) return struct.unpack('<i8', string.sub(record, 2, 9)) end
local function put_newer(key, record)
  local current = redis.call('GETRANGE', key, 1, 8)
  if current == '' or ts(record) > struct.unpack('<i8', current) then
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

#: ARGV: prefix, number of views, then per view: name, number of keys, keys...
#: Returns per view: false (never materialized) or {version, newest timestamp, records}.
READ = """
local prefix = ARGV[1]
local out = {}
local i = 3
for v = 1, tonumber(ARGV[2]) do
  local base = prefix .. ':' .. ARGV[i]
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

#: ARGV: base, version, lock milliseconds. Take the build lock or fail.
BEGIN = """
if redis.call('SET', ARGV[1] .. ':_building', ARGV[2], 'NX', 'PX', ARGV[3]) then return 1 end
return redis.call('GET', ARGV[1] .. ':_building') or ''
"""

#: ARGV: base, version, lock milliseconds. Refresh the lock if it is still ours.
HEARTBEAT = """
if redis.call('GET', ARGV[1] .. ':_building') == ARGV[2] then
  return redis.call('PEXPIRE', ARGV[1] .. ':_building', ARGV[3])
end
return 0
"""

#: ARGV: base, version, state JSON, newest timestamp. Replay the journal, flip the pointer.
PUBLISH = _NEWER + """
local base, version = ARGV[1], ARGV[2]
if redis.call('GET', base .. ':_building') ~= version then
  return redis.error_reply('FEATUREOPS_LOST_LOCK')
end
local journal = base .. ':_journal:' .. version
local entries = redis.call('LRANGE', journal, 0, -1)
local data = base .. ':' .. version .. ':'
local replayed = 0
local newest = tonumber(ARGV[4])
for j = 1, #entries, 2 do
  replayed = replayed + put_newer(data .. entries[j], entries[j + 1])
  newest = math.max(newest, ts(entries[j + 1]))
end
redis.call('SET', base .. ':_state:' .. version, ARGV[3])
redis.call('SET', base .. ':_stat:' .. version, string.format('%d', newest))
redis.call('INCR', base .. ':_gen:' .. version)
redis.call('SET', base .. ':_ptr', version)
redis.call('DEL', journal, base .. ':_building')
return replayed
"""

#: ARGV: base, expected live version, state JSON or '', then key, record pairs.
#: Upserts into the live version; journals for a running build. Returns records written.
UPSERT = _NEWER + """
local base, version = ARGV[1], ARGV[2]
if redis.call('GET', base .. ':_ptr') ~= version then
  return redis.error_reply('FEATUREOPS_VERSION_CHANGED')
end
local building = redis.call('GET', base .. ':_building')
local data = base .. ':' .. version .. ':'
local written = 0
local newest = -1
for j = 4, #ARGV, 2 do
  written = written + put_newer(data .. ARGV[j], ARGV[j + 1])
  newest = math.max(newest, ts(ARGV[j + 1]))
  if building then
    redis.call('RPUSH', base .. ':_journal:' .. building, ARGV[j], ARGV[j + 1])
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
