/* Designer home: start a draft, discard one, import a package as a draft. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var D = window.Designer;
    var form = document.querySelector("[data-dz-new-draft]");
    if (form) form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      D.api("/api/v1/_design/drafts", {json: {title: form.title.value}}).then(function (r) {
        button.disabled = false;
        if (r.ok) window.location.href = "/designer/drafts/" + r.body.id;
        else window.alert(D.problemText(r.body));
      });
    });
    document.querySelectorAll("[data-dz-discard]").forEach(function (button) {
      button.addEventListener("click", function () {
        if (!window.confirm(D.W.discard_confirm)) return;
        D.api("/api/v1/_design/drafts/" + button.getAttribute("data-dz-discard"), {method: "DELETE"})
          .then(function (r) { if (r.ok) window.location.reload(); else window.alert(D.problemText(r.body)); });
      });
    });
    var upload = document.querySelector("[data-dz-import]");
    if (upload) upload.addEventListener("submit", function (event) {
      event.preventDefault();
      var error = upload.querySelector("[data-dz-import-error]");
      var data = new FormData();
      data.append("file", upload.file.files[0]);
      D.api("/api/v1/_design/packages/import", {body: data}).then(function (r) {
        if (r.ok) { window.location.href = "/designer/drafts/" + r.body.id + "/check"; return; }
        error.hidden = false;
        error.textContent = D.problemText(r.body);
      });
    });
  });
}());
