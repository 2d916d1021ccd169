/* A scan page: one POST per scan; the server matches the code and takes the scan view's action.
 * The input keeps focus so a USB scanner (keyboard + Enter) can scan package after package. */
(function () {
  "use strict";

  function init() {
    var root = document.querySelector("[data-scan]");
    if (!root) return;
    var form = root.querySelector("[data-scan-form]");
    var input = root.querySelector(".scan-input");
    var result = root.querySelector("[data-result]");
    var log = root.querySelector("[data-log]");
    var busy = false;

    function show(ok, r) {
      var body = r.body || {};
      result.hidden = false;
      result.className = "scan-result " + (ok ? "ok" : "blocked");
      result.querySelector("[data-result-title]").textContent = body.message || body.detail || body.title || "";
      var link = result.querySelector("[data-result-link]");
      if (body.matched) {
        var title = body.matched.title && body.matched.title !== body.matched.name ? " " + body.matched.title : "";
        link.textContent = body.matched.name + title;
        link.href = body.matched.url;
      } else {
        link.textContent = "";
        link.removeAttribute("href");
      }
      var label = result.querySelector("[data-result-label]");
      if (ok && body.label_url) {  // the shipping label PDF: open it to print
        label.href = body.label_url;
        label.textContent = body.label_text || "PDF";
        label.hidden = false;
      } else {
        label.hidden = true;
        label.removeAttribute("href");
      }
      var reasons = result.querySelector("[data-result-reasons]");
      reasons.innerHTML = "";
      var items = body.reasons || [];
      Object.keys(body.errors || {}).forEach(function (k) { items = items.concat(body.errors[k]); });
      items.forEach(function (text) {
        var li = document.createElement("li");
        li.textContent = text;
        reasons.appendChild(li);
      });
      var entry = document.createElement("li");
      entry.className = ok ? "ok" : "blocked";
      entry.textContent = new Date().toLocaleTimeString() + "  " + (body.matched ? body.matched.name : "") + "  " +
        (body.message || body.detail || body.title || "");
      log.insertBefore(entry, log.firstChild);
      if (navigator.vibrate) navigator.vibrate(ok ? 60 : [60, 60, 60]);
    }

    function submit(code) {
      if (busy || !code) return;
      busy = true;
      var packages = form.querySelector("[name=packages]");
      var weight = form.querySelector("[name=weight]");
      var payload = {code: code, action: root.getAttribute("data-action"), view: root.getAttribute("data-view"),
                     packages: packages ? packages.value : 1, weight: weight ? weight.value.trim() : ""};
      Sunmao.api("/app/scan", {json: payload}).then(function (r) {
        busy = false;
        show(r.ok, r);
        input.value = "";
        if (r.ok && weight) weight.value = "";  // the next parcel has its own weight
        input.focus();
      }).catch(function () { busy = false; });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit(input.value.trim());
    });

    var camera = root.querySelector("[data-camera]");
    if ("BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      camera.hidden = false;
      camera.addEventListener("click", function () {
        var video = root.querySelector("[data-video]");
        var detector = new window.BarcodeDetector({formats: ["code_128", "qr_code", "ean_13", "code_39"]});
        navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (stream) {
          video.srcObject = stream;
          video.hidden = false;
          video.play();
          var last = "";
          var timer = setInterval(function () {
            detector.detect(video).then(function (codes) {
              if (codes.length && codes[0].rawValue !== last) {
                last = codes[0].rawValue;
                input.value = last;
                submit(last);
              }
            }).catch(function () {});
          }, 300);
          camera.onclick = function () {
            clearInterval(timer);
            stream.getTracks().forEach(function (t) { t.stop(); });
            video.hidden = true;
          };
        }).catch(function () { camera.hidden = true; });
      });
    }
    input.focus();
  }

  document.addEventListener("DOMContentLoaded", init);
}());
