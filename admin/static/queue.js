// The escalation queue, live: the server sends the rendered rows as `queue` events
// (admin/console/queue.py); waiting times are kept current here between events.
"use strict";

function waited(since) {
  const minutes = Math.max(0, Math.floor((Date.now() - Date.parse(since)) / 60000));
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function tick() {
  for (const time of document.querySelectorAll("time.waiting")) {
    time.textContent = waited(time.getAttribute("datetime"));
  }
}

function live(state, text) {
  const badge = document.getElementById("live");
  if (badge) {
    badge.dataset.state = state;
    badge.textContent = text;
  }
}

function follow(table) {
  const rows = table.querySelector("tbody");
  const source = new EventSource(table.dataset.events);
  source.addEventListener("open", () => live("on", "Live"));
  source.addEventListener("queue", (event) => {
    // The rows are rendered and escaped by the server's templates, as the page itself is.
    rows.innerHTML = event.data;
    tick();
    live("on", "Live");
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) {
      live("off", "Live updates stopped: reload the page");
    } else {
      live("connecting", "Reconnecting…");
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const table = document.querySelector("table[data-events]");
  if (table) {
    follow(table);
  }
  setInterval(tick, 15000);
});
