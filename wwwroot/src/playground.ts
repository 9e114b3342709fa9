import { CodeEditor } from "./editor";
import { type ActiveRun, type ConnectionState, RunConnection } from "./connection";
import { type Problem, editorFile, parseProblems } from "./diagnostics";
import { type SourceFile, fromText, toRecord, toText } from "./files";
import { endpoint, type Outcome, type RunEvent, type RunMode, type RunResult } from "./protocol";
import { OutputTerminal, darkTerminal, lightTerminal } from "./terminal";

export interface PlaygroundElements {
  editor: HTMLElement;
  terminal: HTMLElement;
  status: HTMLElement;
  problems: HTMLElement;
  connection: HTMLElement;
}

export interface PlaygroundOptions {
  files: SourceFile[];
  dark: boolean;
  vim: boolean;
  readonly: boolean;
  mode: RunMode;
  vet: boolean;
  /** Sent as goVersion with every run and as ?go= to Format; undefined runs the server's default. */
  goVersion?: string;
  onChange?: () => void;
  onBusy?: (busy: boolean) => void;
  onResult?: (result: RunResult) => void;
  /** Opens the hub connection at once (the full page) rather than at the first Run (embeds). */
  connectOnLoad?: boolean;
  /** A file was brought to the front by the page itself (a problem was clicked). */
  onShow?: (file: string) => void;
  shortcuts?: { key: string; run: () => boolean }[];
}

/** The longest pause playback honours: fake time can say "an hour later" for free. */
const maxPlaybackDelayMs = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Editor, output terminal and the hub connection wired together: what the full page and the
 * embed share. Runs one program at a time.
 */
export class Playground {
  readonly editor: CodeEditor;
  readonly terminal: OutputTerminal;
  readonly connection: RunConnection;
  mode: RunMode;
  vet: boolean;
  goVersion: string | undefined;
  lastResult: RunResult | null = null;
  private active: ActiveRun | null = null;
  private busy = false;
  private generation = 0;
  private problems: Problem[] = [];
  private readonly elapsed: HTMLElement;
  private ticker = 0;

  constructor(private readonly el: PlaygroundElements, private readonly options: PlaygroundOptions) {
    this.mode = options.mode;
    this.vet = options.vet;
    this.goVersion = options.goVersion;
    this.editor = new CodeEditor(el.editor, options.files, {
      dark: options.dark,
      vim: options.vim,
      readonly: options.readonly,
      onChange: () => {
        // Marks and messages describe code that is no longer there.
        if (this.problems.length > 0) this.showProblems([]);
        options.onChange?.();
      },
      shortcuts: options.shortcuts ?? [],
    });
    this.terminal = new OutputTerminal(el.terminal, options.dark ? darkTerminal : lightTerminal);
    this.terminal.onPosition = (name, line, column) => {
      const file = editorFile(name, this.editor.names);
      if (!file) return;
      this.editor.reveal(file, line, column);
      this.options.onShow?.(file);
    };
    this.connection = new RunConnection((state, detail) => this.connectionState(state, detail));
    // Not inside the status: a live region read out every second would drown everything else.
    this.elapsed = document.createElement("span");
    this.elapsed.id = "elapsed";
    this.elapsed.className = "elapsed";
    this.elapsed.hidden = true;
    this.elapsed.title = "Time the program has been running";
    el.status.after(this.elapsed);
    document.getElementById("copy-output")?.addEventListener("click", () => {
      this.terminal.copy(true).then(() => this.setStatus("Output copied"), () => this.setStatus("Copying failed: no clipboard access"));
    });
    this.setStatus("Ready");
    // Connecting takes a round trip or three; done now, the first Run does not wait for it.
    // A page of many embeds would open one connection each for nothing, so they wait.
    if (options.connectOnLoad) {
      void this.connection.ensureStarted().catch(() => {
        // Said on the connection line; Run tries again.
      });
    }
  }

