"""recorder.js on its own, in Node with a stand-in page: a recording that does not get through
(nginx's 413, no network) stays on the page and is sent again, the same recording, until it
is handed in."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

RECORDER = Path(__file__).resolve().parent.parent / "weizhi/readaloud/static/readaloud/recorder.js"
NODE = shutil.which("node")

# The page's elements, fetch, the microphone and MediaRecorder, just enough for recorder.js.
HARNESS = r"""
const vm = require("vm");
const fs = require("fs");
const [source, answersJson] = process.argv.slice(1);
const answers = JSON.parse(answersJson);
function element(id) {
  const handlers = {};
  return {id, hidden: id === "ra-stop" || id === "ra-resend", textContent: "",
          dataset: {maxSeconds: "300"}, action: "/readaloud/clips/1/read",
          classList: {toggle() {}},
          addEventListener(kind, fn) { handlers[kind] = fn; },
          click() { handlers.click(); }};
}
const ids = ["ra-form", "ra-recorder", "ra-record", "ra-stop", "ra-timer", "ra-status",
             "ra-resend"];
const page = Object.fromEntries(ids.map((id) => [id, element(id)]));
const sent = [];
class FormData {
  constructor() { this.fields = {}; }
  set(k, v) { this.fields[k] = v; }
  delete(k) { delete this.fields[k]; }
}
class Blob { constructor(parts, options) { this.parts = parts; this.type = options.type; } }
class MediaRecorder {
  static isTypeSupported(type) { return type === "audio/webm;codecs=opus"; }
  constructor(stream, options) { this.mimeType = options.mimeType; this.state = "inactive"; }
  start() { this.state = "recording"; }
  stop() { this.state = "inactive"; this.ondataavailable({data: {size: 4000}}); this.onstop(); }
}
function fetch(url, options) {
  sent.push(options.body.fields.audio);
  const answer = answers.shift();
  if (answer === "offline") return Promise.reject(new TypeError("Failed to fetch"));
  return Promise.resolve({status: answer.status, json: () =>
    answer.json ? Promise.resolve(answer.json) : Promise.reject(new SyntaxError("not JSON"))});
}
const location = {href: "/readaloud/clips/1/"};
const sandbox = {document: {getElementById: (id) => page[id]}, FormData, Blob, MediaRecorder,
  fetch, location, setInterval, clearInterval, setTimeout, Date,
  navigator: {mediaDevices: {getUserMedia: () => Promise.resolve({getTracks: () => []})}}};
sandbox.window = sandbox;
vm.runInNewContext(fs.readFileSync(source, "utf8"), sandbox);
const settle = () => new Promise((done) => setTimeout(done, 20));
const seen = [];
const look = () => seen.push({status: page["ra-status"].textContent,
  resend: !page["ra-resend"].hidden, record: !page["ra-record"].hidden, href: location.href});
(async () => {
  page["ra-record"].click();
  await settle();
  page["ra-stop"].click();
  await settle();
  look();
  while (answers.length) {
    if (!page["ra-resend"] || page["ra-resend"].hidden) break;
    page["ra-resend"].click();
    await settle();
    look();
  }
  console.log(JSON.stringify({seen, sent: sent.length, same: sent.every((b) => b === sent[0])}));
})();
"""


def run(*answers) -> dict:
    done = subprocess.run(
        [NODE, "-e", HARNESS, str(RECORDER), json.dumps(list(answers))],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)


@pytest.mark.skipif(NODE is None, reason="no node here")
def test_a_recording_refused_by_nginx_or_lost_to_the_network_is_kept_and_sent_again():
    too_large = {"status": 413}  # nginx's own page, not JSON
    handed_in = {"status": 200, "json": {"url": "/readaloud/readings/7/"}}
    result = run(too_large, "offline", handed_in)
    first, second, last = result["seen"]
    assert "录音文件太大" in first["status"] and "录音仍保留" in first["status"]
    assert first["resend"] and first["record"]
    assert "网络不通" in second["status"] and second["resend"]
    assert last["href"] == "/readaloud/readings/7/" and not last["resend"]
    assert result["sent"] == 3 and result["same"]


@pytest.mark.skipif(NODE is None, reason="no node here")
def test_a_recording_weizhi_refuses_for_what_it_is_is_not_offered_again():
    result = run({"status": 400, "json": {"error": "录音太短，请读完一段再提交。"}})
    (only,) = result["seen"]
    assert only["status"] == "录音太短，请读完一段再提交。" and not only["resend"]
    assert only["record"] and result["sent"] == 1
