// stablerail dashboards: progressive enhancement only (every page works without
// this script). Served by the gateway from the repository; no CDN, no inline code.
(function () {
  "use strict";

  // Deadlines count down (acceptor's deals).
  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll("time.countdown[data-deadline]").forEach(function (el) {
      var left = Math.floor(Number(el.dataset.deadline) - now);
      if (!isFinite(left)) return;
      if (left <= 0) { el.textContent = "deadline passed"; return; }
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = (h ? h + "h " : "") + m + "m " + (s < 10 ? "0" : "") + s + "s left";
    });
  }

  function hex(bytes) {
    return "0x" + Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  var B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  function base58(bytes) {
    var digits = [0];
    for (var i = 0; i < bytes.length; i++) {
      var carry = bytes[i];
      for (var j = 0; j < digits.length; j++) {
        carry += digits[j] << 8;
        digits[j] = carry % 58;
        carry = (carry / 58) | 0;
      }
      while (carry) { digits.push(carry % 58); carry = (carry / 58) | 0; }
    }
    var out = "";
    for (var k = 0; k < bytes.length && bytes[k] === 0; k++) out += "1";
    for (var q = digits.length - 1; q >= 0; q--) out += B58[digits[q]];
    return out;
  }

  // Sign-in: fill the address from a browser wallet, and sign the message with it.
  function walletFor(kind) {
    if (kind === "evm" && window.ethereum) return "evm";
    if (kind === "tron" && window.tronWeb) return "tron";
    if (kind === "solana" && window.solana) return "solana";
    return null;
  }

  function setupConnect() {
    var btn = document.getElementById("connect");
    var form = document.getElementById("challenge-form");
    if (!btn || !form) return;
    if (!(window.ethereum || window.tronWeb || window.solana)) return;
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var kind = form.querySelector("input[name=kind]:checked").value;
      var addr = document.getElementById("address");
      if (walletFor(kind) === "evm") {
        window.ethereum.request({ method: "eth_requestAccounts" }).then(function (a) { addr.value = a[0]; });
      } else if (walletFor(kind) === "tron") {
        addr.value = window.tronWeb.defaultAddress.base58;
      } else if (walletFor(kind) === "solana") {
        window.solana.connect().then(function (r) { addr.value = r.publicKey.toString(); });
      }
    });
  }

  function setupSign() {
    var form = document.getElementById("sign-form");
    var btn = document.getElementById("wallet-sign");
    if (!form || !btn) return;
    var kind = form.dataset.kind;
    if (!walletFor(kind)) return;
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var msg = document.getElementById("message").value;
      var out = document.getElementById("signature");
      var done = function (sig) { out.value = sig; form.submit(); };
      if (kind === "evm") {
        var bytes = new TextEncoder().encode(msg);
        window.ethereum.request({ method: "personal_sign", params: [hex(bytes), form.dataset.address] }).then(done);
      } else if (kind === "tron") {
        window.tronWeb.trx.signMessageV2(msg).then(done);
      } else if (kind === "solana") {
        window.solana.signMessage(new TextEncoder().encode(msg), "utf8").then(function (r) {
          done(base58(r.signature));
        });
      }
    });
  }

  // Invoices still open follow their state without a reload (the checkout page's
  // public status route, same origin).
  function followInvoices() {
    var rows = document.querySelectorAll("#invoices tr[data-invoice]");
    if (!rows.length) return;
    setInterval(function () {
      rows.forEach(function (tr) {
        var st = tr.querySelector(".status");
        if (!st || ["new", "processing"].indexOf(st.textContent) < 0) return;
        fetch("/pay/" + encodeURIComponent(tr.dataset.invoice) + "/status")
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (v) {
            if (!v || !v.status || v.status === st.textContent) return;
            st.textContent = v.status;
            st.className = "status s-" + v.status;
          })
          .catch(function () {});
      });
    }, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    followInvoices();
    setupConnect();
    setupSign();
    if (document.querySelector("time.countdown")) { tick(); setInterval(tick, 1000); }
  });
})();
