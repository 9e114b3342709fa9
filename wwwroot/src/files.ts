// The editor's files and their single-text form. A lone prog.go is shared as plain Go; more
// files become txtar with prog.go as the unnamed preamble, which is how go.dev stores them.

export interface SourceFile {
  name: string;
  content: string;
}

const header = /^-- (.+?) --$/;

export function toText(files: SourceFile[]): string {
  if (files.length === 1 && files[0].name === "prog.go") {
    return files[0].content;
  }
  let out = "";
  for (const [i, file] of files.entries()) {
    if (i === 0 && file.name === "prog.go") {
      out += ensureNewline(file.content);
      continue;
    }
    out += `-- ${file.name} --\n` + ensureNewline(file.content);
  }
  return out;
}

export function fromText(text: string): SourceFile[] {
  const files: SourceFile[] = [];
  let current: SourceFile = { name: "prog.go", content: "" };
  let preamble = true;
  const lines = text.split("\n");
  for (const [i, line] of lines.entries()) {
    const m = header.exec(line);
    if (m) {
      // A blank preamble is not a file: archives may start with a header.
      if (!preamble || current.content.trim() !== "") files.push(current);
      current = { name: m[1].trim(), content: "" };
      preamble = false;
    } else {
      current.content += line + (i < lines.length - 1 ? "\n" : "");
    }
  }
  if (!preamble || current.content.trim() !== "" || files.length === 0) files.push(current);
  return files;
}

export function toRecord(files: SourceFile[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f.name, f.content]));
}

/** Why a file name is not acceptable, or null. */
export function checkName(name: string, existing: string[]): string | null {
  if (!/^[A-Za-z0-9_.\-/]+$/.test(name)) return "Use letters, digits, '_', '-', '.' and '/'.";
  if (name.split("/").some((part) => part === "" || part === "." || part === "..")) return "No empty, '.' or '..' path parts.";
  if (!name.endsWith(".go") && name !== "go.mod" && name !== "go.sum" && !name.endsWith(".txt") && !name.endsWith(".md")) {
    return "Go files end in .go; go.mod, go.sum, .txt and .md files are also allowed.";
  }
  if (existing.includes(name)) return `${name} already exists.`;
  return null;
}

function ensureNewline(s: string): string {
  return s.endsWith("\n") || s === "" ? s : s + "\n";
}

/** A shared snippet's files, or the default files and a note saying why it could not be loaded. */
export async function loadSnippet(id: string, fallback: SourceFile[]): Promise<{ files: SourceFile[]; note?: string }> {
  const response = await fetch(`/p/${encodeURIComponent(id)}.go`);
  if (response.ok) return { files: fromText(await response.text()) };
  const why = response.status === 404 ? "was not found" : `could not be loaded (${response.status})`;
  return { files: fallback, note: `Snippet ${id} ${why}.` };
}
