/* A stand-in for WeChat's JS-SDK (jweixin.js) in a plain browser, served in its place. It
   follows the published contract of the calls the read-aloud page makes:
   wx.config(...) then wx.ready(fn) or wx.error(fn); wx.checkJsApi({jsApiList, success}) with
   {checkResult: {name: true}}; wx.startRecord({success, fail, cancel}); wx.stopRecord({success})
   with {localId}; wx.onVoiceRecordEnd({complete}) with {localId} once WeChat's 60 s are up;
   wx.uploadVoice({localId, isShowProgressTips, success}) with {serverId}. The test's init
   script sets window.__wxPlan = {serverId, configOk, recordEndAfterMs}; every call is kept in
   window.__wxCalls. */
(function () {
  "use strict";
  var plan = window.__wxPlan || {};
  var calls = (window.__wxCalls = []);
  var readyFns = [], errorFns = [], recordEnd = null, recording = null, count = 0;

  function later(fn, answer) {
    setTimeout(function () { if (fn) fn(answer); }, 30);
  }

  window.wx = {
    config: function (options) {
      calls.push(["config", options]);
      later(function () {
        var good = plan.configOk !== false && !!options.signature;
        if (good) readyFns.forEach(function (fn) { fn(); });
        else errorFns.forEach(function (fn) { fn({errMsg: "config:invalid signature"}); });
      });
    },
    ready: function (fn) { readyFns.push(fn); },
    error: function (fn) { errorFns.push(fn); },
    checkJsApi: function (options) {
      calls.push(["checkJsApi", options.jsApiList]);
      var found = {};
      options.jsApiList.forEach(function (name) { found[name] = true; });
      later(options.success, {checkResult: found, errMsg: "checkJsApi:ok"});
    },
    startRecord: function (options) {
      calls.push(["startRecord"]);
      recording = "weixin://resourceid/" + (++count);
      later(options.success, {errMsg: "startRecord:ok"});
      if (plan.recordEndAfterMs) {
        setTimeout(function () {
          if (!recording || !recordEnd) return;
          var id = recording;
          recording = null;
          calls.push(["recordEnd", id]);
          recordEnd.complete({localId: id, errMsg: "onVoiceRecordEnd:ok"});
        }, plan.recordEndAfterMs);
      }
    },
    stopRecord: function (options) {
      calls.push(["stopRecord"]);
      var id = recording;
      recording = null;
      later(options.success, {localId: id, errMsg: "stopRecord:ok"});
    },
    onVoiceRecordEnd: function (options) {
      calls.push(["onVoiceRecordEnd"]);
      recordEnd = options;
    },
    uploadVoice: function (options) {
      calls.push(["uploadVoice", options.localId, options.isShowProgressTips]);
      later(options.success, {serverId: plan.serverId, errMsg: "uploadVoice:ok"});
    }
  };
})();
