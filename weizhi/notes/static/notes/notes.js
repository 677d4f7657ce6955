// 动笔走心: the note form's checks before sending, and the gallery's lightbox. No library.
(function () {
  "use strict";

  function formChecks(form) {
    var max = parseInt(form.getAttribute("data-max"), 10) || 9;
    var input = form.querySelector("input[type=file]");
    var list = form.querySelector(".note-previews");
    var text = form.querySelector("textarea");
    var count = form.querySelector(".note-count");
    function showFiles() {
      list.textContent = "";
      var files = input.files || [];
      for (var i = 0; i < files.length; i++) {
        var li = document.createElement("li");
        li.textContent = (i + 1) + ". " + files[i].name + "（" + (files[i].size / 1048576).toFixed(1) + " MB）";
        list.appendChild(li);
      }
      input.setCustomValidity(files.length > max ? "最多选择 " + max + " 张照片" : "");
    }
    function showCount() { count.textContent = String(text.value.length); }
    input.addEventListener("change", showFiles);
    text.addEventListener("input", showCount);
    showCount();
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      button.textContent = "正在上传，请稍候…";
    });
  }

  function lightbox(box) {
    var img = box.querySelector("img");
    var counter = box.querySelector(".note-lb-count");
    var links = [];
    var at = 0;
    function show(i) {
      at = (i + links.length) % links.length;
      img.src = links[at].getAttribute("href");
      img.alt = links[at].querySelector("img").alt;
      counter.textContent = (at + 1) + " / " + links.length;
      box.classList.toggle("note-lb-single", links.length < 2);
    }
    function close() { box.hidden = true; img.removeAttribute("src"); document.body.classList.remove("note-lb-open"); }
    document.querySelectorAll("[data-lightbox]").forEach(function (group) {
      var own = Array.prototype.slice.call(group.querySelectorAll("a.note-photo"));
      own.forEach(function (link, i) {
        link.addEventListener("click", function (event) {
          event.preventDefault();
          links = own;
          box.hidden = false;
          document.body.classList.add("note-lb-open");
          show(i);
        });
      });
    });
    box.querySelector(".note-lb-prev").addEventListener("click", function () { show(at - 1); });
    box.querySelector(".note-lb-next").addEventListener("click", function () { show(at + 1); });
    box.querySelector(".note-lb-close").addEventListener("click", close);
    box.addEventListener("click", function (event) { if (event.target === box) { close(); } });
    document.addEventListener("keydown", function (event) {
      if (box.hidden) { return; }
      if (event.key === "Escape") { close(); }
      if (event.key === "ArrowLeft") { show(at - 1); }
      if (event.key === "ArrowRight") { show(at + 1); }
    });
    var startX = null;
    box.addEventListener("touchstart", function (event) { startX = event.touches[0].clientX; }, { passive: true });
    box.addEventListener("touchend", function (event) {
      if (startX === null) { return; }
      var dx = event.changedTouches[0].clientX - startX;
      if (Math.abs(dx) > 40) { show(dx < 0 ? at + 1 : at - 1); }
      startX = null;
    });
  }

  document.querySelectorAll("form.note-form").forEach(formChecks);
  var box = document.querySelector(".note-lightbox");
  if (box) { lightbox(box); }
})();