  /** The files to build: a txtar archive pasted into a lone prog.go is the files it holds. */
  get files(): SourceFile[] {
    const files = this.editor.files;
    return this.archive(files) ?? files;
  }

  /** The files of an archive pasted into a lone prog.go, or null when it is not one. */
  archive(files = this.editor.files): SourceFile[] | null {
    if (files.length !== 1 || files[0].name !== "prog.go") return null;
    const inside = fromText(files[0].content);
    return inside.length > 1 ? inside : null;
  }

  clearProblems(): void {
    this.showProblems([]);
  }

  get running(): boolean {
    return this.busy;
  }

  setDark(dark: boolean): void {
    this.editor.configure({ dark });
    this.terminal.setTheme(dark ? darkTerminal : lightTerminal);
  }

  /** Runs the editor's files; resolves with the result when the run has ended. */
  async run(): Promise<RunResult> {
    if (this.busy) this.stopHere();
    const generation = ++this.generation;
    const playback = this.mode === "playback";
    this.busy = true;
    this.lastResult = null;
    const files = this.files;
    this.terminal.clear();
    this.showProblems([]);
    this.setStatus("Connecting…");
    this.options.onBusy?.(true);

    const finished = new Promise<RunResult>((resolve) => {
      let replay = Promise.resolve();
      const handle = (e: RunEvent) => {
        if (generation !== this.generation) return;
        const result = this.apply(e, files);
        if (result) {
          this.finish(result);
          resolve(result);
        }
      };
      const observer = {
        event: (e: RunEvent) => {
          // Playback output comes with the delays to replay; live output is shown at once.
          const delay = Math.min(maxPlaybackDelayMs, (e.delayNs ?? 0) / 1e6);
          replay = replay.then(async () => {
            if (delay > 0) await sleep(delay);
            handle(e);
          });
        },
        failed: (message: string) => {
          replay = replay.then(() => {
            if (generation !== this.generation) return;
            const result: RunResult = { outcome: "internal", errors: message, ...this.terminal.output };
            this.terminal.error("Connection to the server failed: " + message);
            this.finish(result);
            resolve(result);
          });
        },
      };
      this.connection
        .run({ files: toRecord(files), mode: this.mode, withVet: this.vet, goVersion: this.goVersion }, observer)
        .then((active) => {
          // Killed or replaced while connecting: stop what just started.
          if (generation !== this.generation) {
            active.abandon();
            return;
          }
          this.active = active;
          // A replay shows output after the program has run: input typed while watching it
          // could never reach the program in time, so it reads end of input at once.
          if (playback) active.eof();
        })
        .catch((e: Error) => observer.failed(e.message));
    });
    this.terminal.attach({
      line: (text) => this.active?.send(text),
      eof: () => this.active?.eof(),
      interrupt: () => this.kill(),
      refused: playback ? "[Playback mode replays a finished run: typed input is not sent. Choose Live mode in Settings to type input.]" : undefined,
    });
    return finished;
  }

  /**
   * Stops the running program. The server kills it and the run ends with the server's own
   * final event (outcome, times); while still connecting, nothing runs yet and the page
   * ends the run itself.
   */
  kill(): void {
    if (!this.busy) return;
    if (this.active) {
      this.setStatus("Killing…");
      this.active.kill();
      return;
    }
    this.stopHere();
  }

  /** Ends the current run on the page now (a new run replaces it); the server kills its program. */
  private stopHere(): void {
    this.active?.abandon();
    this.generation++;
    const result: RunResult = { outcome: "killed", ...this.terminal.output };
    this.terminal.note("[killed]");
    this.finish(result);
  }

