"""The callback benchmark's load: WeChat's side of the conversation, sealed ahead of time.

Encrypting and signing a message costs Python about 75 us, too much to do while 64
senders keep a 2-core server busy, so every request of a phase is sealed just before it
runs (timestamps stay well inside the 5-minute replay window) and written out as raw HTTP,
one file per wrk thread. wrk's Lua replays each thread's file once, in order: no message
is sent twice by accident, and the ones sent twice on purpose (WeChat's retries) are
known. Each thread sends a prefix of its file, so the plan plus the per-thread counts
that wrk prints say exactly which messages the server must have stored.
"""

import math
import random
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlencode

from callback_seed import ABOUT, CONTACT, DEFAULT, DUES, HELLO, STUDY, WELCOME
from processes import wrk_report

from weizhi.wechat.protocol import MessageCrypto, Mode
from weizhi.wechat.protocol.sender import Sender, message_xml

ACCOUNT_ID = "gh_benchmark0001"
# What a follower sends, and the reply text the seeded rules must give (None: "success").
TEXTS = [("你好", HELLO), ("请问党费怎么交？", DUES), ("学习 二十大精神", STUDY), ("在吗", DEFAULT)]
CLICKS = [("MENU_CONTACT", CONTACT), ("MENU_ABOUT", ABOUT), ("MENU_RETIRED", None)]
MIX = {"text": 60, "click": 25, "subscribe": 15}  # % of the messages
FOLLOWERS = 2000  # openids that send texts and clicks; each subscribe comes from a new one
RETRY_SHARE = 0.03  # messages delivered a second time, as WeChat does after a slow answer
TAIL_SECONDS = 2
SAMPLE_EVERY = 400  # keep every n-th 200 body of a thread, to decrypt afterwards
ENVELOPE_START = "<xml><Encrypt>"


@dataclass(frozen=True)
class Planned:
    kind: str
    key: str  # the dedup key the server must store it under
    reply: str | None
    retry: bool
    raw: bytes = b""


@dataclass(frozen=True)
class Account:
    app_id: str
    token: str
    aes_key: str

    def env(self) -> dict[str, str]:
        return {
            "WECHAT_APP_ID": self.app_id,
            "WECHAT_APP_SECRET": self.token[::-1],
            "WECHAT_TOKEN": self.token,
            "WECHAT_ENCODING_AES_KEY": self.aes_key,
            "WECHAT_MESSAGE_MODE": "safe",
            # Nothing may reach the real WeChat API from here: a closed port on loopback.
            "WECHAT_API_BASE": "http://127.0.0.1:9",
        }

    def sender(self) -> Sender:
        return Sender(self.token, Mode.SAFE, MessageCrypto(self.aes_key, self.app_id))


def new_account(rng: random.Random) -> Account:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    token = "".join(rng.choice(alphabet) for _ in range(24))
    app_id = "wxbench" + "".join(rng.choice("0123456789abcdef") for _ in range(11))
    return Account(app_id, token, "".join(rng.choice(alphabet) for _ in range(43)))


# The plan


def plan_messages(prefix: str, count: int, now: int, rng: random.Random) -> list[Planned]:
    """`count` distinct messages in a random mix; openids start with `prefix`."""
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=count)
    clicks_by_follower: Counter[str] = Counter()
    planned = []
    for n, kind in enumerate(kinds):
        fields: dict[str, str | int] = {"ToUserName": ACCOUNT_ID}
        if kind == "subscribe":
            openid = f"{prefix}s{n:07d}"
            fields |= {"FromUserName": openid, "CreateTime": now, "MsgType": "event"}
            fields |= {"Event": "subscribe", "EventKey": ""}
            key, reply = f"{openid}|{now}|subscribe|", WELCOME
        elif kind == "click":
            openid = f"{prefix}f{rng.randrange(FOLLOWERS):05d}"
            menu, reply = rng.choice(CLICKS)
            # Events have no MsgId: WeChat's dedup key is sender + second + event + key, so
            # one follower's clicks get distinct seconds, as real clicks would.
            clicks_by_follower[openid] += 1
            created = now - clicks_by_follower[openid]
            fields |= {"FromUserName": openid, "CreateTime": created, "MsgType": "event"}
            fields |= {"Event": "CLICK", "EventKey": menu}
            key = f"{openid}|{created}|CLICK|{menu}"
        else:
            openid = f"{prefix}f{rng.randrange(FOLLOWERS):05d}"
            content, reply = rng.choice(TEXTS)
            msg_id = str(rng.randrange(10**18, 9 * 10**18))
            fields |= {"FromUserName": openid, "CreateTime": now, "MsgType": "text"}
            fields |= {"Content": content, "MsgId": msg_id}
            key = msg_id
        planned.append(Planned(kind, key, reply, False, message_xml(fields).encode()))
    return planned


