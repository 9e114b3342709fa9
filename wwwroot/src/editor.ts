import { Compartment, EditorSelection, EditorState, type Extension } from "@codemirror/state";
import {
  EditorView, crosshairCursor, drawSelection, dropCursor, highlightActiveLine, highlightActiveLineGutter,
  highlightSpecialChars, keymap, lineNumbers, rectangularSelection,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  HighlightStyle, bracketMatching, defaultHighlightStyle, foldGutter, foldKeymap, indentOnInput, indentUnit, syntaxHighlighting,
} from "@codemirror/language";
import { tags as t } from "@lezer/highlight";
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { type Diagnostic, lintGutter, lintKeymap, setDiagnostics } from "@codemirror/lint";
import { go } from "@codemirror/lang-go";
import { oneDarkTheme } from "@codemirror/theme-one-dark";
import type { SourceFile } from "./files";
import type { Problem } from "./diagnostics";

export interface EditorOptions {
  dark: boolean;
  vim: boolean;
  readonly: boolean;
  onChange: () => void;
  /** Keys handled before the editor's own (Run, Format, Share). */
  shortcuts: { key: string; run: () => boolean }[];
}

const lightTheme = EditorView.theme({
  "&": { backgroundColor: "#ffffff", color: "#1f2328" },
  ".cm-gutters": { backgroundColor: "#f6f8fa", color: "#57606a", borderRight: "1px solid #d0d7de" },
  ".cm-activeLine": { backgroundColor: "#f0f4f8" },
  ".cm-activeLineGutter": { backgroundColor: "#e6ebf1" },
}, { dark: false });

// One Dark's own token colours fall below 4.5:1 contrast on its background (and on the
// active line); these keep its look with readable colours.
const darkHighlight = HighlightStyle.define([
  { tag: [t.keyword, t.controlKeyword, t.definitionKeyword, t.moduleKeyword, t.operatorKeyword], color: "#ff9bce" },
  { tag: [t.string, t.special(t.string), t.regexp, t.character], color: "#a5d6ff" },
  { tag: [t.comment, t.lineComment, t.blockComment], color: "#a3acb9", fontStyle: "italic" },
  { tag: [t.number, t.bool, t.null, t.atom], color: "#79c0ff" },
  { tag: [t.function(t.variableName), t.function(t.propertyName)], color: "#d2a8ff" },
  { tag: [t.typeName, t.className, t.standard(t.typeName)], color: "#ffb77c" },
  { tag: [t.propertyName, t.operator, t.punctuation, t.bracket], color: "#d7dae0" },
  { tag: [t.variableName, t.name], color: "#e6edf3" },
  { tag: t.invalid, color: "#ffa198" },
]);

const darkTheme: Extension = [
  oneDarkTheme,
  syntaxHighlighting(darkHighlight),
  EditorView.theme({ ".cm-gutters": { color: "#a3acb9" } }, { dark: true }),
];

// Vim mode is large and few turn it on: it is fetched the first time it is wanted.
let vimMode: (() => Extension) | null = null;
let vimLoading: Promise<void> | null = null;
function loadVim(): Promise<void> {
  vimLoading ??= import("@replit/codemirror-vim").then((m) => {
    // The status panel is the mode indicator (-- INSERT --, pending keys).
    vimMode = () => m.vim({ status: true });
  });
  return vimLoading;
}

const baseTheme = EditorView.theme({
  "&": { height: "100%", fontSize: "14px" },
  ".cm-scroller": { fontFamily: 'ui-monospace, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace', lineHeight: "1.5" },
  ".cm-content": { tabSize: "4" },
});

/**
 * The code editor: one CodeMirror view, one state per file so each tab keeps its own undo
 * history and selection. Theme, Vim mode and read-only are compartments, so switching them
 * keeps the text and history.
 */
export class CodeEditor {
  readonly view: EditorView;
  private readonly theme = new Compartment();
  private readonly keys = new Compartment();
  private readonly lock = new Compartment();
  private readonly states = new Map<string, EditorState>();
  private order: string[] = [];
  private current = "";
  private settings: { dark: boolean; vim: boolean; readonly: boolean };

  constructor(host: HTMLElement, files: SourceFile[], private readonly options: EditorOptions) {
    this.settings = { dark: options.dark, vim: options.vim, readonly: options.readonly };
    this.view = new EditorView({ parent: host });
    this.setFiles(files);
    this.view.contentDOM.setAttribute("aria-label", "Go source code");
  }

  get files(): SourceFile[] {
    this.stash();
    return this.order.map((name) => ({ name, content: this.states.get(name)!.doc.toString() }));
  }

  get names(): string[] {
    return [...this.order];
  }

  get active(): string {
    return this.current;
  }

  setFiles(files: SourceFile[]): void {
    // Forget the shown file first, or showing the new one would stash the old text over it.
    this.current = "";
    this.states.clear();
    this.order = [];
    for (const file of files) this.addFile(file.name, file.content, false);
    this.show(this.order[0]);
  }

