import { type ILink, Terminal, type ITheme } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";

/** What the terminal asks of the run it is attached to. */
export interface TerminalInput {
  line(text: string): void;
  eof(): void;
  interrupt(): void;
  /** Why typed input is not sent (playback mode); said once, and nothing typed is shown. */
  refused?: string;
}

const red = "\x1b[31m";
// Bright black, not the dim attribute: dim halves the colour's contrast.
const dim = "\x1b[90m";
const reset = "\x1b[0m";

export const lightTerminal: ITheme = {
  background: "#ffffff", foreground: "#1f2328", cursor: "#1f2328", selectionBackground: "#b6d7ff",
  red: "#c0262d", green: "#1a7f37", yellow: "#8a6100", blue: "#0550ae", magenta: "#8250df", cyan: "#1b7c83",
  black: "#1f2328", white: "#6e7781", brightBlack: "#57606a",
};

export const darkTerminal: ITheme = {
  background: "#1e2127", foreground: "#d7dae0", cursor: "#d7dae0", selectionBackground: "#3e4451",
  red: "#ff7b72", green: "#7ee787", yellow: "#e3b341", blue: "#79c0ff", magenta: "#d2a8ff", cyan: "#76e3ea",
  black: "#484f58", white: "#d7dae0", brightBlack: "#8b949e",
};

/**
 * Program output and input. Output is written as it arrives (stderr in red); while a program
 * runs, keystrokes are edited locally like a cooked tty and sent a line at a time: Enter sends
 * the line, Backspace and Ctrl+U edit it, Ctrl+D sends what is typed or, on an empty line,
 * ends the input, Ctrl+C kills the program unless text is selected (then it copies, as does
 * Ctrl+Shift+C). Tab and Shift+Tab always move the focus on: a line-at-a-time reader has no
 * use for a tab key, and the output must not trap the keyboard.
 */
export class OutputTerminal {
  readonly term: Terminal;
  private readonly fit = new FitAddon();
  private input: TerminalInput | null = null;
  private pending = "";
  private stdout = "";
  private stderr = "";
  // xterm parses writes later, so its cursor cannot tell whether the last line was ended.
  private atLineStart = true;
  /** Follows a "file.go:line" position in the output (panics, test failures). */
  onPosition: ((file: string, line: number, column: number) => void) | null = null;
  private refusalShown = false;

  constructor(host: HTMLElement, theme: ITheme) {
    this.term = new Terminal({
      convertEol: true,
      cursorBlink: false,
      cursorInactiveStyle: "none",
      fontFamily: 'ui-monospace, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace',
      fontSize: 14,
      // At line height 1 the cell is the font's ascent plus descent, and at device scale 1
      // the underscore of common monospace fonts falls just below it and is clipped away:
      // snake_case read as "snake case". A little leading gives it room at every scale.
      lineHeight: 1.2,
      scrollback: 10000,
      theme,
      // Keeps an accessible copy of the rows, so screen readers can read the output.
      screenReaderMode: true,
    });
    this.term.loadAddon(this.fit);
    this.term.write("\x1b[?25l");
    this.term.open(host);
    this.term.textarea?.setAttribute("aria-label", "Program output and input");
    this.term.onData((data) => this.key(data));
    this.term.attachCustomKeyEventHandler((e) => this.special(e));
    this.term.registerLinkProvider({ provideLinks: (y, callback) => callback(this.positions(y)) });
    new ResizeObserver(() => this.resize()).observe(host);
    this.resize();
  }

  setTheme(theme: ITheme): void {
    this.term.options.theme = theme;
  }

  resize(): void {
    try {
      this.fit.fit();
    } catch {
      // Not laid out yet (hidden pane): the next resize fits it.
    }
  }

  clear(): void {
    this.term.reset();
    this.pending = "";
    this.stdout = "";
    this.stderr = "";
    this.atLineStart = true;
  }

  /** Connects keystrokes to a running program, or disconnects them with null. */
  attach(input: TerminalInput | null): void {
    this.input = input;
    this.refusalShown = false;
    this.pending = "";
    // The cursor shows only while a program can read what is typed.
    this.term.write(input ? "\x1b[?25h" : "\x1b[?25l");
  }

  focus(): void {
    this.term.focus();
  }

  writeStdout(text: string): void {
    this.stdout += text;
    this.write(text);
  }

  writeStderr(text: string): void {
    this.stderr += text;
    this.write(red + text + reset);
  }

  /** A line of the playground's own (phase, outcome), dimmed and on a line of its own. */
  note(text: string, colour = dim): void {
    this.write((this.atLineStart ? "" : "\r\n") + colour + text + reset + "\r\n");
  }

