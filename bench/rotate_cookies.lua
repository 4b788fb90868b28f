-- wrk script of the feed benchmark: each request is sent as the next citizen.
-- Arguments (after `--`): the session cookie's name, then a file of signed cookies, one a line.
-- Prints one line "wrk-result <requests> <duration_us> <non_200> <socket_errors>" at the end.

local cookies = {}
local position = 0
local cookie_name = "session"
local non_200 = 0
local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

function init(args)
  cookie_name = args[1] or cookie_name
  if args[2] and args[2] ~= "" then
    for line in io.lines(args[2]) do
      if line ~= "" then
        cookies[#cookies + 1] = line
      end
    end
  end
  -- Threads start at different citizens.
  position = (thread_number or 0) * 997
end

function request()
  if #cookies == 0 then
    return wrk.format("GET")
  end
  position = position % #cookies + 1
  return wrk.format("GET", nil, { ["Cookie"] = cookie_name .. "=" .. cookies[position] })
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
