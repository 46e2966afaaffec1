// The explorer's forward-mode direction (viz/explorer_forward.py; html.py inlines this file
// after explorer.js, only on a page made with forward=True).  It owns its own markup
// (#forward-main, #forward-controls) and data (DATA.forward) and leaves the backward
// explorer alone: the direction switch only hides one and shows the other.
(function () {
  "use strict";
  var F = JSON.parse(document.getElementById("explorer-data").textContent).forward;
  if (!F) { return; }
  var N = F.steps.length, current = 0, direction = "backward", drawn = false;
  var backwardMain = document.querySelector("main:not(#forward-main)");
  var backwardControls = document.querySelector("header .controls:not(#forward-controls)");
  var title = byId("title"), backwardTitle = title.textContent;

  function byId(id) { return document.getElementById(id); }

  function setDirection(d) {
    direction = d;
    var forward = d === "forward";
    backwardMain.hidden = forward;
    backwardControls.hidden = forward;
    byId("forward-main").hidden = !forward;
    byId("forward-controls").hidden = !forward;
    byId("dir-backward").setAttribute("aria-pressed", String(!forward));
    byId("dir-forward").setAttribute("aria-pressed", String(forward));
    title.textContent = forward ? F.title : backwardTitle;
    byId("card").style.display = "none";
    if (forward && !drawn) {  // the tangent view is cloned in on first use
      byId("fcanvas").appendChild(byId("view-tangents").content.cloneNode(true));
      byId("fcanvas").querySelectorAll("a").forEach(function (a) {
        ["href", "xlink:href", "title", "xlink:title"].forEach(function (n) { a.removeAttribute(n); });
      });
      drawn = true;
      var frame = byId("fgraph");
      frame.scrollTop = frame.scrollHeight;  // the inputs, where the tangent pass starts (BT)
    }
    if (forward) { show(current); }
  }

  function show(k) {
    current = Math.max(0, Math.min(N, k));
    byId("fslider").value = String(current);
    byId("fcounter").textContent = "Step " + current + " of " + N;
    byId("fprev").disabled = current === 0;
    byId("fnext").disabled = current === N;
    var step = current > 0 ? F.steps[current - 1] : null;
    byId("fstep-title").textContent = step ? step.title : "Before the tangent pass";
    byId("fstep-text").textContent = step ? step.text : F.intro;
    var canvas = byId("fcanvas");
    canvas.querySelectorAll("g.node").forEach(function (g) { g.classList.remove("current", "done"); });
    F.steps.forEach(function (s, i) {
      var g = byId(s.op);
      if (g && i + 1 < current) { g.classList.add("done"); }
    });
    var here = step ? byId(step.op) : null;
    if (here) {
      here.classList.add("current");
      here.scrollIntoView({block: "nearest", inline: "nearest"});
    }
    Object.keys(F.edges).forEach(function (id) {
      var g = byId(id);
      if (!g) { return; }
      g.classList.toggle("pending", F.edges[id] > current);
      g.classList.toggle("current", F.edges[id] === current);
    });
    Object.keys(F.cells).forEach(function (id) {
      var g = byId(id);
      if (g) { g.classList.toggle("tangent-hidden", F.cells[id] > current); }
    });
    var box = byId("tangents-so-far");
    box.textContent = "";
    F.tangents.forEach(function (t) {
      if (t.step > current) { return; }
      var div = document.createElement("div");
      div.textContent = t.name + " = " + (t.value.indexOf("\n") >= 0 ? "\n" : "") + t.value +
        (t.step === 0 ? "   (seed)" : "");
      box.appendChild(div);
    });
  }

  byId("dir-backward").addEventListener("click", function () { setDirection("backward"); });
  byId("dir-forward").addEventListener("click", function () { setDirection("forward"); });
  byId("fprev").addEventListener("click", function () { show(current - 1); });
  byId("fnext").addEventListener("click", function () { show(current + 1); });
  byId("fslider").addEventListener("input", function () { show(parseInt(byId("fslider").value, 10)); });
  // In forward mode the arrow keys step the tangent pass; caught before the backward
  // explorer's own listener (on document) sees them.
  window.addEventListener("keydown", function (ev) {
    if (direction !== "forward" || ev.target === byId("fslider")) { return; }
    var to = {ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: N}[ev.key];
    if (to === undefined) { return; }
    show(to);
    ev.preventDefault();
    ev.stopImmediatePropagation();
  }, true);
  window.explorerForward = {show: show, setDirection: setDirection,
                            state: function () { return {direction: direction, step: current}; }};
})();
