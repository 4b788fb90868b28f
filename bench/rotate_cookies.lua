-- wrk script of the benchmarks: each request is sent as the next citizen.
-- Arguments (after `--`): the session cookie's name; a file of lines, one a citizen; and, for
-- posted forms, the Lua pattern the answer's Location must match.
--   "<signed cookie>"                        a GET of the URL given to wrk; a 200 counts as done
--   "<signed cookie> <path> <url-encoded>"   a form POSTed to the path (CSRF token in the form);
--                                            a 303 whose Location matches the pattern counts as done
-- Anything else counts as failed. Prints one line
-- "wrk-result <requests> <duration_us> <failed> <socket_errors>" at the end.

local lines = {}
local position = 0
local cookie_name = "session"
local location_pattern = nil
local failed = 0
local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

function init(args)
  cookie_name = args[1] or cookie_name
  if args[2] and args[2] ~= "" then
    for line in io.lines(args[2]) do
      local cookie, path, body = line:match("^(%S+) (%S+) (%S+)$")
      if cookie then
        lines[#lines + 1] = { cookie, path, body }
      elseif line ~= "" then
        lines[#lines + 1] = { line }
      end
    end
  end
  location_pattern = args[3]
  -- Threads start at different citizens.
  position = (thread_number or 0) * 997
end

function request()
  if #lines == 0 then
    return wrk.format("GET")
  end
  position = position % #lines + 1
  local line = lines[position]
  local cookie = cookie_name .. "=" .. line[1]
  if line[2] == nil then
    return wrk.format("GET", nil, { ["Cookie"] = cookie })
  end
  return wrk.format("POST", line[2], {
    ["Cookie"] = cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, line[3])
end

function response(status, headers, body)
  if location_pattern then
    local location = headers["Location"] or headers["location"] or ""
    if status ~= 303 or not location:match(location_pattern) then
      failed = failed + 1
    end
  elseif status ~= 200 then
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local total_failed = 0
  for _, thread in ipairs(threads) do
    total_failed = total_failed + (thread:get("failed") or 0)
  end
  local errors = summary.errors
  local socket_errors = errors.connect + errors.read + errors.write + errors.timeout
  io.write(string.format("wrk-result %d %d %d %d\n", summary.requests, summary.duration, total_failed, socket_errors))
end