  async format(imports: boolean): Promise<boolean> {
    const files = this.editor.files;
    const archive = this.archive(files);
    const body = new URLSearchParams({ body: toText(files) });
    if (imports) body.set("imports", "true");
    this.setStatus("Formatting…");
    let reply: { Body?: string; Error?: string };
    try {
      // The chosen toolchain's gofmt: releases differ in what they accept and how they print.
      const url = this.goVersion ? endpoint("fmt") + "?go=" + encodeURIComponent(this.goVersion) : endpoint("fmt");
      const response = await fetch(url, { method: "POST", body });
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}: ${await response.text()}`);
      reply = await response.json();
    } catch (e) {
      this.setStatus("Format failed");
      this.terminal.error("Format failed: " + (e as Error).message);
      return false;
    }
    if (reply.Error) {
      this.setStatus("Format failed");
      this.terminal.clear();
      this.terminal.error(reply.Error);
      this.showProblems(parseProblems(reply.Error, "error", (archive ?? files).map((f) => f.name)));
      return false;
    }
    if (archive) {
      // The archive stays an archive, with every file in it formatted.
      this.editor.replace("prog.go", reply.Body ?? "");
    } else {
      const formatted = fromText(reply.Body ?? "");
      for (const file of formatted) {
        if (files.some((f) => f.name === file.name)) this.editor.replace(file.name, file.content);
      }
    }
    this.showProblems([]);
    this.setStatus("Formatted");
    return true;
  }

  /** Stores the files as a snippet and returns its address. */
  async share(): Promise<string> {
    const response = await fetch(endpoint("share"), { method: "POST", body: toText(this.editor.files) });
    const text = await response.text();
    if (!response.ok) throw new Error(text.trim() || `${response.status} ${response.statusText}`);
    return endpoint("p/" + text.trim());
  }

  private apply(e: RunEvent, files: SourceFile[]): RunResult | null {
    switch (e.kind) {
      case "preparing":
        // Progress, not program output: the first run of a new version waits for its setup.
        this.setStatus(e.data || "Preparing the Go version…");
        return null;
      case "queued":
        this.setStatus(`Queued #${e.position}`);
        return null;
      case "building":
        this.setStatus("Building…");
        return null;
      case "built":
        this.setStatus("Running…");
        this.startClock();
        return null;
      case "vet": {
        const data = e.data ?? "";
        this.terminal.note(data.replace(/\n$/, ""), "\x1b[33m");
        this.showProblems([...this.problems, ...parseProblems(data, "warning", files.map((f) => f.name))]);
        return null;
      }
      case "stdout":
        this.terminal.writeStdout(e.data ?? "");
        return null;
      case "stderr":
        this.terminal.writeStderr(e.data ?? "");
        return null;
      case "exit": {
        this.terminal.endLine(summary(e));
        return {
          outcome: e.outcome ?? "exited", exitCode: e.exitCode, buildMs: e.buildMs, runMs: e.runMs,
          peakMemoryBytes: e.peakMemoryBytes, cached: e.cached, ...this.terminal.output,
        };
      }
      case "error": {
        const data = e.data ?? "";
        this.terminal.error(data);
        if (e.outcome === "build-error") {
          this.showProblems([...this.problems, ...parseProblems(data, "error", files.map((f) => f.name))]);
        }
        const retry = e.retryAfterSeconds ? ` Try again in ${e.retryAfterSeconds} s.` : "";
        this.terminal.note(`[${words(e.outcome ?? "internal", e.data)}]${retry}`);
        return { outcome: e.outcome ?? "internal", errors: data, ...this.terminal.output };
      }
    }
    return null;
  }

  /** Whole seconds since the program started, while it runs. */
  private startClock(): void {
    this.stopClock();
    const started = performance.now();
    const show = () => {
      this.elapsed.textContent = `${Math.floor((performance.now() - started) / 1000)} s`;
    };
    show();
    this.elapsed.hidden = false;
    this.ticker = window.setInterval(show, 250);
  }

  private stopClock(): void {
    clearInterval(this.ticker);
    this.ticker = 0;
    this.elapsed.hidden = true;
  }

  private finish(result: RunResult): void {
    this.stopClock();
    this.active = null;
    this.busy = false;
    this.lastResult = result;
    this.terminal.attach(null);
    this.setStatus(describe(result));
    this.options.onBusy?.(false);
    this.options.onResult?.(result);
  }

  private showProblems(problems: Problem[]): void {
    this.problems = problems;
    this.editor.mark(problems);
    const list = this.el.problems;
    list.replaceChildren();
    list.hidden = problems.length === 0;
    for (const p of problems) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "problem " + p.severity;
      button.textContent = `${p.file}:${p.line}:${p.column}: ${p.message}`;
      button.title = "Go to the line";
      button.addEventListener("click", () => {
        this.editor.reveal(p.file, p.line, p.column);
        this.options.onShow?.(p.file);
      });
      item.append(button);
      list.append(item);
    }
  }

  /** The status line: a run's progress and outcome, or a short notice from the page. */
  setStatus(text: string): void {
    this.el.status.textContent = text;
  }

  private connectionState(state: ConnectionState, detail?: string): void {
    const el = this.el.connection;
    el.dataset.state = state;
    el.dataset.transport = state === "connected" ? detail ?? "" : "";
    switch (state) {
      case "connecting":
        el.textContent = "Connecting…";
        break;
      case "connected":
        el.textContent = detail ? `Connected (${detail})` : "Connected";
        break;
      case "reconnecting":
        el.textContent = "Connection lost, reconnecting…";
        break;
      case "disconnected":
        el.textContent = "Disconnected" + (detail ? `: ${detail}` : "") + ". Run reconnects.";
        break;
    }
    el.classList.toggle("alert", state === "reconnecting" || state === "disconnected");
  }
}

