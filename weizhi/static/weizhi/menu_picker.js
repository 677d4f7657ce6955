// 自定义菜单: picking a page or a reply fills the row's type and key/address; typing in
// them by hand clears the pick (the server lets a pick win over what was typed).
(function () {
  "use strict";
  document.querySelectorAll(".wz-menu-row").forEach(function (row) {
    var pick = row.querySelector(".wz-menu-pick");
    var type = row.querySelector('select[name$="_type"]');
    var value = row.querySelector('input[name$="_value"]');
    if (!pick || !type || !value) return;
    pick.addEventListener("change", function () {
      if (!pick.value) return;
      var at = pick.value.indexOf(":");
      type.value = pick.value.slice(0, at);
      value.value = pick.value.slice(at + 1);
      var name = row.querySelector('input[name$="_name"]');
      if (name && !name.value) {
        name.value = pick.options[pick.selectedIndex].text.replace(/（.*$/, "").slice(0, 8);
      }
    });
    [type, value].forEach(function (field) {
      field.addEventListener("input", function () { pick.value = ""; });
    });
  });
})();
