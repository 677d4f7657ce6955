// The host's screen: every few seconds, the current check-in code and the lists.
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root) return;
  function fill(list, rows, text) {
    list.replaceChildren.apply(list, rows.map(function (row) {
      var li = document.createElement("li");
      li.textContent = text(row);
      return li;
    }));
  }
  function refresh() {
    fetch(root.dataset.live, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        // The SVG is drawn by our own server from the code it signs: no user text in it.
        root.querySelector("[data-qr]").innerHTML = data.qr;
        fill(root.querySelector("[data-checked]"), data.checked, function (c) {
          return c.name + "（" + c.branch + "）" + c.at;
        });
        fill(root.querySelector("[data-missing]"), data.missing, function (m) {
          return m.name + "（" + m.branch + "）";
        });
        root.querySelector("[data-checked-count]").textContent = data.checked.length;
        root.querySelector("[data-missing-count]").textContent = data.missing.length;
      })
      .catch(function () { /* keep the last code on screen; the next poll tries again */ });
  }
  setInterval(refresh, 5000);
})();
