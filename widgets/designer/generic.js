/* Any other document kind: the form generated from its meta-schema, or the raw JSON. */
(function () {
  "use strict";
  var D = window.Designer, setup = D.setup;
  var doc = setup.document, form = null, raw = null;
  var problemsBox;
  function save() { D.changed(setup.address, function () { return doc; }, null); }

  D.editor = {current: function () { return doc; }, load: function (next, problems) {
    doc = next;
    form = new D.SchemaForm(document.querySelector("[data-dz-schema-form]"), setup.kind || "app", doc,
                            function (changed) { doc = changed; save(); });
    form.start().then(function () { form.mark(problems); });
    raw = D.rawEditor(document.querySelector("[data-dz-json]"), function () { return doc; },
                      function (next2) { doc = next2; form.doc = doc; save(); }, problemsBox);
    D.showProblems(problemsBox, problems);
  }};

  document.addEventListener("DOMContentLoaded", function () {
    problemsBox = document.querySelector("[data-dz-doc-problems]");
    document.querySelectorAll("[data-mode]").forEach(function (b) {
      b.addEventListener("click", function () {
        var json = b.getAttribute("data-mode") === "json";
        document.querySelectorAll("[data-mode]").forEach(function (x) { x.classList.toggle("on", x === b); });
        document.querySelector("[data-dz-json]").hidden = !json;
        document.querySelector("[data-dz-schema-form]").hidden = json;
        if (json) raw.refresh(); else form.render();
      });
    });
    var del = document.querySelector("[data-dz-delete-doc]");
    del.addEventListener("click", function () {
      if (!window.confirm(D.W.delete_document_confirm)) return;
      D.flush().then(function () {
        D.api(D.docUrl(setup.address), {method: "DELETE", ifMatch: true}).then(function (r) {
          if (r.ok) window.location.href = "/designer/drafts/" + D.draft.id;
          else window.alert(D.problemText(r.body));
        });
      });
    });
    D.editor.load(setup.document, []);
    D.trackProblems(setup.address, function (problems) { if (form) form.mark(problems); });
  });
}());
