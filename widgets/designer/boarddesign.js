/* The board editor: a dashboard document's grid with every widget drawn at its place and previewed
 * on the real data (POST .../preview/widget: the dashboards' own SQL and figures, as the reader);
 * add, move and resize widgets with the mouse or the keyboard (arrows move, Shift+arrows resize)
 * or the number inputs; pick the entity, measures, grouping, sort and chart type in the side panel.
 * Every change is an edit of the document through the designer's autosave (undo, check, publish). */
(function () {
  "use strict";
  var D = window.Designer, W = D.W, setup = D.setup;
  var address = setup.address;
  var doc, selected = null;
  var ROW = 84, GAP = 12;
  var TYPES = ["number", "bar", "line", "area", "pie", "funnel", "table", "gauge", "heatmap", "map"];
  var GROUPED = ["bar", "line", "area", "pie", "funnel", "heatmap", "map", "table"];
  var OPS = ["count", "sum", "avg", "min", "max", "count_distinct"];
  var NUMERIC = ["integer", "decimal"], DATED = ["date", "datetime"];
  var OP_WORDS = {count: ["数量", "Count"], sum: ["合计", "Sum of"], avg: ["平均", "Average"],
                  min: ["最小", "Lowest"], max: ["最大", "Highest"], count_distinct: ["不同的", "Distinct"]};
  var grid = document.querySelector("[data-dz-board-grid]");
  var panel = document.querySelector("[data-dz-widget-panel]");
  var timers = {}, failures = {};

  function widgets() { return doc.widgets || (doc.widgets = []); }
  function current() { return widgets().filter(function (w) { return w.id === selected; })[0] || null; }
  function columns() { return doc.columns || 12; }
  function fieldsOf(entity) { return (setup.board_fields || {})[entity] || []; }
  function fieldOf(entity, path) { return fieldsOf(entity).filter(function (f) { return f.path === path; })[0]; }
  function measureFields(op) {
    return function (f) {
      if (op === "sum" || op === "avg") return NUMERIC.indexOf(f.type) >= 0;
      if (op === "min" || op === "max") return NUMERIC.indexOf(f.type) >= 0 || DATED.indexOf(f.type) >= 0;
      return f.type !== "json";
    };
  }
  function groupable(f) { return ["json", "text"].indexOf(f.type) < 0; }
  function save(summary, widget, previewAgain) {
    D.changed(address, function () { return doc; }, summary);
    if (widget && previewAgain !== false) preview(widget);
  }
  function labelled(w, zh, en) { return {zh: zh + "：" + (w.title.zh || w.id), en: en + ": " + (w.title.en || w.id)}; }

  // -- the grid --------------------------------------------------------------------------------
  function rows() { return widgets().reduce(function (m, w) { return Math.max(m, (w.y || 0) + (w.h || 3)); }, 0) + 2; }
  function place(cell, w) {
    cell.style.setProperty("--x", (w.x || 0) + 1); cell.style.setProperty("--y", (w.y || 0) + 1);
    cell.style.setProperty("--w", w.w || 4); cell.style.setProperty("--h", w.h || 3);
  }
  function cellOf(id) { return grid.querySelector('[data-dz-cell="' + id + '"]'); }

  function drawGrid() {
    grid.style.setProperty("--cols", columns());
    grid.style.gridTemplateRows = "repeat(" + rows() + ", " + ROW + "px)";
    grid.replaceChildren.apply(grid, widgets().map(function (w) {
      var cell = D.el("section", {"class": "board-cell dz-cell" + (w.id === selected ? " on" : ""), tabindex: "0",
                                  "data-dz-cell": w.id, "aria-label": D.text(w.title) + " · " + (W["wt_" + w.type] || w.type)}, [
        D.el("header", {"class": "cell-head"}, [D.el("h2", {text: D.text(w.title)}),
                                               D.el("span", {"class": "dz-type", text: W["wt_" + w.type] || w.type})]),
        D.el("div", {"class": "cell-body", "data-body": ""}, [D.el("span", {"class": "muted small", text: W.previewing})]),
        D.el("span", {"class": "dz-resize", "data-dz-resize": "", "aria-hidden": "true"})]);
      place(cell, w);
      cell.addEventListener("pointerdown", function (e) { pointer(e, w, cell); });
      cell.addEventListener("keydown", function (e) { key(e, w); });
      cell.addEventListener("focus", function () { if (selected !== w.id) select(w.id); });
      return cell;
    }));
    document.querySelector("[data-dz-board-count]").textContent = D.fmt(W.widgets_n, {n: widgets().length});
    widgets().forEach(preview);
  }

  function moved(w, summary) {
    var cell = cellOf(w.id);
    if (cell) place(cell, w);
    grid.style.gridTemplateRows = "repeat(" + rows() + ", " + ROW + "px)";
    ["x", "y", "w", "h"].forEach(function (k) {
      var input = panel.querySelector('[data-dz-w="' + k + '"]');
      if (input && Number(input.value) !== w[k]) input.value = w[k];
    });
    var plot = cell && cell.querySelector(".cell-plot");
    if (plot && window.Plotly) window.Plotly.Plots.resize(plot);
    save(summary, w, false);
  }
  function clampTo(w) {
    var cols = columns();
    w.w = Math.max(1, Math.min(cols, w.w || 4));
    w.h = Math.max(1, Math.min(12, w.h || 3));
    w.x = Math.max(0, Math.min(cols - w.w, w.x || 0));
    w.y = Math.max(0, w.y || 0);
  }

  /* Drag a cell to move it, its corner to resize it; the grid snaps to columns and rows. */
  function pointer(e, w, cell) {
    if (e.button !== 0) return;
    var resizing = e.target.hasAttribute("data-dz-resize");
    var box = grid.getBoundingClientRect();
    var colWidth = (box.width + GAP) / columns(), rowHeight = ROW + GAP;
    var start = {x: e.clientX, y: e.clientY, wx: w.x || 0, wy: w.y || 0, ww: w.w || 4, wh: w.h || 3};
    var changed = false;
    if (selected !== w.id) select(w.id);
    e.preventDefault();
    cell.focus({preventScroll: true});
    cell.setPointerCapture(e.pointerId);
    cell.classList.add("dragging");
    function move(ev) {
      var dx = Math.round((ev.clientX - start.x) / colWidth), dy = Math.round((ev.clientY - start.y) / rowHeight);
      var before = [w.x, w.y, w.w, w.h].join();
      if (resizing) { w.w = start.ww + dx; w.h = start.wh + dy; } else { w.x = start.wx + dx; w.y = start.wy + dy; }
      clampTo(w);
      if ([w.x, w.y, w.w, w.h].join() !== before) { changed = true; place(cell, w); }
    }
    function up() {
      cell.removeEventListener("pointermove", move);
      cell.removeEventListener("pointerup", up);
      cell.removeEventListener("pointercancel", up);
      cell.classList.remove("dragging");
      if (changed) moved(w, resizing ? labelled(w, "调整大小", "resized") : labelled(w, "移动", "moved"));
    }
    cell.addEventListener("pointermove", move);
    cell.addEventListener("pointerup", up);
    cell.addEventListener("pointercancel", up);
  }

  function key(e, w) {
    var steps = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1]}[e.key];
    if (!steps || e.target !== e.currentTarget) return;
    e.preventDefault();
    if (e.shiftKey) { w.w = (w.w || 4) + steps[0]; w.h = (w.h || 3) + steps[1]; }
    else { w.x = (w.x || 0) + steps[0]; w.y = (w.y || 0) + steps[1]; }
    clampTo(w);
    moved(w, e.shiftKey ? labelled(w, "调整大小", "resized") : labelled(w, "移动", "moved"));
  }

  // -- the live preview -------------------------------------------------------------------------
  function preview(w) {
    clearTimeout(timers[w.id]);
    timers[w.id] = setTimeout(function () { run(w); }, 350);
  }
  /* What a preview depends on: not the place, size or title of the widget (those change no data). */
  function shape(w) { return JSON.stringify(Object.assign({}, w, {x: 0, y: 0, w: 0, h: 0, title: null})); }
  function run(w) {
    var cell = cellOf(w.id);
    if (!cell) return;
    var body = cell.querySelector("[data-body]");
    cell.setAttribute("data-preview", "loading");
    var sent = shape(w);
    D.api(D.draftUrl("/preview/widget"), {json: {address: address, widget: w}}).then(function (r) {
      if (shape(w) !== sent || !cellOf(w.id)) return;  // its query changed meanwhile: a newer preview follows
      if (r.ok) {
        delete failures[w.id];
        cell.setAttribute("data-preview", "ok");
        window.SunmaoBoard.draw(body, r.body, {drill: false});
      } else {
        failures[w.id] = {detail: (r.body && r.body.detail) || D.problemText(r.body) || W.preview_failed + " (" + r.status + ")",
                          errors: (r.body && r.body.errors) || {}};
        cell.setAttribute("data-preview", "failed");
        body.replaceChildren(D.el("p", {"class": "dz-error", text: failures[w.id].detail}));
      }
      if (w.id === selected) showFailure(w);
    }, function () {
      cell.setAttribute("data-preview", "failed");
      body.replaceChildren(D.el("p", {"class": "dz-error", text: W.preview_failed + "：" + W.offline}));
    });
  }

  /* The selected widget's preview problem in the panel, its inputs marked at the paths named. */
  function showFailure(w) {
    var box = panel.querySelector("[data-dz-widget-error]");
    var found = failures[w.id];
    panel.querySelectorAll("[data-path].bad").forEach(function (i) { i.classList.remove("bad"); });
    if (!box) return;
    box.textContent = found ? found.detail : "";
    Object.keys(found ? found.errors : {}).forEach(function (k) {
      var at = k.split(".").slice(2).join(".");
      panel.querySelectorAll('[data-path="' + at + '"]').forEach(function (i) { i.classList.add("bad"); });
    });
  }

  // -- adding, removing and selecting ---------------------------------------------------------------
  function freeId(type) {
    var ids = widgets().map(function (w) { return w.id; });
    for (var n = 1; ; n += 1) { if (ids.indexOf(type + "_" + n) < 0) return type + "_" + n; }
  }
  function mainEntity() {
    var counts = {};
    widgets().forEach(function (w) { if (w.query) counts[w.query.entity] = (counts[w.query.entity] || 0) + 1; });
    var best = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a]; })[0];
    return best || ((setup.board_entities || []).filter(function (e) { return !e.child; })[0] || {}).key;
  }
  function firstGroup(entity) {
    var fields = fieldsOf(entity).filter(groupable);
    var pick = fields.filter(function (f) { return f.path.indexOf(".") < 0 && (f.type === "select" || f.type === "link"); })[0];
    return {field: (pick || fields[0] || {path: "name"}).path};
  }
  function countMeasure() { return {key: "count", op: "count", label: {zh: OP_WORDS.count[0], en: OP_WORDS.count[1]}}; }

  function add(type) {
    var entity = mainEntity();
    var w = {id: freeId(type), type: type, title: {zh: "新部件", en: "New widget"},
             x: 0, y: rows() - 2, w: type === "number" ? 3 : 4, h: type === "number" ? 2 : 3,
             query: {entity: entity, measures: [countMeasure()]}};
    fitType(w);
    widgets().push(w);
    selected = w.id;
    save({zh: "添加部件 " + w.id, en: "added widget " + w.id});
    drawGrid();
    drawPanel();
    var cell = cellOf(w.id);
    if (cell) cell.scrollIntoView({block: "nearest"});
  }

  function remove(w) {
    if (!window.confirm(W.remove_widget_confirm)) return;
    doc.widgets = widgets().filter(function (x) { return x !== w; });
    selected = null;
    save({zh: "删除部件 " + w.id, en: "removed widget " + w.id});
    drawGrid();
    drawPanel();
  }

  function select(id) {
    selected = id;
    grid.querySelectorAll("[data-dz-cell]").forEach(function (c) {
      c.classList.toggle("on", c.getAttribute("data-dz-cell") === id);
    });
    drawPanel();
  }

  /* Keep the query fit for the chart type: charts group, cards do not, a heat map groups twice. */
  function fitType(w) {
    var q = w.query;
    if (!q) return;
    q.group_by = q.group_by || [];
    if (GROUPED.indexOf(w.type) >= 0 && !q.group_by.length) q.group_by.push(firstGroup(q.entity));
    if (w.type === "heatmap" && q.group_by.length < 2) {
      var other = fieldsOf(q.entity).filter(function (f) { return groupable(f) && f.path !== q.group_by[0].field; })[0];
      q.group_by.push({field: (other || {path: "name"}).path});
    }
    if (w.type !== "heatmap" && q.group_by.length > 1 && w.type !== "table" && w.type !== "bar") q.group_by.length = 1;
    if (w.type === "number" || w.type === "gauge") q.group_by = [];
    if (!q.group_by.length) delete q.group_by;
    if (!q.measures || !q.measures.length) q.measures = [countMeasure()];
    if (w.type === "map" && !(w.options || {}).scope) w.options = {scope: "china"};
  }

  // -- the side panel --------------------------------------------------------------------------------
  function input(attrs, value, onInput, event) {
    var el = D.el("input", Object.assign({type: "text", value: value === undefined || value === null ? "" : value}, attrs));
    el.addEventListener(event || "input", function () { onInput(el); });
    return el;
  }
  function select_(attrs, options, value, onChange) {
    var el = D.el("select", attrs, options.map(function (o) {
      return D.el("option", {value: o[0], text: o[1], selected: String(o[0]) === String(value)}); }));
    el.addEventListener("change", function () { onChange(el.value); });
    return el;
  }
  function labelOf(entity, path) {
    var f = fieldOf(entity, path);
    return f ? D.text(f.label) : path;
  }
  function fieldOptions(entity, pred) {
    return fieldsOf(entity).filter(pred).map(function (f) { return [f.path, D.text(f.label) + " (" + f.path + ")"]; });
  }
  function row(label, control, wide) { return D.el("label", {"class": "dz-l" + (wide ? " wide" : "")}, [label, control]); }

  function drawPanel() {
    var w = current();
    panel.innerHTML = "";
    if (setup.board_problem) panel.appendChild(D.el("p", {"class": "dz-error", text: setup.board_problem}));
    if (!w) { panel.appendChild(D.el("p", {"class": "muted", text: W.pick_widget})); return; }
    panel.setAttribute("data-dz-editing", w.id);
    panel.appendChild(D.el("div", {"class": "dz-panel-head"}, [D.el("h2", {text: W.widget + " · "}, [D.el("code", {text: w.id})]),
      D.el("button", {"class": "btn danger", type: "button", "data-dz-remove-widget": "", text: W.remove_widget,
                      onclick: function () { remove(w); }})]));
    var head = D.el("div", {"class": "dz-form"});
    ["zh", "en"].forEach(function (lang) {
      head.appendChild(row(W["title_" + lang], input({"data-dz-w": "title_" + lang}, w.title[lang], function (el) {
        w.title[lang] = el.value;
        var cell = cellOf(w.id);
        if (cell) cell.querySelector(".cell-head h2").textContent = D.text(w.title);
        save(labelled(w, "部件标题", "widget title"), w, false);
      })));
    });
    head.appendChild(row(W.widget_type, select_({"data-dz-w": "type", "data-path": "type"},
      TYPES.concat(TYPES.indexOf(w.type) < 0 ? [w.type] : []).map(function (t) { return [t, W["wt_" + t] || t]; }), w.type,
      function (v) {
        w.type = v;
        if (w.options) delete w.options.hole;
        fitType(w);
        save(labelled(w, "图表类型", "chart type"), w);
        var cell = cellOf(w.id);
        if (cell) cell.querySelector(".dz-type").textContent = W["wt_" + v] || v;
        drawPanel();
      }), true));
    panel.appendChild(head);

    panel.appendChild(D.el("h3", {text: W.position}));
    var pos = D.el("div", {"class": "dz-form dz-pos"});
    ["x", "y", "w", "h"].forEach(function (k) {
      pos.appendChild(row(W["pos_" + k], input({type: "number", min: k === "w" || k === "h" ? 1 : 0, "data-dz-w": k}, w[k],
        function (el) {
          if (el.value === "" || isNaN(Number(el.value))) return;
          w[k] = Math.round(Number(el.value));
          clampTo(w);
          moved(w, labelled(w, "位置与大小", "position and size"));
        }, "change")));
    });
    panel.appendChild(pos);

    if (!w.query || ["gantt", "late"].indexOf(w.type) >= 0 || w.query.columns) {
      panel.appendChild(D.el("p", {"class": "hint", text: W.m_other}));
    } else {
      queryPanel(w);
    }
    panel.appendChild(D.el("p", {"class": "dz-error", "data-dz-widget-error": "", role: "alert"}));
    showFailure(w);
  }

  function queryPanel(w) {
    var q = w.query;
    panel.appendChild(D.el("h3", {text: W.data_source}));
    var box = D.el("div", {"class": "dz-form"});
    box.appendChild(row(W.entity, select_({"data-dz-w": "entity", "data-path": "query.entity"},
      (setup.board_entities || []).map(function (e) { return [e.key, D.text(e.label) + " (" + e.key + ")"]; }), q.entity,
      function (v) {
        w.query = {entity: v, measures: [countMeasure()]};
        fitType(w);
        save(labelled(w, "数据来源", "data"), w);
        drawPanel();
      }), true));
    panel.appendChild(box);
    if ((q.filters || []).length || q.where) {
      panel.appendChild(D.el("p", {"class": "hint", text: D.fmt(W.kept_filters, {n: (q.filters || []).length + (q.where ? 1 : 0)})}));
    }

    // measures
    panel.appendChild(D.el("h3", {text: W.measures}));
    var list = D.el("div", {"data-dz-measures": ""});
    q.measures.forEach(function (m, i) {
      if (advanced(q, m)) {
        list.appendChild(D.el("div", {"class": "dz-list-row"}, [D.el("span", {text: D.text(m.label) || m.key}),
          D.el("small", {"class": "muted", text: m.op + " " + W.m_other})]));
        return;
      }
      var op = select_({"data-dz-measure-op": i, "data-path": "query.measures[" + i + "].op"},
        OPS.map(function (o) { return [o, W["m_" + o]]; }), m.op, function (v) {
          m.op = v;
          if (v === "count") delete m.field;
          else if (!m.field || !measureFields(v)(fieldOf(q.entity, m.field) || {})) {
            m.field = (fieldsOf(q.entity).filter(measureFields(v))[0] || {path: "id"}).path;
          }
          nameMeasure(q, m);
          save(labelled(w, "指标", "measure"), w);
          drawPanel();
        });
      var parts = [op];
      if (m.op !== "count") {
        parts.push(select_({"data-dz-measure-field": i, "data-path": "query.measures[" + i + "].field"},
          fieldOptions(q.entity, measureFields(m.op)).concat(fieldOf(q.entity, m.field) ? [] : [[m.field || "", m.field || "—"]]),
          m.field, function (v) { m.field = v; nameMeasure(q, m); save(labelled(w, "指标", "measure"), w); drawPanel(); }));
      }
      if (q.measures.length > 1) {
        parts.push(D.el("button", {"class": "x", type: "button", text: "×", title: W.remove, onclick: function () {
          q.measures.splice(i, 1); dropSort(q, m.key); save(labelled(w, "指标", "measure"), w); drawPanel(); }}));
      }
      list.appendChild(D.el("div", {"class": "dz-list-row"}, parts));
    });
    list.appendChild(D.el("button", {"class": "btn", type: "button", "data-dz-add-measure": "", text: "+ " + W.add_measure,
      onclick: function () {
        var m = {op: "sum", field: (fieldsOf(q.entity).filter(measureFields("sum"))[0] || {}).path};
        if (!m.field) { m.op = "count"; delete m.field; }
        q.measures.push(m); nameMeasure(q, m);
        save(labelled(w, "指标", "measure"), w); drawPanel();
      }}));
    panel.appendChild(list);

    // grouping
    if (w.type !== "number" && w.type !== "gauge") {
      panel.appendChild(D.el("h3", {text: W.grouping}));
      var groups = D.el("div", {"data-dz-groups": ""});
      (q.group_by || []).forEach(function (g, i) {
        var f = fieldOf(q.entity, g.field);
        var parts = [select_({"data-dz-group-field": i, "data-path": "query.group_by[" + i + "].field"},
          fieldOptions(q.entity, groupable).concat(f ? [] : [[g.field, g.field]]), g.field, function (v) {
            var old = g.field;
            g.field = v;
            var nf = fieldOf(q.entity, v);
            if (nf && DATED.indexOf(nf.type) >= 0) g.bucket = g.bucket || "month"; else delete g.bucket;
            delete g.label;
            (q.sort || []).forEach(function (s, j) { if (s.replace(/^-/, "") === old) q.sort[j] = s.replace(old, v); });
            save(labelled(w, "分组", "grouping"), w); drawPanel();
          })];
        if (f && DATED.indexOf(f.type) >= 0) {
          parts.push(select_({"data-dz-group-bucket": i, "data-path": "query.group_by[" + i + "].bucket"},
            [["", "—"]].concat(["day", "week", "month", "quarter", "year"].map(function (b) { return [b, W["b_" + b]]; })),
            g.bucket || "", function (v) { if (v) g.bucket = v; else delete g.bucket; save(labelled(w, "分组", "grouping"), w); }));
        }
        if (GROUPED.indexOf(w.type) < 0 || q.group_by.length > (w.type === "heatmap" ? 2 : 1)) {
          parts.push(D.el("button", {"class": "x", type: "button", text: "×", title: W.remove, onclick: function () {
            q.group_by.splice(i, 1); dropSort(q, g.field);
            if (!q.group_by.length) delete q.group_by;
            save(labelled(w, "分组", "grouping"), w); drawPanel(); }}));
        }
        groups.appendChild(D.el("div", {"class": "dz-list-row"}, parts));
      });
      if ((q.group_by || []).length < 2 && ["bar", "table", "heatmap"].indexOf(w.type) >= 0 ||
          !(q.group_by || []).length && GROUPED.indexOf(w.type) >= 0) {
        groups.appendChild(D.el("button", {"class": "btn", type: "button", "data-dz-add-group": "", text: "+ " + W.add_group,
          onclick: function () {
            q.group_by = q.group_by || [];
            q.group_by.push(firstGroup(q.entity));
            save(labelled(w, "分组", "grouping"), w); drawPanel(); }}));
      }
      panel.appendChild(groups);
    }

    // sort and limit
    panel.appendChild(D.el("h3", {text: W.sort}));
    var keys = q.measures.filter(function (m) { return m.key; }).map(function (m) { return [m.key, D.text(m.label) || m.key]; })
      .concat((q.group_by || []).map(function (g) { return [g.field, labelOf(q.entity, g.field)]; }));
    var first = (q.sort || [])[0] || "";
    var sortBox = D.el("div", {"class": "dz-form"});
    var by = select_({"data-dz-w": "sort", "data-path": "query.sort[0]"}, [["", "—"]].concat(keys), first.replace(/^-/, ""),
      function () { sorted(); });
    var dir = select_({"data-dz-w": "sort_dir"}, [["-", W.descending], ["", W.ascending]], first && first.charAt(0) !== "-" ? "" : "-",
      function () { sorted(); });
    function sorted() {
      var rest = (q.sort || []).slice(1);
      q.sort = by.value ? [dir.value + by.value].concat(rest) : rest;
      if (!q.sort.length) delete q.sort;
      save(labelled(w, "排序", "sort"), w);
    }
    sortBox.appendChild(row(W.sort, by));
    sortBox.appendChild(row("", dir));
    sortBox.appendChild(row(W.limit, input({type: "number", min: 1, max: 500, "data-dz-w": "limit", "data-path": "query.limit"},
      q.limit, function (el) {
        var n = Math.round(Number(el.value));
        if (el.value === "" || !n) delete q.limit; else q.limit = Math.max(1, Math.min(500, n));
        save(labelled(w, "最多条数", "limit"), w);
      }, "change")));
    panel.appendChild(sortBox);
    optionsPanel(w);
  }

  function optionsPanel(w) {
    var o = w.options || {};
    var box = D.el("div", {"class": "dz-options"});
    function set(name, value) {
      w.options = w.options || {};
      if (value === undefined || value === false || value === "") delete w.options[name]; else w.options[name] = value;
      if (!Object.keys(w.options).length) delete w.options;
      save(labelled(w, "图表选项", "chart options"), w);
    }
    function check(name, label, on) {
      var el = D.el("input", {type: "checkbox", "data-dz-option": name, checked: o[name] === on});
      el.addEventListener("change", function () { set(name, el.checked ? on : undefined); });
      box.appendChild(D.el("label", {"class": "dz-check"}, [el, label]));
    }
    function number(name, label) {
      box.appendChild(row(label, input({type: "number", step: "any", "data-dz-option": name}, o[name], function (el) {
        set(name, el.value === "" ? undefined : Number(el.value)); }, "change")));
    }
    if (w.type === "bar") { check("orientation", W.horizontal, "h"); check("stacked", W.stacked, true); }
    if (w.type === "pie") check("hole", W.donut, 0.5);
    if (w.type === "number") {
      number("target", W.target);
      var compare = D.el("input", {type: "checkbox", "data-dz-option": "compare", checked: o.compare !== false});
      compare.addEventListener("change", function () {  // compared unless told not to: false is what is stored
        w.options = w.options || {};
        if (compare.checked) delete w.options.compare; else w.options.compare = false;
        if (!Object.keys(w.options).length) delete w.options;
        save(labelled(w, "图表选项", "chart options"), w);
      });
      box.appendChild(D.el("label", {"class": "dz-check"}, [compare, W.compare_previous]));
    }
    if (w.type === "gauge") { number("target", W.target); number("max", W.max); }
    if (w.type === "line" || w.type === "area") number("target", W.target);
    if (w.type === "map") {
      box.appendChild(row(W.map_scope, select_({"data-dz-option": "scope"}, [["china", W.scope_china], ["world", W.scope_world]],
        o.scope || "china", function (v) { set("scope", v); })));
    }
    if (box.children.length) { panel.appendChild(D.el("h3", {text: W.chart_options})); panel.appendChild(box); }
  }

  /* Measures the panel leaves as they are (edited as JSON): other ops, conditions (``when``), formula
   * helpers, and any measure a formula names — renaming its key would break the formula. */
  function advanced(q, m) {
    if (OPS.indexOf(m.op) < 0 || m.when || m.show === false || m.p !== undefined) return true;
    var named = JSON.stringify(q.measures.filter(function (x) { return x.op === "formula"; }).map(function (x) { return x.formula; }));
    return named.indexOf('"var":"' + m.key + '"') >= 0 || named.indexOf('"var":["' + m.key + '"') >= 0;
  }

  /* A measure's key and label follow what it measures (keys stay unique; sorts follow renames). */
  function nameMeasure(q, m) {
    var old = m.key;
    var base = (m.op === "count" ? "count" : m.op + "_" + String(m.field || "").replace(/\./g, "_")).slice(0, 40);
    var keyName = base, n = 2;
    while (q.measures.some(function (x) { return x !== m && x.key === keyName; })) { keyName = base.slice(0, 37) + "_" + n; n += 1; }
    m.key = keyName;
    var f = fieldOf(q.entity, m.field);
    var words = OP_WORDS[m.op] || [m.op, m.op];
    m.label = m.op === "count" ? {zh: words[0], en: words[1]}
      : {zh: (f ? f.label.zh : m.field) + words[0], en: words[1] + " " + (f ? f.label.en : m.field)};
    if (old && old !== keyName) (q.sort || []).forEach(function (s, j) { if (s.replace(/^-/, "") === old) q.sort[j] = s.replace(old, keyName); });
  }
  function dropSort(q, key) {
    if (!q.sort) return;
    q.sort = q.sort.filter(function (s) { return s.replace(/^-/, "") !== key; });
    if (!q.sort.length) delete q.sort;
  }

  // -- start ---------------------------------------------------------------------------------------
  var newType = document.querySelector("[data-dz-new-type]");
  TYPES.forEach(function (t) { newType.appendChild(D.el("option", {value: t, text: W["wt_" + t]})); });
  newType.value = "bar";
  document.querySelector("[data-dz-add-widget]").addEventListener("click", function () { add(newType.value); });

  D.editor = {load: function (next, problems) {
    doc = next;
    document.querySelector("[data-dz-board-label]").textContent = D.text(doc.label);
    if (selected && !current()) selected = null;
    drawGrid();
    drawPanel();
    D.showProblems(document.querySelector("[data-dz-doc-problems]"), problems);
  }};

  document.addEventListener("DOMContentLoaded", function () {
    D.editor.load(setup.document, []);
    D.trackProblems(address);
  });
}());