def with_retries(messages: list[Planned], rng: random.Random) -> list[Planned]:
    """Add second deliveries: half right behind the first (they race it on another
    connection), half a few hundred requests later (the first answer is stored by then)."""
    order: list[tuple[float, Planned]] = [(float(i), m) for i, m in enumerate(messages)]
    for i, message in enumerate(messages):
        if rng.random() < RETRY_SHARE:
            offset = rng.randint(1, 3) if rng.random() < 0.5 else rng.randint(100, 400)
            order.append((i + offset + 0.5, replace(message, retry=True)))
    order.sort(key=lambda pair: pair[0])
    return [m for _, m in order]


def seal_all(plan: list[Planned], sender: Sender, host: str) -> list[Planned]:
    """Each message as the raw HTTP request WeChat would POST; a retry repeats its first."""
    sealed: dict[str, bytes] = {}
    out = []
    for message in plan:
        if message.key not in sealed:
            params, body = sender.seal(message.raw.decode())
            head = (
                f"POST /wechat/callback/?{urlencode(params)} HTTP/1.1\r\nHost: {host}\r\n"
                f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            sealed[message.key] = head.encode() + body
        out.append(replace(message, raw=sealed[message.key]))
    return out


@dataclass
class Phase:
    """One wrk run's requests: per thread, in the order that thread sends them."""

    prefix: str
    threads: list[list[Planned]]

    def sent(self, counts: list[int]) -> list[Planned]:
        return [m for plan, n in zip(self.threads, counts, strict=True) for m in plan[:n]]


def build_phase(
    prefix: str, rate: float, seconds: float, threads: int, account: Account, host: str, seed: int
) -> Phase:

    rng = random.Random(seed)
    per_thread = math.ceil(rate * seconds / threads)
    now = int(time.time())
    plans = []
    for t in range(threads):
        messages = plan_messages(f"{prefix}{t}", per_thread, now, rng)
        plans.append(seal_all(with_retries(messages, rng), account.sender(), host))
    return Phase(prefix, plans)


def write_phase(phase: Phase, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for t, plan in enumerate(phase.threads, 1):
        with (directory / f"requests-{t}.bin").open("wb") as out:
            for message in plan:
                out.write(b"%d\n" % len(message.raw))
                out.write(message.raw)


# wrk


def run_wrk(
    url: str,
    directory: Path,
    seconds: int,
    threads: int,
    connections: int,
    server_pid: int | None,
    rate: float = 0.0,
) -> dict:
    """Send each thread's file (a prefix of it, for `seconds`), then wait for every answer.

    With `rate` (messages/s in all), the messages are sent on a fixed schedule whatever the
    answers do (an open loop, as WeChat's servers send them), not each as soon as a
    connection is free. A message a connection sends later than its scheduled time waited
    for the server too, which wrk's latency, counted from the send, does not see; so the
    lateness of every send is recorded (by whole milliseconds, rounded down), and
    "p99_bound_ms" (wrk's p99.5, plus the sends' p99.5 lateness, plus 1 ms for that rounding
    and wrk's millisecond timers) bounds the p99 of the time from schedule to answer: each
    part exceeds its value for at most 0.5 % of the messages."""
    lua = directory / "callback.lua"
    lua.write_text(LUA)
    duration = seconds + TAIL_SECONDS
    per_thread = rate / threads
    cmd = [
        "wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
        "-s", str(lua), url, "--", str(directory), str(seconds), str(SAMPLE_EVERY),
        f"{per_thread:.6f}",
    ]  # fmt: skip
    raw, cpu, _ = wrk_report(cmd, duration, server_pid)
    errors = raw["errors"]
    late = raw["late_ms"]  # sends by whole milliseconds late: [count of 0 ms, of 1 ms, ...]
    return {
        "rps": raw["ok"] / raw["sending_s"] if raw["sending_s"] else 0.0,
        "rate": rate,
        "p50_ms": raw["latency_us"]["p50"] / 1000,
        "p90_ms": raw["latency_us"]["p90"] / 1000,
        "p99_ms": raw["latency_us"]["p99"] / 1000,
        "max_ms": raw["latency_us"]["max"] / 1000,
        "late_p995_ms": percentile_of_counts(late, 99.5),
        "late_max_ms": max((n for n, c in enumerate(late) if c), default=0),
        "p99_bound_ms": raw["latency_us"]["p995"] / 1000 + percentile_of_counts(late, 99.5) + 1,
        "sent": sum(raw["sent"]),
        "sent_by_thread": raw["sent"],
        "ok": raw["ok"],
        "non200": raw["other"],
        "encrypted": raw["encrypted"],
        "success": raw["success"],
        "bad_bodies": raw["bad"],
        "socket_errors": sum(errors[k] for k in ("connect", "read", "write")),
        "unanswered": sum(raw["sent"]) - raw["ok"] - raw["other"],
        "exhausted": raw["exhausted"],
        "slower_than_timeout": errors["timeout"],
        "cpu": cpu,
        "samples": read_samples(directory, threads),
    }


def percentile_of_counts(counts: list[int], pct: float) -> float:
    """The value below which `pct` % of the observations fall, from counts by value."""
    total = sum(counts)
    if not total:
        return 0.0
    seen = 0
    for value, count in enumerate(counts):
        seen += count
        if seen >= total * pct / 100:
            return float(value)
    return float(len(counts) - 1)


def read_samples(directory: Path, threads: int) -> list[tuple[int, bytes]]:
    samples = []
    for t in range(1, threads + 1):
        data = (directory / f"samples-{t}.bin").read_bytes()
        pos = 0
        while pos < len(data):
            end = data.index(b"\n", pos)
            status, length = (int(x) for x in data[pos:end].split())
            samples.append((status, data[end + 1 : end + 1 + length]))
            pos = end + 1 + length
    return samples


LUA = r"""-- written by bench/callback_load.py; done() prints one line "BENCH_JSON {...}".
-- Arguments: the directory of requests-<thread>.bin, the seconds to send for, how often to
-- keep a 200 body in samples-<thread>.bin, and the messages a second this thread sends (0:
-- each as soon as a connection is free). Each thread sends its own file once, in order,
-- then parks its connections (delay() returns an hour) while wrk waits out a short tail, so
-- every request sent is answered before wrk exits. At a rate, request n is due n/rate
-- seconds after the start, and how late each is sent (every connection was still waiting
-- for an answer when it fell due) is counted by whole milliseconds in `late`.
local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]])
local PARK_MS = 3600 * 1000
local MAX_LATE_MS = 10000
local timespec = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, timespec)
  return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) / 1e9
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  local dir = args[1]
  local f = assert(io.open(dir .. "/requests-" .. id .. ".bin", "rb"))
  local data = f:read("*a")
  f:close()
  reqs = {}
  local pos = 1
  while pos <= #data do
    local nl = data:find("\n", pos, true)
    local len = tonumber(data:sub(pos, nl - 1))
    reqs[#reqs + 1] = data:sub(nl + 1, nl + len)
    pos = nl + 1 + len
  end
  samples = assert(io.open(dir .. "/samples-" .. id .. ".bin", "wb"))
  sample_every = tonumber(args[3])
  started = now()
  last = started
  deadline = started + tonumber(args[2])
  rate = tonumber(args[4])
  late = {}
  for i = 1, MAX_LATE_MS + 1 do late[i] = 0 end
  reserved, sent, ok, other, encrypted, success, bad, exhausted, shown = 0, 0, 0, 0, 0, 0, 0, 0, 0
end

-- wrk asks delay() before every request, so a request is reserved here and sent once.
function delay()
  if reserved >= #reqs then
    exhausted = 1
    return PARK_MS
  end
  local t = now()
  if t >= deadline then
    return PARK_MS
  end
  reserved = reserved + 1
  if rate <= 0 then
    return 0
  end
  local wait = started + (reserved - 1) / rate - t
  if wait > 0 then
    late[1] = late[1] + 1 -- on time (wrk's timer may still fire up to 1 ms late)
    return math.ceil(wait * 1000)
  end
  local ms = math.min(math.floor(-wait * 1000), MAX_LATE_MS)
  late[ms + 1] = late[ms + 1] + 1
  return 0
end

function request()
  if reserved == 0 then
    return reqs[1] -- wrk's check of the script before the run: never sent
  end
  sent = math.min(sent + 1, #reqs)
  return reqs[sent]
end

local function keep(status, body)
  samples:write(status, " ", #body, "\n", body)
  samples:flush()
end

function response(status, headers, body)
  last = now()
  if status ~= 200 then
    other = other + 1
    if other <= 3 then keep(status, body) end
    return
  end
  ok = ok + 1
  if body == "success" then
    success = success + 1
  elseif body:sub(1, 14) == "<xml><Encrypt>" then
    encrypted = encrypted + 1
  else
    bad = bad + 1
    shown = shown + 1
    if shown <= 3 then keep(status, body) end
    return
  end
  if ok % sample_every == 1 then keep(status, body) end
end

-- The counts up to the last that is not zero (at least one).
function trimmed(counts)
  local last = 1
  for i, n in ipairs(counts) do
    if n > 0 then last = i end
  end
  local out = {}
  for i = 1, last do out[i] = counts[i] end
  return out
end

function done(summary, latency, requests)
  local t = {sent = {}, ok = 0, other = 0, encrypted = 0, success = 0, bad = 0, exhausted = 0}
  local lates = {}
  local first_start, last_response = math.huge, 0
  for _, thread in ipairs(threads) do
    table.insert(t.sent, thread:get("sent"))
    for _, k in ipairs({"ok", "other", "encrypted", "success", "bad", "exhausted"}) do
      t[k] = t[k] + thread:get(k)
    end
    local thread_late = thread:get("late")
    for i, n in ipairs(thread_late) do lates[i] = (lates[i] or 0) + n end
    first_start = math.min(first_start, thread:get("started"))
    last_response = math.max(last_response, thread:get("last"))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "sent": [%s], "ok": %d, "other": %d, "encrypted": %d, ' ..
    '"success": %d, "bad": %d, "exhausted": %d, "sending_s": %.6f, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p99": %d, "p995": %d}, ' ..
    '"late_ms": [%s]}\n',
    summary.requests, table.concat(t.sent, ", "), t.ok, t.other, t.encrypted,
    t.success, t.bad, t.exhausted, last_response - first_start,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.5), table.concat(trimmed(lates), ", ")
  ))
end
"""
