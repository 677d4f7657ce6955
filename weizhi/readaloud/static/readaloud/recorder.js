/* 听读悟: record a reading with the browser's MediaRecorder and hand it in. Without
   MediaRecorder or a microphone, the file input of the form works on its own. */
(function () {
  "use strict";
  var form = document.getElementById("ra-form");
  if (!form) return;
  var box = document.getElementById("ra-recorder");
  var start = document.getElementById("ra-record");
  var stop = document.getElementById("ra-stop");
  var timer = document.getElementById("ra-timer");
  var status = document.getElementById("ra-status");
  var maxSeconds = parseInt(form.dataset.maxSeconds, 10) || 300;
  var recorder = null, chunks = [], began = 0, tick = null, stream = null;

  function say(text, bad) {
    status.textContent = text;
    status.classList.toggle("ra-bad", !!bad);
  }

  function pickType() {
    var types = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];
    for (var i = 0; i < types.length; i++) {
      if (window.MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(types[i])) return types[i];
    }
    return "";
  }

  function send(blob, seconds) {
    var data = new FormData(form);
    var ext = /ogg/.test(blob.type) ? "ogg" : /mp4/.test(blob.type) ? "m4a" : "webm";
    data.set("audio", blob, "reading." + ext);
    data.set("seconds", seconds.toFixed(1));
    say("正在提交录音…");
    fetch(form.action, {method: "POST", body: data, credentials: "same-origin",
                        headers: {"X-Requested-With": "fetch"}})
      .then(function (r) { return r.json().catch(function () { return {error: "提交失败（" + r.status + "），请重试。"}; }); })
      .then(function (answer) {
        if (answer.url) { say("已提交。"); window.location.href = answer.url; }
        else { say(answer.error || "提交失败，请重试。", true); start.hidden = false; }
      })
      .catch(function () { say("网络不通，录音未提交，请重试。", true); start.hidden = false; });
  }

  function finish() {
    if (!recorder || recorder.state === "inactive") return;
    recorder.stop();
  }

  start.addEventListener("click", function () {
    say("");
    navigator.mediaDevices.getUserMedia({audio: true}).then(function (s) {
      stream = s;
      var type = pickType();
      recorder = type ? new MediaRecorder(s, {mimeType: type}) : new MediaRecorder(s);
      chunks = [];
      recorder.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
      recorder.onstop = function () {
        clearInterval(tick);
        stream.getTracks().forEach(function (t) { t.stop(); });
        stop.hidden = true;
        var seconds = (Date.now() - began) / 1000;
        send(new Blob(chunks, {type: recorder.mimeType || type || "audio/webm"}), seconds);
      };
      recorder.start(1000);
      began = Date.now();
      start.hidden = true;
      stop.hidden = false;
      tick = setInterval(function () {
        var s = Math.floor((Date.now() - began) / 1000);
        timer.textContent = "正在录音 " + s + " 秒（最长 " + maxSeconds + " 秒）";
        if (s >= maxSeconds) finish();
      }, 250);
    }).catch(function () {
      say("无法使用麦克风：请允许录音，或在下方选择录音文件。", true);
    });
  });
  stop.addEventListener("click", finish);

  if (window.MediaRecorder && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    box.hidden = false;
  }
})();
