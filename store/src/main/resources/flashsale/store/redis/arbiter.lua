#!lua name=flashsale_arbiter_%VERSION%
-- The arbiter store's server-side half. Every key arrives in KEYS and carries the event's hash
-- tag (fs:{<eventId>}:...), so each call touches one slot and the library runs on Redis Cluster.
-- %VERSION% is a hash of this file: processes running different builds load side by side
-- instead of replacing each other's code.

-- unpack() in Redis' Lua is bounded by the C stack (8000 values); stay well below it.
local CHUNK = 1000

local function reject(message)
  return redis.error_reply('REJECTED ' .. message)
end

-- A batch whose ranks disagree with the stored ones: the writer's view of the event is behind.
local function diverged(message)
  return redis.error_reply('DIVERGED ' .. message)
end

-- Numbers written back as strings: tostring() would switch to exponent notation past 14 digits.
local function int(n)
  return string.format('%d', n)
end

local function hmget_all(key, fields)
  local out = {}
  local n = #fields
  for first = 1, n, CHUNK do
    local part = redis.call('HMGET', key, unpack(fields, first, math.min(first + CHUNK - 1, n)))
    for j = 1, #part do out[first + j - 1] = part[j] end
  end
  return out
end

local function call_chunked(command, key, values)
  local n = #values
  for first = 1, n, CHUNK do
    redis.call(command, key, unpack(values, first, math.min(first + CHUNK - 1, n)))
  end
end

local function spec_field(args, name)
  for i = 2, #args - 1, 2 do
    if args[i] == name then return args[i + 1] end
  end
  error('create without ' .. name)
end

-- KEYS: meta, the slot's live index, the slot's event index (same slot: see SlotTags). ARGV:
-- create request id, then the spec as field/value pairs. The event enters both indexes in this
-- same call, so no event exists unindexed. Idempotent by request id: a retry gets the event stored
-- first (and leaves the indexes alone: a finished event stays finished), another request id an error.
-- An id the slot's event index holds but whose meta is gone: a finished event whose records expired
-- (its retention). Its id is never created again: its decisions and lottery audit were that id's.
local function expired_error(keys, args)
  local event_id = spec_field(args, 'event_id')
  if redis.call('SISMEMBER', keys[3], event_id) == 1 then
    return redis.error_reply('EXISTS event ' .. event_id .. ' finished and its records expired; choose another event id')
  end
  return nil
end

local function create_event(keys, args)
  local meta = keys[1]
  local creator = redis.call('HGET', meta, 'create_request_id')
  if not creator then
    local expired = expired_error(keys, args)
    if expired then return expired end
    redis.call('HSET', meta, 'create_request_id', unpack(args))
    local event_id = spec_field(args, 'event_id')
    redis.call('SADD', keys[2], event_id)
    redis.call('SADD', keys[3], event_id)
  elseif creator ~= args[1] then
    return redis.error_reply('EXISTS event was created by request id ' .. creator)
  end
  return redis.call('HGETALL', meta)
end

