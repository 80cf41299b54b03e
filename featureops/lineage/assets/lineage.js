/* featureops lineage page: draws the graph laid out by featureops (positions are in the
 * data), and lets a user search a node, click it to highlight its upstream and downstream,
 * and read its details. Vanilla JS and SVG, no network, no dependencies. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("lineage-data").textContent);
  var W = data.node_width, H = data.node_height;
  var byId = {}, parents = {}, children = {}, nodeEls = {}, edgeEls = [];
  var view = { k: 1, x: 0, y: 0 };
  var viewport = document.getElementById("viewport");
  var svg = document.getElementById("graph");
  var details = document.getElementById("details");
  var selected = null;

  data.nodes.forEach(function (n) { byId[n.id] = n; parents[n.id] = []; children[n.id] = []; });
  data.edges.forEach(function (e) {
    if (byId[e.source] && byId[e.target]) {
      children[e.source].push(e.target);
      parents[e.target].push(e.source);
    }
  });

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function shorten(text, max) {
    return text.length > max ? text.slice(0, max - 1) + "\u2026" : text;
  }

  function drawEdges() {
    var layer = document.getElementById("edges");
    data.edges.forEach(function (e) {
      var a = byId[e.source], b = byId[e.target];
      if (!a || !b) { return; }
      var x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
      var mid = (x1 + x2) / 2;
      var d = x2 > x1
        ? "M" + x1 + "," + y1 + " C" + mid + "," + y1 + " " + mid + "," + y2 + " " + x2 + "," + y2
        : "M" + x1 + "," + y1 + " C" + (x1 + 60) + "," + (y1 - 60) + " " + (x2 - 60) + "," +
          (y2 - 60) + " " + x2 + "," + y2;
      var path = el("path", { "class": "edge", d: d, "marker-end": "url(#arrow)" }, layer);
      if (e.label) { el("title", {}, path).textContent = e.label; }
      path.dataset.source = e.source;
      path.dataset.target = e.target;
      edgeEls.push(path);
    });
  }

  function drawNodes() {
    var layer = document.getElementById("nodes");
    data.nodes.forEach(function (n) {
      var g = el("g", { "class": "node type-" + n.type + (n.id === data.root ? " root" : ""),
                        transform: "translate(" + n.x + "," + n.y + ")" }, layer);
      g.dataset.id = n.id;
      g.dataset.type = n.type;
      el("rect", { width: W, height: H, fill: n.color }, g);
      el("text", { x: 8, y: 14 }, g).textContent = shorten(n.label, 30);
      el("text", { x: 8, y: 27, "class": "kind" }, g).textContent = n.type_label +
        (n.owner ? " \u00b7 " + n.owner : "");
      el("title", {}, g).textContent = n.label + " (" + n.type_label + ")" +
        (n.description ? "\n" + n.description : "");
      g.addEventListener("click", function (event) { event.stopPropagation(); select(n.id); });
      nodeEls[n.id] = g;
    });
  }

  function walk(start, adjacency) {
    var seen = {}, queue = [start];
    while (queue.length) {
      var current = queue.shift();
      adjacency[current].forEach(function (next) {
        if (!seen[next] && next !== start &&
            !nodeEls[next].classList.contains("hidden")) {
          seen[next] = true;
          queue.push(next);
        }
      });
    }
    return seen;
  }

  function clearClasses() {
    Object.keys(nodeEls).forEach(function (id) {
      nodeEls[id].classList.remove("selected", "upstream", "downstream", "faded", "match");
    });
    edgeEls.forEach(function (p) { p.classList.remove("upstream", "downstream", "faded"); });
  }

  function select(id) {
    selected = id;
    clearClasses();
    var up = walk(id, parents), down = walk(id, children);
    Object.keys(nodeEls).forEach(function (other) {
      var g = nodeEls[other];
      if (other === id) { g.classList.add("selected"); }
      else if (up[other]) { g.classList.add("upstream"); }
      else if (down[other]) { g.classList.add("downstream"); }
      else { g.classList.add("faded"); }
    });
    edgeEls.forEach(function (p) {
      var s = p.dataset.source, t = p.dataset.target;
      if ((up[s] || s === id) && (up[t] || t === id)) { p.classList.add("upstream"); }
      else if ((down[s] || s === id) && (down[t] || t === id)) { p.classList.add("downstream"); }
      else { p.classList.add("faded"); }
    });
    showDetails(byId[id], Object.keys(up).length, Object.keys(down).length);
    document.getElementById("summary").textContent = byId[id].label + ": " +
      Object.keys(up).length + " upstream, " + Object.keys(down).length + " downstream";
  }

  var HIDDEN_FIELDS = { id: 1, label: 1, type: 1, kind: 1, x: 1, y: 1, color: 1,
                        type_label: 1, description: 1, distance: 1, name: 1, unique_id: 1 };

  function showDetails(n, upCount, downCount) {
    details.innerHTML = "";
    var h = document.createElement("h2");
    h.textContent = n.label;
    details.appendChild(h);
    var badge = document.createElement("span");
    badge.className = "type-badge";
    badge.style.background = n.color;
    badge.textContent = n.type_label;
    details.appendChild(badge);
    if (n.description) {
      var p = document.createElement("p");
      p.className = "description";
      p.textContent = n.description;
      details.appendChild(p);
    }
    var dl = document.createElement("dl");
    function row(key, value) {
      if (value === undefined || value === null || value === "") { return; }
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = key.replace(/_/g, " ");
      dd.textContent = Array.isArray(value) ? value.join(", ") : String(value);
      dd.dataset.field = key;
      dl.appendChild(dt);
      dl.appendChild(dd);
    }
    row("unique_id", n.id);
    Object.keys(n).forEach(function (k) { if (!HIDDEN_FIELDS[k]) { row(k, n[k]); } });
    row("upstream", upCount + " node(s)");
    row("downstream", downCount + " node(s)");
    details.appendChild(dl);
    [["Parents", parents[n.id]], ["Children", children[n.id]]].forEach(function (pair) {
      if (!pair[1].length) { return; }
      var title = document.createElement("strong");
      title.textContent = pair[0];
      details.appendChild(title);
      var ul = document.createElement("ul");
      pair[1].forEach(function (other) {
        var li = document.createElement("li"), a = document.createElement("a");
        a.textContent = byId[other].label;
        a.addEventListener("click", function () { select(other); center(other); });
        li.appendChild(a);
        var edge = data.edges.filter(function (e) {
          return (e.source === other && e.target === n.id) ||
                 (e.source === n.id && e.target === other);
        })[0];
        if (edge && edge.expression) {
          var code = document.createElement("code");
          code.textContent = " " + edge.transformation + ": " + edge.expression;
          li.appendChild(code);
        }
        ul.appendChild(li);
      });
      details.appendChild(ul);
    });
  }

  function clearSelection() {
    selected = null;
    clearClasses();
    details.innerHTML = '<p class="hint">Click a node to highlight everything upstream ' +
      "(blue) and downstream (orange) of it and to see its details.</p>";
    document.getElementById("summary").textContent = data.nodes.length + " nodes, " +
      data.edges.length + " edges";
  }

  // -- pan and zoom --
  function apply() {
    viewport.setAttribute("transform", "translate(" + view.x + "," + view.y + ") scale(" +
      view.k + ")");
  }

  function fit() {
    var box = svg.getBoundingClientRect();
    var width = Math.max(data.width, 1), height = Math.max(data.height, 1);
    view.k = Math.min(1.2, (box.width - 40) / width, (box.height - 40) / height);
    view.k = Math.max(view.k, 0.05);
    view.x = (box.width - width * view.k) / 2;
    view.y = (box.height - height * view.k) / 2;
    apply();
  }

  function center(id) {
    var n = byId[id], box = svg.getBoundingClientRect();
    view.k = Math.max(view.k, 0.8);
    view.x = box.width / 2 - (n.x + W / 2) * view.k;
    view.y = box.height / 2 - (n.y + H / 2) * view.k;
    apply();
  }

  svg.addEventListener("wheel", function (event) {
    event.preventDefault();
    var box = svg.getBoundingClientRect();
    var px = event.clientX - box.left, py = event.clientY - box.top;
    var factor = event.deltaY < 0 ? 1.15 : 1 / 1.15;
    var k = Math.min(4, Math.max(0.05, view.k * factor));
    view.x = px - (px - view.x) * (k / view.k);
    view.y = py - (py - view.y) * (k / view.k);
    view.k = k;
    apply();
  }, { passive: false });

  var drag = null;
  svg.addEventListener("mousedown", function (event) {
    drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y, moved: false };
    document.getElementById("canvas").classList.add("panning");
  });
  window.addEventListener("mousemove", function (event) {
    if (!drag) { return; }
    var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; }
    view.x = drag.vx + dx;
    view.y = drag.vy + dy;
    apply();
  });
  window.addEventListener("mouseup", function () {
    document.getElementById("canvas").classList.remove("panning");
    setTimeout(function () { drag = null; }, 0);
  });
  svg.addEventListener("click", function () { if (!drag || !drag.moved) { clearSelection(); } });

  // -- search --
  var input = document.getElementById("search");
  var results = document.getElementById("search-results");
  var active = -1;

  function matches(query) {
    var q = query.trim().toLowerCase();
    if (!q) { return []; }
    var hits = data.nodes.filter(function (n) {
      return n.label.toLowerCase().indexOf(q) >= 0 || n.id.toLowerCase().indexOf(q) >= 0;
    });
    hits.sort(function (a, b) {
      var sa = a.label.toLowerCase().indexOf(q) === 0 ? 0 : 1;
      var sb = b.label.toLowerCase().indexOf(q) === 0 ? 0 : 1;
      return sa - sb || a.label.localeCompare(b.label);
    });
    return hits.slice(0, 30);
  }

  function choose(id) {
    results.hidden = true;
    input.value = byId[id].label;
    select(id);
    center(id);
  }

  function showResults() {
    var hits = matches(input.value);
    results.innerHTML = "";
    active = hits.length ? 0 : -1;
    Object.keys(nodeEls).forEach(function (id) { nodeEls[id].classList.remove("match"); });
    hits.forEach(function (n, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.dataset.id = n.id;
      if (i === 0) { li.className = "active"; }
      var name = document.createElement("span");
      name.textContent = n.label;
      var type = document.createElement("span");
      type.className = "type";
      type.textContent = n.type_label;
      li.appendChild(name);
      li.appendChild(type);
      li.addEventListener("mousedown", function (event) {
        event.preventDefault();
        choose(n.id);
      });
      results.appendChild(li);
      nodeEls[n.id].classList.add("match");
    });
    results.hidden = hits.length === 0;
  }

  input.addEventListener("input", showResults);
  input.addEventListener("keydown", function (event) {
    var items = results.querySelectorAll("li");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!items.length) { return; }
      items[active].classList.remove("active");
      active = (active + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      items[active].classList.add("active");
    } else if (event.key === "Enter" && active >= 0 && items[active]) {
      choose(items[active].dataset.id);
    } else if (event.key === "Escape") {
      results.hidden = true;
    }
  });
  input.addEventListener("blur", function () { results.hidden = true; });

  // -- legend: one toggle per type present --
  function drawLegend() {
    var legend = document.getElementById("legend");
    var seen = {};
    data.nodes.forEach(function (n) { seen[n.type_label] = seen[n.type_label] || n; });
    Object.keys(seen).sort().forEach(function (label) {
      var n = seen[label];
      var item = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.checked = true;
      box.addEventListener("change", function () {
        data.nodes.forEach(function (other) {
          if (other.type_label === label) {
            nodeEls[other.id].classList.toggle("hidden", !box.checked);
          }
        });
        edgeEls.forEach(function (p) {
          var hide = nodeEls[p.dataset.source].classList.contains("hidden") ||
                     nodeEls[p.dataset.target].classList.contains("hidden");
          p.classList.toggle("hidden", hide);
        });
        if (selected) { select(selected); }
      });
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = n.color;
      item.appendChild(box);
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(label));
      legend.appendChild(item);
    });
  }

  document.getElementById("fit").addEventListener("click", fit);
  document.getElementById("clear").addEventListener("click", clearSelection);
  document.getElementById("warnings").textContent = (data.warnings || []).join(" \u2022 ");

  drawEdges();
  drawNodes();
  drawLegend();
  clearSelection();
  fit();
  window.addEventListener("resize", fit);
  document.body.dataset.ready = "true";
}());
