/* Sunmao shell: navigation toggle, confirmations, row links, select-all, and a JSON helper
 * that sends the CSRF token and the reader's language with every call. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var lang = document.body.getAttribute("data-lang") || "zh";

  function api(url, options) {
    options = options || {};
    var headers = {"Accept": "application/json", "Accept-Language": lang, "X-CSRFToken": meta ? meta.content : ""};
    if (options.json !== undefined) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: options.method || (options.json !== undefined ? "POST" : "GET"),
      headers: headers,
      credentials: "same-origin",
      body: options.json !== undefined ? JSON.stringify(options.json) : options.body
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var parse = type.indexOf("json") >= 0 ? response.json() : Promise.resolve(null);
      return parse.then(function (body) { return {status: response.status, ok: response.ok, body: body}; });
    });
  }

  window.Sunmao = {api: api, lang: lang, csrf: function () { return meta ? meta.content : ""; }};

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("nav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = nav.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    document.addEventListener("click", function (event) {
      var target = event.target.closest("[data-confirm]");
      if (target && !window.confirm(target.getAttribute("data-confirm"))) {
        event.preventDefault();
        return;
      }
      var row = event.target.closest("tr[data-href]");
      if (row && !event.target.closest("a, input, button, label")) {
        window.location.href = row.getAttribute("data-href");
      }
    });
    document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
    document.querySelectorAll("[data-check-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        box.closest("table").querySelectorAll('tbody input[type="checkbox"]').forEach(function (c) {
          c.checked = box.checked;
        });
      });
    });
  });
}());
