import { CodeEditor } from "./editor";
import { type ActiveRun, type ConnectionState, RunConnection } from "./connection";
import { type Problem, parseProblems } from "./diagnostics";
import { type SourceFile, fromText, toRecord, toText } from "./files";
import { endpoint, type RunEvent, type RunMode, type RunResult } from "./protocol";
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

  constructor(private readonly el: PlaygroundElements, private readonly options: PlaygroundOptions) {
    this.mode = options.mode;
    this.vet = options.vet;
    this.goVersion = options.goVersion;
    this.editor = new CodeEditor(el.editor, options.files, {
      dark: options.dark,
      vim: options.vim,
      readonly: options.readonly,
      onChange: () => options.onChange?.(),
      shortcuts: options.shortcuts ?? [],
    });
    this.terminal = new OutputTerminal(el.terminal, options.dark ? darkTerminal : lightTerminal);
    this.connection = new RunConnection((state, detail) => this.connectionState(state, detail));
    this.setStatus("Ready");
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
    this.busy = true;
    this.lastResult = null;
    const files = this.editor.files;
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
          if (generation === this.generation) this.active = active;
          else active.abandon();
        })
        .catch((e: Error) => observer.failed(e.message));
    });
    this.terminal.attach({
      line: (text) => this.active?.send(text),
      eof: () => this.active?.eof(),
      interrupt: () => this.kill(),
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
      this.showProblems(parseProblems(reply.Error, "error", files.map((f) => f.name)));
      return false;
    }
    const formatted = fromText(reply.Body ?? "");
    for (const file of formatted) {
      if (files.some((f) => f.name === file.name)) this.editor.replace(file.name, file.content);
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
        this.terminal.note(summary(e));
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
        this.terminal.note(`[${e.outcome}]${retry}`);
        return { outcome: e.outcome ?? "internal", errors: data, ...this.terminal.output };
      }
    }
    return null;
  }

  private finish(result: RunResult): void {
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
      button.addEventListener("click", () => this.editor.reveal(p.file, p.line, p.column));
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

function describe(result: RunResult): string {
  switch (result.outcome) {
    case "exited":
      return result.exitCode === 0 ? "Exited" : `Exited ${result.exitCode}`;
    case "build-error":
      return "Build failed";
    default:
      return result.outcome[0].toUpperCase() + result.outcome.slice(1).replace("-", " ");
  }
}

function summary(e: RunEvent): string {
  // A program that was killed or stopped by a limit has no exit code of its own.
  const parts = [`${e.outcome ?? "exited"}`];
  if (e.exitCode != null) parts.push(`exit code ${e.exitCode}`);
  if (e.buildMs !== undefined) parts.push(`build ${e.buildMs} ms` + (e.cached ? " (cached)" : ""));
  if (e.runMs !== undefined) parts.push(`run ${e.runMs} ms`);
  if (e.peakMemoryBytes) parts.push(`peak memory ${(e.peakMemoryBytes / (1 << 20)).toFixed(1)} MiB`);
  return `[${parts.join(" · ")}]`;
}
