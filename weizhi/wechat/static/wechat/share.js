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
      });
    })
    .catch(function () { /* WeChat keeps its default card */ });
})();
