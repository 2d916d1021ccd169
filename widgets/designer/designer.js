/* Sunmao designer core: the API client (CSRF, language, the draft's rev as If-Match), the
 * autosave queue and its honest status line, undo/redo, and small DOM helpers the editors share.
 * "Saved" is shown only after the server answered 2xx for every pending change. */
(function () {
  "use strict";
  var node = document.getElementById("dz-setup");
  var setup = node ? JSON.parse(node.textContent) : {words: {}, lang: "zh", draft: null};
  var W = setup.words || {};
  var lang = setup.lang || "zh";
  var csrf = document.querySelector('meta[name="csrf-token"]');

  var D = {setup: setup, W: W, lang: lang, draft: setup.draft, rev: setup.draft ? setup.draft.rev : null,
           editors: {}, listeners: {}};
  window.Designer = D;

  D.fmt = function (text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (m, k) { return values && k in values ? values[k] : m; });
  };
  D.text = function (label) {
    if (!label) return "";
    if (typeof label === "string") return label;
    return label[lang] || label.zh || label.en || "";
  };
  D.on = function (name, fn) { (D.listeners[name] = D.listeners[name] || []).push(fn); };
  D.emit = function (name, data) { (D.listeners[name] || []).forEach(function (fn) { fn(data); }); };

  /* el("div", {class: "x", onclick: fn, text: "..."}, [children]) */
  D.el = function (tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === "text") e.textContent = v;
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), v);
      else if (k === "value") e.value = v;
      else if (k === "checked") e.checked = !!v;
      else e.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  };

  D.api = function (url, options) {
    options = options || {};
    var headers = {"Accept": "application/json", "Accept-Language": lang, "X-CSRFToken": csrf ? csrf.content : ""};
    if (options.json !== undefined) headers["Content-Type"] = "application/json";
    if (options.ifMatch && D.rev !== null) headers["If-Match"] = '"' + D.rev + '"';
    return fetch(url, {method: options.method || (options.json !== undefined || options.body ? "POST" : "GET"),
                       headers: headers, credentials: "same-origin",
                       body: options.json !== undefined ? JSON.stringify(options.json) : options.body})
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        var parse = type.indexOf("json") >= 0 ? response.json() : Promise.resolve(null);
        return parse.then(function (body) {
          if (body && typeof body.rev === "number" && response.ok) D.setRev(body.rev, body);
          return {status: response.status, ok: response.ok, body: body};
        });
      });
  };
  D.draftUrl = function (rest) { return "/api/v1/_design/drafts/" + D.draft.id + (rest || ""); };
  D.docUrl = function (address) { return D.draftUrl("/documents/" + address); };
  D.problemText = function (body) {
    if (!body) return "";
    var out = body.detail || body.title || "";
    if (body.errors) {
      Object.keys(body.errors).forEach(function (k) { out += " " + k + ": " + body.errors[k].join(" "); });
    }
    return out;
  };

  /* Small form parts the editors share: a labelled control, a text input calling back on input,
   * the options of a select (labels optional). */
  D.labelled = function (label, input) { return D.el("label", {"class": "dz-l"}, [label, input]); };
  D.textInput = function (value, attrs, onInput) {
    var i = D.el("input", Object.assign({type: "text", value: value === undefined || value === null ? "" : value}, attrs || {}));
    i.addEventListener("input", function () { onInput(i.value); });
    return i;
  };
  D.options = function (values, current, labels) {
    return values.map(function (v, i) { return D.el("option", {value: v, text: labels ? labels[i] : (v || "—"), selected: v === current}); });
  };

  /* A new document of a draft made from an editor's first form (the channel and webhook designers):
   * the key checked, both labels filled, saved at <app>/<folder>/<key>.json, then opened. */
  D.createDocument = function (doc, folder, summary, error, badKey) {
    if (!/^[a-z][a-z0-9_]{0,39}$/.test(doc.key || "")) { error.textContent = badKey; return; }
    doc.label = doc.label || {};
    if (!doc.label.zh) doc.label.zh = doc.label.en || doc.key;
    if (!doc.label.en) doc.label.en = doc.label.zh;
    var where = (setup.apps || [])[0] + "/" + folder + "/" + doc.key + ".json";
    D.api(D.docUrl(where), {method: "PUT", json: {document: doc, summary: summary}, ifMatch: true}).then(function (r) {
      if (!r.ok) { error.textContent = D.problemText(r.body); return; }
      window.location.href = "/designer/drafts/" + D.draft.id + "/doc/" + where;
    });
  };

  /* Whether a named secret is set (never its value), shown on a chip with data-set="1|0". */
  D.showSecret = function (state, set) {
    state.textContent = set ? (lang === "en" ? "set ✓" : "已设置 ✓") : (lang === "en" ? "not set" : "未设置");
    state.setAttribute("data-set", set ? "1" : "0");
  };
  D.refreshSecret = function (name, state) {
    if (!/^[a-z][a-z0-9_]{1,63}$/.test(name || "")) { D.showSecret(state, false); return; }
    D.api("/api/v1/_design/secrets/" + name).then(function (r) { if (r.ok) D.showSecret(state, r.body.set); });
  };

  // -- status, undo and redo ------------------------------------------------------------------
  var status = document.querySelector("[data-dz-status]");
  var undoButton = document.querySelector("[data-dz-undo]");
  var redoButton = document.querySelector("[data-dz-redo]");
  function show(kind, text, action) {
    if (!status) return;
    status.className = "dz-status " + kind;
    status.textContent = text;
    status.setAttribute("data-state", kind);
    if (action) status.appendChild(D.el("button", {"class": "link", type: "button", text: " " + action.label,
                                                  onclick: action.run}));
  }
  D.setRev = function (rev, body) {
    D.rev = rev;
    if (body && "can_undo" in body) {
      if (undoButton) undoButton.disabled = !body.can_undo;
      if (redoButton) redoButton.disabled = !body.can_redo;
    }
  };
  if (D.draft) D.setRev(D.draft.rev, D.draft);

  // -- the autosave queue ------------------------------------------------------------------------
  var pending = {};      // address -> {get: fn -> document, summary}
  var order = [];
  var timer = null, saving = false, failed = false, retryTimer = null;
  D.dirty = function () { return saving || order.length > 0 || failed; };

  D.changed = function (address, get, summary) {
    if (!(address in pending)) order.push(address);
    pending[address] = {get: get, summary: summary};
    failed = false;
    show("dirty", W.unsaved);
    clearTimeout(timer);
    timer = setTimeout(D.flush, 700);
  };

  /* Something the person typed cannot be saved as it is (e.g. JSON that does not parse). */
  D.blocked = function (message) {
    failed = true;
    show("failed", W.save_failed + "：" + message);
  };

  D.flush = function () {
    clearTimeout(timer);
    if (saving) return D._current;
    if (!order.length) return Promise.resolve(true);
    var address = order.shift();
    var item = pending[address];
    delete pending[address];
    saving = true;
    show("saving", W.saving);
    var body = {document: item.get()};
    if (item.summary) body.summary = item.summary;
    D._current = D.api(D.docUrl(address), {method: "PUT", json: body, ifMatch: true}).then(function (r) {
      saving = false;
      if (r.ok) {
        D.emit("saved", {address: address, body: r.body});
        if (order.length) return D.flush();
        failed = false;
        show("saved", W.saved + " ✓ · #" + D.rev);
        return true;
      }
      if (!(address in pending)) { order.unshift(address); pending[address] = item; }
      failed = true;
      if (r.status === 412) {
        show("failed", W.save_failed + "：" + W.moved_elsewhere, {label: W.reload, run: function () {
          window.location.reload(); }});
      } else {
        show("failed", W.save_failed + "：" + D.problemText(r.body), {label: W.retry, run: D.flush});
      }
      return false;
    }, function () {
      saving = false;
      if (!(address in pending)) { order.unshift(address); pending[address] = item; }
      failed = true;
      show("failed", W.save_failed + "：" + W.offline, {label: W.retry, run: D.flush});
      clearTimeout(retryTimer);
      retryTimer = setTimeout(D.flush, 5000);
      return false;
    });
    return D._current;
  };

  window.addEventListener("beforeunload", function (event) {
    if (D.dirty()) { event.preventDefault(); event.returnValue = W.leave_unsaved; return W.leave_unsaved; }
  });

  /* After undo, redo or an operation the documents changed on the server: editors reload. */
  D.reload = function () {
    var address = setup.address;
    if (!address || !D.editor) { window.location.reload(); return Promise.resolve(); }
    return D.api(D.docUrl(address)).then(function (r) {
      if (r.status === 404) { window.location.href = "/designer/drafts/" + D.draft.id; return; }
      if (r.ok) D.editor.load(r.body.document, r.body.problems || []);
    });
  };
  function replay(which) {
    D.flush().then(function (ok) {
      if (ok === false) return;
      show("saving", W.saving);
      D.api(D.draftUrl("/" + which), {json: {}, ifMatch: true}).then(function (r) {
        if (!r.ok) { show("failed", W.save_failed + "：" + D.problemText(r.body)); return; }
        D.setRev(r.body.rev, r.body);
        show("saved", (r.body.edit ? D.text(r.body.edit.summary) + " · " : "") + W.saved + " ✓ · #" + D.rev);
        D.reload();
      });
    });
  }
  if (undoButton) undoButton.addEventListener("click", function () { replay("undo"); });
  if (redoButton) redoButton.addEventListener("click", function () { replay("redo"); });
  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== "z" || !D.draft) return;
    var t = event.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
    event.preventDefault();
    replay(event.shiftKey ? "redo" : "undo");
  });
  var check = document.querySelector("[data-dz-check]");
  if (check) check.addEventListener("click", function (event) {
    if (!D.dirty()) return;
    event.preventDefault();
    D.flush().then(function (ok) { if (ok !== false) window.location.href = check.href; });
  });

  D.operation = function (body) {
    return D.flush().then(function () {
      return D.api(D.draftUrl("/operations"), {json: body, ifMatch: true});
    });
  };

  /* A JSONLogic editor with field-name completion: after `"var": "` it offers the keys given. */
  D.formula = function (value, keys, onChange, path) {
    var wrap = D.el("div", {"class": "dz-formula"});
    var area = D.el("textarea", {rows: 4, spellcheck: "false", "data-path": path || null, "data-dz-formula": "",
                                 value: value === undefined || value === null ? "" : JSON.stringify(value)});
    var error = D.el("div", {"class": "dz-error"});
    var menu = D.el("div", {"class": "dz-suggest", hidden: true});
    var choices = [], active = 0;
    wrap.appendChild(area); wrap.appendChild(menu); wrap.appendChild(error);
    function typed() {
      var before = area.value.slice(0, area.selectionStart);
      var m = /"var"\s*:\s*\[?\s*"([A-Za-z0-9_.$]*)$/.exec(before);
      return m ? m[1] : null;
    }
    function close() { menu.hidden = true; choices = []; }
    function pick(key) {
      var start = area.selectionStart, prefix = typed() || "";
      area.value = area.value.slice(0, start - prefix.length) + key + area.value.slice(start);
      area.selectionStart = area.selectionEnd = start - prefix.length + key.length;
      close(); area.focus(); changed();
    }
    function suggest() {
      var prefix = typed();
      if (prefix === null) { close(); return; }
      choices = keys.filter(function (k) { return k.indexOf(prefix) === 0; }).slice(0, 30);
      if (!choices.length) { close(); return; }
      active = 0;
      menu.innerHTML = "";
      choices.forEach(function (k, i) {
        menu.appendChild(D.el("div", {"class": i === 0 ? "on" : "", text: k, "data-key": k,
          onmousedown: function (e) { e.preventDefault(); pick(k); }}));
      });
      menu.style.left = "8px"; menu.style.top = (area.offsetHeight + 2) + "px";
      menu.hidden = false;
    }
    function changed() {
      var text = area.value.trim();
      if (!text) { area.classList.remove("bad"); error.textContent = ""; onChange(undefined); return; }
      try {
        var parsed = JSON.parse(text);
        area.classList.remove("bad"); error.textContent = "";
        onChange(parsed);
      } catch (e) {
        area.classList.add("bad"); error.textContent = W.invalid_json + "：" + e.message;
        D.blocked(W.invalid_json);
      }
    }
    area.addEventListener("input", function () { suggest(); changed(); });
    area.addEventListener("blur", function () { setTimeout(close, 150); });
    area.addEventListener("keydown", function (e) {
      if (menu.hidden) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : choices.length - 1)) % choices.length;
        Array.prototype.forEach.call(menu.children, function (c, i) { c.className = i === active ? "on" : ""; });
      } else if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault(); pick(choices[active]);
      } else if (e.key === "Escape") { close(); }
    });
    if (D.ruleBuilderFor) D.ruleBuilderFor(wrap, area);  // rulebuilder.js, where the page loads it
    return wrap;
  };

  /* Field keys a rule over ``entityKey`` may read: its fields, and link.field / table.field paths. */
  D.ruleKeys = function (entityKey, fields) {
    var ents = {};
    (setup.entities || []).forEach(function (e) { ents[e.key] = e; });
    var keys = [];
    (fields || (ents[entityKey] || {}).fields || []).forEach(function (f) {
      keys.push(f.key);
      var target = ents[f.to || f.of || ""];
      if (target && (f.type === "link" || f.type === "table")) {
        target.fields.forEach(function (s) { keys.push(f.key + "." + s.key); });
      }
    });
    return keys.concat(["id", "name", "created_at", "updated_at"]);
  };

  // -- the documents sidebar -------------------------------------------------------------------
  var search = document.querySelector("[data-dz-doc-search]");
  if (search) search.addEventListener("input", function () {
    var q = search.value.trim().toLowerCase();
    document.querySelectorAll("[data-dz-doc]").forEach(function (a) {
      a.hidden = q !== "" && a.getAttribute("data-dz-doc").toLowerCase().indexOf(q) < 0;
    });
  });

  /* A document's problems, shown after every save of it (and once at the start). */
  D.trackProblems = function (address, onProblems) {
    var box = document.querySelector("[data-dz-doc-problems]");
    function show(problems) { D.showProblems(box, problems); if (onProblems) onProblems(problems); }
    D.on("saved", function (event) { if (event.address === address) show(event.body.problems); });
    D.api(D.docUrl(address)).then(function (r) { if (r.ok) show(r.body.problems); });
  };

  /* Problems at their paths: a list; editors may also mark their inputs ([data-path]). */
  D.showProblems = function (box, problems) {
    if (!box) return;
    box.innerHTML = "";
    if (!problems || !problems.length) { box.appendChild(D.el("p", {"class": "ok", text: W.no_problems})); return; }
    var list = D.el("ul", {"class": "dz-problems"});
    problems.forEach(function (p) {
      list.appendChild(D.el("li", {}, [D.el("code", {text: p.path}), " ", p.message,
        p.document && p.document !== setup.address ? D.el("small", {"class": "muted", text: " · " + p.document}) : null]));
    });
    box.appendChild(list);
  };
}());
