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

  fetch(foot.dataset.statsUrl, { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : {}; })
    .then(show)
    .catch(function () {});

  button.addEventListener("click", function () {
    if (button.getAttribute("aria-pressed") === "true") return;
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
