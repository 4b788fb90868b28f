-- wrk script of the geo benchmark: each request is the next citizen checking in at a random
-- point of the territory. Arguments (after `--`): the session cookie's name, then a file of
-- "<signed cookie> <csrf token>" lines, then the box "min_lat min_lon max_lat max_lon".
-- Prints one line "wrk-result <requests> <duration_us> <non_200> <socket_errors>" at the end.

local citizens = {}
local position = 0
local cookie_name = "session"
local box = { 43.14, 5.55, 43.20, 5.65 }
local non_200 = 0
local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

function init(args)
  cookie_name = args[1] or cookie_name
  for line in io.lines(args[2]) do
    local cookie, token = line:match("^(%S+) (%S+)$")
    if cookie then citizens[#citizens + 1] = { cookie, token } end
  end
  if args[3] then
    local i = 1
    for value in args[3]:gmatch("%S+") do box[i] = tonumber(value); i = i + 1 end
  end
  position = (thread_number or 0) * 997
  math.randomseed(42 + (thread_number or 0))
end

function request()
  position = position % #citizens + 1
  local citizen = citizens[position]
  local lat = box[1] + (box[3] - box[1]) * math.random()
  local lon = box[2] + (box[4] - box[2]) * math.random()
  return wrk.format("POST", "/near/checkin", {
    ["Cookie"] = cookie_name .. "=" .. citizen[1],
    ["X-CSRFToken"] = citizen[2],
    ["Content-Type"] = "application/json",
  }, string.format('{"lat": %.6f, "lon": %.6f}', lat, lon))
end

function response(status, headers, body)
  if status ~= 200 then
    non_200 = non_200 + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("non_200") or 0)
  end
  local errors = summary.errors
  local socket_errors = errors.connect + errors.read + errors.write + errors.timeout
  io.write(string.format("wrk-result %d %d %d %d\n", summary.requests, summary.duration, failed, socket_errors))
end
