#!lua name=flashsale_modes_%VERSION%
-- Server-side half of the CENTRAL and SHARDED modes: a stock pool ("central" for CENTRAL, one
-- "shard" per region for SHARDED) that buyers deduct from directly, plus the two-step transfers
-- that move shard stock between Redis instances. Every key arrives in KEYS and carries the
-- event's hash tag (fs:{<eventId>}:...), so each call touches one Cluster slot.
-- %VERSION% is a hash of this file, so different builds load side by side.

local function int(n)
  return string.format('%d', n)
end

-- An event created by this build has its pools opened by the arbiter before any region hears of
-- it (open_at_creation below), and every caller passes seen >= 1 for them. An earlier build's event
-- has none: its pool starts with its initial units the first time anything touches it. The caller
-- passes them every time (they come from the immutable event spec), so no separate setup call can
-- be forgotten and any region may be first.
--
-- Every write to a pool adds one to its version, and every reply tells it; seen is the highest
-- version the caller knows the pool reached ('0': it knows nothing). A caller that knows the pool
-- and finds it gone has met a store that lost it (a restart without persistence, FLUSHDB,
-- eviction); one that finds it at an older version has met a store rolled back (restarted from an
-- older snapshot, failed over to a replica that was behind), whose pool holds units already sold.
-- Going on would sell units twice. The pool is marked lost instead, and stays so for every caller
-- until an operator restores it (from a backup or the AOF) or writes its whole hash again by hand
-- (see the README): deleting the key is not enough, since nodes that saw it mark it again.
-- open answers false when the pool is lost.
local function start(pool, initial)
  redis.call('HSET', pool, 'initial', initial, 'remaining', initial, 'sold', '0', 'last_rank', '0', 'wins', '0',
    'version', '1')
end

local function mark_lost(pool, why)
  redis.call('HSET', pool, 'lost_at', redis.call('TIME')[1], 'lost_why', why)
end

local function open(pool, initial, seen)
  local lost_at, started, version = unpack(redis.call('HMGET', pool, 'lost_at', 'initial', 'version'))
  if lost_at then return false end
  local known = tonumber(seen)
  if started then
    -- A pool of an earlier build has no version until its first write here: nothing to compare.
    if version and tonumber(version) < known then
      mark_lost(pool, 'rolled back to version ' .. version .. ' after a caller saw version ' .. seen)
      return false
    end
    return true
  end
  if known > 0 then
    mark_lost(pool, 'gone after a caller saw version ' .. seen)
    return false
  end
  start(pool, initial)
  return true
end

-- The pool's version after a write to it (a pool of an earlier build starts counting here).
local function bump(pool)
  return redis.call('HINCRBY', pool, 'version', 1)
end

-- The pool's version ('0' for none: a missing pool, or one of an earlier build never written here).
local function version_of(pool)
  return redis.call('HGET', pool, 'version') or '0'
end

local function lost(pool)
  local why = redis.call('HGET', pool, 'lost_why') or 'gone after a caller saw it'
  return redis.error_reply('POOLLOST ' .. pool .. ' was lost by this store after its sale began (' .. why
    .. '; marked lost at ' .. redis.call('HGET', pool, 'lost_at')
    .. '); restore it, or write its counts again by hand (see the README)')
end

-- KEYS: pool. ARGV: initial_units. The arbiter opens each pool of an event it creates before any
-- region hears of the event, so no node ever starts one lazily. A pool open with the same units
-- is left as it is (a retried create, a new leader); one open with other units is not the
-- arbiter's (another deployment's, or written by hand), and is refused rather than changed.
local function open_at_creation(keys, args)
  if redis.call('HEXISTS', keys[1], 'lost_at') == 1 then return lost(keys[1]) end
  local initial = redis.call('HGET', keys[1], 'initial')
  if not initial then
    start(keys[1], args[1])
    return 'OPENED'
  end
  if initial ~= args[1] then
    return redis.error_reply('POOLEXISTS ' .. keys[1] .. ' is open with ' .. initial .. ' initial units, not ' .. args[1])
  end
  return 'OPEN'
