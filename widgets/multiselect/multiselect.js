/* Compact multi-select in grid rows: the summary shows the chosen labels. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var drop = event.target.closest(".multi-drop");
    if (!drop) return;
    var labels = Array.prototype.map.call(drop.querySelectorAll("input:checked"), function (c) {
      return c.parentNode.textContent.trim();
    });
    drop.querySelector("summary").textContent = labels.length ? labels.join(Sunmao.lang === "en" ? ", " : "、") : "—";
  });
}());
