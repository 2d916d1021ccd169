/* A small layered ("Sugiyama") layout for workflow diagrams, top to bottom.
 *
 * Our own, not vendored: a state machine of a dozen states needs layers, an order inside each
 * layer with few crossings and edges that go back up drawn beside the nodes — dagre (MIT, ~290 KB
 * with lodash, unmaintained since 2018) and elkjs (EPL-2.0, 1.6 MB of GWT output) do far more.
 * Steps: (1) cycles broken by a depth-first search from the initial state (edges to an ancestor
 * are "back" edges); (2) each node's layer is its longest path from a source; (3) the order inside
 * a layer is improved by barycentre sweeps down and up; (4) coordinates. Deterministic: the same
 * document always draws the same picture.
 *
 * FlowLayout.layout({nodes: [{id, width, height}], edges: [{from, to}], start: id, gapX, gapY})
 *   → {nodes: {id: {x, y, width, height, layer, order}}, edges: [{from, to, back, points}], width, height}
 */
(function () {
  "use strict";

  function layout(graph) {
    var gapX = graph.gapX || 28, gapY = graph.gapY || 56, margin = 16;
    var ids = graph.nodes.map(function (n) { return n.id; });
    var byId = {};
    graph.nodes.forEach(function (n) { byId[n.id] = n; });
    var edges = graph.edges.filter(function (e) { return e.from in byId && e.to in byId && e.from !== e.to; });
    var out = {};
    ids.forEach(function (id) { out[id] = []; });
    edges.forEach(function (e) { out[e.from].push(e.to); });

    // (1) depth-first from the start, then from every node not reached: back edges point at the stack
    var state = {}, back = {};
    function visit(id) {
      state[id] = 1;
      out[id].forEach(function (to) {
        if (state[to] === 1) back[id + "\u0000" + to] = true;
        else if (!state[to]) visit(to);
      });
      state[id] = 2;
    }
    if (graph.start && graph.start in byId) visit(graph.start);
    ids.forEach(function (id) { if (!state[id]) visit(id); });
    var forward = edges.filter(function (e) { return !back[e.from + "\u0000" + e.to]; });

    // (2) longest path layering over the acyclic forward edges (Kahn's order)
    var indeg = {}, layer = {};
    ids.forEach(function (id) { indeg[id] = 0; layer[id] = 0; });
    forward.forEach(function (e) { indeg[e.to] += 1; });
    var queue = ids.filter(function (id) { return indeg[id] === 0; });
    if (graph.start in byId) queue.sort(function (a, b) { return (b === graph.start) - (a === graph.start); });
    while (queue.length) {
      var id = queue.shift();
      forward.forEach(function (e) {
        if (e.from !== id) return;
        layer[e.to] = Math.max(layer[e.to], layer[id] + 1);
        indeg[e.to] -= 1;
        if (indeg[e.to] === 0) queue.push(e.to);
      });
    }
    var layers = [];
    ids.forEach(function (id) { (layers[layer[id]] = layers[layer[id]] || []).push(id); });
    layers = layers.filter(Boolean);
    layers.forEach(function (ids2, i) { ids2.forEach(function (id2) { layer[id2] = i; }); });

    // an edge over several layers runs through a dummy node in each layer between: it takes part
    // in the ordering and is drawn through those points, never across the nodes in between
    var dummies = {}, segments = [], chains = {};
    forward.forEach(function (e, n) {
      if (chains[e.from + "\u0000" + e.to]) return;  // two actions between the same states share a route
      var prev = e.from, chain = [];
      for (var l = layer[e.from] + 1; l < layer[e.to]; l++) {
        var d = "\u0001" + n + ":" + l;
        dummies[d] = true; byId[d] = {id: d, width: 6, height: 0}; layer[d] = l; layers[l].push(d); chain.push(d);
        segments.push({from: prev, to: d});
        prev = d;
      }
      segments.push({from: prev, to: e.to});
      chains[e.from + "\u0000" + e.to] = chain;
    });

    // (3) barycentre sweeps: a node sits near the mean position of its neighbours in the layer before
    var pos = {};
    function index() { layers.forEach(function (l) { l.forEach(function (id2, i) { pos[id2] = i; }); }); }
    index();
    function sweep(down) {
      var range = layers.map(function (_, i) { return i; });
      if (!down) range.reverse();
      range.forEach(function (i) {
        var ref = down ? i - 1 : i + 1;
        if (ref < 0 || ref >= layers.length) return;
        var bary = {};
        layers[i].forEach(function (id2) {
          var ns = segments.filter(function (e) {
            return (e.to === id2 && layer[e.from] === ref) || (e.from === id2 && layer[e.to] === ref);
          }).map(function (e) { return pos[e.to === id2 ? e.from : e.to]; });
          bary[id2] = ns.length ? ns.reduce(function (a, b) { return a + b; }, 0) / ns.length : pos[id2];
        });
        layers[i].sort(function (a, b) { return bary[a] - bary[b] || pos[a] - pos[b]; });
        layers[i].forEach(function (id2, k) { pos[id2] = k; });
      });
    }
    for (var round = 0; round < 4; round++) { sweep(true); sweep(false); }

    // (4) coordinates: layers centred on the widest one
    var widths = layers.map(function (l) {
      return l.reduce(function (w, id2) { return w + byId[id2].width; }, 0) + gapX * (l.length - 1);
    });
    var maxW = Math.max.apply(null, widths.concat([0]));
    var placed = {}, y = margin, rowHeight = [];
    layers.forEach(function (l, i) {
      var x = margin + (maxW - widths[i]) / 2, h = 0;
      l.forEach(function (id2, k) {
        var n = byId[id2];
        placed[id2] = {x: x, y: y, width: n.width, height: n.height, layer: i, order: k};
        x += n.width + gapX;
        h = Math.max(h, n.height);
      });
      rowHeight[i] = h;
      y += h + gapY;
    });
    var right = margin + maxW, backCount = 0;
    var routed = edges.map(function (e) {
      var a = placed[e.from], b = placed[e.to];
      var isBack = !!back[e.from + "\u0000" + e.to] || a.layer >= b.layer;
      var points;
      if (!isBack) {
        points = [[a.x + a.width / 2, a.y + a.height]].concat((chains[e.from + "\u0000" + e.to] || []).map(function (d) {
          var p = placed[d]; return [p.x + p.width / 2, p.y + rowHeight[p.layer] / 2];
        })).concat([[b.x + b.width / 2, b.y]]);
      } else { // up again: out of the top, along the gap above, up beside every layer between, into the bottom
        var lo = Math.min(a.layer, b.layer), hi = Math.max(a.layer, b.layer), edge = 0;
        Object.keys(placed).forEach(function (id2) {
          var q = placed[id2];
          if (q.layer >= lo && q.layer <= hi) edge = Math.max(edge, q.x + q.width);
        });
        var k = backCount++, lane = (k % 3) * 5;
        var side = edge + 14 + 9 * k;
        right = Math.max(right, side + 8);
        var xa = a.x + a.width * 0.75, xb = b.x + b.width * 0.75;
        var above = a.y - gapY / 2 - lane, below = b.y + rowHeight[b.layer] + gapY / 2 + lane;
        points = [[xa, a.y], [xa, above], [side, above], [side, below], [xb, below], [xb, b.y + b.height]];
      }
      return {from: e.from, to: e.to, back: isBack, points: points, data: e.data};
    });
    Object.keys(dummies).forEach(function (d) { delete placed[d]; });
    return {nodes: placed, edges: routed, width: right + margin, height: y - gapY + margin};
  }

  window.FlowLayout = {layout: layout};
}());
