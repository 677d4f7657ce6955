#!/usr/bin/env python3
"""The whole scaled stack on one machine, from the files in deploy/, and a journey through it.

    .venv/bin/python deploy/smoke.py [--database weizhi_smoke] [--redis-url redis://127.0.0.1:6379/15]
                                     [--port-base 0] [--load SECONDS] [--keep]

It uses PostgreSQL and Redis as they run (127.0.0.1:5432 as postgres, and a Redis database of
its own, which it empties), and starts everything else the way a deployment does:

- the role and database from deploy/postgresql.sql (named after --database), so every
  command below runs with the least-privileged role a deployment has;
- an env file: deploy/weizhi.env.example with this run's values;
- the runbook's steps through deploy/weizhi-manage (which reads that file with sh): migrate,
  collectstatic, setup_site, the demo content, ensure_admin;
- two web processes, two task workers and the scheduler, each with the ExecStart of its
  systemd unit in deploy/ (%i and ${VAR} filled in as systemd would);
- nginx with deploy/nginx.conf, changed only where a test must differ (ports, paths, a
  certificate made here by openssl for 127.0.0.1) and checked with `nginx -t` first.

The journey, all through nginx over HTTPS: the HTTP port redirects; the home page carries one
Strict-Transport-Security and nginx's request id; reads of an article reach PostgreSQL after
the scheduler's flush; an administrator signs in and publishes the article to the simulated
Official Account (a task on a worker, talking to the fake WeChat API through nginx);
WeChat's PUBLISHJOBFINISH arrives as a signed, encrypted callback and completes the send; a
follower subscribes and asks "搜索 …", answered at once and then by a task with a
customer-service message. It prints a short report, tears everything down (also on Ctrl-C
or SIGTERM) and exits non-zero on any failure.

--load SECONDS then reads the article through nginx from 8 connections for that long while
killing (SIGKILL of the whole unit, as `systemctl kill -s KILL` does) a task worker or the
scheduler every few seconds and starting it again, as systemd's Restart= would; it reports
reads served (answered 200, from nginx's access log) against reads stored in PostgreSQL.
"""

import argparse
import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
import urllib.parse

from stack import HOST, ROOT, SmokeError, Stack, check, wait_for

sys.path.insert(0, str(ROOT))
# The protocol package is pure Python: no Django, no settings.
from weizhi.wechat.protocol import MessageCrypto, Mode
from weizhi.wechat.protocol.sender import Sender, message_xml, new_msg_id


class Admin:
    """A signed-in administrator's browser: cookies, CSRF tokens, Referer."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Referer": self.stack.base + path}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = self.stack.connection()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read().decode(errors="replace")
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response, content

    def csrf(self, path: str) -> str:
        response, content = self.request("GET", path)
        check(response.status == 200, f"GET {path}: {response.status}")
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content)
        check(found, f"no CSRF token on {path}")
        return found.group(1)

    def sign_in(self, username: str, password: str) -> None:
        token = self.csrf("/admin/login/")
        form = {"csrfmiddlewaretoken": token, "username": username, "password": password}
        response, _ = self.request("POST", "/admin/login/", form)
        check(response.status == 302, f"admin sign-in answered {response.status}")

    def publish(self, page_id: int) -> None:
        path = f"/admin/wechat/send/{page_id}/"
        token = self.csrf(path)
        response, content = self.request(
            "POST", path, {"csrfmiddlewaretoken": token, "mode": "publish"}
        )
        check(response.status == 302, f"发布到公众号 answered {response.status}: {content[:300]}")


SITE_FACTS = """
import json
from weizhi.content.models import ArticlePage
from weizhi.wechat.account import current_account
page = ArticlePage.objects.live().exclude(cover=None).order_by("pk").first()
a = current_account()
print(json.dumps({"page_id": page.pk, "url": page.url, "token": a.token, "aes_key": a.aes_key,
                  "app_id": a.app_id, "original_id": a.original_id or "gh_smoke"}))
