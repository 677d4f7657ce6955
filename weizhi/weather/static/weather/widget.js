// Fills the weather box from our own endpoint after the page is shown; asks again, a little
// later each time, while another request is fetching the forecast (answer 202).
(function () {
  "use strict";
  var box = document.querySelector("[data-weather-url]");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-weather-url");
  var tries = 0;
  function load() {
    tries += 1;
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.text().then(function (html) {
          box.innerHTML = html;
          if (response.status === 202 && tries < 5) setTimeout(load, 1500 * tries);
        });
      })
      .catch(function () {
        box.innerHTML = '<p class="weather-off">天气暂时无法显示。</p>';
      });
  }
  load();
})();
