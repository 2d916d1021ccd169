/* The live preview beside an editor: the real screen rendered from the draft, as a chosen role,
 * reloaded after every save that succeeded. */
(function () {
  "use strict";
  var D = window.Designer;
  D.preview = function (path) {
    var frame = document.querySelector("[data-dz-preview]");
    var role = document.querySelector("[data-dz-preview-role]");
    var sample = document.querySelector("[data-dz-preview-sample]");
    var timer = null;
    role.appendChild(D.el("option", {value: "", text: "—"}));
    (D.setup.roles || []).forEach(function (r) {
      role.appendChild(D.el("option", {value: r.key, text: D.text(r.label), selected: r.key === D.setup.preview_role}));
    });
    function load() {
      var url = path() + "?role=" + encodeURIComponent(role.value) + "&sample=" + (sample && !sample.checked ? "0" : "1") +
        "&rev=" + D.rev;
      frame.src = url;
    }
    function soon() { clearTimeout(timer); timer = setTimeout(load, 300); }
    role.addEventListener("change", load);
    if (sample) sample.addEventListener("change", load);
    document.querySelector("[data-dz-preview-refresh]").addEventListener("click", load);
    D.on("saved", soon);
    load();
    return {reload: soon};
  };
}());