  /**
   * The end line, "[a · b · c]": broken between its parts when the pane is too narrow, so the
   * terminal never wraps it in the middle of a number.
   */
  endLine(parts: string[], colour = dim): void {
    const lines: string[] = [];
    let line = "";
    for (const [i, part] of parts.entries()) {
      const piece = (i === 0 ? "[" : "") + part + (i === parts.length - 1 ? "]" : "");
      const joined = line === "" ? piece : line + " · " + piece;
      if (line !== "" && joined.length > this.term.cols) {
        lines.push(line + " ·");
        line = "  " + piece;
      } else {
        line = joined;
      }
    }
    lines.push(line);
    this.note(lines.join("\r\n"), colour);
  }

  /** Copies the selection, or with all the whole output as plain text ("Copy output"). */
  async copy(all: boolean): Promise<void> {
    await navigator.clipboard.writeText(all ? this.text() + "\n" : this.term.getSelection());
  }

  private write(text: string): void {
    if (text.length === 0) return;
    this.atLineStart = text.endsWith("\n");
    this.term.write(text);
  }

  error(text: string): void {
    this.note(text.replace(/\n$/, ""), red);
  }

  get output(): { stdout: string; stderr: string } {
    return { stdout: this.stdout, stderr: this.stderr };
  }

  /** Lines written so far, up to the cursor's (cheap: no text is built). */
  linesUsed(): number {
    const buffer = this.term.buffer.active;
    return buffer.baseY + buffer.cursorY + 1;
  }

  /** Plain text of the whole buffer, for tests and copying. */
  text(): string {
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) {
      const line = buffer.getLine(i);
      if (!line) continue;
      const text = line.translateToString(true);
      if (line.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
      else lines.push(text);
    }
    return lines.join("\n").replace(/\n+$/, "");
  }

  /** Positions such as "prog.go:9" or "/tmp/x/prog_test.go:17 +0x1d" in a row, as links. */
  private positions(y: number): ILink[] | undefined {
    const text = this.term.buffer.active.getLine(y - 1)?.translateToString(true) ?? "";
    const links: ILink[] = [];
    for (const m of text.matchAll(/([\w.\-/]*\w\.go):(\d+)(?::(\d+))?/g)) {
      const start = m.index + 1;
      links.push({
        range: { start: { x: start, y }, end: { x: start + m[0].length - 1, y } },
        text: m[0],
        decorations: { underline: true, pointerCursor: true },
        activate: () => {
          this.onPosition?.(m[1], Number(m[2]), m[3] ? Number(m[3]) : 1);
        },
      });
    }
    return links.length > 0 ? links : undefined;
  }

  /** Keys xterm must not turn into input: false leaves them to the browser (or to us). */
  private special(e: KeyboardEvent): boolean {
    if (e.key === "Tab" && !e.ctrlKey && !e.altKey && !e.metaKey) return false;
    const copyKey = (e.ctrlKey || e.metaKey) && !e.altKey && e.code === "KeyC";
    if (copyKey && (this.term.hasSelection() || e.shiftKey)) {
      if (e.type === "keydown" && this.term.hasSelection()) {
        e.preventDefault();
        void this.copy(false).catch(() => {
          // No clipboard permission: the selection stays for the browser's own Copy.
        });
      }
      return false;
    }
    return true;
  }

  private key(data: string): void {
    const input = this.input;
    if (!input) return;
    if (input.refused) {
      if (data.includes("\x03")) input.interrupt();
      else if (!this.refusalShown) {
        this.refusalShown = true;
        this.note(input.refused, "\x1b[33m");
      }
      return;
    }
    // Escape sequences (arrows, function keys) mean nothing to line-at-a-time input.
    for (const ch of data.replace(/\x1b(\[[0-9;?]*[ -/]*[@-~]|O.|.)?/g, "")) {
      switch (ch) {
        case "\r":
        case "\n":
          this.write("\r\n");
          input.line(this.pending + "\n");
          this.pending = "";
          break;
        case "\x7f":
        case "\b":
          if (this.pending.length > 0) {
            this.pending = [...this.pending].slice(0, -1).join("");
            this.write("\b \b");
          }
          break;
        case "\x15": // Ctrl+U
          this.term.write("\b \b".repeat([...this.pending].length));
          this.pending = "";
          break;
        case "\x04": // Ctrl+D
          if (this.pending.length > 0) {
            input.line(this.pending);
            this.pending = "";
          } else {
            this.write(dim + "^D" + reset + "\r\n");
            input.eof();
          }
          break;
        case "\x03": // Ctrl+C
          this.write("^C\r\n");
          this.pending = "";
          input.interrupt();
          return;
        default:
          if (ch < " ") break;
          this.pending += ch;
          this.write(ch);
      }
    }
  }
}
