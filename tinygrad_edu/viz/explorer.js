// The backprop explorer's script (viz/html.py inlines this file; the page loads nothing else).
// DATA comes from html.py: the steps, one entry per pre-drawn view (which element shows each
// step, edge and tensor), hover cards and running gradients.  Text always goes in through
// textContent, so tensor and module names are shown as text, never parsed as markup.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("explorer-data").textContent);
  var N = DATA.steps.length, current = 0, openLayers = {}, view = null, viewKey = null;
  var zoom = 1, panX = 0, panY = 0;
  var graph = byId("graph"), canvas = byId("canvas"), slider = byId("slider"), card = byId("card");

  function byId(id) { return document.getElementById(id); }

  // -- views: which layers are open ------------------------------------------------------------
  function wantedKey() {
    return Object.keys(openLayers).filter(function (k) { return openLayers[k]; })
      .map(Number).sort(function (a, b) { return a - b; }).join("-");
  }

  function loadView(focusId, opened) {
    var key = wantedKey(), note = "";
    if (!(key in DATA.views)) {
      // Many layers: only all closed, each one alone and all open are pre-drawn, so a layer
      // opens on its own (the others close) and closing one of all-open closes them all.
      openLayers = {};
      if (opened !== undefined) { openLayers[opened] = true; }
      key = wantedKey();
      note = "with " + DATA.layers.length + " layers, one layer is open at a time (or all of them)";
    }
    viewKey = key;
    view = DATA.views[key];
    var template = byId("view-" + (key || "closed"));
    canvas.textContent = "";
    canvas.appendChild(template.content.cloneNode(true));
    byId("view-note").textContent = note;
    canvas.querySelectorAll("a").forEach(function (a) {
      a.removeAttribute("href");
      a.removeAttribute("xlink:href");
      a.removeAttribute("title");
      a.removeAttribute("xlink:title");
    });
    show(current);
    if (focusId && byId(focusId)) { centerOn(byId(focusId), false); } else { home(); }
  }

  function toggleLayer(index) {
    openLayers[index] = !openLayers[index];
    loadView((openLayers[index] ? "C" : "L") + index, openLayers[index] ? index : undefined);
  }

  // -- stepping --------------------------------------------------------------------------------
  function show(k) {
    current = Math.max(0, Math.min(N, k));
    slider.value = String(current);
    byId("counter").textContent = "Step " + current + " of " + N;
    byId("prev").disabled = current === 0;
    byId("next").disabled = current === N;
    var step = current > 0 ? DATA.steps[current - 1] : null;
    byId("step-title").textContent = step ? step.title : "Before backward";
    byId("step-text").textContent = step ? step.text : DATA.intro;
    canvas.querySelectorAll("g.node").forEach(function (g) { g.classList.remove("current", "done"); });
    view.steps.forEach(function (id, i) {
      var g = byId(id);
      if (g && i + 1 < current) { g.classList.add("done"); }
    });
    var here = step ? byId(view.steps[current - 1]) : null;
    if (here) {
      here.classList.remove("done");
      here.classList.add("current");
      if (!visible(here)) { centerOn(here, true); }
    }
    Object.keys(view.edges).forEach(function (id) {
      var g = byId(id);
      if (!g) { return; }
      g.classList.toggle("pending", view.edges[id] > current);
      g.classList.toggle("current", view.edges[id] === current);
    });
    Object.keys(DATA.cells).forEach(function (id) {
      var g = byId(id);
      if (g) { g.classList.toggle("grad-hidden", DATA.cells[id] > current); }
    });
    showGrads();
  }

  function showGrads() {
    var box = byId("grads-so-far");
    box.textContent = "";
    DATA.grads.forEach(function (t) {
      var last = null;
      t.events.forEach(function (ev) { if (ev[0] <= current) { last = ev; } });
      if (!last) { return; }
      var note = last[2] < last[3] ? "   (" + last[2] + " of " + last[3] + " contributions so far)" :
                 (last[3] > 1 ? "   (sum of " + last[3] + " contributions)" : "");
      var div = document.createElement("div");
      div.className = last[2] === last[3] ? "complete" : "partial";
      div.textContent = t.name + " = " + (last[1].indexOf("\n") >= 0 ? "\n" : "") + last[1] + note;
      box.appendChild(div);
    });
  }

  // -- pan and zoom: a CSS transform on the drawing, no scrollbars -------------------------------
  function apply() { canvas.style.transform = "translate(" + panX + "px," + panY + "px) scale(" + zoom + ")"; }

  function svgSize() {
    var svg = canvas.querySelector("svg");
    return svg ? {w: svg.width.baseVal.value, h: svg.height.baseVal.value} : {w: 1, h: 1};
  }

  function fit() {
    var s = svgSize(), r = graph.getBoundingClientRect();
    zoom = Math.min(1, (r.width - 16) / s.w, (r.height - 16) / s.h);
    panX = (r.width - s.w * zoom) / 2;
    panY = 8;
    apply();
  }

  // The first look: readable text (at least 80%) from the top, where the output is drawn.
  function home() {
    var s = svgSize(), r = graph.getBoundingClientRect();
    zoom = Math.min(1, Math.max(0.8, Math.min((r.width - 16) / s.w, (r.height - 16) / s.h)));
    panX = (r.width - s.w * zoom) / 2;
    panY = 8;
    apply();
    var root = byId(DATA.root);
    if (root && !visible(root)) { centerOn(root, true); panY = Math.min(panY, 8); apply(); }
  }

  function zoomAt(factor, cx, cy) {
    var next = Math.max(0.05, Math.min(4, zoom * factor));
    panX = cx - (cx - panX) * next / zoom;
    panY = cy - (cy - panY) * next / zoom;
    zoom = next;
    apply();
  }

  function visible(el) {
    var a = el.getBoundingClientRect(), r = graph.getBoundingClientRect();
    return a.left >= r.left && a.right <= r.right && a.top >= r.top && a.bottom <= r.bottom;
  }

  function centerOn(el, keepZoom) {
    var r = graph.getBoundingClientRect();
    if (!keepZoom && zoom < 0.6) { zoom = 0.6; apply(); }
    var a = el.getBoundingClientRect();
    panX += r.left + r.width / 2 - (a.left + a.width / 2);
    panY += r.top + r.height / 2 - (a.top + a.height / 2);
    apply();
  }

  var drag = null;
  graph.addEventListener("mousedown", function (ev) {
    drag = {x: ev.clientX, y: ev.clientY, panX: panX, panY: panY, moved: false};
    graph.classList.add("dragging");
  });
  window.addEventListener("mousemove", function (ev) {
    if (!drag) { return; }
    if (Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) > 3) { drag.moved = true; }
    panX = drag.panX + ev.clientX - drag.x;
    panY = drag.panY + ev.clientY - drag.y;
    apply();
  });
  window.addEventListener("mouseup", function () { graph.classList.remove("dragging"); setTimeout(function () { drag = null; }, 0); });
  graph.addEventListener("wheel", function (ev) {
    var r = graph.getBoundingClientRect();
    zoomAt(ev.deltaY < 0 ? 1.15 : 1 / 1.15, ev.clientX - r.left, ev.clientY - r.top);
    ev.preventDefault();
  }, {passive: false});

  // -- clicks and hover cards ------------------------------------------------------------------
  function owner(target) {
    var g = target.closest ? target.closest("g.node, g.edge, g.cluster") : null;
    return g && canvas.contains(g) ? g : null;
  }

  graph.addEventListener("click", function (ev) {
    if (drag && drag.moved) { return; }
    var g = owner(ev.target);
    if (!g) { return; }
    var m = /^([LC])(\d+)$/.exec(g.id);
    if (m) { toggleLayer(Number(m[2])); ev.preventDefault(); }
  });

  graph.addEventListener("mousemove", function (ev) {
    var g = owner(ev.target), info = g ? DATA.cards[g.id] : null;
    if (!info) { card.style.display = "none"; return; }
    card.textContent = info.text;
    if (info.grad) {
      var extra = document.createElement("div");
      if (info.step <= current) { extra.textContent = info.grad; } else {
        extra.className = "later";
        extra.textContent = "(its gradient is computed at step " + info.step + ")";
      }
      card.appendChild(extra);
    }
    card.dataset.element = g.id;
    card.style.display = "block";
    var x = ev.clientX + 14, y = ev.clientY + 14;
    var w = card.offsetWidth, h = card.offsetHeight;
    card.style.left = Math.min(x, window.innerWidth - w - 4) + "px";
    card.style.top = Math.max(4, Math.min(y, window.innerHeight - h - 4)) + "px";
  });
  graph.addEventListener("mouseleave", function () { card.style.display = "none"; });

  // -- search ----------------------------------------------------------------------------------
  function find(text) {
    canvas.querySelectorAll(".found").forEach(function (g) { g.classList.remove("found"); });
    var out = byId("search-result");
    var q = text.trim().toLowerCase();
    if (!q) { out.textContent = ""; return; }
    var hits = DATA.tensors.filter(function (t) { return t.name.toLowerCase().indexOf(q) >= 0; });
    var exact = hits.filter(function (t) { return t.name.toLowerCase() === q; });
    var hit = exact.length ? exact[0] : hits[0];
    if (!hit) { out.textContent = "no tensor named like that"; return; }
    var where = view.where[hit.id];
    if (where !== hit.id && /^L\d+$/.test(where)) {  // hidden in a closed layer: open it
      openLayers[Number(where.slice(1))] = true;
      loadView(null, Number(where.slice(1)));
      where = view.where[hit.id];
    }
    var g = byId(where);
    if (g) { g.classList.add("found"); centerOn(g, false); }
    out.textContent = hit.name + (hits.length > 1 ? "  (1 of " + hits.length + " matches)" : "");
    out.dataset.element = where;
  }
  byId("search").addEventListener("input", function (ev) { find(ev.target.value); });

  // -- controls --------------------------------------------------------------------------------
  byId("prev").addEventListener("click", function () { show(current - 1); });
  byId("next").addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  byId("open-all").addEventListener("click", function () {
    DATA.layers.forEach(function (l) { openLayers[l.index] = true; });
    loadView(null);
  });
  byId("close-all").addEventListener("click", function () { openLayers = {}; loadView(null); });
  byId("zoom-in").addEventListener("click", function () {
    var r = graph.getBoundingClientRect(); zoomAt(1.25, r.width / 2, r.height / 2); });
  byId("zoom-out").addEventListener("click", function () {
    var r = graph.getBoundingClientRect(); zoomAt(0.8, r.width / 2, r.height / 2); });
  byId("zoom-fit").addEventListener("click", fit);
  document.addEventListener("keydown", function (ev) {
    if (ev.target === slider || ev.target === byId("search")) { return; }  // they handle their keys
    if (ev.key === "ArrowRight") { show(current + 1); ev.preventDefault(); }
    else if (ev.key === "ArrowLeft") { show(current - 1); ev.preventDefault(); }
    else if (ev.key === "Home") { show(0); ev.preventDefault(); }
    else if (ev.key === "End") { show(N); ev.preventDefault(); }
    else if (ev.key === "+" || ev.key === "=") { byId("zoom-in").click(); }
    else if (ev.key === "-") { byId("zoom-out").click(); }
    else if (ev.key === "0") { fit(); }
  });
  window.addEventListener("resize", home);

  // -- auto-play: Next on a timer until the last step; any manual step pauses it ---------------
  var timer = null, playButton = byId("play"), speed = byId("speed");
  function pause() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    playButton.textContent = "▶ Play";
    playButton.setAttribute("aria-pressed", "false");
  }
  function play() {
    pause();
    if (current === N) { show(0); }  // played to the end: Play starts again from the top
    timer = setInterval(function () {
      show(current + 1);
      if (current >= N) { pause(); }
    }, Number(speed.value));
    playButton.textContent = "❚❚ Pause";
    playButton.setAttribute("aria-pressed", "true");
  }
  playButton.addEventListener("click", function () { if (timer === null) { play(); } else { pause(); } });
  speed.addEventListener("change", function () { if (timer !== null) { play(); } });  // new pace now
  ["prev", "next"].forEach(function (id) { byId(id).addEventListener("click", pause); });
  slider.addEventListener("input", pause);
  document.addEventListener("keydown", function (ev) {
    if (ev.target === slider || ev.target === byId("search")) { return; }
    if (ev.key === " " && ev.target.tagName !== "BUTTON") { playButton.click(); ev.preventDefault(); }
    else if (["ArrowRight", "ArrowLeft", "Home", "End"].indexOf(ev.key) >= 0) { pause(); }
  });

  if (!DATA.layers.length) {  // no module calls: nothing to open or close
    byId("layer-controls").hidden = true;
  }
  if (DATA.start) { DATA.start.split("-").forEach(function (i) { openLayers[Number(i)] = true; }); }
  loadView(null);
  window.explorer = {show: show, toggleLayer: toggleLayer, find: find,
                     state: function () { return {view: viewKey, step: current, zoom: zoom,
                                                  playing: timer !== null}; }};
})();
