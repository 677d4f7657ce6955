// Forms that ask before they are sent (data-confirm), instead of an inline onsubmit, which the
// Content-Security-Policy forbids.
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
})();

// Live read/like counts and the like button for story pages, which are served from cache.
(function () {
  "use strict";
  var foot = document.querySelector(".story-foot");
  if (!foot) return;
  var button = foot.querySelector(".like");
  var likes = foot.querySelector("[data-likes]");
  var reads = foot.querySelector("[data-reads]");

  function show(data) {
    if (typeof data.reads === "number") reads.textContent = data.reads;
    if (typeof data.likes === "number") likes.textContent = data.likes;
    if (data.liked) button.setAttribute("aria-pressed", "true");
  }

  // A like sent before the page's own count arrives wins: that count was taken before the like,
  // and showing it after would put the number back.
  var liking = false;
  fetch(foot.dataset.statsUrl, { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : {}; })
    .then(function (data) {
      if (liking) { delete data.likes; delete data.liked; }
      show(data);
    })
    .catch(function () {});

  button.addEventListener("click", function () {
    if (button.getAttribute("aria-pressed") === "true") return;
    liking = true;
    button.disabled = true;
    fetch(button.dataset.likeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.error) { alert(data.error); return; }
        show(data);
      })
      .catch(function () { alert("网络不太好，请稍后再试。"); })
      .then(function () { button.disabled = false; });
  });
})();

// A video that cannot play says so, instead of a black box that never starts.
(function () {
  "use strict";
  function fail(video) {
    var note = video.parentNode.querySelector(".video-error");
    if (note) note.hidden = false;
    video.classList.add("broken");
  }
  document.querySelectorAll(".video video").forEach(function (video) {
    if (video.error) fail(video);
    video.addEventListener("error", function () { fail(video); });
  });
})();

// The active column tab scrolled into view: the later columns sit off screen on a phone.
(function () {
  "use strict";
  var active = document.querySelector(".tabs a.on");
  if (active && active.scrollIntoView) active.scrollIntoView({ inline: "center", block: "nearest" });
})();

// Points for reading: tell the server the article opened and, after the rule's minimum time
// on the page, that it was read; it checks the time itself and awards once a day per article.
(function () {
  "use strict";
  var foot = document.querySelector(".story-foot[data-read-url]");
  if (!foot || !window.fetch) return;
  function report(phase) {
    return fetch(foot.dataset.readUrl, {
      method: "POST", credentials: "same-origin", body: new URLSearchParams({phase: phase}),
      headers: { "X-Requested-With": "fetch" }
    }).then(function (r) { return r.json(); });
  }
  report("start").then(function (data) {
    if (!data.award) return;
    setTimeout(function () { report("done").catch(function () {}); }, (data.after || 0) * 1000 + 500);
  }).catch(function () {});
})();
