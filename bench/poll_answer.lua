-- wrk script of the polls benchmark: each request is the next citizen answering a poll from its
-- plain form. Arguments (after `--`): the session cookie's name, then a file of
-- "<signed cookie> <path> <url-encoded form, CSRF token included>" lines, each a citizen and a
-- poll they have not answered. An answer taken is a 303 to the poll's page (/polls/<id>); anything
-- else (a refusal, a redirection to the login page) counts as failed. Prints one line
-- "wrk-result <requests> <duration_us> <failed> <socket_errors>".

local answers = {}
local position = 0
local cookie_name = "session"
local non_303 = 0
local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

function init(args)
  cookie_name = args[1] or cookie_name
  for line in io.lines(args[2]) do
    local cookie, path, body = line:match("^(%S+) (%S+) (%S+)$")
    if cookie then answers[#answers + 1] = { cookie, path, body } end
  end
  position = (thread_number or 0) * 997
end

function request()
  position = position % #answers + 1
  local answer = answers[position]
  return wrk.format("POST", answer[2], {
    ["Cookie"] = cookie_name .. "=" .. answer[1],
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, answer[3])
end

function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  if status ~= 303 or not location:match("/polls/%d+$") then
    non_303 = non_303 + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("non_303") or 0)
  end
  local errors = summary.errors
  local socket_errors = errors.connect + errors.read + errors.write + errors.timeout
  io.write(string.format("wrk-result %d %d %d %d\n", summary.requests, summary.duration, failed, socket_errors))
end
