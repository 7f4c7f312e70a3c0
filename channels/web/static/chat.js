// The web chat page: one websocket speaking the JSON protocol in docs/channels-web.md.
// The session token lives in localStorage, so a reload resumes the same conversation, and
// messages not yet acknowledged are kept there too and sent again (same id) on reconnect.

const SESSION_KEY = "lendline.chat.session";
const UNSENT_KEY = "lendline.chat.unsent";
const MAX_TEXT = 4000;
const MAX_FILE = 10 * 1024 * 1024;
const FILE_TYPES = ["application/pdf", "image/jpeg", "image/png"];
const INTRO = "Hello! Ask about our loans, apply for one, or check your balance, payments " +
  "or application. Type your message below to start.";
// Error codes for a message that was not taken but may be sent again as it is.
const NOT_TAKEN = new Set(["unavailable", "rate_limited"]);
const AUTHORS = { borrower: "You", agent: "Assistant", staff: "Our team", system: "Notice" };

const $ = (id) => document.getElementById(id);
const log = $("log");
const box = $("message");
const count = $("count");
const fileInput = $("file");

let socket = null;
let ready = false;
let retryDelay = 500;
let draft = null;
const shown = new Set();
const outgoing = new Map();
const unsent = new Map(JSON.parse(localStorage.getItem(UNSENT_KEY) || "[]"));

function saveUnsent() {
  localStorage.setItem(UNSENT_KEY, JSON.stringify([...unsent]));
}

function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function inline(parent, text) {
  const pattern = /\*\*([^*\n]+)\*\*|\*([^*\n]+)\*|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?])/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    parent.append(text.slice(last, match.index));
    if (match[3] === undefined) {
      const strong = document.createElement("strong");
      strong.textContent = match[1] ?? match[2];
      parent.append(strong);
    } else {
      const link = document.createElement("a");
      link.href = match[3];
      link.textContent = match[3];
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      parent.append(link);
    }
    last = match.index + match[0].length;
  }
  parent.append(text.slice(last));
}

// Replies use light markdown (*bold* or **bold**, "- " lists, links); built as DOM nodes,
// never as HTML.
function rendered(text) {
  const fragment = document.createDocumentFragment();
  for (const block of text.split(/\n{2,}/)) {
    const lines = block.split("\n");
    let paragraph = null;
    let list = null;
    for (const line of lines) {
      const item = line.match(/^\s*[-•]\s+(.*)$/);
      if (item) {
        paragraph = null;
        list ??= fragment.appendChild(document.createElement("ul"));
        inline(list.appendChild(document.createElement("li")), item[1]);
        continue;
      }
      list = null;
      if (paragraph) paragraph.append(document.createElement("br"));
      else paragraph = fragment.appendChild(document.createElement("p"));
      inline(paragraph, line);
    }
  }
  return fragment;
}

function nearBottom() {
  return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
}

function append(element) {
  const follow = nearBottom();
  log.append(element);
  if (follow || element.classList.contains("borrower")) log.scrollTop = log.scrollHeight;
}

function timeOf(at) {
  const time = document.createElement("time");
  const when = at ? new Date(at) : new Date();
  time.dateTime = when.toISOString();
  time.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return time;
}

function bubble({ author, text, at, files = [] }) {
  const item = document.createElement("li");
  item.className = `msg ${author}`;
  const who = document.createElement("span");
  who.className = "visually-hidden";
  who.textContent = `${AUTHORS[author] ?? author}: `;
  item.append(who);
  for (const name of files) {
    const file = document.createElement("p");
    file.className = "file";
    file.textContent = `Document: ${name}`;
    item.append(file);
  }
  if (text) item.append(rendered(text));
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.append(timeOf(at));
  item.append(meta);
  return item;
}

function note(text) {
  const item = document.createElement("li");
  item.className = "msg note";
  item.textContent = text;
  append(item);
}

function setMeta(item, text) {
  const meta = item.querySelector(".meta");
  meta.replaceChildren(timeOf());
  if (text) meta.append(` · ${text}`);
}

function showOutgoing(id, content, resend) {
  const item = bubble({ author: "borrower", ...content });
  item.classList.add("pending");
  setMeta(item, "sending…");
  outgoing.set(id, { item, resend });
  append(item);
}

function sendMessage(id) {
  if (ready) socket.send(JSON.stringify({ type: "message", id, text: unsent.get(id) }));
}

function queueMessage(id, text) {
  unsent.set(id, text);
  saveUnsent();
  sendMessage(id);
}

function settled(id, failure, retry = false) {
  const entry = outgoing.get(id);
  if (!entry) return;
  entry.item.classList.remove("pending");
  if (!failure) {
    setMeta(entry.item, "");
    outgoing.delete(id);
    return;
  }
  entry.item.classList.add("failed");
  setMeta(entry.item, `not sent: ${failure}`);
  if (retry) {
    const again = document.createElement("button");
    again.type = "button";
    again.className = "retry";
    again.textContent = "Send again";
    again.addEventListener("click", () => {
      again.remove();
      entry.item.classList.replace("failed", "pending");
      setMeta(entry.item, "sending…");
      entry.resend();
    });
    entry.item.querySelector(".meta").append(again);
  }
}

