/* Link fields: search-as-you-type against /api/v1/<entity>?q=, keyboard and touch friendly.
 * Picking a record sets the hidden id input and fires "sunmao:link-picked" with the record,
 * which the form uses to fill other fields (e.g. a product's price into the order line). */
(function () {
  "use strict";
  var timers = new WeakMap();
  var latest = new WeakMap();

  function boxOf(el) { return el.closest("[data-link]"); }

  function close(box) {
    var list = box.querySelector(".link-list");
    list.hidden = true;
    list.innerHTML = "";
    box.querySelector(".link-text").setAttribute("aria-expanded", "false");
  }

  function pick(box, item) {
    var hidden = box.querySelector("[data-field]");
    var text = box.querySelector(".link-text");
    var titleKey = box.getAttribute("data-title");
    hidden.value = String(item.id);
    text.value = String(item[titleKey] || item.name || ("#" + item.id));
    close(box);
    hidden.dispatchEvent(new Event("change", {bubbles: true}));
    box.dispatchEvent(new CustomEvent("sunmao:link-picked", {bubbles: true, detail: {item: item}}));
  }

  function show(box, items) {
    var list = box.querySelector(".link-list");
    var titleKey = box.getAttribute("data-title");
    list.innerHTML = "";
    items.forEach(function (item, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.tabIndex = -1;
      if (i === 0) li.classList.add("active");
      var strong = document.createElement("span");
      strong.textContent = String(item[titleKey] || item.name || ("#" + item.id));
      var small = document.createElement("small");
      small.textContent = item.name || "";
      li.appendChild(strong);
      li.appendChild(small);
      li.addEventListener("mousedown", function (event) { event.preventDefault(); pick(box, item); });
      li._item = item;
      list.appendChild(li);
    });
    if (!items.length) {
      var none = document.createElement("li");
      none.className = "none";
      none.textContent = Sunmao.lang === "en" ? "No match" : "没有匹配的记录";
      list.appendChild(none);
    }
    list.hidden = false;
    box.querySelector(".link-text").setAttribute("aria-expanded", "true");
  }

  function search(box) {
    var text = box.querySelector(".link-text").value.trim();
    var to = box.getAttribute("data-to");
    var url = "/api/v1/" + encodeURIComponent(to) + "?limit=8" + (text ? "&q=" + encodeURIComponent(text) : "");
    var ticket = (latest.get(box) || 0) + 1;
    latest.set(box, ticket);
    Sunmao.api(url).then(function (r) {
      // Answers can arrive out of order: only the one for the latest keystroke is shown.
      if (latest.get(box) === ticket && r.ok && r.body) show(box, r.body.items || []);
    });
  }

  document.addEventListener("input", function (event) {
    if (!event.target.classList.contains("link-text")) return;
    var box = boxOf(event.target);
    close(box);
    latest.set(box, (latest.get(box) || 0) + 1);
    if (!event.target.value.trim()) {
      var hidden = box.querySelector("[data-field]");
      hidden.value = "";
      hidden.dispatchEvent(new Event("change", {bubbles: true}));
    }
    clearTimeout(timers.get(box));
    timers.set(box, setTimeout(function () { search(box); }, 180));
  });

  document.addEventListener("focusin", function (event) {
    if (event.target.classList && event.target.classList.contains("link-text")) {
      var box = boxOf(event.target);
      if (!box.querySelector("[data-field]").value) search(box);
    }
  });

  document.addEventListener("focusout", function (event) {
    if (event.target.classList && event.target.classList.contains("link-text")) {
      var box = boxOf(event.target);
      setTimeout(function () { close(box); }, 150);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (!event.target.classList || !event.target.classList.contains("link-text")) return;
    var box = boxOf(event.target);
    var list = box.querySelector(".link-list");
    if (list.hidden) return;
    var options = Array.prototype.slice.call(list.querySelectorAll("li[role=option]"));
    var current = options.findIndex(function (li) { return li.classList.contains("active"); });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!options.length) return;
      var next = (current + (event.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
      options.forEach(function (li) { li.classList.remove("active"); });
      options[next].classList.add("active");
      options[next].scrollIntoView({block: "nearest"});
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (current >= 0) pick(box, options[current]._item);
    } else if (event.key === "Escape") {
      close(box);
    }
  });
}());
