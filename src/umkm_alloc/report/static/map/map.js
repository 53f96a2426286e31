/* map.html: the allocation on a Leaflet map, drawn from the JSON in <script id="data">.
 *
 * Every vector layer (kecamatan, flows, delivery trips, producers) is drawn by ONE canvas
 * renderer, bottom to top in that order: one canvas receives every click and hands it to the
 * topmost feature under the pointer. (A canvas per layer stacks full-size canvases, and the
 * top one swallows every click, even with its layer switched off.) A layer switched back on
 * is put back in its place in that order. Stores are DOM markers above the canvas; kecamatan
 * names are DOM labels above them that never take a click and hide where they would collide.
 *
 * window.umkmMap = {map, layers, placeLabels} is there for scripts and tests.
 */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("data").textContent);
  var T = D.labels;

  // ------------------------------------------------ text
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function fill(template, values) {  // "{n} units" + {n: "14"} -> "14 units"
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }
  function cap(s) { return s.charAt(0).toUpperCase() + s.slice(1); }
  function num(n) { return Number(n).toLocaleString(D.locale); }
  function km(x) { return x.toLocaleString(D.locale, {maximumFractionDigits: 1}) + " km"; }
  function pct(r) {
    if (r === null || r === undefined || !isFinite(r)) { return "-"; }
    return (100 * r).toLocaleString(D.locale, {minimumFractionDigits: 1,
      maximumFractionDigits: 1}) + "%";
  }
  function ratio(a, b) { return b > 0 ? a / b : null; }
  function units(n) { return fill(n === 1 ? T.unit_one : T.unit_many, {n: num(n)}); }
  function unitsOf(n, product) {  // "14 units of Gipang" (plain text, not yet escaped)
    return product ? fill(T.units_of, {units: units(n), product: product}) : units(n);
  }
  function place(o) {
    return esc(o.kec) + (o.kab ? ", " + esc(o.kab) : "") +
      (D.zoned && o.zone ? " · " + esc(T.zone) + " " + esc(o.zone) : "");
  }

  var byId = {producer: {}, store: {}};
  D.producers.forEach(function (p) { byId.producer[p.id] = p; });
  D.stores.forEach(function (s) { byId.store[s.id] = s; });
  function who(kind, id) {  // "<b>Emping Ciruas</b> (P002)"
    var o = byId[kind][id];
    return o && o.name ? "<b>" + esc(o.name) + "</b> (" + esc(id) + ")" : "<b>" + esc(id) + "</b>";
  }

  // ------------------------------------------------ popups
  var byP = {}, byS = {};
  D.links.forEach(function (l) {
    (byP[l.p] = byP[l.p] || []).push(l); (byS[l.s] = byS[l.s] || []).push(l);
  });
  function linkList(list, key, label) {
    if (!list || !list.length) { return ""; }
    return "<br>" + esc(cap(label)) + ": " + list.map(function (l) {
      return esc(l[key]) + " (" + esc(units(l.q) + ", " + km(l.km)) + ")";
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
  function kecPopup(p) {
    function row(label, value) {
      return "<tr><td>" + esc(cap(label)) + "</td><td class=n>" + value + "</td></tr>";
    }
    return "<b>" + esc(p.nama) + "</b> (" + esc(p.kode) + ")<br>" + esc(p.kabupaten) +
      (D.zoned ? "<br>" + esc(T.zone) + ": " + esc(p.zone) : "") + "<table>" +
      row(T.producers, num(p.producers)) + row(T.capacity, num(p.supply)) +
      row(T.supplied, num(p.supplied)) + row(T.stores, num(p.stores)) +
      row(T.ordered, num(p.demand)) + row(T.received, num(p.allocated)) +
      row(T.fill_rate, pct(p.fill_rate)) + "</table>";
  }
  function flowPopup(l) {  // "Emping Ciruas (P002) -> Indomaret Ciruas (S010)
    var head = who("producer", l.p) + " &rarr; " + who("store", l.s) + "<br>";
    if (l.items.length === 1) {  //  14 units of Gipang, 4.3 km"
      return head + esc(unitsOf(l.q, l.items[0][0]) + ", " + km(l.km));
    }
    return head + esc(units(l.q) + ", " + km(l.km)) + "<br>" + l.items.map(function (i) {
      return esc(unitsOf(i[1], i[0]));
    }).join("<br>");
  }
  var tripsOf = {};
  (D.trips || []).forEach(function (t) { (tripsOf[t.p] = tripsOf[t.p] || []).push(t); });
  function tripList(list) {  // "Delivery trips:" then "1: S1 -> S2 (45 units, 12.3 km)"
    if (!list || !list.length) { return ""; }
    return "<br>" + esc(cap(T.trips)) + ":" + list.map(function (t) {
      return "<br>" + esc(t.trip) + ": " + t.stops.map(esc).join(" &rarr; ") + " (" +
        esc(units(t.q) + ", " + km(t.km)) + ")";
    }).join("");
  }
  function tripPopup(t) {
    var p = byId.producer[t.p];
    var title = fill(T.trip_title, {trip: t.trip, producer: p && p.name ? p.name : t.p});
    return "<b>" + esc(cap(title)) + "</b><br>" +
      esc(num(t.stops.length) + " " + T.stops + ", " + units(t.q) + ", " + km(t.km)) + "<br>" +
      [t.p].concat(t.stops, [t.p]).map(esc).join(" &rarr; ");
  }

  // ------------------------------------------------ the map and its layers
  var canvas = L.canvas({padding: 0.5, tolerance: 3});
  var map = L.map("map", {renderer: canvas, zoomSnap: 0.25});
  map.createPane("labels");
  map.getPane("labels").style.zIndex = 640;  // above the stores (600), below popups (700)
  map.getPane("labels").style.pointerEvents = "none";

  var kecAreas = L.geoJSON(D.kecamatan, {
    style: function (f) {
      return {color: "#8c887e", weight: 1, fillColor: f.properties.colour, fillOpacity: 0.9};
    },
    onEachFeature: function (f, layer) { layer.bindPopup(kecPopup(f.properties)); }
  });
  var labelList = [];
  kecAreas.eachLayer(function (layer) {
    var p = layer.feature.properties;
    var marker = L.marker(p.label, {pane: "labels", interactive: false, keyboard: false,
      icon: L.divIcon({className: "kec-label", iconSize: null,
        html: "<span>" + esc(p.nama) + "</span>"})});
    var b = layer.getBounds();
    labelList.push({marker: marker, area: layer, busy: p.producers + p.stores > 0 ? 1 : 0,
      size: (b.getEast() - b.getWest()) * (b.getNorth() - b.getSouth())});
  });
  labelList.sort(function (a, b) {  // first kecamatan with sites, then large ones
    return (b.busy - a.busy) || (b.size - a.size);
  });
  var kecLabels = L.layerGroup(labelList.map(function (it) { return it.marker; }));
  var kec = L.layerGroup([kecAreas, kecLabels]);

  var flows = L.featureGroup(D.links.slice().sort(function (a, b) {
    return a.q - b.q;  // thin under thick
  }).map(function (l) {
    return L.polyline(l.ll, {color: D.flow_colour, weight: l.w, opacity: 0.45})
      .bindPopup(flowPopup(l));
  }));

  // Delivery trips (--routes): drawn when the data holds them (see html.py `_trips`).
  var trips = D.trips && D.trips.length ? L.featureGroup(D.trips.map(function (t) {
    return L.polyline(t.ll, {color: D.trip_colour, weight: 2.5, opacity: 0.9,
      dashArray: "7 5"}).bindPopup(tripPopup(t));
  })) : null;

  var producers = L.featureGroup(D.producers.slice().sort(function (a, b) {
    return b.qty - a.qty;  // small on top of large
  }).map(function (p) {
    return L.circleMarker([p.lat, p.lon], {radius: p.radius, fillColor: p.colour,
      color: "#222", weight: 1, fillOpacity: 0.92})
      .bindPopup(who("producer", p.id) + "<br>" + place(p) +
        itemTable(p.items, [T.capacity, T.supplied]) + esc(cap(T.share_used)) + ": " +
        pct(ratio(p.allocated, p.qty)) + linkList(byP[p.id], "s", T.supplies) +
        tripList(tripsOf[p.id]));
  }));

  var stores = L.layerGroup(D.stores.map(function (s) {
    var icon = L.divIcon({className: "store-icon", iconSize: [11, 11],
      html: "<span style=\"background:" + s.colour + "\"></span>"});
    return L.marker([s.lat, s.lon], {icon: icon, title: s.id + " " + s.name, keyboard: false})
      .bindPopup(who("store", s.id) + (s.chain ? " · " + esc(s.chain) : "") + "<br>" + place(s) +
        itemTable(s.items, [T.ordered, T.received]) + esc(cap(T.fill_rate)) + ": " +
        pct(ratio(s.allocated, s.qty)) + linkList(byS[s.id], "p", T.supplied_by));
  }));

  // The canvas draws in the order layers were added; keep kecamatan < flows < trips <
  // producers when a layer is switched back on (it would otherwise be drawn on top).
  var stack = [kecAreas, flows, trips, producers].filter(Boolean);
  function keepOrder() {
    stack.forEach(function (group) {
      if (map.hasLayer(group)) { group.eachLayer(function (l) { l.bringToFront(); }); }
    });
  }

  // ------------------------------------------------ kecamatan labels without collisions
  function placeLabels() {
    if (!map.hasLayer(kecLabels)) { return; }
    var size = map.getSize(), origin = map.getContainer().getBoundingClientRect();
    var controls = map.getContainer().querySelectorAll(".leaflet-control");
    var taken = Array.prototype.map.call(controls, function (el) {  // never under a control
      var r = el.getBoundingClientRect();
      return [r.left - origin.left, r.top - origin.top, r.right - origin.left,
        r.bottom - origin.top];
    });
    labelList.forEach(function (it) {
      var el = it.marker.getElement();
      if (!el) { return; }
      var span = el.firstChild;
      if (!it.w) { it.w = span.offsetWidth; it.h = span.offsetHeight; }
      var c = map.latLngToContainerPoint(it.marker.getLatLng());
      var box = [c.x - it.w / 2 - 3, c.y - it.h / 2 - 1, c.x + it.w / 2 + 3, c.y + it.h / 2 + 1];
      var b = it.area.getBounds();
      var wide = map.latLngToContainerPoint(b.getNorthEast()).x -
        map.latLngToContainerPoint(b.getSouthWest()).x;
      var show = wide >= 0.6 * it.w && box[2] > 0 && box[0] < size.x && box[3] > 0 &&
        box[1] < size.y && taken.every(function (t) {
          return box[2] < t[0] || box[0] > t[2] || box[3] < t[1] || box[1] > t[3];
        });
      if (show) { taken.push(box); }
      el.style.visibility = show ? "" : "hidden";
    });
  }

  // ------------------------------------------------ controls
  var blank = L.layerGroup();
  var osm = L.tileLayer(D.osm, {maxZoom: 19,
    attribution: "&copy; OpenStreetMap contributors"});
  var bases = {}; bases[T.no_tiles] = blank; bases[T.osm_layer] = osm;
  var overlays = {};
  overlays[cap(T.kecamatan)] = kec;
  overlays[cap(T.flows)] = flows;
  if (trips) { overlays[cap(T.trips)] = trips; }
  overlays[cap(T.producers)] = producers;
  overlays[cap(T.stores)] = stores;
  [blank, kec, flows, trips, producers, stores].forEach(function (l) { if (l) { l.addTo(map); } });
  L.control.layers(bases, overlays, {collapsed: false}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  map.on("baselayerchange", function (e) {
    kecAreas.setStyle({fillOpacity: e.layer === osm ? 0.15 : 0.9});
  });
  map.on("overlayadd", function () { keepOrder(); placeLabels(); });
  map.on("zoomend moveend resize", placeLabels);

  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "legend");
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    function row(symbol, text) { return "<div class=row>" + symbol + esc(text) + "</div>"; }
    function swatch(colour) { return "<i class=sw style=\"background:" + colour + "\"></i>"; }
    var html = "<b>" + esc(cap(T.legend_colour_short)) + "</b>" +
      "<div class=ramp style=\"background:linear-gradient(to right," + D.ramp.join(",") +
      ")\"></div><div class=ticks><span>0%</span><span>50%</span><span>100%</span></div>" +
      row("<i class=dot></i>", T.legend_producer) + row("<i class=sq></i>", T.legend_store) +
      row("<i class=line style=\"border-top-color:" + D.flow_colour + "\"></i>",
        T.legend_flow_line) +
      (trips ? row("<i class=\"line dashed\" style=\"border-top-color:" + D.trip_colour +
        "\"></i>", T.legend_trip) : "");
    if (D.zoned) {
      var unzoned = D.kecamatan.features.some(function (f) {
        return f.properties.colour === D.land;
      });
      html += "<b class=part>" + esc(T.zone) + "</b>" + D.zones.map(function (z) {
        return row(swatch(z.colour), z.name);
      }).join("") + (unzoned ? row(swatch(D.land), cap(T.kecamatan_no_zone)) : "");
    }
    div.innerHTML = html;
    return div;
  };
  legend.addTo(map);
  map.fitBounds(D.bounds);
  placeLabels();

  window.umkmMap = {map: map, placeLabels: placeLabels, layers: {kecamatan: kec,
    kecamatanAreas: kecAreas, labels: kecLabels, flows: flows, trips: trips,
    producers: producers, stores: stores, osm: osm}};
})();
