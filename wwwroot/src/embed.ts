import "./style.css";
import { defaultFiles } from "./examples";
import { type SourceFile, fromText, loadSnippet, toText } from "./files";
import { Playground } from "./playground";
import type { RunMode, RunResult } from "./protocol";
import { type ThemeChoice, bindShortcuts, themeWatcher, toggleRunButtons } from "./ui";
import { requested } from "./versions";

// The embed page (/embed): no site chrome, configured by its query string, driven by the host
// page through postMessage. Nothing is stored: third-party iframes often have no storage.
//
// Query: id (snippet) or code (source or txtar), readonly=1, autorun=1, mode=live|playback
// (playback by default), theme=light|dark|system, version=1.26|go1.26|goprev|latest (the Go
// version to run and format with; the server's default when absent).
//
// Messages in (from the parent window), each {type, ...}:
//   goplay:set-code {code}   replace the files (source or txtar)
//   goplay:run                run; the result follows as goplay:result
//   goplay:kill               stop the running program
//   goplay:get-result         answer with goplay:result (result null before any run)
//   goplay:get-code           answer with goplay:code {code}
// Messages out: goplay:ready, goplay:status {status}, goplay:result {result},
// goplay:code {code}, goplay:resize {height}.

const query = new URLSearchParams(location.search);
const flag = (name: string) => ["1", "true", "yes"].includes((query.get(name) ?? "").toLowerCase());
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

// Replies go to the framing page only: its origin is what the frame-ancestors policy let in.
const parentOrigin = (() => {
  const ancestors = (location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  if (ancestors && ancestors.length > 0) return ancestors[0];
  try {
    return document.referrer ? new URL(document.referrer).origin : "*";
  } catch {
    return "*";
  }
})();
const framed = window.parent !== window;

function post(message: Record<string, unknown>): void {
  if (framed) window.parent.postMessage(message, parentOrigin);
}

async function initialFiles(): Promise<{ files: SourceFile[]; note?: string }> {
  const code = query.get("code");
  if (code !== null) return { files: fromText(code) };
  const id = query.get("id");
  return id ? loadSnippet(id, defaultFiles) : { files: defaultFiles };
}

const themeChoice = (["light", "dark", "system"].includes(query.get("theme") ?? "") ? query.get("theme") : "system") as ThemeChoice;
const theme = themeWatcher(themeChoice, (dark) => pg?.setDark(dark));
const readonly = flag("readonly");
const mode: RunMode = query.get("mode") === "live" ? "live" : "playback";
// Passed on without asking /versions first: the server resolves it, and a version it does not
// have ends the run with an error that lists the ones it does.
const goVersion = requested(query.get("version"));
let pg: Playground | undefined;

const start = await initialFiles();
const status = $("status");
pg = new Playground(
  { editor: $("editor"), terminal: $("terminal"), status, problems: $("problems"), connection: $("connection") },
  {
    files: start.files,
    dark: theme.dark,
    vim: false,
    readonly,
    mode,
    vet: false,
    goVersion,
    onBusy: toggleRunButtons,
    onShow: () => renderTabs(),
    onResult: (result: RunResult) => post({ type: "goplay:result", result }),
  },
);
const playground = pg;
if (start.note) playground.terminal.error(start.note);
Object.assign(window, { goplay: playground });
if (readonly) $("format").hidden = true;

// A program of several files shows them as tabs to switch between; the embed offers no way
// to add, rename or delete files, and with readonly=1 their text cannot be changed either.
function renderTabs(): void {
  const names = playground.editor.names;
  const bar = $("tab-bar");
  bar.hidden = names.length < 2;
  const tabs = $("tabs");
  tabs.replaceChildren();
  for (const name of names) {
    const tab = document.createElement("li");
    tab.className = "tab";
    const active = name === playground.editor.active;
    tab.classList.toggle("active", active);
    const open = document.createElement("button");
    open.type = "button";
    open.className = "tab-name";
    open.textContent = name;
    open.title = readonly ? `Show ${name}` : `Edit ${name}`;
    if (active) open.setAttribute("aria-current", "true");
    open.addEventListener("click", () => {
      playground.editor.show(name);
      renderTabs();
    });
    tab.append(open);
    tabs.append(tab);
  }
}
renderTabs();

new MutationObserver(() => post({ type: "goplay:status", status: status.textContent })).observe(status, { childList: true, characterData: true, subtree: true });

const run = () => {
  void playground.run();
  return true;
};
const format = () => {
  if (!readonly) void playground.format(true);
  return true;
};
$("run").addEventListener("click", run);
$("kill").addEventListener("click", () => playground.kill());
$("format").addEventListener("click", format);
bindShortcuts({ run, format });

// "Open in GoPlay" shares the current code and opens its page; the window is opened at the
// click so popup blockers allow it.
$("open").addEventListener("click", (e) => {
  e.preventDefault();
  const target = window.open("about:blank", "_blank");
  playground.share().then(
    (url) => {
      // The editor page reads the version from ?v=, where go.dev's links carry it.
      const v = goVersion === "previous" ? "goprev" : goVersion;
      if (target) target.location.href = v ? `${url}?v=${encodeURIComponent(v)}` : url;
    },
    (err: Error) => {
      target?.close();
      playground.terminal.error("Could not open in GoPlay: " + err.message);
    },
  );
});

window.addEventListener("message", (e: MessageEvent) => {
  if (e.source !== window.parent || typeof e.data !== "object" || e.data === null) return;
  const reply = (message: Record<string, unknown>) => (e.source as Window).postMessage(message, e.origin);
  switch (e.data.type) {
    case "goplay:set-code":
      if (typeof e.data.code === "string") {
        playground.editor.setFiles(fromText(e.data.code));
        renderTabs();
      }
      break;
    case "goplay:run":
      void playground.run();
      break;
    case "goplay:kill":
      playground.kill();
      break;
    case "goplay:get-result":
      reply({ type: "goplay:result", result: playground.lastResult });
      break;
    case "goplay:get-code":
      reply({ type: "goplay:code", code: toText(playground.editor.files) });
      break;
  }
});

// The height the content wants (the whole program, the output so far, within bounds), so
// the host can size the iframe to fit; the iframe itself always fills the size it is given.
let lastHeight = 0;
function wantedHeight(): number {
  const toolbar = document.querySelector<HTMLElement>(".toolbar")!.offsetHeight
    + $("tab-bar").offsetHeight + document.querySelector<HTMLElement>(".output-tools")!.offsetHeight;
  const code = Math.min(640, playground.editor.view.contentHeight + 8);
  const problems = $("problems").hidden ? 0 : $("problems").offsetHeight;
  const rows = Math.min(20, Math.max(6, playground.terminal.linesUsed() + 1));
  return Math.ceil(toolbar + code + problems + rows * 17 + 16);
}
setInterval(() => {
  const height = wantedHeight();
  if (height !== lastHeight) {
    lastHeight = height;
    post({ type: "goplay:resize", height });
  }
}, 250);

document.body.dataset.ready = "true";
post({ type: "goplay:ready" });
if (flag("autorun")) void playground.run();