/** The status line's words for how a run ended. */
function describe(result: RunResult): string {
  switch (result.outcome) {
    case "exited":
      return result.exitCode === 0 ? "Exited" : `Exited ${result.exitCode}`;
    case "build-error":
      return "Build failed";
    case "build-timeout":
      return "Build timed out";
    case "timeout":
      return "Timed out";
    case "oom":
      return "Out of memory";
    case "output-limit":
      return "Output limit reached";
    case "killed":
      return "Killed";
    case "rejected":
      return "Not run";
    case "internal":
      return "Server error";
  }
}

/**
 * The end line's words for an outcome, naming the limit that stopped the program. The limit
 * is read from the server's message ("Program exceeded the 60 s time limit…"), which is
 * where the server's configuration speaks; without one the outcome stands alone.
 */
function words(outcome: Outcome, message?: string): string {
  const text = message ?? "";
  switch (outcome) {
    case "timeout": {
      const limit = /(\d+(?:\.\d+)?) s time limit/.exec(text)?.[1];
      return limit ? `timed out after ${limit} s` : "timed out";
    }
    case "build-timeout": {
      const limit = /(\d+(?:\.\d+)?) ?s/.exec(text)?.[1];
      return limit ? `build timed out after ${limit} s` : "build timed out";
    }
    case "oom": {
      const limit = /limit (\d+(?:\.\d+)? (?:[KMG]iB|bytes))/.exec(text)?.[1];
      return limit ? `out of memory (limit ${limit})` : "out of memory";
    }
    case "output-limit": {
      const limit = /more than (\d+(?:\.\d+)? (?:[KMG]iB|bytes))/.exec(text)?.[1];
      return limit ? `output limit of ${limit} reached` : "output limit reached";
    }
    case "build-error":
      return "build failed";
    case "internal":
      return "server error";
    default:
      return outcome;
  }
}

/** The end line's parts. A program killed or stopped by a limit has no exit code of its own. */
function summary(e: RunEvent): string[] {
  const parts = [words(e.outcome ?? "exited", e.data)];
  if (e.exitCode != null) parts.push(`exit code ${e.exitCode}`);
  if (e.buildMs !== undefined) parts.push(`build ${e.buildMs} ms` + (e.cached ? " (cached)" : ""));
  if (e.runMs !== undefined) parts.push(`run ${e.runMs} ms`);
  if (e.peakMemoryBytes) parts.push(`peak memory ${(e.peakMemoryBytes / (1 << 20)).toFixed(1)} MiB`);
  return parts;
}