  addFile(name: string, content: string, focus = true): void {
    this.states.set(name, this.createState(content));
    this.order.push(name);
    if (focus) this.show(name);
  }

  renameFile(from: string, to: string): void {
    this.stash();
    const state = this.states.get(from);
    if (!state) return;
    this.states.delete(from);
    this.states.set(to, state);
    this.order = this.order.map((n) => (n === from ? to : n));
    if (this.current === from) this.current = to;
  }

  deleteFile(name: string): void {
    if (this.order.length <= 1) return;
    const index = this.order.indexOf(name);
    this.states.delete(name);
    this.order.splice(index, 1);
    if (this.current === name) {
      this.current = "";
      this.show(this.order[Math.max(0, index - 1)]);
    }
  }

  /** Replaces a file's text as one undoable change. */
  replace(name: string, content: string): void {
    this.stash();
    const state = this.states.get(name);
    if (!state || state.doc.toString() === content) return;
    const next = state.update({ changes: { from: 0, to: state.doc.length, insert: content } }).state;
    this.states.set(name, next);
    if (name === this.current) this.view.setState(next);
  }

  show(name: string): void {
    if (!this.states.has(name)) return;
    this.stash();
    this.current = name;
    this.view.setState(this.states.get(name)!);
  }

  focus(): void {
    this.view.focus();
  }

  configure(settings: Partial<{ dark: boolean; vim: boolean; readonly: boolean }>): void {
    this.settings = { ...this.settings, ...settings };
    this.stash();
    const effects = [
      this.theme.reconfigure(this.themeExtension()),
      this.keys.reconfigure(this.keyExtension()),
      this.lock.reconfigure(this.lockExtension()),
    ];
    for (const [name, state] of this.states) {
      this.states.set(name, state.update({ effects }).state);
    }
    this.view.setState(this.states.get(this.current)!);
  }

  /** Marks problems in every file; clears the marks when the list is empty. */
  mark(problems: Problem[]): void {
    this.stash();
    for (const [name, state] of this.states) {
      const diagnostics: Diagnostic[] = problems
        .filter((p) => p.file === name && p.line <= state.doc.lines)
        .map((p) => {
          const line = state.doc.line(p.line);
          const from = Math.min(line.from + p.column - 1, line.to);
          return { from, to: Math.max(from, line.to), severity: p.severity, message: p.message };
        });
      this.states.set(name, state.update(setDiagnostics(state, diagnostics)).state);
    }
    this.view.setState(this.states.get(this.current)!);
  }

  /** Shows the file and puts the cursor on the line and column. */
  reveal(file: string, line: number, column: number): void {
    this.show(file);
    const doc = this.view.state.doc;
    const target = doc.line(Math.min(Math.max(1, line), doc.lines));
    const pos = Math.min(target.from + Math.max(0, column - 1), target.to);
    this.view.dispatch({ selection: EditorSelection.cursor(pos), effects: EditorView.scrollIntoView(pos, { y: "center" }) });
    this.view.focus();
  }

  cursor(): { line: number; column: number } {
    const head = this.view.state.selection.main.head;
    const line = this.view.state.doc.lineAt(head);
    return { line: line.number, column: head - line.from + 1 };
  }

  private stash(): void {
    if (this.current && this.states.has(this.current)) this.states.set(this.current, this.view.state);
  }

  private createState(content: string): EditorState {
    return EditorState.create({
      doc: content,
      extensions: [
        this.keys.of(this.keyExtension()),
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        foldGutter(),
        lintGutter(),
        drawSelection(),
        dropCursor(),
        EditorState.allowMultipleSelections.of(true),
        indentOnInput(),
        indentUnit.of("\t"),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        bracketMatching(),
        closeBrackets(),
        autocompletion(),
        rectangularSelection(),
        crosshairCursor(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        keymap.of([
          ...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap,
          ...foldKeymap, ...completionKeymap, ...lintKeymap, indentWithTab,
        ]),
        go(),
        baseTheme,
        this.theme.of(this.themeExtension()),
        this.lock.of(this.lockExtension()),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) this.options.onChange();
        }),
      ],
    });
  }

  private keyExtension(): Extension {
    // Vim must see keys first; the page's shortcuts come before the editor's defaults.
    const shortcuts = keymap.of(this.options.shortcuts.map((s) => ({ key: s.key, run: s.run, preventDefault: true })));
    if (!this.settings.vim) return shortcuts;
    if (vimMode) return [vimMode(), shortcuts];
    // Until it has arrived the keys are the usual ones; then every file switches over.
    void loadVim().then(() => {
      if (this.settings.vim) this.configure({});
    }, (e: Error) => console.warn("Vim mode could not be loaded:", e.message));
    return shortcuts;
  }

  private themeExtension(): Extension {
    return this.settings.dark ? darkTheme : lightTheme;
  }

  private lockExtension(): Extension {
    return [EditorState.readOnly.of(this.settings.readonly), EditorView.editable.of(!this.settings.readonly)];
  }
}
