/* 现场竞答: the phone and the big screen both poll their state about once a second (plain
   HTTP, so it works through any proxy in either serving mode) and draw it; the countdown runs
   from the time left the server reports, never from the phone's own clock. */
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root) return;
  var screen = root.getAttribute("data-live") === "screen";
  var token = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  var POLL_MS = 1000;
  var last = null;       // the last state drawn
  var deadline = 0;      // performance.now() at which the current question closes
  var chosen = [];       // the phone's choice for a multiple-choice question

  function $(sel) { return root.querySelector(sel); }
  // Also the style: a class that sets display (.button.block) would outrank the attribute.
  function show(el, yes) { if (el) { el.hidden = !yes; el.style.display = yes ? "" : "none"; } }
  function text(el, value) { if (el) el.textContent = value; }
  function make(tag, cls, value) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    if (value !== undefined) el.textContent = value;
    return el;
  }

  function post(url, fields) {
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (k) { body.append(k, fields[k]); });
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       headers: {"X-CSRFToken": token, "Accept": "application/json"}})
      .then(function (r) { return r.json(); });
  }

  function tick() {
    var el = $("[data-seconds]");
    if (el && last && last.phase === "question") {
      var left = Math.max(0, Math.ceil((deadline - performance.now()) / 1000));
      text(el, left);
      el.parentNode.classList.toggle("urgent", left <= 5);
    }
  }

  function drawQuestion(s) {
    var q = s.question;
    show($("[data-question]"), !!q);
    if (!q) return;
    text($("[data-number]"), "第 " + q.n + "/" + s.total + " 题");
    text($("[data-kind]"), q.kind_label);
    text($("[data-stem]"), q.stem);
    show($(".clock"), s.phase === "question");
  }

  function drawBoard(s) {
    var box = $("[data-board]");
    if (!box) return;
    show(box, !!s.board);
    if (!s.board) return;
    text($("[data-board-title]"), s.board_kind === "branches" ? "党组织平均分" : "排行榜");
    var list = $("[data-board-list]");
    list.textContent = "";
    s.board.forEach(function (row) {
      var li = make("li");
      li.appendChild(make("span", "who", row.name));
      li.appendChild(make("span", "pts", row.score + " 分" + (row.people ? "（" + row.people + " 人）" : "")));
      list.appendChild(li);
    });
  }

  // ── The big screen ─────────────────────────────────────────────────────────────────────
  function drawScreen(s) {
    var lobby = s.phase === "lobby";
    show($("[data-lobby]"), lobby);
    text($("[data-players]"), s.players);
    show($("[data-answered-wrap]"), s.phase === "question");
    text($("[data-answered]"), s.answered || 0);
    drawQuestion(s);
    var q = s.question;
    if (q) {
      var list = $("[data-options]");
      list.textContent = "";
      var total = 0;
      if (s.counts) Object.keys(s.counts).forEach(function (k) { total += s.counts[k]; });
      q.options.forEach(function (o) {
        var li = make("li", "");
        var right = s.phase === "reveal" && q.answer && q.answer.indexOf(o.letter) >= 0;
        if (right) li.classList.add("right");
        li.appendChild(make("span", "letter", o.letter === "对" ? "√" : o.letter === "错" ? "×" : o.letter));
        li.appendChild(make("span", "text", o.text));
        if (s.counts) {
          var n = 0;
          Object.keys(s.counts).forEach(function (k) { if (k.indexOf(o.letter) >= 0) n += s.counts[k]; });
          var bar = make("span", "bar");
          bar.style.width = (total ? Math.round(100 * n / total) : 0) + "%";
          li.appendChild(bar);
          li.appendChild(make("span", "n", n + " 人"));
        }
        list.appendChild(li);
      });
      var ex = $("[data-explanation]");
      show(ex, s.phase === "reveal" && !!q.explanation);
      text(ex, q.explanation ? "解析：" + q.explanation : "");
    }
    drawBoard(s);
    var msg = {lobby: "等待参加者扫码加入，准备好后点“开始竞答”。",
               question: "", reveal: "", ended: "竞答结束，感谢参与！"}[s.phase];
    text($("[data-message]"), msg);
    var steps = {lobby: ["start", "end"], question: ["reveal", "end"], reveal: ["next", "end"], ended: []}[s.phase];
    root.querySelectorAll("[data-action]").forEach(function (b) {
      show(b, steps.indexOf(b.getAttribute("data-action")) >= 0);
      b.disabled = false;
    });
    var next = root.querySelector("[data-action=next]");
    text(next, s.index + 1 >= s.total ? "查看最终排名" : "下一题");
  }

  root.querySelectorAll("[data-action]").forEach(function (b) {
    b.addEventListener("click", function () {
      if (!last) return;
      b.disabled = true;
      post(root.getAttribute("data-step-url"), {action: b.getAttribute("data-action"), version: last.version})
        .then(function (res) { if (!res.ok) text($("[data-message]"), res.message); poll(); })
        .catch(function () { text($("[data-message]"), "网络不好，请再点一次。"); b.disabled = false; });
    });
  });

  // ── A phone ────────────────────────────────────────────────────────────────────────────
  function send(given) {
    var state = last;
    root.querySelectorAll("[data-options] button, [data-submit]").forEach(function (b) { b.disabled = true; });
    text($("[data-status]"), "提交中…");
    var tries = 0;
    (function attempt() {
      post(root.getAttribute("data-answer-url"), {index: state.index, given: given})
        .then(function (res) {
          text($("[data-status]"), res.ok ? "已提交，等待公布答案" : res.message);
          poll();
        })
        .catch(function () {
          // A lost request is sent again: the server counts an answer once whatever arrives.
          tries += 1;
          text($("[data-status]"), "网络不好，正在重试…");
          if (tries < 5) setTimeout(attempt, 800);
        });
    })();
  }

  function drawPhone(s) {
    text($("[data-score]"), s.me.score);
    drawQuestion(s);
    var q = s.question;
    var answering = s.phase === "question" && !s.me.given && s.remaining_ms > 0;
    var status = {lobby: "已加入，等待主持人开始…", question: "", reveal: "", ended: "竞答结束，你的得分：" + s.me.score}[s.phase];
    if (s.phase === "question") status = s.me.given ? "已提交，等待公布答案" : (s.remaining_ms > 0 ? "请作答" : "时间到");
    text($("[data-status]"), status);
    var result = $("[data-result]");
    show(result, s.phase === "reveal");
    if (s.phase === "reveal") {
      result.className = "live-result " + (s.me.correct ? "right" : "wrong");
      text(result, s.me.given === null ? "本题未作答。正确答案：" + q.answer
           : s.me.correct ? "回答正确！+" + s.me.points + " 分" : "回答错误。正确答案：" + q.answer);
    }
    if (!q) return;
    var box = $("[data-options]");
    var redraw = !last || last.version !== s.version || box.childElementCount === 0;
    if (redraw) {
      chosen = [];
      box.textContent = "";
      q.options.forEach(function (o) {
        var b = make("button", "choice", "");
        b.type = "button";
        b.setAttribute("data-letter", o.letter);
        b.appendChild(make("span", "letter", o.letter === "对" ? "√" : o.letter === "错" ? "×" : o.letter));
        b.appendChild(make("span", "", o.text));
        b.addEventListener("click", function () {
          if (q.multiple) {
            var i = chosen.indexOf(o.letter);
            if (i >= 0) chosen.splice(i, 1); else chosen.push(o.letter);
            b.classList.toggle("picked", i < 0);
          } else {
            b.classList.add("picked");
            send(o.letter);
          }
        });
        box.appendChild(b);
      });
    }
    box.querySelectorAll("button").forEach(function (b) {
      var letter = b.getAttribute("data-letter");
      b.disabled = !answering;
      if (s.me.given && s.me.given.indexOf(letter) >= 0) b.classList.add("picked");
      b.classList.toggle("right", s.phase === "reveal" && q.answer.indexOf(letter) >= 0);
    });
    var submit = $("[data-submit]");
    show(submit, q.multiple && answering);
    if (redraw && submit) {
      submit.onclick = function () { if (chosen.length) send(chosen.slice().sort().join("")); };
    }
  }

  // ── Polling ────────────────────────────────────────────────────────────────────────────
  var timer = null;
  function poll() {
    clearTimeout(timer);
    fetch(root.getAttribute("data-state-url"), {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s && !s.error) {
          deadline = performance.now() + s.remaining_ms;
          if (screen) drawScreen(s); else drawPhone(s);
          last = s;
          tick();
          root.setAttribute("data-version", s.version);
          root.setAttribute("data-phase", s.phase);
        }
      })
      .catch(function () { if (!screen) text($("[data-status]"), "网络不好，正在重新连接…"); })
      .then(function () { if (!last || last.phase !== "ended") timer = setTimeout(poll, POLL_MS); });
  }
  setInterval(tick, 250);
  poll();
})();
