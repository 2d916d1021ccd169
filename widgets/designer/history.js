/* History: what changed between any two versions, rollback to one, take back one document's change. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var D = window.Designer, W = D.W;
    var result = document.querySelector("[data-dz-diff-result]");
    function toDraft(r) {
      if (r.ok) window.location.href = "/designer/drafts/" + r.body.id + "/check";
      else window.alert(D.problemText(r.body));
    }
    function show(from, to) {
      result.innerHTML = "…";
      D.api("/api/v1/_design/revisions/" + from + "/diff/" + to).then(function (r) {
        result.innerHTML = "";
        if (!r.ok) { result.textContent = D.problemText(r.body); return; }
        result.appendChild(D.el("h3", {text: "v" + from + " → v" + to}));
        if (!r.body.documents.length) result.appendChild(D.el("p", {"class": "muted", text: W.no_diff}));
        r.body.documents.forEach(function (d) {
          var revert = to === from + 1 ? D.el("button", {"class": "btn", type: "button", text: W.revert_doc,
            "data-dz-revert": d.document, onclick: function () {
              D.api("/api/v1/_design/revisions/" + to + "/revert", {json: {document: d.document}}).then(toDraft);
            }}) : null;
          result.appendChild(D.el("div", {"class": "dz-diff", "data-diff-doc": d.document}, [
            D.el("h3", {}, [D.text(d.title) + " ", D.el("small", {"class": "muted", text: d.document}), " ", revert]),
            D.el("ul", {}, d.lines.map(function (line) {
              return D.el("li", {"class": "dz-line " + line.action}, [line[D.lang] + " ", D.el("code", {"class": "muted small", text: line.path})]);
            }))]));
        });
      });
    }
    document.querySelectorAll("[data-dz-diff]").forEach(function (b) {
      b.addEventListener("click", function () {
        var pair = b.getAttribute("data-dz-diff").split(":");
        show(parseInt(pair[0], 10), parseInt(pair[1], 10));
      });
    });
    document.querySelectorAll("[data-dz-rollback]").forEach(function (b) {
      b.addEventListener("click", function () {
        D.api("/api/v1/_design/revisions/" + b.getAttribute("data-dz-rollback") + "/rollback", {json: {}}).then(toDraft);
      });
    });
    var compare = document.querySelector("[data-dz-compare]");
    compare.addEventListener("submit", function (e) {
      e.preventDefault();
      show(parseInt(compare.from.value, 10), parseInt(compare.to.value, 10));
    });
    var first = document.querySelector("[data-dz-diff]");
    if (first) first.click();
  });
}());
