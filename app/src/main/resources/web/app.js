// Live feed client: one WebSocket to /feed, reconnecting with exponential backoff and jitter,
// resuming from the last greeting seen so that history fills what a reconnect missed.
(() => {
  "use strict";

  const MAX_SHOWN = 200;          // older entries are dropped from the page, not from the server
  const BACKOFF_START_MS = 500;
  const BACKOFF_MAX_MS = 15000;

  const list = document.getElementById("greetings");
  const empty = document.getElementById("empty");
  const status = document.getElementById("status");
  const statusText = document.getElementById("status-text");
  const countText = document.getElementById("count");
  const missedText = document.getElementById("missed");

  let last = null;               // {epoch, seq} of the newest greeting shown
  let received = 0;
  let missed = 0;
  let attempt = 0;
  let toldToLeave = false;       // the server said "bye": reconnect at once, it is not failing

  function setStatus(state, text) {
    status.className = "status " + state;
    statusText.textContent = text;
  }

  function feedUrl() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const since = last ? "?since=" + encodeURIComponent(last.epoch + ":" + last.seq) : "";
    return scheme + "//" + location.host + "/feed" + since;
  }

  function addItem(li) {
    empty.hidden = true;
    list.prepend(li);
    while (list.children.length > MAX_SHOWN) list.lastElementChild.remove();
  }

  function showGreeting(g) {
    const li = document.createElement("li");
    li.className = "fresh greeting";
    li.dataset.seq = g.seq;
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = g.text;
    const seq = document.createElement("span");
    seq.className = "seq";
    seq.textContent = "#" + g.seq;
    const meta = document.createElement("span");
    meta.className = "meta";
    const sent = new Date(g.sentAt);
    meta.textContent = sent.toLocaleTimeString() + " · after " + (g.delayMillis / 1000).toFixed(1)
      + " s · from " + g.broadcaster + " via " + g.receiver;
    li.append(text, seq, meta);
    addItem(li);
    received++;
    countText.textContent = received + " received";
  }

  function showGap(n, why) {
    missed += n;
    missedText.textContent = missed + " missed";
    const li = document.createElement("li");
    li.className = "gap";
    li.textContent = (n > 0 ? n + " greeting" + (n === 1 ? "" : "s") + " missed: " : "") + why;
    addItem(li);
  }

  function onMessage(event) {
    const msg = JSON.parse(event.data);
    if (msg.type === "greeting") {
      if (last && msg.epoch === last.epoch && msg.seq <= last.seq) return; // already shown
      last = { epoch: msg.epoch, seq: msg.seq };
      showGreeting(msg);
    } else if (msg.type === "gap") {
      showGap(msg.missed, msg.reason);
    } else if (msg.type === "reset") {
      showGap(0, "the whole cluster restarted; numbering starts again");
      last = null;
    } else if (msg.type === "bye") {
      toldToLeave = true;
    }
  }

  function connect() {
    setStatus(attempt === 0 ? "connecting" : "reconnecting",
      attempt === 0 ? "connecting…" : "reconnecting…");
    const ws = new WebSocket(feedUrl());
    ws.onopen = () => {
      const resumed = last !== null;
      attempt = 0;
      setStatus("connected", resumed ? "connected (resumed after #" + last.seq + ")" : "connected");
    };
    ws.onmessage = onMessage;
    ws.onclose = () => {
      attempt = toldToLeave ? 0 : attempt + 1;
      toldToLeave = false;
      const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** attempt);
      const delay = ceiling / 2 + Math.random() * ceiling / 2;   // jitter spreads a herd
      setStatus("reconnecting", "reconnecting in " + (delay / 1000).toFixed(1) + " s…");
      setTimeout(connect, delay);
    };
  }

  connect();
})();