end

-- Stored decision: outcome, rank, decide micros, user, quantity, region, arrival micros.
local function record(outcome, rank, args)
  local t = redis.call('TIME')
  local decide = t[1] .. string.format('%06d', tonumber(t[2]))
  return table.concat({ outcome, int(rank), decide, args[5], args[6], args[7], args[8] }, ' ')
end

-- KEYS: pool, decisions, users, outbox[, log]. ARGV: event_id, initial_units, per_user_limit,
-- request_id, user_id, quantity, region, arrival_micros, final ('1', '0', 'N' or 'R'), seen (see
-- open)[, next_waiting].
-- With a log key (the central pool), each decided request id is appended there, so rank r sits
-- at list index r - 1 and the audit log pages by rank without scanning the decisions hash.
-- Idempotent by request id: a retry gets {'DECIDED', first record, version}. A new decision answers
-- {'NEW', record, version}. With final = '0' a request the pool cannot serve is not decided at all:
-- {'SHORT', remaining, version} (a sharded region then borrows instead of answering sold out). With
-- final = 'N' no unit is sold: a request that is neither a retry nor over the limit is 'SHORT' (it
-- waits behind earlier ones for stock; only what needs none is decided now).
-- A shard's waiting_since is the stamp of the earliest purchase its region holds for stock: a
-- first try ('0') stamped after it is 'SHORT' whatever the shard holds, so units that land (a
-- transfer's credit) go to the held purchases in their order, never to a later first try that
-- reached the store before the region heard the earlier one was short. A 'SHORT' first try marks
-- its own stamp. With final = 'R' (ARGV 11: the stamp of the next held purchase, '' for none) the
-- oldest held purchase is retried: it may take the units whatever waits, and once decided the
-- next one's stamp becomes the mark. The mark moves no unit, so it does not bump the version.
-- The version is the pool's after the call.
local function mark_waiting(pool, arrival)
  local since = redis.call('HGET', pool, 'waiting_since')
  if not since or tonumber(arrival) < tonumber(since) then redis.call('HSET', pool, 'waiting_since', arrival) end
end

-- A held purchase's retry ('R') was decided: the next held purchase's stamp marks what waits.
local function held_decided(pool, args)
  if args[11] and args[11] ~= '' then redis.call('HSET', pool, 'waiting_since', args[11])
  else redis.call('HDEL', pool, 'waiting_since') end
end

local function buy(keys, args)
  local stored = redis.call('HGET', keys[2], args[4])
  if stored then
    -- (HSET on a pool that is gone would start a hash that open then takes for a pool.)
    if args[9] == 'R' and redis.call('EXISTS', keys[1]) == 1 then held_decided(keys[1], args) end
    return { 'DECIDED', stored, version_of(keys[1]) }
  end
  if not open(keys[1], args[2], args[10]) then return lost(keys[1]) end
  local remaining = tonumber(redis.call('HGET', keys[1], 'remaining'))
  local quantity, limit = tonumber(args[6]), tonumber(args[3])
  local held = tonumber(redis.call('HGET', keys[3], args[5]) or '0')
  local behind = false
  if args[9] == '0' then
    local since = redis.call('HGET', keys[1], 'waiting_since')
    behind = since and tonumber(since) < tonumber(args[8])
  end
  local outcome
  if held + quantity > limit then
    outcome = 'LIMIT_EXCEEDED'
  elseif remaining >= quantity and args[9] ~= 'N' and not behind then
    outcome = 'WON'
  elseif args[9] ~= '1' then
    if args[9] ~= 'N' then mark_waiting(keys[1], args[8]) end
    return { 'SHORT', int(remaining), version_of(keys[1]) }
  elseif remaining == 0 then
    outcome = 'SOLD_OUT'
  else
    outcome = 'INSUFFICIENT_STOCK'
  end
  -- The rank is the order of arrival at this pool: the only order a first-come store knows.
  local rank = redis.call('HINCRBY', keys[1], 'last_rank', 1)
  local decided = record(outcome, rank, args)
  redis.call('HSET', keys[2], args[4], decided)
  if keys[5] then redis.call('RPUSH', keys[5], args[4]) end
  if outcome == 'WON' then
    redis.call('HINCRBY', keys[1], 'wins', 1)
    redis.call('HSET', keys[1], 'remaining', int(remaining - quantity))
    redis.call('HINCRBY', keys[1], 'sold', quantity)
    redis.call('HSET', keys[3], args[5], int(held + quantity))
    redis.call('XADD', keys[4], '*', 'event_id', args[1], 'request_id', args[4], 'user_id', args[5],
      'quantity', args[6], 'rank', int(rank), 'region', args[7], 'arrival_micros', args[8])
  end
  if args[9] == 'R' then held_decided(keys[1], args) end
  return { 'NEW', decided, int(bump(keys[1])) }
end

-- Step 1 of a transfer, at the source. KEYS: pool, transfers-out, transfers-settled. ARGV:
-- initial_units, transfer_id, units, target, seen. Takes the units off the shard and records the
-- transfer in one atomic call, so a crash can never lose units: they are in the shard or in a
-- PENDING record. An id debited before, settled or not, debits nothing. Answers 'DEBITED',
-- 'EXISTS' or 'SHORT', a space, and the shard's version after the call.
local function debit(keys, args)
  if not open(keys[1], args[1], args[5]) then return lost(keys[1]) end
  if redis.call('HEXISTS', keys[2], args[2]) == 1 or redis.call('SISMEMBER', keys[3], args[2]) == 1 then
    return 'EXISTS ' .. version_of(keys[1])
  end
  local units = tonumber(args[3])
  if units < 1 then return redis.error_reply('REJECTED transfer of ' .. args[3] .. ' units') end
  local remaining = tonumber(redis.call('HGET', keys[1], 'remaining'))
  if remaining < units then return 'SHORT ' .. version_of(keys[1]) end
  redis.call('HSET', keys[1], 'remaining', int(remaining - units))
  redis.call('HSET', keys[2], args[2], 'PENDING ' .. args[4] .. ' ' .. args[3])
  return 'DEBITED ' .. int(bump(keys[1]))
end

-- Step 2, at the target. KEYS: pool, transfers-in, transfers-forgotten. ARGV: initial_units,
-- transfer_id, units, seen. The sets of credited and forgotten ids make a repeated or late credit
-- (recovery after a crash, a replayed command) a no-op.
local function credit(keys, args)
  -- Checked before any write: a credit of 0 or fewer units would use the id up and destroy units.
  local units = tonumber(args[3])
  if units == nil or units < 1 then return redis.error_reply('REJECTED credit of ' .. args[3] .. ' units') end
  if not open(keys[1], args[1], args[4]) then return lost(keys[1]) end
  if redis.call('SISMEMBER', keys[3], args[2]) == 1 or redis.call('SADD', keys[2], args[2]) == 0 then
    return 'EXISTS ' .. version_of(keys[1])
  end
  redis.call('HINCRBY', keys[1], 'remaining', args[3])
  return 'CREDITED ' .. int(bump(keys[1]))
end

-- KEYS: pool. ARGV: seen. A reader (the rebalancer, a count) that found the pool gone or at an
-- older version than it saw marks it lost, as a writer finding it so would: else the regions
-- selling from it, which saw only the older version, would go on selling units already moved
-- or sold. Checked again here: a pool restored meanwhile is left alone.
local function mark_behind(keys, args)
  local lost_at, started, version = unpack(redis.call('HMGET', keys[1], 'lost_at', 'initial', 'version'))
  if lost_at then return 'LOST' end
  local known = tonumber(args[1])
  if started then
    if version and tonumber(version) < known then
      mark_lost(keys[1], 'rolled back to version ' .. version .. ' after a reader saw version ' .. args[1])
      return 'MARKED'
    end
    return 'CURRENT'
  end
  if known > 0 then
    mark_lost(keys[1], 'gone after a reader saw version ' .. args[1])
    return 'MARKED'
  end
  return 'CURRENT'
end

-- Step 3, at the source. KEYS: transfers-out, transfers-settled. ARGV: transfer_id. The record
-- leaves the hash that reads return; its id stays in the settled set, so it never debits again.
local function settle(keys, args)
  if redis.call('SISMEMBER', keys[2], args[1]) == 1 then return 'SETTLED' end
  if redis.call('HEXISTS', keys[1], args[1]) == 0 then return 'UNKNOWN' end
  redis.call('HDEL', keys[1], args[1])
  redis.call('SADD', keys[2], args[1])
  return 'SETTLED'
end

-- Step 4, at the target, once the source settled. KEYS: transfers-in, transfers-forgotten. ARGV:
-- transfer_id. The id leaves the set that reads return and stays in the forgotten one, so a late
-- credit still adds nothing.
local function forget(keys, args)
  if redis.call('SREM', keys[1], args[1]) == 1 then redis.call('SADD', keys[2], args[1]) end
  return 'FORGOTTEN'
end

-- KEYS: pool, transfers-out, transfers-in. One snapshot: {initial, remaining, sold, lost_at, version},
-- unsettled transfer records (id, record, ...), credited ids not yet forgotten: what is under way,
-- never the event's whole history.
local function state(keys, args)
  return { redis.call('HMGET', keys[1], 'initial', 'remaining', 'sold', 'lost_at', 'version'), redis.call('HGETALL', keys[2]),
    redis.call('SMEMBERS', keys[3]) }
end

-- KEYS: pool. Counters {initial, remaining, sold, last_rank, wins, lost_at, version} (nil before
-- the first touch; lost_at set once the pool was found lost).
local function counters(keys, args)
  return redis.call('HMGET', keys[1], 'initial', 'remaining', 'sold', 'last_rank', 'wins', 'lost_at', 'version')
end

-- KEYS: log, decisions. ARGV: after_rank, limit. Decisions ranked after_rank + 1 .. after_rank +
-- limit as {request_id, record, ...}, in rank order.
local function page(keys, args)
  local first = tonumber(args[1])
  local ids = redis.call('LRANGE', keys[1], first, first + tonumber(args[2]) - 1)
  local out = {}
  for _, id in ipairs(ids) do
    out[#out + 1] = id
    out[#out + 1] = redis.call('HGET', keys[2], id)
  end
  return out
end

-- KEYS: pool. Its region holds no purchase for the shard's stock any more (their holds ran out, or
-- they were decided without a unit): first tries need not wait behind the mark they left.
local function unmark(keys, args)
  redis.call('HDEL', keys[1], 'waiting_since')
  return 'OK'
end

redis.register_function('fs_modes_open_%VERSION%', open_at_creation)
redis.register_function('fs_modes_unmark_%VERSION%', unmark)
redis.register_function('fs_modes_buy_%VERSION%', buy)
redis.register_function('fs_modes_debit_%VERSION%', debit)
redis.register_function('fs_modes_credit_%VERSION%', credit)
redis.register_function('fs_modes_settle_%VERSION%', settle)
redis.register_function('fs_modes_forget_%VERSION%', forget)
redis.register_function('fs_modes_mark_behind_%VERSION%', mark_behind)
redis.register_function { function_name = 'fs_modes_state_%VERSION%', callback = state, flags = { 'no-writes' } }
redis.register_function { function_name = 'fs_modes_counters_%VERSION%', callback = counters, flags = { 'no-writes' } }
redis.register_function { function_name = 'fs_modes_page_%VERSION%', callback = page, flags = { 'no-writes' } }
