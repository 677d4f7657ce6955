// 公众号模拟器: the browser plays WeChat's servers. The admin seals a message, this script
// POSTs it to the real callback URL, hands the answer back to be opened, and draws the chat
// from the stored messages (polling while a slow action's answer is still on its way).
(function () {
  "use strict";

  var root = document.querySelector("[data-sim]");
  if (!root) return;

  var urls = JSON.parse(document.getElementById("wz-sim-urls").textContent);
  var menuLabels = JSON.parse(document.getElementById("wz-sim-menu").textContent);
  var csrf = document.querySelector("[data-csrf]").value;
  var chat = root.querySelector("[data-chat]");
  var picker = root.querySelector("[data-follower]");
  var textBox = root.querySelector("[data-text]");
  var errorBox = root.querySelector("[data-error]");
  var followCard = root.querySelector("[data-follow]");
  var composer = root.querySelector("[data-composer]");
  var unsubButton = root.querySelector(".wz-sim__unsub");

  var POLL_MS = 2000;
  var POLL_LIMIT = 45; // about a minute and a half, then the chat says it gave up waiting
  var STORE = "wz-sim-passive";

  var state = { openid: "", follower: null, busy: false, pollTimer: null, polls: 0 };

  // The passive replies this browser received, by message, so the chat shows what came back
  // over the wire even before the history is reloaded.
  function passiveReplies() {
    try { return JSON.parse(sessionStorage.getItem(STORE) || "{}"); } catch (e) { return {}; }
  }
  function rememberPassive(key, reply) {
    var all = passiveReplies();
    all[key] = reply;
    try { sessionStorage.setItem(STORE, JSON.stringify(all)); } catch (e) { /* full: forget */ }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function safeUrl(url) {
    if (!url) return "";
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : "";
    } catch (e) { return ""; }
  }

  function link(url, text) {
    var href = safeUrl(url);
    if (!href) return document.createTextNode(text);
    var a = el("a", "", text);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener";
    return a;
  }

  // WeChat shows <a href="…">…</a> in a text reply as a link and everything else as text.
  // Build the nodes ourselves so that nothing in a reply is ever parsed as HTML.
  function richText(content) {
    var frag = document.createDocumentFragment();
    var pattern = /<a\s+href=(["'])(.*?)\1\s*>([\s\S]*?)<\/a>|(https?:\/\/[^\s<>"'，。）]+)/gi;
    var last = 0, match;
    while ((match = pattern.exec(content)) !== null) {
      if (match.index > last) frag.appendChild(document.createTextNode(content.slice(last, match.index)));
      if (match[4]) frag.appendChild(link(match[4], match[4]));
      else frag.appendChild(link(match[2], match[3].replace(/<[^>]*>/g, "")));
      last = pattern.lastIndex;
    }
    if (last < content.length) frag.appendChild(document.createTextNode(content.slice(last)));
    return frag;
  }

  function newsCards(articles) {
    var box = el("div", articles.length > 1 ? "wz-sim__news wz-sim__news--multi" : "wz-sim__news");
    articles.forEach(function (article, index) {
      var card = el("a", index === 0 ? "wz-sim__news-lead" : "wz-sim__news-item");
      var href = safeUrl(article.url);
      if (href) { card.href = href; card.target = "_blank"; card.rel = "noopener"; }
      var cover = safeUrl(article.pic_url);
      var pic = el(cover ? "img" : "span", "wz-sim__news-pic");
      if (cover) { pic.src = cover; pic.alt = ""; pic.loading = "lazy"; }
      var title = el("span", "wz-sim__news-title", article.title || "（无标题）");
      if (index === 0) {
        card.appendChild(pic);
        card.appendChild(title);
        if (articles.length === 1 && article.description) {
          card.appendChild(el("span", "wz-sim__news-desc", article.description));
        }
      } else {
        card.appendChild(title);
        card.appendChild(pic);
      }
      box.appendChild(card);
    });
    return box;
  }

  function replyNode(reply) {
    if (reply.type === "text") {
      var bubble = el("div", "wz-sim__bubble");
      bubble.appendChild(richText(reply.content));
      return bubble;
    }
    if (reply.type === "news") return newsCards(reply.articles || []);
    if (reply.type === "image") {
      if (!safeUrl(reply.url)) return el("div", "wz-sim__bubble wz-sim__bubble--muted", "[图片]");
      var img = el("img", "wz-sim__image");
      img.src = safeUrl(reply.url);
      img.alt = "回复的图片";
      return img;
    }
    return el("div", "wz-sim__bubble wz-sim__bubble--muted", reply.label || "[消息]");
  }

  function accountRow(content, note) {
    var row = el("div", "wz-sim__row wz-sim__row--account");
    row.appendChild(el("span", "wz-sim__avatar", "微"));
    var body = el("div", "wz-sim__body");
    if (note) body.appendChild(el("span", "wz-sim__tag", note));
    body.appendChild(content);
    row.appendChild(body);
    return row;
  }

  function followerRow(item) {
    if (item.kind === "event") {
      var said = item.said;
      ["点击菜单 ", "打开菜单网页 "].forEach(function (prefix) {
        if (said.indexOf(prefix) !== 0) return;
        var key = said.slice(prefix.length);
        said = prefix.trim() + "「" + (menuLabels[key] || key) + "」";
      });
      return el("div", "wz-sim__system", said + " · " + item.time);
    }
    var row = el("div", "wz-sim__row wz-sim__row--follower");
    var body = el("div", "wz-sim__body");
    var bubble = el("div", "wz-sim__bubble wz-sim__bubble--mine");
    if (item.kind === "voice") {
      bubble.appendChild(el("span", "wz-sim__voice-mark", "语音"));
      bubble.appendChild(el("span", "wz-sim__voice-text", item.said));
    } else {
      bubble.textContent = item.said;
    }
    body.appendChild(bubble);
    body.appendChild(el("span", "wz-sim__time", item.time));
    row.appendChild(body);
    row.appendChild(el("span", "wz-sim__avatar wz-sim__avatar--me", "我"));
    return row;
  }

  function drawItem(item, passive) {
    var group = el("div", "wz-sim__exchange");
    group.dataset.status = item.status;
    group.appendChild(followerRow(item));
    var first = passive.hasOwnProperty(item.dedup_key) ? passive[item.dedup_key] : item.reply;
    if (first) group.appendChild(accountRow(replyNode(first)));
    if (item.late && item.late_reply) group.appendChild(accountRow(replyNode(item.late_reply), "客服消息"));
    if (item.pending) {
      var typing = el("div", "wz-sim__bubble wz-sim__typing");
      typing.appendChild(el("span", "wz-sim__dots", "···"));
      typing.appendChild(el("span", "", "结果稍后以客服消息送达"));
      group.appendChild(accountRow(typing));
    }
    if (item.failed) {
      group.appendChild(el("div", "wz-sim__system wz-sim__system--failed", "客服消息发送失败，粉丝没有收到后续回复"));
    }
    if (!first && !item.late && !item.pending && (item.kind !== "event" || item.event === "CLICK")) {
      group.appendChild(el("div", "wz-sim__system", "没有匹配的规则，公众号没有回复"));
    }
    if (item.rule) group.appendChild(el("div", "wz-sim__rule", "命中规则：" + item.rule));
    return group;
  }

  function drawChat(data) {
    var atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
    var passive = passiveReplies();
    chat.textContent = "";
    if (!data.items.length) {
      chat.appendChild(el("p", "wz-sim__empty", "还没有消息。"));
    }
    data.items.forEach(function (item) { chat.appendChild(drawItem(item, passive)); });
    if (atBottom || state.justSent) chat.scrollTop = chat.scrollHeight;
    state.justSent = false;
  }

  function setFollower(follower) {
    state.follower = follower;
    var subscribed = !!(follower && follower.subscribed);
    followCard.hidden = !follower || subscribed;
    composer.classList.toggle("is-disabled", !subscribed);
    composer.querySelectorAll("button, textarea").forEach(function (node) { node.disabled = !subscribed; });
    unsubButton.hidden = !subscribed;
    root.classList.toggle("has-follower", !!follower);
  }

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  function request(url, options) {
    return fetch(url, Object.assign({ credentials: "same-origin" }, options)).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || ("请求失败（HTTP " + response.status + "）"));
        return data;
      });
    });
  }

  function post(url, fields) {
    var body = new URLSearchParams(fields);
    return request(url, { method: "POST", body: body, headers: { "X-CSRFToken": csrf } });
  }

  function refresh() {
    if (!state.openid) return Promise.resolve();
    var openid = state.openid;
    return request(urls.history + "?" + new URLSearchParams({ openid: openid })).then(function (data) {
      if (openid !== state.openid) return;
      setFollower(data.follower);
      drawChat(data);
      schedulePoll(data.pending);
    });
  }

  function schedulePoll(pending) {
    clearTimeout(state.pollTimer);
    if (!pending) { state.polls = 0; return; }
    if (state.polls >= POLL_LIMIT) {
      showError("等了很久还没有收到客服消息，请检查任务进程是否在运行。");
      return;
    }
    state.polls += 1;
    state.pollTimer = setTimeout(function () {
      // A failed poll (the server busy for a moment) is not the end of waiting.
      refresh().catch(function () { schedulePoll(true); });
    }, POLL_MS);
  }

  function showRaw(sealed, received, opened) {
    root.querySelector("[data-raw-empty]").hidden = true;
    root.querySelector("[data-raw-body]").hidden = false;
    root.querySelector("[data-raw-url]").textContent = "POST " + sealed.url;
    root.querySelector("[data-raw-xml]").textContent = sealed.xml;
    root.querySelector("[data-raw-sent]").textContent = sealed.body;
    root.querySelector("[data-raw-received]").textContent = "HTTP " + received.status + "\n" + (received.text || "（空）");
    root.querySelector("[data-raw-reply]").textContent = opened ? (opened.xml || "（没有被动回复）") : "—";
  }

  // The path a message takes: seal here, POST to the callback as WeChat would, open the answer.
  function send(kind, extra) {
    if (state.busy || !state.openid) return;
    state.busy = true;
    root.classList.add("is-busy");
    showError("");
    var fields = Object.assign({ openid: state.openid, kind: kind }, extra || {});
    var sealed, received;
    post(urls.seal, fields)
      .then(function (data) {
        sealed = data;
        return fetch(sealed.url, {
          method: "POST",
          credentials: "omit",
          headers: { "Content-Type": "text/xml; charset=utf-8" },
          body: sealed.body,
        });
      })
      .then(function (response) {
        return response.text().then(function (text) { received = { status: response.status, text: text }; });
      })
      .then(function () {
        return post(urls.open, { status: String(received.status), body: received.text }).catch(function (e) {
          showRaw(sealed, received, null);
          throw e;
        });
      })
      .then(function (opened) {
        rememberPassive(sealed.dedup_key, opened.reply);
        showRaw(sealed, received, opened);
        if (kind === "text" || kind === "voice") textBox.value = "";
        state.justSent = true;
        state.polls = 0;
        return refresh();
      })
      .catch(function (e) { showError(e.message); })
      .then(function () {
        state.busy = false;
        root.classList.remove("is-busy");
      });
  }

  function closeSubmenus(except) {
    root.querySelectorAll("[data-toggle-sub]").forEach(function (toggle) {
      if (toggle === except) return;
      toggle.nextElementSibling.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
    });
  }

  function choose(openid) {
    state.openid = openid;
    clearTimeout(state.pollTimer);
    showError("");
    chat.textContent = "";
    if (!openid) {
      setFollower(null);
      chat.appendChild(el("p", "wz-sim__empty", "请在右侧选择或新建一个模拟粉丝。"));
      return;
    }
    try { localStorage.setItem("wz-sim-openid", openid); } catch (e) { /* private mode */ }
    state.justSent = true;
    refresh().catch(function (e) { showError(e.message); });
  }

  picker.addEventListener("change", function () { choose(picker.value); });

  root.querySelector("[data-new-follower]").addEventListener("submit", function (event) {
    event.preventDefault();
    var remark = root.querySelector("[data-remark]");
    post(urls.follower, { remark: remark.value })
      .then(function (data) {
        var option = el("option", "", data.follower.name);
        option.value = data.follower.openid;
        picker.insertBefore(option, picker.options[1] || null);
        picker.value = data.follower.openid;
        remark.value = "";
        choose(data.follower.openid);
      })
      .catch(function (e) { showError(e.message); });
  });

  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    send("text", { text: textBox.value });
  });
  textBox.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send("text", { text: textBox.value });
    }
  });
  root.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-toggle-sub]");
    closeSubmenus(toggle);
    if (toggle) {
      var sub = toggle.nextElementSibling;
      sub.hidden = !sub.hidden;
      toggle.setAttribute("aria-expanded", String(!sub.hidden));
      return;
    }
    var button = event.target.closest("[data-action]");
    if (!button || button.type === "submit") return;
    var action = button.dataset.action;
    if (action === "voice") send("voice", { text: textBox.value });
    else if (action === "click") send("click", { key: button.dataset.key });
    else if (action === "view") {
      // WeChat reports the VIEW event and opens the page; so does the simulator.
      send("view", { key: button.dataset.key });
      if (safeUrl(button.dataset.key)) window.open(safeUrl(button.dataset.key), "_blank", "noopener");
    }
    else if (action === "subscribe" || action === "unsubscribe") send(action);
  });

  var remembered = "";
  try { remembered = localStorage.getItem("wz-sim-openid") || ""; } catch (e) { /* private mode */ }
  if (remembered && picker.querySelector('option[value="' + CSS.escape(remembered) + '"]')) {
    picker.value = remembered;
  }
  setFollower(null);
  if (picker.value) choose(picker.value);
})();
