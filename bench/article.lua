-- wrk script for bench/article.py; done() prints one line "BENCH_JSON {...}".
--
-- Arguments after "--": a mode and, in mode "count", the seconds to send requests for.
--
-- "count" (weizhi): counts requests sent and 200 responses in every thread and, once the
-- sending time is over, parks each connection (delay() returns an hour) instead of
-- sending another request, while wrk runs on for a short tail. Every request sent then
-- has its response before wrk exits, so the 200s counted here are exactly the reads the
-- server counts; with a plain timed run, requests cut off at the end are counted by the
-- server only. Requests still unanswered at the end (sent - ok - other) would show a
-- connection the server starved, which wrk's latency figures cannot see.
--
-- "plain" (nginx): the hooks are removed, so wrk parses no headers and runs at full speed.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local PARK_MS = 3600 * 1000
local timespec = ffi.new("bench_timespec")

local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) / 1e9
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  started = now()
  last = started
  sent = 0
  ok = 0
  other = 0
  if args[1] == "count" then
    deadline = started + tonumber(args[2])
    prepared = wrk.format()
  else
    -- wrk looks for these hooks only after init() has run.
    request = nil
    response = nil
    delay = nil
  end
end

function request()
  sent = sent + 1
  return prepared
end

function delay()
  if now() >= deadline then
    return PARK_MS
  end
  return 0
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    other = other + 1
  end
  last = now()
end

function done(summary, latency, requests)
  local sent_total, ok_total, other_total = 0, 0, 0
  local first_start, last_response = math.huge, 0
  for _, thread in ipairs(threads) do
    sent_total = sent_total + thread:get("sent")
    ok_total = ok_total + thread:get("ok")
    other_total = other_total + thread:get("other")
    first_start = math.min(first_start, thread:get("started"))
    last_response = math.max(last_response, thread:get("last"))
  end
  -- wrk calls request() once more than it sends, in the first thread, to check the request.
  sent_total = sent_total - 1
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"sent": %d, "ok": %d, "other": %d, "sending_s": %.6f, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p99": %d, "p999": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    sent_total, ok_total, other_total, last_response - first_start,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)
  ))
end
