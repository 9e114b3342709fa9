// Minimal client for /hubs/run speaking SignalR's JSON hub protocol over a WebSocket.
// The real editor (CodeMirror, xterm.js, @microsoft/signalr) replaces this page later.
const RS = "\u001e";
const $ = (id) => document.getElementById(id);
const output = $("output");

function append(text, cls) {
  const span = document.createElement("span");
  if (cls) span.className = cls;
  span.textContent = text;
  output.append(span);
  output.scrollTop = output.scrollHeight;
}

async function connect() {
  const negotiate = await fetch("hubs/run/negotiate?negotiateVersion=1", { method: "POST" });
  const { connectionToken } = await negotiate.json();
  const url = new URL("hubs/run?id=" + encodeURIComponent(connectionToken), location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(url);
  await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = fail; });
  ws.send(JSON.stringify({ protocol: "json", version: 1 }) + RS);
  return ws;
}

let active = null;

async function run() {
  if (active) return;
  output.textContent = "";
  const ws = await connect();
  const send = (msg) => ws.send(JSON.stringify(msg) + RS);
  const request = { files: { "prog.go": $("code").value }, mode: "live" };
  active = {
    stdin: (text) => send({ type: 2, invocationId: "stdin", item: text }),
    eof: () => send({ type: 3, invocationId: "stdin" }),
    kill: () => { send({ type: 5, invocationId: "run" }); finish("Killed."); },
  };
  setBusy(true);
  const ping = setInterval(() => send({ type: 6 }), 15000);
  let handshakeDone = false;
  ws.onmessage = (e) => {
    for (const frame of e.data.split(RS)) {
      if (!frame) continue;
      const msg = JSON.parse(frame);
      if (!handshakeDone) {
        handshakeDone = true;
        if (msg.error) { finish("Handshake failed: " + msg.error); return; }
        send({ type: 4, invocationId: "run", target: "Run", arguments: [request], streamIds: ["stdin"] });
        continue;
      }
      if (msg.type === 2) onEvent(msg.item);
      else if (msg.type === 3) finish(msg.error ? "Server error: " + msg.error : null);
    }
  };
  ws.onclose = () => finish(null);
  function finish(note) {
    if (note) append("\n" + note + "\n", "meta");
    clearInterval(ping);
    if (ws.readyState === WebSocket.OPEN) ws.close();
    active = null;
    setBusy(false);
  }
}

function onEvent(ev) {
  switch (ev.kind) {
    case "queued": $("status").textContent = `Queued #${ev.position}`; break;
    case "building": $("status").textContent = "Building…"; break;
    case "built": $("status").textContent = "Running…"; break;
    case "stdout": append(ev.data); break;
    case "stderr": append(ev.data, "stderr"); break;
    case "exit":
      if (ev.data) append("\n" + ev.data, "meta");
      append(`\n[${ev.outcome}${ev.exitCode != null ? " " + ev.exitCode : ""} · build ${ev.buildMs} ms · run ${ev.runMs} ms]\n`, "meta");
      $("status").textContent = "";
      break;
    case "error":
      append(ev.data, "stderr");
      append(`\n[${ev.outcome}]\n`, "meta");
      $("status").textContent = "";
      break;
  }
}

function setBusy(busy) {
  $("run").disabled = busy;
  $("kill").disabled = !busy;
  $("stdin").disabled = !busy;
  $("eof").disabled = !busy;
  if (!busy) $("status").textContent = "";
}

$("run").onclick = () => run().catch((e) => { append(String(e) + "\n", "stderr"); active = null; setBusy(false); });
$("kill").onclick = () => active?.kill();
$("eof").onclick = () => active?.eof();
$("stdin").onkeydown = (e) => {
  if (e.key === "Enter" && active) { active.stdin($("stdin").value + "\n"); append($("stdin").value + "\n", "meta"); $("stdin").value = ""; }
};
$("code").onkeydown = (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $("run").click(); }
  if (e.key === "Tab") { e.preventDefault(); document.execCommand("insertText", false, "\t"); }
};

// A shared snippet's page (/p/{id}) opens with the snippet in the editor.
const shared = location.pathname.match(/^\/p\/([A-Za-z0-9_=-]+)$/);
if (shared) {
  fetch(`/p/${shared[1]}.go`)
    .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`snippet ${shared[1]}: ${r.status}`))))
    .then((text) => { $("code").value = text; })
    .catch((e) => append(String(e) + "\n", "stderr"));
}
