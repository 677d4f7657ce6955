/* Show-if on the same page: a question whose condition names a question above it on this
   page is shown or hidden as the answers change. A hidden question's fieldset is disabled, so
   its inputs are not sent; the server decides again on submit and refuses answers to
   questions its own reading hides. Conditions come from the server as data-show-if: groups
   (any may hold) of clauses (all must hold); a clause about another page is already true or
   false. */
(function () {
  "use strict";

  function valuesOf(form, code) {
    var box = form.querySelector('fieldset.question[data-code="' + code + '"]');
    if (!box || box.disabled) return [];
    var out = [];
    box.querySelectorAll('input[name="' + code + '"], textarea[name="' + code + '"]').forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) out.push(el.value);
      } else if (el.value.trim() !== "") {
        out.push(el.value.trim());
      }
    });
    return out;
  }

  function holds(form, clause) {
    if (clause === true || clause === false) return clause;
    var got = valuesOf(form, clause.code);
    if (!got.length) return false;
    if (clause.op === ">=" || clause.op === "<=") {
      var a = parseFloat(got[0]), b = parseFloat(clause.values[0]);
      if (isNaN(a) || isNaN(b)) return false;
      return clause.op === ">=" ? a >= b : a <= b;
    }
    var hit = got.some(function (v) { return clause.values.indexOf(v) >= 0; });
    return clause.op === "=" ? hit : !hit;
  }

  function update(form) {
    /* In page order, so a question hidden above counts as unanswered below. */
    form.querySelectorAll("fieldset.question[data-show-if]").forEach(function (box) {
      var groups = JSON.parse(box.getAttribute("data-show-if"));
      var show = groups.some(function (group) {
        return group.every(function (clause) { return holds(form, clause); });
      });
      box.hidden = !show;
      box.disabled = !show;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("fieldset.question[data-show-if]")) return;
      form.addEventListener("change", function () { update(form); });
      form.addEventListener("input", function () { update(form); });
      update(form);
    });
  });
})();
