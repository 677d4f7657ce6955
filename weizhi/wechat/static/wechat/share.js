// WeChat's share card for this page (to a friend and to Moments), from the page's own meta
// tags. Loaded only inside WeChat, after the JS-SDK (wechat/vendor/jweixin.js), which sets
// window.wx; the signature for this URL comes from our /wechat/oauth/jssdk/config/.
(function () {
  "use strict";
  var wx = window.wx;
  var script = document.currentScript;
  if (!wx || !script || !window.fetch) return;

  function meta(selector, attribute) {
    var element = document.querySelector(selector);
    return element ? element.getAttribute(attribute || "content") || "" : "";
  }

  var here = location.href.split("#")[0];
  var card = {
    title: meta('meta[property="og:title"]') || document.title,
    desc: meta('meta[property="og:description"]'),
    link: meta('link[rel="canonical"]', "href") || here,
    imgUrl: meta('meta[property="og:image"]'),
  };

  // The story page names where a share is counted (/api/pages/<id>/share).
  var foot = document.querySelector("[data-share-url]");
  function countShare() {
    if (!foot) return;
    fetch(foot.getAttribute("data-share-url"), { method: "POST", credentials: "same-origin" })
      .catch(function () { /* a share not counted is not the reader's problem */ });
  }

  fetch(script.dataset.config + "?url=" + encodeURIComponent(here), { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (config) {
      if (!config || !config.signature) return;
      wx.config({
        debug: false,
        appId: config.appId,
        timestamp: config.timestamp,
        nonceStr: config.nonceStr,
        signature: config.signature,
        jsApiList: config.jsApiList,
      });
      wx.ready(function () {
        wx.updateAppMessageShareData(card);
        wx.updateTimelineShareData({ title: card.title, link: card.link, imgUrl: card.imgUrl });
        // The success of the two calls above means "card set", not "shared". The older
        // onMenuShare* calls (still in the JS-SDK, marked to be retired) call success when the
        // reader taps 发送给朋友 / 分享到朋友圈; since WeChat stopped telling a finished share
        // from a cancelled one, that tap is what a share count can count.
        var counted = { success: countShare };
        wx.onMenuShareAppMessage(Object.assign({}, card, counted));
        wx.onMenuShareTimeline(
          Object.assign({ title: card.title, link: card.link, imgUrl: card.imgUrl }, counted)
        );
      });
    })
    .catch(function () { /* WeChat keeps its default card */ });
})();
