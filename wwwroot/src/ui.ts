// Pieces the full page and the embed share: theme resolution and keyboard shortcuts.

export type ThemeChoice = "system" | "light" | "dark";

/** Resolves a theme choice (following the system's when asked) and applies it to the page. */
export function themeWatcher(choice: ThemeChoice, changed: (dark: boolean) => void) {
  const query = window.matchMedia("(prefers-color-scheme: dark)");
  let current = choice;
  const resolve = () => (current === "system" ? query.matches : current === "dark");
  const apply = () => {
    const dark = resolve();
    document.documentElement.dataset.theme = dark ? "dark" : "light";
    changed(dark);
  };
  query.addEventListener("change", () => {
    if (current === "system") apply();
  });
  document.documentElement.dataset.theme = resolve() ? "dark" : "light";
  return {
    get dark() {
      return resolve();
    },
    set(next: ThemeChoice) {
      current = next;
      apply();
    },
  };
}

/**
 * Page-wide shortcuts, caught before the editor or the terminal sees the key: Ctrl/Cmd+Enter
 * runs, Shift+Alt+F formats, Ctrl/Cmd+S shares.
 */
export function bindShortcuts(actions: { run: () => void; format: () => void; share?: () => void }): void {
  window.addEventListener("keydown", (e) => {
    const mod = e.ctrlKey || e.metaKey;
    let action: (() => void) | undefined;
    if (mod && !e.altKey && e.key === "Enter") action = actions.run;
    else if (e.shiftKey && e.altKey && !mod && e.code === "KeyF") action = actions.format;
    else if (mod && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "s") action = actions.share;
    if (!action) return;
    e.preventDefault();
    e.stopPropagation();
    action();
  }, { capture: true });
}

/** Run is disabled while a program runs, Kill only then (both pages have #run and #kill). */
export function toggleRunButtons(busy: boolean): void {
  (document.getElementById("run") as HTMLButtonElement).disabled = busy;
  (document.getElementById("kill") as HTMLButtonElement).disabled = !busy;
}
