/* Dashboards: fill each cell of a board from /dashboards/<key>/w/<id>, refresh, drill down, export.
 * The same script drives the wall screen (/dashboards/wall/<key>): it builds the grid from the
 * layout, rotates through the playlist, and keeps the last figures when a fetch fails. */
(function () {
  "use strict";
  var lang = document.body.getAttribute("data-lang") || "zh";
  var zh = lang === "zh";

  function text(tag, cls, value) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    if (value !== undefined && value !== null) el.textContent = value;
    return el;
  }

  function drawTable(body, table) {
    var wrap = text("div", "cell-table");
    var t = text("table", "grid-table");
    var head = text("tr");
    table.columns.forEach(function (c) { head.appendChild(text("th", null, c)); });
    t.appendChild(text("thead")).appendChild(head);
    var tbody = text("tbody");
    table.rows.forEach(function (row, i) {
      var tr = text("tr");
      row.forEach(function (v, j) {
        var td = text("td");
        if (j === 0 && table.links[i]) { var a = text("a", null, v); a.href = table.links[i]; td.appendChild(a); }
        else td.textContent = v;
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    t.appendChild(tbody);
    wrap.appendChild(t);
    if (!table.rows.length) wrap.appendChild(text("p", "muted small", zh ? "没有数据" : "No data"));
    body.replaceChildren(wrap);
  }

  function drawNumber(body, data) {
    var n = data.number;
    var card = text(data.drill ? "a" : "div", "number-card");
    if (data.drill) card.href = data.drill;
    card.appendChild(text("div", "number-value", n.text));
    var meta = text("div", "number-meta");
    if (n.change) {
      var change = text("span", "number-change " + (n.change.good ? "good" : "bad"), n.change.text);
      change.title = (zh ? "上期 " : "previous ") + n.change.before;
      meta.appendChild(change);
      meta.appendChild(text("span", "muted", zh ? " 较上期" : " vs previous"));
    }
    if (n.target) {
      meta.appendChild(text("span", "number-target " + (n.target.met ? "good" : "bad"),
                            (zh ? "目标 " : "target ") + n.target.sign + " " + n.target.text));
    }
    card.appendChild(meta);
    body.replaceChildren(card);
  }

  function drawFigure(body, data, wall, drill) {
    var holder = body.querySelector(".cell-plot");
    if (!holder) { holder = text("div", "cell-plot"); body.replaceChildren(holder); }
    var fig = data.figure;
    if (wall) {  // light text and quiet grid lines on the dark wall
      fig.layout.font = Object.assign({}, fig.layout.font, {color: "#d9e2ec"});
      ["xaxis", "yaxis"].forEach(function (a) { fig.layout[a] = Object.assign({gridcolor: "#243b53"}, fig.layout[a]); });
    }
    // no mode bar: the cell's own PNG button calls plotly's toImage (Plotly.downloadImage)
    var options = {responsive: true, displaylogo: false, displayModeBar: false, topojsonURL: "/dashboards/topojson/"};
    window.Plotly.react(holder, fig.data, fig.layout, options).then(function () {
      if (drill !== false && !holder.dataset.bound) {
        holder.dataset.bound = "1";
        holder.on("plotly_click", function (event) {
          var point = event.points && event.points[0];
          var target = point && (point.customdata || data.drill);
          if (typeof target === "string" && target) window.location.href = target;
        });
      }
    });
  }

  /* One widget's JSON drawn into a cell body: also the designer's live preview (drill: false). */
  function drawBody(body, data, options) {
    options = options || {};
    if (data.denied) { body.replaceChildren(text("p", "muted small denied", data.denied)); return; }
    if (data.empty) { body.replaceChildren(text("p", "muted small empty", data.empty)); return; }
    if (data.table) drawTable(body, data.table);
    else if (data.number) drawNumber(body, data);
    else if (data.figure) drawFigure(body, data, options.wall, options.drill);
  }
  window.SunmaoBoard = {draw: drawBody};

  var config = document.getElementById("board-layout");
  var grid = document.querySelector("[data-board]");
  if (!config || !grid) return;
  var layout = JSON.parse(config.textContent);
  var wall = grid.hasAttribute("data-wall");
  var status = document.querySelector("[data-board-status]");
  var lastOk = null;
  var failures = 0;
  var timers = [];

  function query() {
    var form = document.querySelector("[data-board-filters]");
    if (!form) return layout.query || "";
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) { if (el.name && el.value) params.set(el.name, el.value); });
    return params.toString();
  }

  function setStatus() {
    if (!status) return;
    var time = lastOk ? lastOk.toLocaleTimeString(zh ? "zh-CN" : "en", {hour: "2-digit", minute: "2-digit"}) : "";
    status.textContent = failures ? (zh ? "网络中断，显示 " + time + " 的数据" : "offline — showing data of " + time)
                                  : (time ? (zh ? "更新于 " : "updated ") + time : "");
    status.classList.toggle("stale", failures > 0);
  }

  function cellOf(id) { return grid.querySelector('[data-widget="' + id + '"]'); }

  function buildCell(w) {
    var cell = text("section", "board-cell type-" + w.type);
    cell.setAttribute("data-widget", w.id);
    cell.style.setProperty("--x", w.x + 1); cell.style.setProperty("--y", w.y + 1);
    cell.style.setProperty("--w", w.w); cell.style.setProperty("--h", w.h);
    var head = text("header", "cell-head");
    head.appendChild(text("h2", null, w.title));
    cell.appendChild(head);
    var body = text("div", "cell-body");
    body.setAttribute("data-body", "");
    cell.appendChild(body);
    return cell;
  }

  function draw(id, data) {
    var cell = cellOf(id);
    if (!cell) return;
    var body = cell.querySelector("[data-body]");
    cell.classList.toggle("clickable", Boolean(data.drill));
    if (data.denied || data.empty) { drawBody(body, data); return; }
    drawBody(body, data, {wall: wall});
    var excel = cell.querySelector("[data-excel]");
    if (excel) excel.href = "/dashboards/" + layout.key + "/w/" + id + ".xlsx?" + query();
  }

  function load(w) {
    return fetch("/dashboards/" + layout.key + "/w/" + w.id + "?" + query(), {credentials: "same-origin",
                                                                             headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) { draw(w.id, data); return true; });
  }

  function refresh() {
    var jobs = layout.widgets.map(function (w) { return load(w).catch(function () { return false; }); });
    return Promise.all(jobs).then(function (results) {
      if (results.every(Boolean)) { failures = 0; lastOk = new Date(); } else { failures += 1; }
      setStatus();
    });
  }

  function clear() { timers.forEach(clearInterval); timers = []; }

  function start() {
    clear();
    refresh();
    timers.push(setInterval(refresh, Math.max(10, layout.refresh || 60) * 1000));
  }

  function buildWall(next) {
    layout = next;
    var title = document.querySelector("[data-wall-title]");
    if (title) title.textContent = layout.label;
    grid.style.setProperty("--cols", layout.columns);
    grid.style.setProperty("--rows", layout.rows);
    grid.replaceChildren.apply(grid, layout.widgets.map(buildCell));
    start();
  }

  if (wall) {
    var playlist = layout.playlist || [layout.key];
    var position = 0;
    buildWall(layout);
    var clock = document.querySelector("[data-wall-clock]");
    setInterval(function () {
      if (clock) clock.textContent = new Date().toLocaleString(zh ? "zh-CN" : "en", {hour12: false});
    }, 1000);
    if (playlist.length > 1) {
      setInterval(function () {
        var next = playlist[(position + 1) % playlist.length];
        fetch("/dashboards/" + next + "/layout?" + (layout.query || ""), {credentials: "same-origin"})
          .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
          .then(function (data) {
            position = (position + 1) % playlist.length;
            data.playlist = playlist;
            data.refresh = Math.min(data.refresh, layout.refresh);  // the wall's own pace, if it was given one
            buildWall(data);
          })
          .catch(function () { failures += 1; setStatus(); });  // stay on this board; try again next turn
      }, Math.max(10, layout.seconds || 60) * 1000);
    }
    setTimeout(function () { window.location.reload(); }, 6 * 3600 * 1000);  // a fresh page every few hours
  } else {
    var form = document.querySelector("[data-board-filters]");
    if (form) form.addEventListener("change", function () {
      history.replaceState(null, "", "?" + query());
      refresh();
    });
    grid.addEventListener("click", function (event) {
      var button = event.target.closest("[data-png]");
      if (!button) return;
      var plot = button.closest(".board-cell").querySelector(".cell-plot");
      if (plot) window.Plotly.downloadImage(plot, {format: "png", filename: layout.key + "-" +
                                                   button.closest(".board-cell").getAttribute("data-widget")});
    });
    start();
  }
})();
