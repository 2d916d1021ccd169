/* Link fields: search-as-you-type against /api/v1/<entity>?q=, keyboard and touch friendly.
 * Picking a record sets the hidden id input and fires "sunmao:link-picked" with the record,
 * which the form uses to fill other fields (e.g. a product's price into the order line). */
(function () {
  "use strict";
  var timers = new WeakMap();
  var latest = new WeakMap();

  function boxOf(el) { return el.closest("[data-link]"); }

  /* The suggestions are laid over the page (position: fixed under the input, or above it when
   * the window has no room below), so no scrolling table or following button can cover them. */
  function position(box) {
    var list = box.querySelector(".link-list");
    if (list.hidden) return;
    var rect = box.querySelector(".link-text").getBoundingClientRect();
    var below = window.innerHeight - rect.bottom;
    list.style.position = "fixed";
    list.style.left = Math.max(4, Math.min(rect.left, window.innerWidth - Math.max(rect.width, 240) - 4)) + "px";
    list.style.width = Math.max(rect.width, 240) + "px";
    list.style.right = "auto";
    if (below < 220 && rect.top > below) {
      list.style.top = "auto";
      list.style.bottom = (window.innerHeight - rect.top + 4) + "px";
    } else {
      list.style.bottom = "auto";
      list.style.top = (rect.bottom + 4) + "px";
    }
  }

  function reposition() {
    document.querySelectorAll("[data-link]").forEach(function (box) { position(box); });
  }
  window.addEventListener("scroll", reposition, true);
  window.addEventListener("resize", reposition);

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
    var hints = JSON.parse(box.getAttribute("data-hint") || "[]");
    list.innerHTML = "";
    items.forEach(function (item, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.tabIndex = -1;
      if (i === 0) li.classList.add("active");
      var strong = document.createElement("span");
      strong.textContent = String(item[titleKey] || item.name || ("#" + item.id));
      var small = document.createElement("small");
      // the number and what tells similar names apart (a customer's city and phone)
      small.textContent = [item.name].concat(hints.map(function (key) { return item[key]; })).filter(function (v) {
        return v !== null && v !== undefined && v !== "";
      }).join(" · ");
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
    // one suggestion list open at a time
    document.querySelectorAll(".link-list:not([hidden])").forEach(function (other) {
      if (other !== list) close(boxOf(other));
    });
    list.hidden = false;
    position(box);
    box.querySelector(".link-text").setAttribute("aria-expanded", "true");
  }

  /* A link declared with a link_filter ({their_field: our_field}) offers only the records whose
   * field equals this record's: looked up in the same grid row first, then in the form. */
  function sourceOf(box, key) {
    var row = box.closest("[data-row]");
    var scope = row ? [row, box.closest("form") || document] : [box.closest("form") || document];
    for (var i = 0; i < scope.length; i++) {
      var input = scope[i].querySelector('[data-field="' + key + '"]');
      if (input && input !== box.querySelector("[data-field]")) return input;
    }
    return null;
  }

  function filterOf(box) {
    var spec = box.getAttribute("data-filter");
    return spec ? JSON.parse(spec) : {};
  }

  function filterQuery(box) {
    var spec = filterOf(box);
    var query = "";
    Object.keys(spec).forEach(function (theirs) {
      var input = sourceOf(box, spec[theirs]);
      if (input && input.value !== "") query += "&" + encodeURIComponent(theirs) + "=" + encodeURIComponent(input.value);
    });
    return query;
  }

  // A field a filtered link is compared with changed: the picked record may no longer fit.
  document.addEventListener("change", function (event) {
    var key = event.target.getAttribute && event.target.getAttribute("data-field");
    if (!key) return;
    var form = event.target.closest("form") || document;
    form.querySelectorAll("[data-link][data-filter]").forEach(function (box) {
      var spec = filterOf(box);
      var hidden = box.querySelector("[data-field]");
      if (hidden === event.target || !hidden.value) return;
      var reads = Object.keys(spec).some(function (theirs) { return sourceOf(box, spec[theirs]) === event.target; });
      if (!reads) return;
      hidden.value = "";
      box.querySelector(".link-text").value = "";
      hidden.dispatchEvent(new Event("change", {bubbles: true}));
    });
  });

  function search(box) {
    var text = box.querySelector(".link-text").value.trim();
    var to = box.getAttribute("data-to");
    var url = "/api/v1/" + encodeURIComponent(to) + "?limit=8" + (text ? "&q=" + encodeURIComponent(text) : "") +
      filterQuery(box);
    var ticket = (latest.get(box) || 0) + 1;
    latest.set(box, ticket);
    Sunmao.api(url).then(function (r) {
      // Answers can arrive out of order: only the one for the latest keystroke is shown.
      if (latest.get(box) === ticket && r.ok && r.body) show(box, r.body.items || []);
    });
  }

  /* A pasted text → the one record it names (its title, number or a single search hit); picked
   * like a click. Resolves true when a record was picked. */
  function resolve(box, text) {
    var to = box.getAttribute("data-to");
    var titleKey = box.getAttribute("data-title");
    var url = "/api/v1/" + encodeURIComponent(to) + "?limit=5&q=" + encodeURIComponent(text) + filterQuery(box);
    return Sunmao.api(url).then(function (r) {
      var items = (r.ok && r.body && r.body.items) || [];
      var exact = items.filter(function (item) {
        return String(item[titleKey]) === text || item.name === text;
      });
      var item = exact.length === 1 ? exact[0] : (items.length === 1 ? items[0] : null);
      if (item) pick(box, item);
      return !!item;
    }).catch(function () { return false; });
  }
  window.SunmaoLink = {resolve: resolve};

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
