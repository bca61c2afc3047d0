import { LuaScript } from './lua-script.js';

/*
 * Lease scripts. KEYS[1] is the lease's hash: `owner`, `counter` (the fencing token: it grows
 * with every grant and renewal and survives releases), `expiresAt` (epoch ms; 0 once released)
 * and `checkpoint` (the consumer's checkpoint of the shard, written only under a current grant).
 * Times come from the caller (ARGV), so a test clock works; nodes' clocks must agree to well
 * within a lease's lifetime (NTP does).
 */

const CURRENT = `
local h = redis.call('HMGET', KEYS[1], 'owner', 'counter', 'expiresAt')
local function current(owner, counter, now)
  return h[1] == owner and tonumber(h[2]) == tonumber(counter) and (tonumber(h[3]) or 0) > now
end
`;

/** ARGV: owner, now, ttl. Grants when free, expired or already the owner's: { counter, expiresAt }, else nil. */
export const ACQUIRE = new LuaScript('lease-acquire', 1, `#!lua
local h = redis.call('HMGET', KEYS[1], 'owner', 'counter', 'expiresAt')
local now = tonumber(ARGV[2])
if h[1] and h[1] ~= ARGV[1] and (tonumber(h[3]) or 0) > now then return nil end
local counter = (tonumber(h[2]) or 0) + 1
local expires = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'counter', string.format('%d', counter), 'expiresAt', string.format('%d', expires))
return { counter, expires }
`);

/** ARGV: owner, counter, now, ttl. Extends a current grant: { counter, expiresAt }, else nil. */
export const RENEW = new LuaScript('lease-renew', 1, `#!lua
${CURRENT}
local now = tonumber(ARGV[3])
if not current(ARGV[1], ARGV[2], now) then return nil end
local counter = tonumber(h[2]) + 1
local expires = now + tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'counter', string.format('%d', counter), 'expiresAt', string.format('%d', expires))
return { counter, expires }
`);

/** ARGV: owner, counter, now. Ends a current grant (the counter stays): 1, else 0. */
export const RELEASE = new LuaScript('lease-release', 1, `#!lua
${CURRENT}
if not current(ARGV[1], ARGV[2], tonumber(ARGV[3])) then return 0 end
redis.call('HSET', KEYS[1], 'expiresAt', '0')
return 1
`);

/** ARGV: owner, counter, now. 1 while the grant is current. */
export const HOLDS = new LuaScript('lease-holds', 1, `#!lua flags=no-writes
${CURRENT}
return current(ARGV[1], ARGV[2], tonumber(ARGV[3])) and 1 or 0
`);

/**
 * ARGV: checkpoint, then optionally owner, counter, now (a fenced write: refused unless that
 * grant is current). A checkpoint never moves backwards and stays at SHARD_END once there.
 * Returns 'OK', or an error: HYDRANT_FENCED, HYDRANT_BEHIND <current>, HYDRANT_ENDED.
 */
export const SET_CHECKPOINT = new LuaScript('checkpoint-set', 1, `#!lua
${CURRENT}
if ARGV[2] and not current(ARGV[2], ARGV[3], tonumber(ARGV[4])) then return redis.error_reply('HYDRANT_FENCED') end
local cur = redis.call('HGET', KEYS[1], 'checkpoint')
if cur == 'SHARD_END' and ARGV[1] ~= 'SHARD_END' then return redis.error_reply('HYDRANT_ENDED') end
if cur and cur ~= 'SHARD_END' and ARGV[1] ~= 'SHARD_END' and tonumber(ARGV[1]) < tonumber(cur) then
  return redis.error_reply('HYDRANT_BEHIND ' .. cur)
end
redis.call('HSET', KEYS[1], 'checkpoint', ARGV[1])
return 'OK'
`);