function setTyping(on) {
  $("typing").textContent = on ? "The assistant is typing…" : "";
}

function setState(state, message, announce) {
  const banner = $("state");
  banner.hidden = state === "active";
  banner.textContent = state === "active" ? "" : message;
  if (announce) note(message);
}

function welcome(frame) {
  localStorage.setItem(SESSION_KEY, frame.session);
  document.title = `Chat with ${frame.lender}`;
  $("title").textContent = `Chat with ${frame.lender}`;
  log.replaceChildren();
  shown.clear();
  outgoing.clear();
  draft = null;
  for (const message of frame.history) {
    shown.add(message.id);
    if (message.client_id) unsent.delete(message.client_id);
    append(bubble(message));
  }
  if (frame.history.length === 0) note(INTRO);
  saveUnsent();
  setState(frame.state, frame.state_message, false);
  ready = true;
  $("connection").textContent = "Connected";
  for (const [id, text] of unsent) {
    showOutgoing(id, { text }, () => queueMessage(id, text));
    sendMessage(id);
  }
  log.scrollTop = log.scrollHeight;
}

const handlers = {
  welcome,
  reply(frame) {
    if (frame.streamed && draft) {
      draft.remove();
      draft = null;
    }
    if (shown.has(frame.id)) return;
    shown.add(frame.id);
    append(bubble(frame));
  },
  token(frame) {
    if (!draft) {
      // Shown to the eye while it is written; the final reply is what is announced.
      draft = bubble({ author: "agent", text: "" });
      draft.setAttribute("aria-hidden", "true");
      draft.dataset.text = "";
      append(draft);
    }
    draft.dataset.text += frame.text;
    draft.replaceChildren(rendered(draft.dataset.text));
    if (nearBottom()) log.scrollTop = log.scrollHeight;
  },
  typing(frame) {
    setTyping(frame.on);
  },
  ack(frame) {
    unsent.delete(frame.id);
    saveUnsent();
    settled(frame.id);
    if (draft) {
      draft.remove();
      draft = null;
    }
  },
  status(frame) {
    setState(frame.state, frame.message, true);
  },
  error(frame) {
    if (frame.code === "invalid_session") {
      localStorage.removeItem(SESSION_KEY);
      socket.send(JSON.stringify({ type: "hello" }));
      return;
    }
    $("problem").textContent = frame.message;
    if (frame.id && outgoing.has(frame.id)) {
      unsent.delete(frame.id);
      saveUnsent();
      settled(frame.id, frame.message, NOT_TAKEN.has(frame.code));
    }
  },
};

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/chat/ws`);
  socket.addEventListener("open", () => {
    retryDelay = 500;
    const session = localStorage.getItem(SESSION_KEY);
    socket.send(JSON.stringify(session ? { type: "hello", session } : { type: "hello" }));
  });
  socket.addEventListener("message", (event) => {
    const frame = JSON.parse(event.data);
    handlers[frame.type]?.(frame);
  });
  socket.addEventListener("close", () => {
    ready = false;
    setTyping(false);
    $("connection").textContent = "Reconnecting…";
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10000);
  });
}

function updateCount() {
  const length = box.value.length;
  count.hidden = length < MAX_TEXT * 0.8;
  count.textContent = `${length.toLocaleString()} of ${MAX_TEXT.toLocaleString()} characters`;
  box.style.height = "auto";
  box.style.height = `${box.scrollHeight + 2}px`;
}

function submit(event) {
  event.preventDefault();
  const text = box.value.trim();
  if (!text) return;
  $("problem").textContent = "";
  const id = newId();
  showOutgoing(id, { text }, () => queueMessage(id, text));
  queueMessage(id, text);
  box.value = "";
  updateCount();
  box.focus();
}

async function upload(file, id) {
  const form = new FormData();
  form.append("session", localStorage.getItem(SESSION_KEY));
  form.append("id", id);
  form.append("file", file);
  setTyping(true);
  try {
    const response = await fetch("/chat/upload", { method: "POST", body: form });
    if (response.ok) return settled(id);
    const body = await response.json().catch(() => ({}));
    $("problem").textContent = body.detail ?? "That document could not be sent.";
    settled(id, body.detail ?? `error ${response.status}`,
      response.status === 429 || response.status >= 500);
  } catch {
    $("problem").textContent = "The document could not be sent; check your connection.";
    settled(id, "no connection", true);
  } finally {
    setTyping(false);
  }
}

function attach() {
  const file = fileInput.files[0];
  fileInput.value = "";
  if (!file) return;
  let problem = "";
  if (!FILE_TYPES.includes(file.type)) problem = "Send a PDF, JPEG or PNG file.";
  else if (file.size > MAX_FILE) problem = "A document can be at most 10 MB.";
  else if (!ready) problem = "The chat is reconnecting; send the document again in a moment.";
  $("problem").textContent = problem;
  if (problem) return;
  const id = newId();
  showOutgoing(id, { files: [file.name] }, () => upload(file, id));
  upload(file, id);
}

$("composer").addEventListener("submit", submit);
box.addEventListener("input", updateCount);
box.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submit(event);
});
fileInput.addEventListener("change", attach);
connect();
