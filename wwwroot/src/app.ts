import "./style.css";
import { examples, defaultFiles } from "./examples";
import { type SourceFile, checkName, loadSnippet, toText } from "./files";
import { Playground } from "./playground";
import type { RunMode } from "./protocol";
import { load, save } from "./storage";
import { bindShortcuts, themeWatcher, toggleRunButtons } from "./ui";
import { type GoVersion, type VersionList, bare, fetchVersions, find, label, requested, usable } from "./versions";

type Theme = "system" | "light" | "dark";

interface Settings {
  mode: RunMode;
  vet: boolean;
  imports: boolean;
  theme: Theme;
  vim: boolean;
  /** The picked release ("1.26"), or "" to follow the server's default. */
  goVersion: string;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const settingsKey = "goplay.settings";
// Vet runs by default, as on go.dev: its findings are most of what a beginner needs told.
const settings: Settings = { mode: "live", vet: true, imports: true, theme: "system", vim: false, goVersion: "", ...load<Partial<Settings>>(settingsKey, {}) };

// A shared snippet's page (/p/{id}, or go.dev's /play/p/{id}) starts from the snippet;
// unsaved edits are kept per snippet.
const snippetId = /^(?:\/play)?\/p\/([A-Za-z0-9_-]+)$/.exec(location.pathname)?.[1] ?? null;
let draftKey = "goplay.draft:" + (snippetId ?? "new");

async function initialFiles(): Promise<{ files: SourceFile[]; note?: string }> {
  const draft = load<SourceFile[] | null>(draftKey, null);
  if (draft && draft.length > 0) return { files: draft };
  return snippetId ? loadSnippet(snippetId, defaultFiles) : { files: defaultFiles };
}

const theme = themeWatcher(settings.theme, (dark) => playground?.setDark(dark));
let playground: Playground | undefined;
let draftTimer = 0;

// The version list is fetched alongside the snippet; the picker must be filled before the page
// says it is ready, or a quick Run would go out with the wrong version.
const versionsLoading = fetchVersions();
const start = await initialFiles();
let versions: VersionList | null = await versionsLoading;
let chosen: GoVersion | null = null;
playground = new Playground(
  { editor: $("editor"), terminal: $("terminal"), status: $("status"), problems: $("problems"), connection: $("connection") },
  {
    files: start.files,
    dark: theme.dark,
    vim: settings.vim,
    readonly: false,
    mode: settings.mode,
    vet: settings.vet,
    connectOnLoad: true,
    onChange: () => {
      clearTimeout(draftTimer);
      draftTimer = window.setTimeout(saveDraft, 250);
      offerSplit();
    },
    onShow: () => renderTabs(),
    onBusy: (busy) => {
      toggleRunButtons(busy);
      if (!busy) void refreshVersions();
    },
  },
);
const pg = playground;
// Everything the page runs is reachable from the console and the browser tests.
Object.assign(window, { goplay: pg });

function saveDraft(): void {
  clearTimeout(draftTimer);
  draftTimer = 0;
  save(draftKey, pg.editor.files);
}
// An edit still waiting for its timer is written as the page goes away; a page that was only
// looked at leaves no draft behind.
window.addEventListener("pagehide", () => {
  if (draftTimer) saveDraft();
});

/**
 * A one-line notice under the toolbar with at most one action (Undo, Split into tabs); the
 * next notice replaces it, and it goes away by itself after a while.
 */
let noticeTimer = 0;
function notice(text: string, action?: { label: string; run: () => void }): void {
  const box = $("notice");
  clearTimeout(noticeTimer);
  box.replaceChildren(text);
  if (action) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = action.label;
    button.addEventListener("click", () => {
      box.hidden = true;
      action.run();
    });
    box.append(" ", button);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.className = "icon";
  close.textContent = "×";
  close.title = "Dismiss";
  close.setAttribute("aria-label", "Dismiss");
  close.addEventListener("click", () => (box.hidden = true));
  box.append(" ", close);
  box.hidden = false;
  noticeTimer = window.setTimeout(() => (box.hidden = true), 30_000);
}

/** A txtar archive pasted into a lone prog.go runs as its files already; tabs are offered. */
let offeredFor = "";
function offerSplit(): void {
  const inside = pg?.archive();
  if (!inside) {
    offeredFor = "";
    return;
  }
  const names = inside.map((f) => f.name).join(", ");
  if (names === offeredFor) return;
  offeredFor = names;
  notice(`This is a txtar archive of ${inside.length} files (${names}); it runs as those files.`, {
    label: "Split into tabs",
    run: () => {
      pg.editor.setFiles(inside);
      renderTabs();
      saveDraft();
      pg.editor.focus();
    },
  });
}

function saveSettings(): void {
  save(settingsKey, settings);
}

// Tabs: one per file; the active tab can be renamed or deleted.
function renderTabs(): void {
  const tabs = $("tabs");
  tabs.replaceChildren();
  const names = pg.editor.names;
  for (const name of names) {
    const active = name === pg.editor.active;
    const tab = document.createElement("li");
    tab.className = "tab";
    tab.classList.toggle("active", active);
    const open = document.createElement("button");
    open.type = "button";
    open.className = "tab-name";
    open.textContent = name;
    open.title = `Edit ${name}`;
    if (active) open.setAttribute("aria-current", "true");
    open.addEventListener("click", () => {
      pg.editor.show(name);
      renderTabs();
      pg.editor.focus();
    });
    tab.append(open);
    if (active) {
      tab.append(toolButton("✎", `Rename ${name}`, () => askName("Rename " + name, name, (to) => {
        pg.editor.renameFile(name, to);
        renderTabs();
        saveDraft();
      }, names.filter((n) => n !== name))));
      if (names.length > 1) {
        tab.append(toolButton("×", `Delete ${name}`, () => {
          if (!confirm(`Delete ${name}?`)) return;
          pg.editor.deleteFile(name);
          renderTabs();
          saveDraft();
        }));
      }
    }
    tabs.append(tab);
  }
}

/** A small icon button on the active tab; its label names the file for screen readers. */
function toolButton(icon: string, label: string, onClick: () => void): HTMLButtonElement {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "tab-tool";
  button.textContent = icon;
  button.title = label;
  button.setAttribute("aria-label", label);
  button.addEventListener("click", onClick);
  return button;
}

function askName(title: string, initial: string, done: (name: string) => void, existing = pg.editor.names): void {
  const dialog = $<HTMLDialogElement>("file-dialog");
  const input = $<HTMLInputElement>("file-name");
  const error = $("file-error");
  $("file-dialog-title").textContent = title;
  input.value = initial;
  error.textContent = "";
  const onSubmit = (e: SubmitEvent) => {
    const submitter = e.submitter as HTMLButtonElement | null;
    if (submitter?.value !== "ok") return;
    const name = input.value.trim();
    const problem = checkName(name, existing);
    if (problem) {
      e.preventDefault();
      error.textContent = problem;
      return;
    }
    done(name);
  };
  const form = dialog.querySelector("form")!;
  // Enter submits with the form's first button, which is Cancel; in the name field it means OK.
  const onEnter = (e: KeyboardEvent) => {
    if (e.key !== "Enter" || e.isComposing) return;
    e.preventDefault();
    form.requestSubmit($<HTMLButtonElement>("file-ok"));
  };
  form.addEventListener("submit", onSubmit);
  input.addEventListener("keydown", onEnter);
  dialog.addEventListener("close", () => {
    form.removeEventListener("submit", onSubmit);
    input.removeEventListener("keydown", onEnter);
  }, { once: true });
  dialog.showModal();
  input.select();
}

$("add-file").addEventListener("click", () =>
  askName("Add a file", "", (name) => {
    const pkg = name.includes("/") ? name.split("/").at(-2)! : "main";
    const content = name.endsWith(".go") ? `package ${pkg}\n` : name === "go.mod" ? "module play.ground\n\ngo 1.19\n" : "";
    pg.editor.addFile(name, content);
    renderTabs();
    saveDraft();
    pg.editor.focus();
  }));

// Actions.
const run = () => {
  void pg.run();
  pg.terminal.focus();
  return true;
};
const kill = () => {
  pg.kill();
  return true;
};
const format = () => {
  void pg.format(settings.imports);
  return true;
};
const share = () => {
  const box = $("share-box");
  const url = $<HTMLInputElement>("share-url");
  const note = $("share-note");
  pg.share().then(async (shared) => {
    // Like go.dev's links, a link names the version only when it is not the server's default.
    const link = chosen && !chosen.default ? `${shared}?v=${bare(chosen.release)}` : shared;
    box.hidden = false;
    url.value = link;
    url.select();
    // The page becomes the snippet's page; later edits are that page's draft.
    history.replaceState(null, "", new URL(link).pathname + new URL(link).search);
    draftKey = "goplay.draft:" + new URL(link).pathname.slice("/p/".length);
    saveDraft();
    try {
      await navigator.clipboard.writeText(link);
      note.textContent = "Link copied.";
    } catch {
      note.textContent = "Copy the link above.";
    }
  }, (e: Error) => {
    box.hidden = false;
    url.value = "";
    note.textContent = "Share failed: " + e.message;
  });
  return true;
};
const download = () => {
  const files = pg.editor.files;
  const single = files.length === 1;
  const blob = new Blob([toText(files)], { type: "text/plain" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = single ? files[0].name.split("/").at(-1)! : "goplay.txtar";
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
};

$("run").addEventListener("click", run);
$("kill").addEventListener("click", kill);
$("format").addEventListener("click", format);
$("share").addEventListener("click", share);
$("download").addEventListener("click", download);
bindShortcuts({ run, format, share });

const exampleSelect = $<HTMLSelectElement>("examples");
for (const example of examples) exampleSelect.add(new Option(example.title, example.id));
exampleSelect.addEventListener("change", () => {
  const example = examples.find((e) => e.id === exampleSelect.value);
  exampleSelect.value = "";
  if (!example) return;
  const previous = pg.editor.files;
  const active = pg.editor.active;
  const replaceFiles = (files: SourceFile[], show?: string) => {
    pg.editor.setFiles(files.map((f) => ({ ...f })));
    if (show) pg.editor.show(show);
    pg.clearProblems();
    renderTabs();
    saveDraft();
    pg.editor.focus();
  };
  replaceFiles(example.files);
  // The files it replaced are one click away: nothing typed is lost to a menu choice.
  if (toText(previous) !== toText(example.files) && !examples.some((e) => toText(e.files) === toText(previous))) {
    notice(`Loaded the example “${example.title}”, replacing your files.`, { label: "Undo", run: () => replaceFiles(previous, active) });
  }
});

// Settings.
const mode = $<HTMLSelectElement>("mode");
const vet = $<HTMLInputElement>("vet");
const imports = $<HTMLInputElement>("imports");
const themeSelect = $<HTMLSelectElement>("theme");
const vim = $<HTMLInputElement>("vim");
mode.value = settings.mode;
vet.checked = settings.vet;
imports.checked = settings.imports;
themeSelect.value = settings.theme;
vim.checked = settings.vim;
mode.addEventListener("change", () => {
  settings.mode = pg.mode = mode.value as RunMode;
  saveSettings();
});
vet.addEventListener("change", () => {
  settings.vet = pg.vet = vet.checked;
  saveSettings();
});
imports.addEventListener("change", () => {
  settings.imports = imports.checked;
  saveSettings();
});
themeSelect.addEventListener("change", () => {
  settings.theme = themeSelect.value as Theme;
  theme.set(settings.theme);
  saveSettings();
});
vim.addEventListener("change", () => {
  settings.vim = vim.checked;
  pg.editor.configure({ vim: settings.vim });
  saveSettings();
});

// The Go version. The picker's choice is remembered; a link's ?v= picks the version for this
// page only, so opening someone's link does not change what the next new program runs with.
const versionSelect = $<HTMLSelectElement>("go-version");

function initialVersion(): GoVersion | null {
  if (!versions) return null;
  const fromLink = new URLSearchParams(location.search).get("v");
  if (fromLink !== null) {
    const request = requested(fromLink);
    if (request === undefined) return null;
    const found = find(versions, request);
    if (found && usable(found)) return found;
    const fallback = versions.versions.find((v) => v.default);
    const why = found ? `${found.name} is ${found.state} here`
      : request === "previous" ? "There is no previous Go release here" : `Go ${request} is not available here`;
    pg.setStatus(`${why}; using ${fallback ? fallback.name : "the default"}.`);
    return null;
  }
  if (settings.goVersion === "") return null;
  // A remembered version the server no longer offers falls back to the default; the setting
  // stays, in case the version comes back.
  const found = find(versions, settings.goVersion);
  return found && usable(found) ? found : null;
}

function renderVersions(): void {
  const list = versions?.versions ?? [];
  const current = versions?.versions.find((v) => v.default);
  const latest = new Option(current ? `Latest (${current.name})` : "Default", "");
  latest.title = "The server's default Go version, whichever that is when the program runs";
  versionSelect.replaceChildren(latest);
  for (const v of list) {
    const option = new Option(label(v), v.version);
    option.dataset.version = v.version;
    option.dataset.state = v.state;
    option.disabled = !usable(v);
    if (v.message) option.title = v.message;
    versionSelect.add(option);
  }
  versionSelect.value = chosen?.version ?? "";
  versionSelect.disabled = list.length === 0;
  if (list.length === 0) versionSelect.title = "The server did not list its Go versions; programs run with its default";
}

function useVersion(v: GoVersion | null): void {
  chosen = v;
  // A link's ?v= that could not be resolved is passed on as is: the server knows best.
  pg.goVersion = v ? bare(v.release) : versions ? undefined : requested(new URLSearchParams(location.search).get("v"));
}

/** While a version is being prepared the list changes; a finished run is a good time to look again. */
async function refreshVersions(): Promise<void> {
  if (!versions?.versions.some((v) => v.state === "preparing")) return;
  const fresh = await fetchVersions();
  if (!fresh || pg.running) return;
  versions = fresh;
  if (chosen) chosen = fresh.versions.find((v) => v.version === chosen!.version) ?? chosen;
  renderVersions();
}

/** A version still being prepared makes the first run wait; say so before Run is pressed. */
function notePreparing(): void {
  if (chosen?.state === "preparing") pg.setStatus(chosen.message ?? `${chosen.name} is being prepared; the first run may wait.`);
}

useVersion(initialVersion());
renderVersions();
notePreparing();
versionSelect.addEventListener("change", () => {
  const v = versions?.versions.find((x) => x.version === versionSelect.value) ?? null;
  useVersion(v);
  settings.goVersion = v ? bare(v.release) : "";
  saveSettings();
  // An address with ?v= keeps meaning "this page with this version".
  const address = new URL(location.href);
  if (address.searchParams.has("v")) {
    if (v && !v.default) address.searchParams.set("v", bare(v.release));
    else address.searchParams.delete("v");
    history.replaceState(null, "", address.pathname + address.search);
  }
  notePreparing();
});

if (start.note) pg.terminal.error(start.note);

// The split between editor and output, in percent of the width for the editor.
const splitter = $("splitter");
const workspace = splitter.parentElement!;
let split = 50;
function setSplit(percent: number): void {
  split = Math.min(85, Math.max(15, percent));
  workspace.style.setProperty("--editor-share", `${split}fr`);
  workspace.style.setProperty("--output-share", `${100 - split}fr`);
  splitter.setAttribute("aria-valuenow", String(Math.round(split)));
}
splitter.addEventListener("pointerdown", (e) => {
  e.preventDefault();
  splitter.setPointerCapture(e.pointerId);
  const move = (m: PointerEvent) => {
    const box = workspace.getBoundingClientRect();
    setSplit(((m.clientX - box.left) / box.width) * 100);
  };
  splitter.addEventListener("pointermove", move);
  splitter.addEventListener("pointerup", () => splitter.removeEventListener("pointermove", move), { once: true });
});
splitter.addEventListener("keydown", (e) => {
  const step = e.key === "ArrowLeft" ? -5 : e.key === "ArrowRight" ? 5 : 0;
  if (step === 0) return;
  e.preventDefault();
  setSplit(split + step);
});

renderTabs();
pg.editor.focus();
document.body.dataset.ready = "true";
// How long a first visit takes to become usable, for the browser tests and the curious.
performance.mark("goplay-ready");
