// The aggregation station: every scan is queued and sent in order, one at a time, so scans typed
// faster than the server answers are neither lost nor reordered; each gets its own answer.
(function () {
  "use strict";
  const station = document.querySelector(".station");
  const input = document.getElementById("scan-input");
  const log = document.getElementById("scan-log");
  const csrfToken = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  const undoDialog = document.getElementById("undo-dialog");
  const undoButton = document.getElementById("undo-open");
  const queue = [];
  let sending = false;
  let audio = null;
  const LOG_LENGTH = 50;
  const RETRY_MS = 2000;

  function tone(ok) {
    // Web Audio: no sound file to download on a plant network.
    try {
      audio = audio || new AudioContext();
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = ok ? "sine" : "square";
      oscillator.frequency.value = ok ? 1320 : 180;
      gain.gain.value = ok ? 0.25 : 0.35;
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start();
      oscillator.stop(audio.currentTime + (ok ? 0.12 : 0.6));
    } catch (error) {
      /* no audio device: the colour still tells */
    }
  }

  async function post(url, fields) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken, "HX-Request": "true" },
      body: new URLSearchParams(fields),
      credentials: "same-origin",
    });
    if (response.status >= 500 || response.status === 0) throw new Error("server " + response.status);
    if (response.redirected) { window.location.reload(); throw new Error("signed out"); }
    return response.text();
  }

  function show(html) {
    htmx.swap(log, html, { swapStyle: "afterbegin" });
    while (log.children.length > LOG_LENGTH) log.lastElementChild.remove();
    const status = document.getElementById("scan-status");
    tone(status.dataset.result === "ok");
    refreshUndo();
  }

  function offline() {
    const status = document.getElementById("scan-status");
    status.className = "scan-status scan-status--bad";
    status.dataset.result = "offline";
    status.textContent = document.getElementById("offline-message").innerHTML;
  }

  async function pump() {
    if (sending) return;
    sending = true;
    while (queue.length) {
      const code = queue[0];
      try {
        show(await post(station.dataset.scanUrl, { code: code }));
        queue.shift();
      } catch (error) {
        offline();
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
    sending = false;
  }

  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const code = input.value;
    input.value = "";
    if (code.trim()) {
      queue.push(code);
      pump();
    }
  });

  // The field keeps focus: a scanner types into whatever has it.
  input.addEventListener("blur", () => {
    setTimeout(() => { if (!(undoDialog && undoDialog.open)) input.focus(); }, 150);
  });

  document.getElementById("keyboard-toggle").addEventListener("click", () => {
    input.inputMode = input.inputMode === "none" ? "text" : "none";
    input.blur();
    input.focus();
  });

  function lastAccepted() {
    for (const item of log.children) {
      if (item.dataset.result === "ok") return item.dataset.undone === "1" ? null : item;
    }
    return null;
  }

  function refreshUndo() {
    if (undoButton) undoButton.disabled = lastAccepted() === null;
  }

  if (undoDialog) {
    undoButton.addEventListener("click", () => {
      const item = lastAccepted();
      if (!item) return;
      document.getElementById("undo-code").textContent = item.dataset.code;
      document.getElementById("undo-reason").value = "";
      undoDialog.showModal();
    });
    undoDialog.addEventListener("close", async () => {
      const item = lastAccepted();
      const reason = document.getElementById("undo-reason").value.trim();
      if (undoDialog.returnValue === "confirm" && item && reason) {
        try {
          const html = await post(station.dataset.undoUrl, { unique_code: item.dataset.code, reason: reason });
          item.dataset.undone = "1";
          show(html);
        } catch (error) {
          offline();
        }
      }
      input.focus();
    });
  }
})();
