/* 听读悟: record a reading and hand it in. Inside WeChat, where the page got a signed JS-SDK
   config (data-wx-config), WeChat's own recorder: startRecord / stopRecord, at most 60 s
   (onVoiceRecordEnd), uploadVoice, and the serverId posted to us, which fetches the recording
   from WeChat in a task while this page waits for it. Elsewhere, or when the config fails,
   the browser's MediaRecorder. Without either, the file input of the form works on its own.
   A recording that does not get through (no network, nginx's 413, a server error, too many
   at once) stays on the page with a button to send it again: it is never thrown away. */
(function () {
  "use strict";
  var form = document.getElementById("ra-form");
  if (!form) return;
  var box = document.getElementById("ra-recorder");
  var start = document.getElementById("ra-record");
  var stop = document.getElementById("ra-stop");
  var timer = document.getElementById("ra-timer");
  var status = document.getElementById("ra-status");
  var resend = document.getElementById("ra-resend");
  var maxSeconds = parseInt(form.dataset.maxSeconds, 10) || 300;
  // WeChat stops a recording by itself at 60 s; when the page's own stop comes just after, the
  // stop fails and WeChat's end handler hands the recording over (stopWeChat, useWeChat).
  var wxSeconds = Math.min(60, maxSeconds);
  var recorder = null, chunks = [], began = 0, tick = null, stream = null;
  var mode = null, wxState = "idle";
  var pending = null;  // sends the recording that did not get through once more

  function say(text, bad) {
    status.textContent = text;
    status.classList.toggle("ra-bad", !!bad);
  }

  function again(text) {
    say(text, true);
    clearInterval(tick);
    timer.textContent = "";
    stop.hidden = true;
    start.hidden = false;
  }

  // The recording is kept: the member may send it again, or record anew.
  function keep(text, sendAgain) {
    again(text + "录音仍保留在本页，可点“重新提交录音”再试。");
    pending = sendAgain;
    resend.hidden = false;
  }

  function sending() {
    pending = null;
    resend.hidden = true;
    say("正在提交录音…");
  }

  // An answer weizhi did not write (nginx's 413 or 502 page) or one worth trying again.
  function kept(r) {
    if (r.status === 413) return "录音文件太大，没有提交成功。";
    if (r.status === 429 || r.status >= 500) return "提交没有成功（" + r.status + "），请稍后。";
    return null;
  }

  function answerKept(r) {
    return r.json().then(function (answer) {
      if (!answer.url && !answer.poll && kept(r)) answer.kept = answer.error || kept(r);
      return answer;
    }, function () { return {kept: kept(r) || "提交没有成功（" + r.status + "）。"}; });
  }

  function counting(limit, atLimit) {
    began = Date.now();
    start.hidden = true;
    stop.hidden = false;
    tick = setInterval(function () {
      var s = Math.floor((Date.now() - began) / 1000);
      timer.textContent = "正在录音 " + s + " 秒（最长 " + limit + " 秒）";
      if (s >= limit) atLimit();
    }, 250);
  }

  function answerOf(r) {
    return r.json().catch(function () { return {error: "提交失败（" + r.status + "），请重试。"}; });
  }

  /* The browser's recorder */

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
    var sendAgain = function () { send(blob, seconds); };
    sending();
    fetch(form.action, {method: "POST", body: data, credentials: "same-origin",
                        headers: {"X-Requested-With": "fetch"}})
      .then(answerKept)
      .then(function (answer) {
        if (answer.url) { say("已提交。"); window.location.href = answer.url; }
        else if (answer.kept) keep(answer.kept, sendAgain);
        else again(answer.error || "提交失败，请重新录音。");
      })
      .catch(function () { keep("网络不通，录音未提交。", sendAgain); });
  }

  function finish() {
    if (!recorder || recorder.state === "inactive") return;
    recorder.stop();
  }

  function startBrowser() {
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
      counting(maxSeconds, finish);
    }).catch(function () {
      say("无法使用麦克风：请允许录音，或在下方选择录音文件。", true);
    });
  }

  function useBrowser() {
    if (mode === "browser") return;
    mode = "browser";
    box.hidden = !(window.MediaRecorder && navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  /* WeChat's recorder (JS-SDK) */

  var wx = window.wx;

  function wait(url, tries) {
    fetch(url, {credentials: "same-origin"}).then(answerOf).then(function (answer) {
      if (answer.url) { say("已提交。"); window.location.href = answer.url; }
      else if (answer.error) again(answer.error);
      else if (tries >= 80) again("处理时间较长，请稍后在“我的朗读”里查看。");
      else { say("录音已上传，正在处理…"); setTimeout(function () { wait(url, tries + 1); }, 1500); }
    }).catch(function () { again("网络不通，请稍后在“我的朗读”里查看。"); });
  }

  function sendServerId(serverId, seconds) {
    var data = new FormData(form);
    data.delete("audio");
    data.set("server_id", serverId);
    data.set("seconds", seconds.toFixed(1));
    // WeChat keeps an uploaded recording for three days: its serverId can be sent again.
    var sendAgain = function () { sendServerId(serverId, seconds); };
    sending();
    fetch(form.dataset.wxUpload, {method: "POST", body: data, credentials: "same-origin",
                                  headers: {"X-Requested-With": "fetch"}})
      .then(answerKept)
      .then(function (answer) {
        if (answer.poll) wait(answer.poll, 0);
        else if (answer.kept) keep(answer.kept, sendAgain);
        else again(answer.error || "提交失败，请重新录音。");
      })
      .catch(function () { keep("网络不通，录音未提交。", sendAgain); });
  }

  function recorded(localId) {
    wxState = "idle";
    clearInterval(tick);
    stop.hidden = true;
    var seconds = Math.min((Date.now() - began) / 1000, wxSeconds);
    say("正在上传录音…");
    wx.uploadVoice({
      localId: localId,
      isShowProgressTips: 1,
      success: function (res) { sendServerId(res.serverId, seconds); },
      fail: function () { again("录音上传到微信失败，请重试。"); }
    });
  }

  function stopWeChat() {
    if (wxState !== "recording") return;
    wxState = "stopping";
    wx.stopRecord({
      success: function (res) { recorded(res.localId); },
      // WeChat may have ended the recording itself just now: its end handler hands it over.
      fail: function () {
        setTimeout(function () {
          if (wxState === "stopping") { wxState = "idle"; again("结束录音失败，请重新录音。"); }
        }, 3000);
      }
    });
  }

  function startWeChat() {
    wx.startRecord({
      success: function () { wxState = "recording"; counting(wxSeconds, stopWeChat); },
      cancel: function () { say("您没有允许微信录音；可重新点击开始录音，或在下方选择录音文件。", true); },
      fail: function () { say("微信录音无法开始，已改用浏览器录音，请再点一次开始录音。", true); mode = null; useBrowser(); }
    });
  }

  function useWeChat() {
    if (mode !== null) return;
    mode = "wechat";
    // WeChat ends a recording by itself at 60 s and hands over what it has.
    wx.onVoiceRecordEnd({complete: function (res) {
      if (wxState === "recording" || wxState === "stopping") recorded(res.localId);
    }});
    box.hidden = false;
  }

  function configureWeChat() {
    var failed = false;
    var here = location.href.split("#")[0];
    // Neither ready nor error from WeChat within 8 s: the browser's recorder.
    setTimeout(function () { if (mode === null) useBrowser(); }, 8000);
    fetch(form.dataset.wxConfig + "?url=" + encodeURIComponent(here), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (config) {
        if (!config || !config.signature) return useBrowser();
        wx.config({debug: false, appId: config.appId, timestamp: config.timestamp,
                   nonceStr: config.nonceStr, signature: config.signature,
                   jsApiList: config.jsApiList});
        wx.error(function () { failed = true; mode = null; useBrowser(); });
        wx.ready(function () {
          if (failed) return;
          wx.checkJsApi({
            jsApiList: ["startRecord", "stopRecord", "uploadVoice"],
            success: function (res) {
              var found = res.checkResult;
              if (typeof found === "string") { try { found = JSON.parse(found); } catch (e) { found = {}; } }
              if (!failed && found && found.startRecord && found.uploadVoice) useWeChat(); else useBrowser();
            },
            fail: useBrowser
          });
        });
      })
      .catch(useBrowser);
  }

  start.addEventListener("click", function () {
    say("");
    pending = null;
    resend.hidden = true;
    if (mode === "wechat") startWeChat(); else startBrowser();
  });
  stop.addEventListener("click", function () {
    if (mode === "wechat") stopWeChat(); else finish();
  });
  resend.addEventListener("click", function () {
    if (pending) pending();
  });

  if (wx && form.dataset.wxConfig && window.fetch) configureWeChat();
  else useBrowser();
})();