-- ARGV 9: the writer (one per store connection: see fence_error). ARGV 10: the stamp of the
-- latest bid the batch accepts ('' for none; refused once the auction's close is stored). ARGV 11: an
-- auction's standing once the batch is decided, close then request ids ('' for the other kinds), what a
-- new leader resumes judging from. From 12 on, per decision:
-- request_id, user_id, units_won, encoded decision and, for a winner only, region,
-- arrival_micros (kept as strings: micros exceed Lua's exact integers once arithmetic touches
-- them) and the reservation slot it won ('' for a flash sale).
local WRITER = 9
local ACCEPTED_BID_STAMP = 10
local AUCTION_STANDING = 11
local FIRST_DECISION = 12
local function parse_batch(args)
  local batch = { count = tonumber(args[4]), rids = {}, uids = {}, units = {}, blobs = {},
    regions = {}, arrivals = {}, slots = {} }
  local i = FIRST_DECISION
  for n = 1, batch.count do
    batch.rids[n], batch.uids[n] = args[i], args[i + 1]
    batch.units[n], batch.blobs[n] = tonumber(args[i + 2]), args[i + 3]
    i = i + 4
    if batch.units[n] > 0 then
      batch.regions[n], batch.arrivals[n], batch.slots[n] = args[i], args[i + 1], args[i + 2]
      i = i + 3
    end
  end
  if i ~= #args + 1 then error('malformed batch: ' .. #args .. ' arguments for ' .. batch.count .. ' decisions') end
  return batch
end

-- A retry of a batch already written is recognised by its exact decisions at the same ranks.
local function same_as_stored(keys, batch, first_rank)
  local stored_rids = redis.call('LRANGE', keys[3], first_rank - 1, first_rank + batch.count - 2)
  if #stored_rids ~= batch.count then return false end
  for n = 1, batch.count do
    if stored_rids[n] ~= batch.rids[n] then return false end
  end
  local stored_blobs = hmget_all(keys[2], batch.rids)
  for n = 1, batch.count do
    if stored_blobs[n] ~= batch.blobs[n] then return false end
  end
  return true
end

-- What only the store knows, checked per decision with O(1) lookups: request ids decided before
-- (answered with their stored decision) and users whose stored units would pass the limit
-- (answered with those units). Returns the refusal reply, or nil when there is none.
local function refusal(keys, batch, per_user_limit)
  local decided, over, counted = {}, {}, {}
  local totals = {}
  for n = 1, batch.count do
    local rid = batch.rids[n]
    local stored = redis.call('HGET', keys[2], rid)
    if stored then
      decided[#decided + 1] = rid
      decided[#decided + 1] = stored
    elseif batch.units[n] > 0 then
      local uid = batch.uids[n]
      local held = tonumber(redis.call('HGET', keys[4], uid) or '0')
      local total = (totals[uid] or held) + batch.units[n]
      totals[uid] = total
      if total > per_user_limit and not counted[uid] then
        counted[uid] = true
        over[#over + 1] = uid
        over[#over + 1] = int(held)
      end
    end
  end
  if #decided == 0 and #over == 0 then return nil end
  local reply = { 'REFUSED', int(#decided / 2) }
  for _, v in ipairs(decided) do reply[#reply + 1] = v end
  reply[#reply + 1] = int(#over / 2)
  for _, v in ipairs(over) do reply[#reply + 1] = v end
  return reply
end

-- Returns the users' new unit totals and the units the batch wins, or nil and why the batch may
-- not be written (refusals are checked first, so only the store's own invariant is left).
local function check_new_decisions(keys, batch, remaining)
  local totals, units_won = {}, 0
  for n = 1, batch.count do
    local units = batch.units[n]
    if units > 0 then
      local uid = batch.uids[n]
      totals[uid] = (totals[uid] or tonumber(redis.call('HGET', keys[4], uid) or '0')) + units
      units_won = units_won + units
    end
  end
  if units_won > remaining then
    return nil, 'batch wins ' .. units_won .. ' units but only ' .. remaining .. ' remain'
  end
  return totals, units_won
end

-- A reservation's winners each name a slot of the event, and no slot goes below 0; a flash
-- sale's winners name none. Returns each touched slot's units left after the batch (by meta
-- field), or nil and why the batch may not be written.
local function check_slots(keys, batch, reservation)
  local left = {}
  for n = 1, batch.count do
    if batch.units[n] > 0 then
      local slot = batch.slots[n]
      if not reservation then
        if slot ~= '' then return nil, 'winner ' .. batch.rids[n] .. ' takes slot ' .. slot .. ' of a flash sale' end
      else
        local field = 'slot_left:' .. slot
        local before = left[field] or tonumber(redis.call('HGET', keys[1], field) or '-1')
        if slot == '' or before < 0 then
          return nil, 'winner ' .. batch.rids[n] .. ' takes no slot of the event (slot \'' .. slot .. '\')'
        end
        if batch.units[n] > before then
          return nil, 'batch fills slot ' .. slot .. ' past its capacity (' .. before .. ' left, '
            .. batch.rids[n] .. ' takes ' .. batch.units[n] .. ')'
        end
        left[field] = before - batch.units[n]
      end
    end
  end
  return left
end

-- The counters a new leader loads instead of the decisions (see EventHead).
local function write_head(keys, args, batch, first_rank, remaining)
  local wins, left, sold_out = 0, remaining, nil
  for n = 1, batch.count do
    if batch.units[n] > 0 then
      wins = wins + 1
      left = left - batch.units[n]
      if left == 0 then sold_out = batch.arrivals[n] end
    end
  end
  redis.call('HINCRBY', keys[1], 'wins', wins)
  redis.call('HINCRBY', keys[1], 'late', args[6])
  if args[7] ~= '' then redis.call('HSET', keys[1], 'released_stamp', args[7], 'released_ticket', args[8]) end
  if sold_out then redis.call('HSET', keys[1], 'sold_out_micros', sold_out) end
  if args[AUCTION_STANDING] ~= '' then redis.call('HSET', keys[1], 'auction_standing', args[AUCTION_STANDING]) end
end

local function write_batch(keys, args, batch, first_rank, remaining, totals, units_won, slots_left)
  local decision_fields, user_fields = {}, {}
  for field, left in pairs(slots_left) do redis.call('HSET', keys[1], field, int(left)) end
  for n = 1, batch.count do
    decision_fields[2 * n - 1], decision_fields[2 * n] = batch.rids[n], batch.blobs[n]
  end
  call_chunked('HSET', keys[2], decision_fields)
  call_chunked('RPUSH', keys[3], batch.rids)
  for uid, total in pairs(totals) do
    user_fields[#user_fields + 1] = uid
    user_fields[#user_fields + 1] = int(total)
  end
  if #user_fields > 0 then call_chunked('HSET', keys[4], user_fields) end
  write_head(keys, args, batch, first_rank, remaining)
  redis.call('HSET', keys[1], 'remaining', int(remaining - units_won),
    'last_rank', int(first_rank + batch.count - 1), 'last_batch_sequence', args[2])
  -- fence_error let this writer through, so its epoch is above the claim, or equal and its own or unowned.
  if tonumber(args[5]) > 0 then redis.call('HSET', keys[1], 'fence_epoch', args[5], 'fence_writer', args[WRITER]) end
  for n = 1, batch.count do
    if batch.units[n] > 0 then
      local entry = { 'event_id', args[1], 'request_id', batch.rids[n], 'user_id', batch.uids[n],
        'quantity', int(batch.units[n]), 'rank', int(first_rank + n - 1), 'region', batch.regions[n],
        'arrival_micros', batch.arrivals[n] }
      -- A reservation's winner: the order service needs the slot it holds.
      if batch.slots[n] ~= '' then entry[#entry + 1], entry[#entry + 2] = 'slot', batch.slots[n] end
      redis.call('XADD', keys[5], '*', unpack(entry))
    end
  end
end

-- A writer whose epoch is below the one that last claimed the event was deposed: it must not
-- write. Nor may a writer claiming the SAME epoch as another writer: epochs come from a counter
-- on one master, which an asynchronous failover can roll back, so two leaders may hold equal
-- epochs; the first to claim the event keeps it (the other steps down and takes an epoch above
-- this one). A claim with no writer recorded (older data, or epoch 0 of a writer without lease)
-- passes. Returns the error, or nil when the writer may go on.
local function fence_error(event_id, epoch, writer, claimed, claimed_by)
  local mine = tonumber(epoch)
  local theirs = tonumber(claimed or '0')
  if mine < theirs then
    return redis.error_reply('FENCED epoch ' .. epoch .. ' is below fencing epoch ' .. theirs .. ' of event ' .. event_id)
  end
  if mine == theirs and mine > 0 and claimed_by and claimed_by ~= writer then
    return redis.error_reply('FENCED epoch ' .. epoch .. ' equals fencing epoch ' .. theirs .. ' of event ' .. event_id
      .. ', claimed by another writer')
  end
  return nil
end

-- KEYS: meta, decisions, log, users, outbox. ARGV: event_id, batch_sequence, first_rank, count,
-- fencing_epoch, late decisions in the batch, stamp of the last ticket released and the rest of it as text (request id, user, region, bound)
-- in order (both empty when none), then the decisions (see parse_batch).
-- Returns {'OK'} when written, {'SAME'} when this exact batch was already written (a retry), and
-- {'REFUSED', n, rid, stored decision..., m, user, units held...} when request ids are already
-- decided or users would pass the limit. A stale epoch answers FENCED, any other broken rule
-- REJECTED. Anything but OK writes nothing.
local function persist_batch(keys, args)
  local meta = redis.call('HMGET', keys[1], 'remaining', 'last_rank', 'per_user_limit', 'fence_epoch', 'fence_writer', 'slots',
    'auction_close_micros')
  if not meta[1] then return redis.error_reply('NOEVENT event ' .. args[1] .. ' does not exist') end
  local stale = fence_error(args[1], args[5], args[WRITER], meta[4], meta[5])
  if stale then return stale end
  if meta[7] and args[ACCEPTED_BID_STAMP] ~= '' then
    return reject('batch accepts a bid stamped ' .. args[ACCEPTED_BID_STAMP] .. ' but the auction closed at ' .. meta[7])
  end
  local remaining, last_rank, per_user_limit = tonumber(meta[1]), tonumber(meta[2]), tonumber(meta[3])
  local first_rank = tonumber(args[3])
  local batch = parse_batch(args)
  if first_rank <= last_rank then
    if same_as_stored(keys, batch, first_rank) then return { 'SAME' } end
    return diverged('rank ' .. first_rank .. ' is already decided differently (last rank ' .. last_rank .. ')')
  end
  if first_rank ~= last_rank + 1 then
    return diverged('batch starts at rank ' .. first_rank .. ' but the last decided rank is ' .. last_rank)
  end
  local seen = {}
  for n = 1, batch.count do
    if seen[batch.rids[n]] then return reject('request id ' .. batch.rids[n] .. ' appears twice in one batch') end
    seen[batch.rids[n]] = true
  end
  local refused = refusal(keys, batch, per_user_limit)
  if refused then return refused end
  local totals, units_won_or_reason = check_new_decisions(keys, batch, remaining)
  if not totals then return reject(units_won_or_reason) end
  local slots_left, slot_problem = check_slots(keys, batch, meta[6] ~= false)
  if not slots_left then return reject(slot_problem) end
  write_batch(keys, args, batch, first_rank, remaining, totals, units_won_or_reason, slots_left)
  return { 'OK' }
end

-- KEYS: meta, decisions, outbox. ARGV: event_id, fencing_epoch, writer, close_micros, then per
-- winner (best first) request_id, user_id, region, arrival_micros. Stores an auction's result once:
-- every winner must be a decided request, and each goes to the outbox. Returns {'OK'}, or {'SAME'}
-- when this exact result is already stored; another result is REJECTED, a stale epoch FENCED.
local function persist_auction_close(keys, args)
  local meta = redis.call('HMGET', keys[1], 'stock', 'fence_epoch', 'fence_writer', 'auction_close_micros', 'auction_winners')
  if not meta[1] then return redis.error_reply('NOEVENT event ' .. args[1] .. ' does not exist') end
  local stale = fence_error(args[1], args[2], args[3], meta[2], meta[3])
  if stale then return stale end
  local rids = {}
  for i = 5, #args, 4 do rids[#rids + 1] = args[i] end
  local winners = table.concat(rids, '\n')
  if meta[4] then
    if meta[4] == args[4] and meta[5] == winners then return { 'SAME' } end
    return reject('auction already closed at ' .. meta[4] .. ' with other winners')
  end
  if #rids > tonumber(meta[1]) then return reject(#rids .. ' winners for ' .. meta[1] .. ' units') end
  for n, rid in ipairs(rids) do
    if redis.call('HEXISTS', keys[2], rid) == 0 then return reject('winner ' .. rid .. ' was never decided') end
  end
  redis.call('HSET', keys[1], 'auction_close_micros', args[4], 'auction_winners', winners)
  for n, rid in ipairs(rids) do
    local i = 5 + (n - 1) * 4
    redis.call('XADD', keys[3], '*', 'event_id', args[1], 'request_id', rid, 'user_id', args[i + 1], 'quantity', '1',
      'region', args[i + 2], 'arrival_micros', args[i + 3])
  end
  return { 'OK' }
end

-- KEYS: meta. ARGV: event_id, fencing_epoch, writer. A new leader claims the event before it
-- reads the ledger: from then on every write under a lower epoch (or the same epoch from another
-- writer) is FENCED, so the ledger it reads is final for all earlier leaders. Returns 1; FENCED
-- when a higher epoch, or this epoch of another writer, already claimed it.
local function fence_event(keys, args)
  local meta = redis.call('HMGET', keys[1], 'remaining', 'fence_epoch', 'fence_writer')
  if not meta[1] then return redis.error_reply('NOEVENT event ' .. args[1] .. ' does not exist') end
  local stale = fence_error(args[1], args[2], args[3], meta[2], meta[3])
  if stale then return stale end
  redis.call('HSET', keys[1], 'fence_epoch', args[2], 'fence_writer', args[3])
  return 1
end

-- No KEYS. ARGV: live-index keys of several slots, all served by the master this call is sent to
-- (hence given as arguments, which Cluster does not route, and the allow-cross-slot-keys flag).
-- Returns the members of all of them: one call reads a master's share of the index instead of one
-- command per slot. A key of a slot this master no longer serves fails the call (the caller
-- re-reads the topology).
local function live_members(keys, args)
  local out = {}
  for i = 1, #args do
    local ids = redis.call('SMEMBERS', args[i])
    for j = 1, #ids do out[#out + 1] = ids[j] end
  end
  return out
end

-- KEYS: log, decisions. ARGV: first index, last index (0-based, inclusive).
local function decisions_range(keys, args)
  return hmget_all(keys[2], redis.call('LRANGE', keys[1], args[1], args[2]))
end

-- After the win (issue 15). A purchase's order record: state, rank, quantity, deadline and user,
-- newline separated (the user id last: it is the only free text).
local function order_parse(text)
  if not text then return nil end
  local state, rank, qty, deadline, uid = string.match(text, '^(%u[%u_]*)\n(%d+)\n(%d+)\n(%d+)\n(.*)$')
  return { state = state, rank = rank, qty = tonumber(qty), deadline = deadline, uid = uid }
end

local function order_text(o)
  return o.state .. '\n' .. o.rank .. '\n' .. int(o.qty) .. '\n' .. o.deadline .. '\n' .. o.uid
end

-- KEYS: order meta. ARGV: payment window micros, waitlist bound. Sets an event's terms once;
-- the same terms again answer OK, other terms REJECTED.
local function put_order_terms(keys, args)
  local stored = redis.call('HMGET', keys[1], 'payment_window_micros', 'waitlist_bound')
  if not stored[1] then
    redis.call('HSET', keys[1], 'payment_window_micros', args[1], 'waitlist_bound', args[2], 'sequence', '0',
      'enrolled_rank', '0', 'joined', '0', 'free', '0', 'held', '0', 'win_units', '0')
  elseif stored[1] ~= args[1] or stored[2] ~= args[2] then
    return reject('terms are already window ' .. stored[1] .. ' bound ' .. stored[2])
  end
  return { 'OK' }
end

-- KEYS: as create_event's, then the order meta. ARGV: as create_event's, then the payment window
-- micros and the waitlist bound. The event and its terms are stored in one call, so whoever finds
-- the event finds its terms too: the sequencer ranks the waitlist from the first ticket on. A retry
-- writes nothing: it gets the event if its terms are the stored ones (the caller compares the
-- spec), else an error; so does another request's event.
local function create_event_with_terms(keys, args)
  local n = #args
  local window, bound = args[n - 1], args[n]
  local create_args = { unpack(args, 1, n - 2) }
  local creator = redis.call('HGET', keys[1], 'create_request_id')
  if creator then
    if creator ~= create_args[1] then
      return redis.error_reply('EXISTS event was created by request id ' .. creator)
    end
    local stored = redis.call('HMGET', keys[4], 'payment_window_micros', 'waitlist_bound')
    if not stored[1] then return reject('event was created by this request without order terms') end
    if stored[1] ~= window or stored[2] ~= bound then
      return reject('this request created the event with terms window ' .. stored[1] .. ' bound ' .. stored[2])
    end
    return redis.call('HGETALL', keys[1])
  end
  local expired = expired_error(keys, create_args)
  if expired then return expired end -- before the terms: nothing of a refused create is written
  local terms = put_order_terms({ keys[4] }, { window, bound })
  if terms.err then return terms end
  return create_event(keys, create_args)
end

-- Per transition kind: the state the purchase must be in ('' for none yet), the state after it,
-- and whether it goes to the outbox (a win's enrolment does not: its WON entry is there already).
local ORDER_KINDS = {
  ENROLLED_WIN = { '', 'AWAITING_PAYMENT', false }, WAITLISTED = { '', 'WAITLISTED', false },
  PAID = { 'AWAITING_PAYMENT', 'PAID', true }, CANCELLED = { 'AWAITING_PAYMENT', 'CANCELLED', true },
  LEFT_WAITLIST = { 'WAITLISTED', 'CANCELLED', true }, EXPIRED = { 'AWAITING_PAYMENT', 'EXPIRED', true },
  PROMOTED = { 'WAITLISTED', 'AWAITING_PAYMENT', true }, WAITLIST_CLOSED = { 'WAITLISTED', 'WAITLIST_CLOSED', true },
}

-- Checks one transition against the state so far (c: counters, touched: records changed by this
-- write) and applies it there. Returns nil, or why the write may not be stored.
local function order_step(keys, c, touched, users, t)
  local kind = ORDER_KINDS[t.kind]
  if not kind then return 'unknown transition ' .. t.kind end
  local current = touched[t.rid] or order_parse(redis.call('HGET', keys[2], t.rid))
  local from = current and current.state or ''
  if from ~= kind[1] then return t.rid .. ' is ' .. from .. ', not ' .. kind[1] .. ' for ' .. t.kind end
  local deadline, held_change = t.deadline, 0
  if t.kind == 'ENROLLED_WIN' then
    held_change = t.qty
    c.win_units = c.win_units + t.qty
  elseif t.kind == 'WAITLISTED' then
    if c.joined >= c.bound then return t.rid .. ' joins a full waitlist (' .. c.joined .. ')' end
    c.joined = c.joined + 1
  elseif t.kind == 'PAID' then
    if tonumber(t.at) >= tonumber(current.deadline) then
      return t.rid .. ' paid at ' .. t.at .. ', not before its deadline ' .. current.deadline
    end
    deadline = current.deadline
  elseif t.kind == 'CANCELLED' or t.kind == 'EXPIRED' then
    if t.kind == 'EXPIRED' and tonumber(t.at) < tonumber(current.deadline) then
      return t.rid .. ' expires at ' .. t.at .. ', before its deadline ' .. current.deadline
    end
    held_change = -t.qty
    c.free = c.free + t.qty
    deadline = current.deadline
  elseif t.kind == 'PROMOTED' then
    if t.qty > c.free then return t.rid .. ' promoted to ' .. t.qty .. ' units, ' .. c.free .. ' free' end
    c.free = c.free - t.qty
    held_change = t.qty
  end
  if held_change ~= 0 then
    local user = (users[t.uid] or tonumber(redis.call('HGET', keys[4], t.uid) or '0')) + held_change
    users[t.uid] = user
    c.held = c.held + held_change
    if user > c.limit then return 'user ' .. t.uid .. ' would hold ' .. user .. ' units, over the limit' end
    if c.held > c.stock or c.win_units + c.unsold > c.stock then
      return c.held .. ' units held, ' .. c.win_units .. ' won and ' .. c.unsold .. ' unsold freed, over stock ' .. c.stock
    end
  end
  touched[t.rid] = { state = kind[2], rank = t.rank, qty = t.qty, deadline = deadline, uid = t.uid }
  return nil
end

-- KEYS: meta, orders, order meta, order users, waitlist, outbox. ARGV: event_id, fencing_epoch,
-- writer, sequence, enrolled_through_rank, unsold_freed (the stock the sale never sold, freed for
-- the waitlist at its end: once, and then wins plus these make the stock), then per transition:
-- kind, request_id, user_id, quantity, rank, deadline_micros, at_micros. Checks every transition
-- in order (see OrderStore), then writes them all, or nothing. Returns {'OK'}, {'SAME'} for a
-- retry; REJECTED, FENCED.
local function persist_orders(keys, args)
  local meta = redis.call('HMGET', keys[1], 'stock', 'per_user_limit', 'fence_epoch', 'fence_writer')
  if not meta[1] then return redis.error_reply('NOEVENT event ' .. args[1] .. ' does not exist') end
  local stale = fence_error(args[1], args[2], args[3], meta[3], meta[4])
  if stale then return stale end
  local om = redis.call('HMGET', keys[3], 'waitlist_bound', 'sequence', 'joined', 'free', 'held', 'win_units', 'enrolled_rank',
    'last_write_sha1', 'unsold_freed')
  if not om[1] then return reject('event ' .. args[1] .. ' has no payment terms') end
  local sequence = tonumber(args[4])
  -- The write's content (sequence, enrolled rank, transitions): a retry of the last write is SAME
  -- only with the same content, as persist_batch compares its decisions.
  local digest = redis.sha1hex(table.concat(args, '\n', 4))
  if sequence == tonumber(om[2]) and om[8] and om[8] ~= digest then
    return reject('write ' .. sequence .. ' of ' .. args[1] .. ' is stored with other transitions')
  end
  if sequence <= tonumber(om[2]) then return { 'SAME' } end
  if sequence ~= tonumber(om[2]) + 1 then return reject('write ' .. sequence .. ' follows stored write ' .. om[2]) end
  local c = { stock = tonumber(meta[1]), limit = tonumber(meta[2]), bound = tonumber(om[1]), joined = tonumber(om[3]),
    free = tonumber(om[4]), held = tonumber(om[5]), win_units = tonumber(om[6]), unsold = tonumber(om[9] or '0') }
  local freeing = tonumber(args[6])
  if freeing > 0 then -- ahead of the transitions (its promotions may use them), checked against the wins after them
    if c.unsold > 0 then return reject('order write ' .. sequence .. ' of ' .. args[1] .. ': the unsold stock was freed already') end
    c.unsold = freeing
    c.free = c.free + freeing
  end
  local touched, users, steps = {}, {}, {}
  if (#args - 6) % 7 ~= 0 then error('malformed order write: ' .. #args .. ' arguments') end
  for i = 7, #args, 7 do
    local t = { kind = args[i], rid = args[i + 1], uid = args[i + 2], qty = tonumber(args[i + 3]), rank = args[i + 4],
      deadline = args[i + 5], at = args[i + 6] }
    local why = order_step(keys, c, touched, users, t)
    if why then return reject('order write ' .. sequence .. ' of ' .. args[1] .. ': ' .. why) end
    steps[#steps + 1] = t
  end
  if freeing > 0 and c.win_units + c.unsold ~= c.stock then
    return reject('order write ' .. sequence .. ' of ' .. args[1] .. ': ' .. freeing .. ' unsold units freed, but '
      .. c.win_units .. ' of stock ' .. c.stock .. ' were won')
  end
  for rid, o in pairs(touched) do
    redis.call('HSET', keys[2], rid, order_text(o))
    if o.state == 'WAITLISTED' then redis.call('ZADD', keys[5], o.rank, rid) else redis.call('ZREM', keys[5], rid) end
  end
  for uid, units in pairs(users) do redis.call('HSET', keys[4], uid, int(units)) end
  local enrolled = math.max(tonumber(om[7]), tonumber(args[5]))
  redis.call('HSET', keys[3], 'sequence', args[4], 'joined', int(c.joined), 'free', int(c.free), 'held', int(c.held),
    'win_units', int(c.win_units), 'enrolled_rank', int(enrolled), 'last_write_sha1', digest, 'unsold_freed', int(c.unsold))
  for _, t in ipairs(steps) do
    if ORDER_KINDS[t.kind][3] then
      redis.call('XADD', keys[6], '*', 'event_id', args[1], 'request_id', t.rid, 'user_id', t.uid, 'quantity', int(t.qty),
        'rank', t.rank, 'transition', t.kind, 'deadline_micros', t.deadline, 'at_micros', t.at)
    end
  end
  return { 'OK' }
end

-- The named region nodes new leaders wait for, in one hash: field '<partition> <node>', value
-- '<epoch> <partition count> <writer>', the latest record's. ARGV of both: partition, partition
-- count, node, epoch, writer.
local function record_region_node(keys, args)
  local field = args[1] .. ' ' .. args[3]
  local held = redis.call('HGET', keys[1], field)
  if held and tonumber(string.match(held, '^(%d+) ')) > tonumber(args[4]) then return 'NEWER' end
  redis.call('HSET', keys[1], field, args[4] .. ' ' .. args[2] .. ' ' .. args[5])
  return 'RECORDED'
end

-- A forget is refused when another leader recorded the node since: a later epoch, or the same
-- epoch from another writer (a rolled-back epoch counter). A deposed leader's forget, landing
-- after the next leader recorded the node again, must not leave a welcomed node unrecorded. The
-- node's records made under another partition count go too: no leader of theirs is left.
local function forget_region_node(keys, args)
  local fields = redis.call('HGETALL', keys[1])
  local own, verdict = args[1] .. ' ' .. args[3], 'ABSENT'
  for i = 1, #fields, 2 do
    local node = string.match(fields[i], '^%d+ (.*)$')
    if node == args[3] then
      local epoch, count, writer = string.match(fields[i + 1], '^(%d+) (%d+) (.*)$')
      if count ~= args[2] then
        redis.call('HDEL', keys[1], fields[i])
      elseif fields[i] == own then
        local held, mine = tonumber(epoch), tonumber(args[4])
        if held < mine or (held == mine and writer == args[5]) then
          redis.call('HDEL', keys[1], own)
          verdict = 'FORGOTTEN'
        else
          verdict = 'NEWER'
        end
      end
    end
  end
  return verdict
end

-- One token from a bucket (KEYS[1], a hash of tokens and the time they were counted at) that refills
-- at ARGV[1] tokens a second up to ARGV[2], timed by this server's clock, so every arbiter sharing
-- the store draws on one bucket; the key lapses after ARGV[3] ms unused. Returns 0 when taken, else
-- the microseconds until a token is there.
local function take_token(keys, args)
  local per_second, burst, idle_ms = tonumber(args[1]), tonumber(args[2]), tonumber(args[3])
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
  local held = redis.call('HMGET', keys[1], 'tokens', 'at')
  local tokens, at = tonumber(held[1]) or burst, tonumber(held[2]) or now
  if now > at then tokens = math.min(burst, tokens + (now - at) * per_second / 1000000) end
  local wait = 0
  if tokens >= 1 then
    tokens = tokens - 1
  else
    wait = math.ceil((1 - tokens) * 1000000 / per_second)
  end
  -- %.0f, not tostring: Lua 5.1 prints 14 digits, and a time in microseconds has 16.
  redis.call('HSET', keys[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.0f', math.max(now, at)))
  redis.call('PEXPIRE', keys[1], idle_ms)
  return wait
end

redis.register_function('fs_take_token_%VERSION%', take_token)
redis.register_function('fs_create_event_%VERSION%', create_event)
redis.register_function('fs_record_region_node_%VERSION%', record_region_node)
redis.register_function('fs_forget_region_node_%VERSION%', forget_region_node)
redis.register_function('fs_persist_batch_%VERSION%', persist_batch)
redis.register_function('fs_fence_event_%VERSION%', fence_event)
redis.register_function('fs_persist_auction_close_%VERSION%', persist_auction_close)
redis.register_function('fs_put_order_terms_%VERSION%', put_order_terms)
redis.register_function('fs_create_event_with_terms_%VERSION%', create_event_with_terms)
redis.register_function('fs_persist_orders_%VERSION%', persist_orders)
local function read_only(name, callback)
  redis.register_function { function_name = name, callback = callback, flags = { 'no-writes' } }
end
read_only('fs_decisions_range_%VERSION%', decisions_range)
redis.register_function { function_name = 'fs_live_members_%VERSION%', callback = live_members,
  flags = { 'no-writes', 'allow-cross-slot-keys' } }
