/* Draft overview: the draft's problems, found by the API (the same check the publish makes first). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var D = window.Designer;
    var box = document.querySelector("[data-dz-problems]");
    D.api(D.draftUrl("")).then(function (r) {
      if (!r.ok) { box.textContent = D.problemText(r.body); return; }
      D.showProblems(box, r.body.problems);
    });
  });
}());
