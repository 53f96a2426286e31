
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("data").textContent);
  var T = D.labels;
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function num(n) { return Number(n).toLocaleString(D.locale); }
  function pct(r) {
    if (r === null || r === undefined || !isFinite(r)) { return "-"; }
    return (100 * r).toLocaleString(D.locale, {minimumFractionDigits: 1,
      maximumFractionDigits: 1}) + "%";
  }
  function ratio(a, b) { return b > 0 ? a / b : null; }
  function place(o) { return esc(o.kec) + (o.kab ? ", " + esc(o.kab) : "") +
    (D.zoned && o.zone ? " · " + esc(T.zone) + " " + esc(o.zone) : ""); }

  var map = L.map("map", {preferCanvas: true, zoomSnap: 0.25});
  map.createPane("kec"); map.getPane("kec").style.zIndex = 350;
  map.createPane("flows"); map.getPane("flows").style.zIndex = 410;
  map.createPane("producers"); map.getPane("producers").style.zIndex = 420;
  var kecR = L.canvas({pane: "kec"});
  var flowR = L.canvas({pane: "flows", tolerance: 4});
  var prodR = L.canvas({pane: "producers"});

  var byP = {}, byS = {};
  D.links.forEach(function (l) {
    (byP[l.p] = byP[l.p] || []).push(l); (byS[l.s] = byS[l.s] || []).push(l);
  });
  function km(x) { return x.toLocaleString(D.locale, {maximumFractionDigits: 1}) + " km"; }
  function linkList(list, key, label) {
    if (!list || !list.length) { return ""; }
    return "<br>" + esc(cap(label)) + ": " + list.map(function (l) {
      return esc(l[key]) + " (" + num(l.q) + ", " + km(l.km) + ")";
    }).join(", ");
  }
  function itemTable(items, head) {
    var rows = items.map(function (i) {
      var why = i[3] ? "<tr><td colspan=3 class=why>" + esc(i[3]) + "</td></tr>" : "";
      return "<tr><td>" + esc(i[0] || "-") + "</td><td class=n>" + num(i[1]) +
        "</td><td class=n>" + num(i[2]) + "</td></tr>" + why;
    }).join("");
    return "<table><tr><th>" + esc(T.product) + "</th><th>" + esc(head[0]) + "</th><th>" +
      esc(head[1]) + "</th></tr>" + rows + "</table>";
  }

  var kec = L.geoJSON(D.kecamatan, {
    renderer: kecR, pane: "kec",
    style: function (f) {
      return {color: "#8c887e", weight: 1, fillColor: f.properties.colour, fillOpacity: 0.9};
    },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      layer.bindPopup("<b>" + esc(p.nama) + "</b> (" + esc(p.kode) + ")<br>" + esc(p.kabupaten) +
        (D.zoned ? "<br>" + esc(T.zone) + ": " + esc(p.zone) : "") +
        "<table><tr><td>" + esc(T.producers) + "</td><td class=n>" + num(p.producers) +
        "</td></tr><tr><td>" + esc(T.capacity) + "</td><td class=n>" + num(p.supply) +
        "</td></tr><tr><td>" + esc(T.supplied) + "</td><td class=n>" + num(p.supplied) +
        "</td></tr><tr><td>" + esc(T.stores) + "</td><td class=n>" + num(p.stores) +
        "</td></tr><tr><td>" + esc(T.ordered) + "</td><td class=n>" + num(p.demand) +
        "</td></tr><tr><td>" + esc(T.received) + "</td><td class=n>" + num(p.allocated) +
        "</td></tr><tr><td>" + esc(T.fill_rate) + "</td><td class=n>" + pct(p.fill_rate) +
        "</td></tr></table>");
      layer.bindTooltip(esc(p.nama), {permanent: true, direction: "center",
        className: "kec-label", interactive: false});
    }
  });

  var flows = L.layerGroup(D.links.map(function (l) {
    var items = l.items.map(function (i) { return esc(i[0] || "-") + ": " + num(i[1]); });
    return L.polyline(l.ll, {renderer: flowR, color: D.flow_colour, weight: l.w, opacity: 0.45})
      .bindPopup("<b>" + esc(l.p) + " &rarr; " + esc(l.s) + "</b><br>" + num(l.q) + " " +
        esc(T.quantity) + ", " + km(l.km) + "<br>" + items.join("<br>"));
  }));

  var producers = L.layerGroup(D.producers.slice().sort(function (a, b) {
    return b.qty - a.qty;
  }).map(function (p) {
    return L.circleMarker([p.lat, p.lon], {renderer: prodR, radius: p.radius,
      fillColor: p.colour, color: "#222", weight: 1, fillOpacity: 0.92})
      .bindPopup("<b>" + esc(p.id) + "</b> " + esc(p.name) + "<br>" + place(p) +
        itemTable(p.items, [T.capacity, T.supplied]) + esc(T.share_used) + ": " +
        pct(ratio(p.allocated, p.qty)) + linkList(byP[p.id], "s", T.supplies));
  }));

  var stores = L.layerGroup(D.stores.map(function (s) {
    var icon = L.divIcon({className: "store-icon", iconSize: [11, 11],
      html: "<span style=\"background:" + s.colour + "\"></span>"});
    return L.marker([s.lat, s.lon], {icon: icon, title: s.id + " " + s.name, keyboard: false})
      .bindPopup("<b>" + esc(s.id) + "</b> " + esc(s.name) +
        (s.chain ? " (" + esc(s.chain) + ")" : "") + "<br>" + place(s) +
        itemTable(s.items, [T.ordered, T.received]) + esc(T.fill_rate) + ": " +
        pct(ratio(s.allocated, s.qty)) + linkList(byS[s.id], "p", T.supplied_by));
  }));

  var blank = L.layerGroup();
  var osm = L.tileLayer(D.osm, {maxZoom: 19,
    attribution: "&copy; OpenStreetMap contributors"});
  var bases = {}; bases[T.no_tiles] = blank; bases[T.osm_layer] = osm;
  function cap(s) { return s.charAt(0).toUpperCase() + s.slice(1); }
  var overlays = {};
  overlays[cap(T.kecamatan)] = kec; overlays[cap(T.flows)] = flows;
  overlays[cap(T.producers)] = producers; overlays[cap(T.stores)] = stores;
  [blank, kec, flows, producers, stores].forEach(function (l) { l.addTo(map); });
  L.control.layers(bases, overlays, {collapsed: false}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  map.on("baselayerchange", function (e) {
    kec.setStyle({fillOpacity: e.layer === osm ? 0.15 : 0.9});
  });

  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "legend");
    div.innerHTML = "<b>" + esc(T.legend_colour_short) + "</b>" +
      "<div class=ramp style=\"background:linear-gradient(to right," + D.ramp.join(",") +
      ")\"></div><div class=ticks><span>0%</span><span>50%</span><span>100%</span></div>" +
      "<i style=\"width:14px;height:14px;border-radius:50%;border:1px solid #222;" +
      "background:#bbb\"></i>" + esc(T.legend_producer) + "<br>" +
      "<i style=\"width:9px;height:9px;border:1px solid #222;background:#bbb;margin-left:3px;" +
      "margin-right:8px\"></i>" + esc(T.legend_store) + "<br>" +
      "<i style=\"width:22px;height:3px;background:" + D.flow_colour + "\"></i>" +
      esc(T.legend_flow);
    return div;
  };
  legend.addTo(map);
  map.fitBounds(D.bounds);
})();
