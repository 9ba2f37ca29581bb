// Follows the invoice's state without a reload: polls /pay/{id}/status and counts down.
(function () {
  "use strict";
  var root = document.getElementById("checkout");
  if (!root) { return; }
  var id = root.getAttribute("data-invoice");
  var expires = parseInt(root.getAttribute("data-expires"), 10) * 1000;
  var statusEl = document.getElementById("status");
  var countdown = document.getElementById("countdown");
  var labels = {
    "new": "Waiting for your payment",
    "processing": "Payment seen, waiting for confirmation",
    "settled": "Paid. Thank you!",
    "expired": "This invoice has expired",
    "invalid": "This invoice is no longer valid"
  };
  var done = false;
  function tick() {
    var left = Math.max(0, Math.floor((expires - Date.now()) / 1000));
    var m = Math.floor(left / 60), s = left % 60;
    countdown.textContent = m + ":" + (s < 10 ? "0" : "") + s;
  }
  function show(v) {
    var text = labels[v.status] || v.status;
    if (v.additional_status && v.additional_status !== "none") {
      text += " (" + v.additional_status.replace("_", " ") + ", received " + v.paid + " USDT)";
    }
    statusEl.textContent = text;
    statusEl.setAttribute("data-status", v.status);
    if (v.status === "settled" || v.status === "expired" || v.status === "invalid") {
      done = true;
      if (v.status === "settled" && v.redirect_url) {
        setTimeout(function () { window.location.assign(v.redirect_url); }, 3000);
      }
    }
  }
  function poll() {
    if (done) { return; }
    fetch("/pay/" + encodeURIComponent(id) + "/status", { headers: { "accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (v) { if (v) { show(v); } })
      .catch(function () {})
      .then(function () { if (!done) { setTimeout(poll, 2000); } });
  }
  tick();
  setInterval(tick, 1000);
  poll();
})();
