/* Intelligence products: print button and the Cytoscape association chart.
   No inline scripts (CSP): the chart's data is read from a JSON data island. */
(function () {
  "use strict";

  document.querySelectorAll('[data-module="app-print"]').forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // Family tree: positions come from the server (one row per generation), so the layout is
  // "preset" and the same for everyone who may see the same links.
  var target = null;  // the drawing the download buttons export
  var tree = document.getElementById("family-tree");
  var treeIsland = document.getElementById("family-data");
  if (tree && treeIsland && typeof window.cytoscape === "function") {
    var family = JSON.parse(treeIsland.textContent);
    var fcy = window.cytoscape({
      container: tree,
      elements: family.nodes.map(function (n) { return { group: "nodes", data: n, position: { x: n.x, y: n.y } }; })
        .concat(family.edges.map(function (e) { return { group: "edges", data: e }; })),
      wheelSensitivity: 0.3,
      layout: { name: "preset", fit: true, padding: 40 },
      style: [
        { selector: "node", style: {
          "background-color": "data(colour)", "label": "data(label)", "font-size": 12, "color": "#0b0c0c",
          "text-valign": "bottom", "text-margin-y": 4, "text-wrap": "wrap", "text-max-width": 150,
          "width": 34, "height": 34, "border-width": 2, "border-color": "#0b0c0c" } },
        { selector: 'node[kind = "principal"]', style: { "width": 46, "height": 46, "font-weight": "bold" } },
        { selector: 'node[kind = "linked_nominal"]', style: { "border-style": "dashed" } },
        { selector: "edge", style: { "width": 2, "line-color": "#505a5f", "curve-style": "straight" } },
        { selector: 'edge[kind = "parent"]', style: { "curve-style": "taxi", "taxi-direction": "downward",
          "target-arrow-shape": "triangle", "target-arrow-color": "#0b0c0c", "line-color": "#0b0c0c", "width": 2 } },
        { selector: 'edge[kind = "partner"]', style: { "line-style": "double", "width": 5, "line-color": "#00703c" } },
        { selector: 'edge[kind = "sibling"], edge[kind = "cousin"], edge[kind = "other_relative"]', style: {
          "line-style": "dashed", "line-color": "#1d70b8", "curve-style": "unbundled-bezier",
          "control-point-distances": [-40], "control-point-weights": [0.5] } }
      ]
    });
    tree.setAttribute("data-ready", String(fcy.nodes().length));
    window.gainportalFamilyTree = { cy: fcy };
    target = { cy: fcy, name: "family-tree", marking: tree.getAttribute("data-marking") || family.marking,
               reference: tree.getAttribute("data-reference") || "" };
  }

  var container = document.getElementById("association-chart");
  var island = document.getElementById("chart-data");
  if (container && island && typeof window.cytoscape === "function") {
  var data = JSON.parse(island.textContent);

  var elements = data.nodes.map(function (n) { return { group: "nodes", data: n }; })
    .concat(data.edges.map(function (e) { return { group: "edges", data: e }; }));
  var cy = window.cytoscape({
    container: container,
    elements: elements,
    wheelSensitivity: 0.3,
    style: [
      { selector: "node", style: {
        "background-color": "data(colour)", "label": "data(label)", "font-size": 11, "color": "#0b0c0c",
        "text-valign": "bottom", "text-margin-y": 4, "text-wrap": "wrap", "text-max-width": 140,
        "width": 26, "height": 26, "border-width": 1, "border-color": "#0b0c0c" } },
      { selector: 'node[kind = "principal"]', style: { "width": 44, "height": 44, "font-weight": "bold" } },
      { selector: 'node[kind = "significant"]', style: { "width": 36, "height": 36 } },
      { selector: 'node[kind = "premises"]', style: { "shape": "round-rectangle" } },
      { selector: 'node[kind = "vehicle"]', style: { "shape": "diamond" } },
      { selector: 'node[kind = "phone"]', style: { "shape": "triangle" } },
      { selector: 'node[kind = "business"]', style: { "shape": "hexagon" } },
      { selector: 'node[kind = "answer"]', style: { "shape": "star" } },
      { selector: 'node[kind = "linked_nominal"]', style: { "shape": "ellipse", "border-style": "dashed" } },
      { selector: 'node[kind = "ocg"]', style: { "shape": "round-octagon", "width": 40, "height": 40, "font-weight": "bold" } },
      { selector: "edge", style: { "width": 1.5, "line-color": "#505a5f", "curve-style": "bezier" } },
      { selector: 'edge[kind = "family"]', style: { "width": 3, "line-color": "#00703c" } },
      { selector: 'edge[kind = "association"]', style: { "width": 2, "line-color": "#0b0c0c", "line-style": "dotted" } },
      { selector: 'edge[kind = "ocg_link"]', style: { "width": 4, "line-color": "#f499be" } },
      { selector: 'edge[kind = "rival"]', style: { "width": 3, "line-color": "#d4351c", "line-style": "dashed",
        "label": "data(label)", "font-size": 10, "color": "#d4351c", "text-background-color": "#ffffff",
        "text-background-opacity": 1 } }
    ],
    layout: { name: data.nodes.length > 400 ? "grid" : "cose", animate: false, randomize: false,
              nodeRepulsion: 8000, idealEdgeLength: 70 }
  });
  container.setAttribute("data-ready", String(cy.nodes().length));
  target = { cy: cy, name: "association-chart", marking: container.getAttribute("data-marking") || data.marking,
             reference: container.getAttribute("data-reference") || "" };
  }
  if (!target) { return; }
  cy = target.cy;
  var marking = target.marking, reference = target.reference;

  function download(blob, name) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }

  function filename(ext) { return target.name + "-" + reference.replace(/[^A-Za-z0-9-]/g, "_") + "." + ext; }

  // PNG: Cytoscape's image with the marking drawn above and below it.
  function exportPng() {
    var url = cy.png({ full: true, scale: 2, bg: "#ffffff" });
    var img = new Image();
    img.onload = function () {
      var band = 60, canvas = document.createElement("canvas");
      canvas.width = img.width; canvas.height = img.height + 2 * band;
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(img, 0, band);
      ctx.fillStyle = "#0b0c0c"; ctx.font = "bold 32px arial, sans-serif"; ctx.textAlign = "center";
      ctx.fillText(marking, canvas.width / 2, 42);
      ctx.fillText(marking, canvas.width / 2, canvas.height - 18);
      canvas.toBlob(function (blob) { download(blob, filename("png")); }, "image/png");
    };
    img.src = url;
  }

  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  // SVG: drawn from the laid-out positions (core Cytoscape has no SVG renderer), marked top and bottom.
  function buildSvg() {
    var bb = cy.elements().boundingBox({}), pad = 40, band = 40;
    var w = Math.ceil(bb.w + 2 * pad), h = Math.ceil(bb.h + 2 * pad + 2 * band);
    var dx = pad - bb.x1, dy = pad + band - bb.y1;
    var out = ['<svg xmlns="http://www.w3.org/2000/svg" width="' + w + '" height="' + h + '" viewBox="0 0 ' + w + " " + h + '">',
      "<title>" + esc(marking + " " + target.name.replace("-", " ") + " " + reference) + "</title>",
      '<rect width="100%" height="100%" fill="#ffffff"/>',
      '<text x="' + w / 2 + '" y="28" text-anchor="middle" font-family="arial" font-weight="bold" font-size="20">' + esc(marking) + "</text>"];
    var strokes = { family: ' stroke="#00703c" stroke-width="3"', association: ' stroke="#0b0c0c" stroke-width="2" stroke-dasharray="2 3"',
      ocg_link: ' stroke="#f499be" stroke-width="4"', rival: ' stroke="#d4351c" stroke-width="3" stroke-dasharray="8 5"',
      parent: ' stroke="#0b0c0c" stroke-width="2"', partner: ' stroke="#00703c" stroke-width="5"',
      sibling: ' stroke="#1d70b8" stroke-width="2" stroke-dasharray="6 4"',
      cousin: ' stroke="#1d70b8" stroke-width="2" stroke-dasharray="6 4"',
      other_relative: ' stroke="#1d70b8" stroke-width="2" stroke-dasharray="6 4"' };
    cy.edges().forEach(function (e) {
      var s = e.source().position(), t = e.target().position();
      var stroke = strokes[e.data("kind")] || ' stroke="#505a5f" stroke-width="1.5"';
      out.push('<line x1="' + (s.x + dx) + '" y1="' + (s.y + dy) + '" x2="' + (t.x + dx) + '" y2="' + (t.y + dy) + '"' + stroke + "/>");
    });
    cy.nodes().forEach(function (n) {
      var p = n.position(), r = n.width() / 2;
      out.push('<circle cx="' + (p.x + dx) + '" cy="' + (p.y + dy) + '" r="' + r + '" fill="' + esc(n.data("colour")) + '" stroke="#0b0c0c"/>');
      out.push('<text x="' + (p.x + dx) + '" y="' + (p.y + dy + r + 12) + '" text-anchor="middle" font-family="arial" font-size="11">' + esc(n.data("label")) + "</text>");
    });
    out.push('<text x="' + w / 2 + '" y="' + (h - 12) + '" text-anchor="middle" font-family="arial" font-weight="bold" font-size="20">' + esc(marking) + "</text>");
    out.push("</svg>");
    return out.join("\n");
  }

  // Every download is audited: the page's form carries the CSRF token.
  function record(format) {
    var form = document.getElementById("chart-exported");
    if (!form) { return; }
    var body = new FormData(form);
    body.append("format", format);
    body.append("product", target.name.replace("-", "_"));
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin" });
  }

  document.querySelectorAll("[data-action]").forEach(function (button) {
    button.addEventListener("click", function () {
      record(button.getAttribute("data-action") === "export-png" ? "png" : "svg");
      if (button.getAttribute("data-action") === "export-png") { exportPng(); }
      if (button.getAttribute("data-action") === "export-svg") {
        download(new Blob([buildSvg()], { type: "image/svg+xml" }), filename("svg"));
      }
    });
  });
  if (target.name === "association-chart") { window.gainportalChart = { cy: cy, svg: buildSvg }; }
})();
