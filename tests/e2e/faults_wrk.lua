-- wrk script of tests/e2e/faults_test.py: sends GET requests carrying
-- `Authorization: Bearer T`, T taken in turn from the environment variable
-- FAULTS_TOKENS (tokens separated by spaces; none: no Authorization header),
-- counts every response by status, and prints at the end one line
--   FAULTS-WRK {"statuses": {"200": N, ...}, "requests": N, "errors": {...}, "p99_us": N}
-- wrk's own summary counts non-2xx/3xx responses only in aggregate.
--
-- Each wrk thread runs its own Lua state: the counts live in a global of
-- each thread (`statuses`) and done() adds them up through thread:get().

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  tokens = {}
  for token in string.gmatch(os.getenv("FAULTS_TOKENS") or "", "%S+") do
    table.insert(tokens, token)
  end
  turn = 0
end

function request()
  local headers = {}
  if #tokens > 0 then
    turn = turn % #tokens + 1
    headers["Authorization"] = "Bearer " .. tokens[turn]
  end
  return wrk.format("GET", wrk.path, headers)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      total[status] = (total[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(total) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'FAULTS-WRK {"statuses": {%s}, "requests": %d, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}, "p99_us": %d}\n',
    table.concat(parts, ", "), summary.requests, errors.connect, errors.read, errors.write,
    errors.status, errors.timeout, latency:percentile(99)))
end
