/* Attachments: upload the chosen file to /api/v1/files (the session's CSRF token rides along),
 * then keep the returned file id in the field (forms) or in the comment's file list (record page). */
(function () {
  "use strict";

  function upload(file) {
    var data = new FormData();
    data.append("file", file);
    return Sunmao.api("/api/v1/files", {method: "POST", body: data});
  }

  window.SunmaoUpload = upload;

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-attach-input]")) return;
    var box = input.closest("[data-attach]");
    var name = box.querySelector(".attach-name");
    if (!input.files.length) return;
    name.textContent = "…";
    upload(input.files[0]).then(function (r) {
      if (!r.ok) {
        name.textContent = (r.body && (r.body.detail || r.body.title)) || "×";
        return;
      }
      var hidden = box.querySelector("[data-field]");
      if (hidden) {
        hidden.value = r.body.id;
        hidden.dispatchEvent(new Event("change", {bubbles: true}));
      }
      var list = box.querySelector("[data-files]");
      if (list) {
        var files = JSON.parse(list.value || "[]");
        files.push({id: r.body.id, name: r.body.name});
        list.value = JSON.stringify(files);
      }
      name.textContent = r.body.name;
    });
  });
}());
