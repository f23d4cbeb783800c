-- wrk script of bench/load.sh: a read/write mix on the policy API.
--   45% GET one seeded policy            -> 200
--   10% GET the list                     -> 200
--   15% PUT with If-Match of the version this thread last saw for that name -> 200, or 412 when another
--       connection updated it since (an expected conflict, counted apart)
--   15% PUT unconditional                -> 200
--    7% POST a new policy (unique name)  -> 201
--    8% DELETE with If-Match one this thread created -> 204 (a GET one when it has none left): more deletes than
--       creates keep the store, and so the list answers, near their seeded size
-- Any other status, and any socket error or timeout, is an error.
-- Environment: TOKEN (bearer token, always sent), SEED (seeded names load-seed-0 .. SEED-1).

local token = os.getenv("TOKEN") or "none"
local seeded = tonumber(os.getenv("SEED") or "200")
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local versions = {}   -- name -> last resourceVersion seen by this thread
local created = {}    -- names this thread created and has not deleted yet, with their versions
local counter = 0
local run = 0         -- set in init: names of a later run (after the warm-up) never collide with earlier ones
statuses = {}         -- status -> count (read by done())
kinds = {}            -- request kind -> count

local function headers(extra)
  local h = { ["Authorization"] = "Bearer " .. token, ["Accept"] = "application/json" }
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end

local function body(name, set)
  return string.format('{"apiVersion":"meshwarden.io/v1alpha1","kind":"MeshPolicy","metadata":{"name":"%s",'
    .. '"labels":{"set":"%s"}},"spec":{"type":"TraceSampling","mode":"audit","parameters":{"maxPercent":%d.%d}}}',
    name, set, math.random(0, 99), math.random(0, 9))
end

local function count(kind)
  kinds[kind] = (kinds[kind] or 0) + 1
end

function init(args)
  run = os.time()
  math.randomseed(run + id * 7919)
end

function request()
  local r = math.random(100)
  local name = "load-seed-" .. math.random(0, seeded - 1)
  if r <= 45 then
    count("get")
    return wrk.format("GET", "/api/v1/policies/" .. name, headers())
  elseif r <= 55 then
    count("list")
    return wrk.format("GET", "/api/v1/policies", headers())
  elseif r <= 70 and versions[name] then
    count("put-if-match")
    return wrk.format("PUT", "/api/v1/policies/" .. name, headers({ ["Content-Type"] = "application/json",
      ["If-Match"] = '"' .. versions[name] .. '"' }), body(name, "seed"))
  elseif r <= 85 then
    count("put")
    return wrk.format("PUT", "/api/v1/policies/" .. name, headers({ ["Content-Type"] = "application/json" }),
      body(name, "seed"))
  elseif r <= 92 then
    counter = counter + 1
    count("post")
    return wrk.format("POST", "/api/v1/policies", headers({ ["Content-Type"] = "application/json" }),
      body("load-" .. run .. "-t" .. id .. "-" .. counter, "created"))
  end
  local victim = table.remove(created)
  if victim then
    count("delete")
    return wrk.format("DELETE", "/api/v1/policies/" .. victim[1], headers({ ["If-Match"] = '"' .. victim[2] .. '"' }))
  end
  count("get")
  return wrk.format("GET", "/api/v1/policies/" .. name, headers())
end

function response(status, hdrs, resp)
  statuses[status] = (statuses[status] or 0) + 1
  if status ~= 200 and status ~= 201 then
    return
  end
  -- One policy (not the list): remember its version for the next conditional PUT, or queue it for deletion.
  local name = resp:match('^{"apiVersion":"[^"]*","kind":"MeshPolicy","metadata":{"name":"([^"]+)"')
  if not name then
    return
  end
  local rv = resp:match('"resourceVersion":"(%d+)"')
  if status == 201 then
    table.insert(created, { name, rv })
  else
    versions[name] = rv
  end
end

function done(summary, latency, requests)
  local all_status, all_kinds = {}, {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do all_status[k] = (all_status[k] or 0) + v end
    for k, v in pairs(t:get("kinds")) do all_kinds[k] = (all_kinds[k] or 0) + v end
  end
  local e = summary.errors
  local expected_conflicts = all_status[412] or 0
  local unexpected = e.connect + e.read + e.write + e.timeout
  local status_list = {}
  for k, v in pairs(all_status) do
    table.insert(status_list, k .. "=" .. v)
    if k ~= 200 and k ~= 201 and k ~= 204 and k ~= 412 then unexpected = unexpected + v end
  end
  table.sort(status_list)
  local kind_list = {}
  for k, v in pairs(all_kinds) do table.insert(kind_list, k .. "=" .. v) end
  table.sort(kind_list)
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d seconds=%.1f rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f "
    .. "max_ms=%.1f conflicts_412=%d unexpected=%d\n", summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, expected_conflicts, unexpected))
  io.write("RESULT statuses " .. table.concat(status_list, " ") .. "\n")
  io.write(string.format("RESULT socket_errors connect=%d read=%d write=%d timeout=%d\n", e.connect, e.read,
    e.write, e.timeout))
  io.write("RESULT sent " .. table.concat(kind_list, " ") .. "\n")
end