"""


REVISE = """
from weizhi.content.models import ArticlePage
page = ArticlePage.objects.get(pk=PAGE_ID)
page.title += "（修订）"
page.save_revision().publish()
"""


class Journey:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.lines: list[str] = []
        facts = json.loads(stack.manage("shell", "-c", SITE_FACTS).strip().splitlines()[-1])
        self.page_id, self.url = facts["page_id"], facts["url"]
        self.original_id = facts["original_id"]
        crypto = MessageCrypto(facts["aes_key"], facts["app_id"])
        self.sender = Sender(token=facts["token"], mode=Mode.SAFE, crypto=crypto)

    def note(self, line: str) -> None:
        self.lines.append(line)
        print(f"  ok  {line}", flush=True)

    def stored_reads(self) -> int:
        return int(
            self.stack.sql(
                "SELECT COALESCE(SUM(reads), 0) FROM analytics_pagestats"
                f" WHERE page_id = {self.page_id}"
            )
        )

    def run(self) -> None:
        self.redirect_and_headers()
        self.reads()
        self.purge_on_publish()
        send_id = self.publish()
        self.callback_completes(send_id)
        self.search_task()

    def redirect_and_headers(self) -> None:
        conn = http.client.HTTPConnection(HOST, self.stack.http_port, timeout=10)
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        conn.close()
        location = response.getheader("Location", "")
        check(
            response.status == 301 and location.startswith("https://"),
            f"HTTP answered {response.status} {location}",
        )
        self.note(f"http:// answers 301 → {location}")
        _, response, body_of_home = self.stack.get("/")
        hsts = response.headers.get_all("Strict-Transport-Security") or []
        check(
            len(hsts) == 1, f"home page has {len(hsts)} Strict-Transport-Security headers: {hsts}"
        )
        rid = response.getheader("X-Request-ID", "")
        logged: list[str] = []
        for _ in range(50):  # nginx logs after the answer has left
            logged = [line for line in self.stack.access_log() if f"rid={rid} " in line]
            if logged:
                break
            time.sleep(0.1)
        check(
            rid and logged,
            f"home page's X-Request-ID {rid!r} is not nginx's (not in its access log)",
        )
        self.note(f"home page over HTTPS: one HSTS header ({hsts[0]}), nginx's request id {rid}")
        self.static_and_limits(body_of_home)
        # Workers and the scheduler report in within moments of starting; give them a minute.
        answers: list[bytes] = []

        def healthy() -> bool:
            status, _, body = self.stack.get("/healthz", ok=None)
            answers.append(body)
            return status == 200

        wait_for("/healthz through nginx answering 200", healthy, 60, every=2.0)
        check(json.loads(answers[-1]) == {"ok": True}, f"/healthz says {answers[-1][:200]!r}")
        self.note('/healthz through nginx: {"ok": true}, no details (it came through a proxy)')

    def static_and_limits(self, home: bytes) -> None:
        found = re.search(rb'href="(/static/[^"]+\.css)"', home)
        check(found, "no stylesheet under /static/ on the home page")
        path = found.group(1).decode()
        _, response, _ = self.stack.get(path, headers={"Accept-Encoding": "gzip"})
        # nginx writes its log line after the answer has left, so the line may lag a moment.
        line = ""
        for _ in range(50):
            line = next((x for x in reversed(self.stack.access_log()) if f'"GET {path} ' in x), "")
            if line:
                break
            time.sleep(0.1)
        check(line.endswith("urt=-"), f"{path} went past nginx to weizhi: {line}")
        check("immutable" in response.getheader("Cache-Control", ""), f"{path}: not immutable")
        check(response.getheader("Content-Encoding") == "gzip", f"{path}: not the .gz file")
        self.note(f"{path} from disk by nginx, gzip, immutable")
        conn = self.stack.connection()
        conn.request("POST", "/wechat/callback/", body=b"x" * (2 * 1024 * 1024))
        response = conn.getresponse()
        page = response.read().decode("utf-8", "replace")
        conn.close()
        check(response.status == 413, f"a 2 MB POST outside /admin/ got {response.status}")
        check("提交的内容太大" in page, f"nginx's 413 page is not ours: {page[:200]!r}")
        self.note("a 2 MB body outside /admin/ is refused by nginx (413), with the Chinese page")
        # A minute of a phone's recording is a few MB: it reaches weizhi, which answers it
        # (here: no member signed in) in Chinese, never nginx's 413.
        conn = self.stack.connection()
        conn.request("POST", "/readaloud/clips/1/read", body=b"x" * (6 * 1024 * 1024))
        response = conn.getresponse()
        response.read()
        conn.close()
        check(response.status != 413, "a 6 MB recording was refused by nginx (413)")
        self.note(f"a 6 MB recording reaches weizhi ({response.status}), not nginx's 413")

    def reads(self, count: int = 5) -> None:
        before = self.stored_reads()
        for _ in range(count):
            _, response, _ = self.stack.get(self.url)
        check("text/html" in response.getheader("Content-Type", ""), "the article is not HTML")
        stored = wait_for(
            f"{count} reads stored", lambda: (n := self.stored_reads()) >= before + count and n, 60
        )
        check(stored == before + count, f"{count} reads made, {stored - before} stored")
        self.note(
            f"{count} reads of {self.url} in PostgreSQL after the scheduler's flush"
            f" ({stored} in all)"
        )

    def purge_on_publish(self) -> None:
        for _ in range(4):  # nginx takes turns: both web processes have it cached now
            self.stack.get(self.url)
        _, response, _ = self.stack.get(self.url)
        check(response.getheader("X-Page-Cache") == "hit", "the article is not served from cache")
        self.stack.manage("shell", "-c", REVISE.replace("PAGE_ID", str(self.page_id)))
        for _ in range(4):
            _, response, body = self.stack.get(self.url)
            check("（修订）".encode() in body, "an old copy of the article after publishing")
        self.note("a new revision published: both web processes serve it at once (shared cache)")

    def publish(self) -> int:
        admin = Admin(self.stack)
        admin.sign_in("smoke-admin", self.stack.admin_password)
        admin.publish(self.page_id)
        send_id = int(
            self.stack.sql(
                f"SELECT max(id) FROM wechat_outbound_wechatsend WHERE page_id = {self.page_id}"
            )
        )

        def status() -> str:
            row = self.stack.sql(
                "SELECT status || '|' || message FROM wechat_outbound_wechatsend"
                f" WHERE id = {send_id}"
            )
            return row if row.split("|")[0] in ("submitted", "succeeded", "failed") else ""

        row = wait_for("the send task", status, 90)
        check(row.startswith("submitted"), f"the send ended {row}")
        self.note(
            "admin signed in and published the article to the simulated account:"
            f" send {send_id} submitted by a worker"
        )
        return send_id

    def post_callback(self, xml: str) -> dict | None:
        params, body = self.sender.seal(xml)
        conn = self.stack.connection()
        conn.request("POST", "/wechat/callback/?" + urllib.parse.urlencode(params), body=body,
                     headers={"Content-Type": "text/xml"})  # fmt: skip
        response = conn.getresponse()
        content = response.read()
        conn.close()
        check(response.status == 200, f"callback answered {response.status}: {content[:200]!r}")
        return self.sender.open_reply(content)

    def callback_completes(self, send_id: int) -> None:
        publish_id = self.stack.sql(
            f"SELECT publish_id FROM wechat_outbound_wechatsend WHERE id = {send_id}"
        )
        report = (
            f"<xml><ToUserName><![CDATA[{self.original_id}]]></ToUserName>"
            "<FromUserName><![CDATA[mphelper]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            "<Event><![CDATA[PUBLISHJOBFINISH]]></Event><PublishEventInfo>"
            f"<publish_id>{publish_id}</publish_id><publish_status>0</publish_status>"
            "<article_id><![CDATA[SMOKE]]></article_id><article_detail><count>1</count><item>"
            "<idx>1</idx><article_url><![CDATA[https://mp.weixin.qq.com/s/smoke]]></article_url>"
            "</item></article_detail></PublishEventInfo></xml>"
        )
        check(self.post_callback(report) is None, "PUBLISHJOBFINISH got a reply, not success")
        row = self.stack.sql(
            "SELECT status || ' ' || article_url FROM wechat_outbound_wechatsend"
            f" WHERE id = {send_id}"
        )
        check(
            row == "succeeded https://mp.weixin.qq.com/s/smoke",
            f"after PUBLISHJOBFINISH the send is {row}",
        )
        self.note("WeChat's PUBLISHJOBFINISH, signed and encrypted, completed the send")

    def search_task(self) -> None:
        openid = "o_smoke_" + secrets.token_hex(6)

        def message(msg_type: str, **extra) -> str:
            fields = {"ToUserName": self.original_id, "FromUserName": openid,
                      "CreateTime": int(time.time()), "MsgType": msg_type, **extra}  # fmt: skip
            return message_xml(fields)

        welcome = self.post_callback(message("event", Event="subscribe"))
        check(welcome and welcome.get("MsgType"), f"no welcome reply: {welcome}")
        msg_id = new_msg_id()
        reply = self.post_callback(message("text", Content="搜索 党", MsgId=msg_id))
        check(reply and "正在搜索" in str(reply.get("Content", "")), f"搜索 answered {reply}")

        def answered() -> str:
            row = self.stack.sql(
                f"SELECT status FROM wechat_inboundmessage WHERE msg_id = '{msg_id}'"
            )
            return row if row in ("sent_later", "failed") else ""

        status = wait_for("the search answer", answered, 90)
        check(status == "sent_later", f"the search answer ended {status}")
        self.note(
            f"follower {openid} subscribed (welcome reply) and asked 搜索:"
            " answered at once, then by a task"
        )


def load_run(stack: Stack, journey: Journey, seconds: float) -> dict:
    """Reads through nginx while workers and the scheduler are killed and started again."""
    path = journey.url
    stop = threading.Event()
    answered = [0] * 8
    errors = [0] * 8

    def reader(i: int) -> None:
        conn = stack.connection()
        while not stop.is_set():
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    answered[i] += 1
                else:
                    errors[i] += 1
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                conn.close()
                conn = stack.connection()
        conn.close()

    # Reads up to now are stored: wait for the flush, so the run's own are what moves.
    wait_for(
        "nothing waiting in Redis", lambda: stack.redis("HLEN", "weizhi:counter:reads") == "0", 60
    )
    time.sleep(3)
    before = journey.stored_reads()
    served_before = sum(
        1 for line in stack.access_log() if f'"GET {path} ' in line and '" 200 ' in line
    )
    threads = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(8)]
    for thread in threads:
        thread.start()
    kills: list[str] = []
    # One victim every few seconds, down about as long as systemd's RestartSec; now and then
    # both workers for longer, so that flush jobs pile up in the queue meanwhile and run side
    # by side when the workers are back (issue 19's double count came that way).
    victims = [
        (["worker1"], 1.0),
        (["scheduler"], 1.0),
        (["worker2"], 1.0),
        (["worker1", "worker2"], 6.0),
        (["scheduler", "worker1"], 1.0),
    ]
    started = time.monotonic()
    while time.monotonic() - started < seconds - 8:
        time.sleep(3.0)
        names, down = victims[len(kills) % len(victims)]
        for name in names:
            stack.kill(name)
        kills.append("+".join(names))
        time.sleep(down)
        for name in names:
            if name == "scheduler":
                stack.start(name, "weizhi-scheduler.service")
            else:
                stack.start(name, "weizhi-worker@.service", name.removeprefix("worker"))
    time.sleep(max(0.0, seconds - (time.monotonic() - started)))
    stop.set()
    for thread in threads:
        thread.join(30)
    client_ok = sum(answered)
    time.sleep(1)
    served = (
        sum(1 for line in stack.access_log() if f'"GET {path} ' in line and '" 200 ' in line)
        - served_before
    )

    # Settled: nothing left in the live hash, and the stored count still for three flushes.
    # (Batches a flush has claimed are under keys of its own; the still count covers them.)
    history: list[int] = []

    def settled() -> bool:
        history.append(journey.stored_reads())
        pending = stack.redis("HLEN", "weizhi:counter:reads")
        return pending == "0" and len(history) > 3 and len(set(history[-4:])) == 1

    wait_for("every read flushed", settled, 180, every=2.0)
    stored = journey.stored_reads() - before
    return {
        "seconds": seconds,
        "served": served,
        "answered_to_client": client_ok,
        "errors": sum(errors),
        "stored": stored,
        "difference": stored - served,
        "kills": kills,
        # RQ's registries: jobs a kill cut short end up failed (as abandoned) once noticed.
        "rq_failed_jobs": int(stack.redis("ZCARD", "rq:failed:default")),
        "rq_started_jobs": int(stack.redis("ZCARD", "rq:wip:default")),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        default=os.environ.get("SMOKE_DATABASE", "weizhi_smoke"),
        help="role and database made for the run and dropped after (must end in 'smoke')",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/15"),
        help="a Redis database of the run's own: it is emptied before and after",
    )
    parser.add_argument(
        "--port-base", type=int, default=0, help="take 4 free ports from here (0: any)"
    )
    parser.add_argument(
        "--load", type=float, default=0, help="then a load run with kills, this many seconds"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    args = parser.parse_args()  # fmt: skip

    try:
        stack = Stack(args)
    except SmokeError as error:
        print(f"smoke: {error}")
        return 2
    stopping = False

    def on_signal(signum, _frame):
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    failed = True
    try:
        print(f"smoke: scaled stack in {stack.tmp}", flush=True)
        for step in (
            stack.make_certificate,
            stack.make_environment,
            stack.make_database,
            stack.set_up_site,
            stack.start_services,
            stack.start_nginx,
        ):
            step()
            print(f"  {time.monotonic() - started:5.0f} s  {step.__name__}", flush=True)
        print(
            f"  up: nginx https://{HOST}:{stack.https_port} (http {stack.http_port}),"
            f" web {stack.web_ports}, 2 workers, the scheduler",
            flush=True,
        )
        journey = Journey(stack)
        journey.run()
        print(f"  health, asked of web1 directly: {stack.health_details()}", flush=True)
        if args.load:
            print(
                f"load: {args.load:.0f} s of reads through nginx,"
                " killing workers and the scheduler",
                flush=True,
            )
            result = load_run(stack, journey, args.load)
            print("load: " + json.dumps(result, ensure_ascii=False), flush=True)
            check(
                result["stored"] == result["served"],
                f"served {result['served']}, stored {result['stored']}",
            )
        failed = False
    except SmokeError as error:
        print(f"FAILED: {error}", flush=True)
        with contextlib.suppress(OSError, http.client.HTTPException):
            print(f"  health, asked of web1 directly: {stack.health_details()}")
        for name in stack.procs:
            print(f"--- {name} (last lines)\n{stack.tail(name, 15)}")
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    finally:
        stack.tear_down()
    print(
        f"smoke: {'FAILED' if failed else 'passed'} in {time.monotonic() - started:.0f} s",
        flush=True,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
