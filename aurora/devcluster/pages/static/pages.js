// aurora-devcluster pages: keep times current and refresh the live sections in place.
// The server renders (and escapes) every section; this script only swaps them in.
(function () {
  "use strict";
  var body = document.body;
  var failures = 0;

  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var units = [["d", 86400, "h", 3600], ["h", 3600, "m", 60], ["m", 60, "s", 1]];
    for (var i = 0; i < units.length; i++) {
      var u = units[i];
      if (s >= u[1]) {
        return Math.floor(s / u[1]) + u[0] + " " + Math.floor((s % u[1]) / u[3]) + u[2];
      }
    }
    return s + "s";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".age[data-ms]").forEach(function (el) {
      el.textContent = duration(now - Number(el.getAttribute("data-ms")));
    });
    document.querySelectorAll("time.at[data-ms]").forEach(function (el) {
      el.title = duration(now - Number(el.getAttribute("data-ms"))) + " ago";
    });
  }

  function bars() {   // widths come as data (the page allows no inline styles)
    document.querySelectorAll("[data-w]").forEach(function (el) {
      el.style.width = el.getAttribute("data-w") + "%";
    });
  }

  function say(text) {
    var el = document.getElementById("live-state");
    if (el) { el.textContent = text; }
  }

  function apply(answer) {
    if (answer.sections) {
      Object.keys(answer.sections).forEach(function (id) {
        var el = document.getElementById(id);
        if (el) { el.innerHTML = answer.sections[id]; }
      });
      bars();
      tick();
    }
    body.setAttribute("data-version", answer.version);
    failures = 0;
    say(" · live, updated " + new Date().toLocaleTimeString());
  }

  function poll() {
    var live = body.getAttribute("data-live");
    if (!live) { return; }
    var url = live + "?since=" + encodeURIComponent(body.getAttribute("data-version") || "");
    fetch(url, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) {
        if (r.status === 404) {
          say(" · this page no longer exists; reload to see why");
          return null;
        }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json().then(apply).then(function () { return true; });
      })
      .catch(function () {
        failures += 1;
        say(" · cannot reach the devcluster; retrying");
      })
      .then(function (more) {
        if (more === null) { return; }
        var every = Number(body.getAttribute("data-poll-ms")) || 2000;
        setTimeout(poll, Math.min(every * Math.pow(2, failures), 30000));
      });
  }

  bars();
  tick();
  var many = document.querySelectorAll(".age").length > 2000;
  setInterval(tick, many ? 10000 : 1000);
  if (body.getAttribute("data-live")) {
    setTimeout(poll, Number(body.getAttribute("data-poll-ms")) || 2000);
  }
}());
