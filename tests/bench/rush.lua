-- The rush: every connection books the popular slots round-robin through the JSON API, each
-- request with a phone never used before (19x numbers: the generator never hands those out),
-- party of one, so the slots fill exactly and the rest wait in arrival order.
-- RUSH_SLOTS: comma-separated slot ids; RUSH_ROUND (0-9) keeps each round's phones new.
-- Bounded by wrk's -d duration.
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  slots = {}
  for id in string.gmatch(os.getenv("RUSH_SLOTS") or "", "%d+") do
    table.insert(slots, id)
  end
  round = tonumber(os.getenv("RUSH_ROUND") or "0") % 10
  counter = 0
  confirmed = 0
  waitlisted = 0
  other = 0
end

function request()
  counter = counter + 1
  local slot = slots[(counter + tid) % #slots + 1]
  local phone = string.format("19%d%d%07d", round, tid % 10, counter)
  local body = string.format(
    '{"name":"rush %d","phone":"%s","party_size":1,"consent":true}', counter, phone)
  return wrk.format("POST", "/api/v1/slots/" .. slot .. "/bookings",
                    {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status == 201 then
    if string.find(body, '"confirmed"', 1, true) then
      confirmed = confirmed + 1
    else
      waitlisted = waitlisted + 1
    end
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local c, w, o = 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("confirmed")
    w = w + thread:get("waitlisted")
    o = o + thread:get("other")
  end
  io.write(string.format("RUSH confirmed=%d waitlisted=%d other=%d\n", c, w, o))
end
