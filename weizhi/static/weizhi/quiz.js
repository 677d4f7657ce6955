/* The quiz page: the server's remaining time counting down, each answer saved as soon as it
   is chosen (with an idempotency key, retried on a weak network), hand-in when time is up.
   Without this script the form still works: the hand-in carries every answer. */
(function () {
  "use strict";
  var form = document.querySelector("form.quiz");
  if (!form) return;
  var url = form.getAttribute("data-answer-url");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var challenge = form.hasAttribute("data-challenge");
  var finished = false;

  function key() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function given(box) {
    var id = box.getAttribute("data-question");
    if (box.getAttribute("data-kind") === "blank") {
      return Array.prototype.map.call(box.querySelectorAll("input[type=text]"), function (i) { return i.value; });
    }
    return Array.prototype.filter.call(box.querySelectorAll("input[name=q" + id + "]"), function (i) { return i.checked; })
      .map(function (i) { return i.value; });
  }

  function lock(box) {
    Array.prototype.forEach.call(box.querySelectorAll("input:not([type=hidden]), button"), function (i) { i.disabled = true; });
  }

  function send(box, attempt) {
    var id = box.getAttribute("data-question");
    var hidden = form.querySelector("input[name=k" + id + "]");
    var state = box.querySelector("[data-state]");
    var body = new URLSearchParams();
    body.append("question", id);
    body.append("key", hidden.value);
    given(box).forEach(function (g) { body.append("given", g); });
    state.textContent = "保存中…";
    fetch(url, {method: "POST", body: body, credentials: "same-origin",
                headers: {"X-CSRFToken": token, "Accept": "application/json"}})
      .then(function (r) { return r.json().then(function (data) { return {status: r.status, data: data}; }); })
      .then(function (res) {
        if (res.data.ok) {
          state.textContent = "已保存";
          box.classList.add("done");
          lock(box);
          if (challenge) { finished = true; window.location.reload(); }
        } else {
          state.textContent = res.data.message || "未保存";
          if (res.status === 409) lock(box);
        }
      })
      .catch(function () {
        // The same key: if the first request did arrive, the server answers as it did then.
        if (attempt < 5) {
          state.textContent = "网络不好，正在重试…";
          setTimeout(function () { send(box, attempt + 1); }, 800 * (attempt + 1));
        } else {
          state.textContent = "未能保存，交卷时会再次提交";
        }
      });
  }

  function changed(box) {
    var hidden = form.querySelector("input[name=k" + box.getAttribute("data-question") + "]");
    hidden.value = key();
    send(box, 0);
  }

  Array.prototype.forEach.call(form.querySelectorAll("fieldset.question"), function (box) {
    var kind = box.getAttribute("data-kind");
    if (kind === "single" || kind === "judge") {
      box.addEventListener("change", function () { changed(box); });
    }
    var save = box.querySelector(".save-blank");
    if (save) save.addEventListener("click", function () { changed(box); });
  });
  // 多选题 is saved when the member moves on: at the next question, or at hand-in.
  form.addEventListener("focusin", function (event) {
    Array.prototype.forEach.call(form.querySelectorAll("fieldset.question[data-kind=multiple]:not(.done)"), function (box) {
      if (!box.contains(event.target) && given(box).length && !box.querySelector("input[name^=k]").value) changed(box);
    });
  });
  form.addEventListener("submit", function () {
    finished = true;
    Array.prototype.forEach.call(form.querySelectorAll("fieldset.question input:disabled"), function (i) { i.disabled = false; });
  });

  var clock = form.querySelector("[data-remaining]");
  if (clock) {
    var ends = Date.now() + parseInt(clock.getAttribute("data-remaining"), 10) * 1000;
    var shown = clock.querySelector("[data-seconds]");
    var tick = function () {
      var left = Math.max(0, Math.ceil((ends - Date.now()) / 1000));
      shown.textContent = left;
      clock.classList.toggle("urgent", left <= 10);
      if (left === 0 && !finished) {
        finished = true;
        form.requestSubmit ? form.requestSubmit() : form.submit();
        return;
      }
      if (left > 0) setTimeout(tick, 250);
    };
    tick();
  }
})();
