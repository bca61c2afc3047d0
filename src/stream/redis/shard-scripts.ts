import { LuaScript } from './lua-script.js';

/*
 * The scripts of one shard. KEYS[1] is the shard's Redis Stream, KEYS[2] its position hash:
 * `next` (position the next record gets), `trim` (oldest readable position), `last` (newest
 * arrival time, epoch ms) and `closed` (set by a reshard: appends are refused from then on).
 *
 * A record at position p is the stream entry `<p + 1>-<arrival ms>`: ids grow with position
 * (XADD's own rule), a position range is an id range (XRANGE, XTRIM MINID), and the arrival time
 * needs no field of its own. Numbers are formatted with %d: Lua 5.1 prints doubles above 1e14 in
 * exponent notation otherwise.
 */

/** The first position whose arrival time is >= ARGV cutoff, by binary search over [trim, next). */
const FIND_TIME = `
local function arrival(p)
  local e = redis.call('XRANGE', KEYS[1], string.format('%d', p + 1), string.format('%d', p + 1), 'COUNT', 1)[1]
  if not e then return nil end
  local id = e[1]
  return tonumber(string.sub(id, string.find(id, '-', 1, true) + 1))
end
local function find(cutoff, lo, hi)
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local t = arrival(mid)
    if t == nil or t >= cutoff then hi = mid else lo = mid + 1 end
  end
  return lo
end
local function positions()
  local p = redis.call('HMGET', KEYS[2], 'next', 'trim')
  return tonumber(p[1]) or 0, tonumber(p[2]) or 0
end
`;

/**
 * Append: ARGV[1] = arrival time proposed by the node (raised to the shard's newest arrival so
 * times never go backwards when node clocks differ), then partition key / data pairs. All
 * XADDs run in one script: every record or none is stored, and positions are assigned under
 * Redis' single-threaded execution, whichever node appends. Returns { first, arrivedAt }.
 */
export const APPEND = new LuaScript('append', 2, `#!lua
if redis.call('HEXISTS', KEYS[2], 'closed') == 1 then return redis.error_reply('HYDRANT_SHARD_CLOSED') end
local p = redis.call('HMGET', KEYS[2], 'next', 'last')
local nxt = tonumber(p[1]) or 0
local t = tonumber(ARGV[1])
local last = tonumber(p[2])
if last and last > t then t = last end
local first = nxt
for i = 2, #ARGV, 2 do
  nxt = nxt + 1
  redis.call('XADD', KEYS[1], string.format('%d-%d', nxt, t), 'k', ARGV[i], 'd', ARGV[i + 1])
end
redis.call('HSET', KEYS[2], 'next', string.format('%d', nxt), 'last', string.format('%d', t))
return { first, t }
`);

/** { next, trim, closed (0/1) }. */
export const POSITIONS = new LuaScript('positions', 2, `#!lua flags=no-writes
local p = redis.call('HMGET', KEYS[2], 'next', 'trim', 'closed')
return { tonumber(p[1]) or 0, tonumber(p[2]) or 0, p[3] and 1 or 0 }
`);

/** ARGV[1] = epoch ms: the first position arrived at or after it, else next. Returns { position, next, trim }. */
export const POSITION_AT_TIME = new LuaScript('position-at-time', 2, `#!lua flags=no-writes
${FIND_TIME}
local nxt, trim = positions()
return { find(tonumber(ARGV[1]), trim, nxt), nxt, trim }
`);

/**
 * Retention (ARGV[1] = 'time', ARGV[2] = cutoff ms: drop records that arrived before it) or a
 * trim (ARGV[1] = 'position', ARGV[2] = position: drop records below it). Exact, by id
 * (XTRIM MINID). Returns { deleted, trim, next }.
 */
export const TRIM = new LuaScript('trim', 2, `#!lua
${FIND_TIME}
local nxt, trim = positions()
local to
if ARGV[1] == 'time' then to = find(tonumber(ARGV[2]), trim, nxt) else to = math.min(tonumber(ARGV[2]), nxt) end
if to <= trim then return { 0, trim, nxt } end
redis.call('XTRIM', KEYS[1], 'MINID', string.format('%d', to + 1))
redis.call('HSET', KEYS[2], 'trim', string.format('%d', to))
return { to - trim, to, nxt }
`);

/**
 * Seal a shard for a reshard: appends are refused from now on, and the answer is its end
 * position (every record below it was appended before the seal). Idempotent: sealing a sealed
 * shard answers the same end.
 */
export const SEAL = new LuaScript('seal', 2, `#!lua
local nxt = tonumber(redis.call('HGET', KEYS[2], 'next')) or 0
if redis.call('HEXISTS', KEYS[2], 'closed') == 0 then
  redis.call('HSET', KEYS[2], 'closed', string.format('%d', nxt), 'next', string.format('%d', nxt))
end
return tonumber(redis.call('HGET', KEYS[2], 'closed'))
`);
