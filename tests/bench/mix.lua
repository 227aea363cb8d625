-- The campaign-day mix (tests/bench/mix.py writes the URL list): each connection walks the
-- reader URLs of MIX_URLS from its own starting place; with MIX_WRITE_EVERY=N every Nth request
-- of a thread is a booking through the API on one of MIX_WRITE_SLOTS, with a phone never used
-- before (199xx numbers: the generator never hands those out, the rush uses 19x1/19x2).
-- MIX_RUN (0-9) keeps each run's phones new. Bounded by wrk's -d duration.
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  urls = {}
  for line in io.lines(os.getenv("MIX_URLS")) do
    if #line > 0 then table.insert(urls, line) end
  end
  slots = {}
  for id in string.gmatch(os.getenv("MIX_WRITE_SLOTS") or "", "%d+") do
    table.insert(slots, id)
  end
  every = tonumber(os.getenv("MIX_WRITE_EVERY") or "0")
  run = tonumber(os.getenv("MIX_RUN") or "0") % 10
  counter = 0
  position = (tid * 7919) % #urls
  reads, writes, booked, failed = 0, 0, 0, 0
end

function request()
  counter = counter + 1
  if every > 0 and #slots > 0 and counter % every == 0 then
    writes = writes + 1
    local slot = slots[(math.floor(counter / every) + tid * 31) % #slots + 1]
    local phone = string.format("199%d%d%06d", run, tid % 10, math.floor(counter / every))
    local body = string.format(
      '{"name":"mix %d","phone":"%s","party_size":1,"consent":true}', counter, phone)
    return wrk.format("POST", "/api/v1/slots/" .. slot .. "/bookings",
                      {["Content-Type"] = "application/json"}, body)
  end
  position = position % #urls + 1
  return wrk.format("GET", urls[position])
end

function response(status, headers, body)
  -- A thread's connections share this state, so answers are told apart by their status: 200 a
  -- page or a list, 201 a booking made (confirmed or waitlisted), anything else a failure.
  if status == 200 then
    reads = reads + 1
  elseif status == 201 then
    booked = booked + 1
  else
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local r, w, b, f = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    r = r + thread:get("reads")
    w = w + thread:get("writes")
    b = b + thread:get("booked")
    f = f + thread:get("failed")
  end
  io.write(string.format("MIX ok_reads=%d writes_sent=%d booked=%d failed=%d\n", r, w, b, f))
end
