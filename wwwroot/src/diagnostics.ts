// Build errors and vet findings as positions in the editor's files. The toolchain prints
// "./prog.go:4:2: message" (or without "./", or without a column); other lines (package
// headers such as "# play", notes) carry no position.

export interface Problem {
  file: string;
  line: number;
  column: number;
  message: string;
  severity: "error" | "warning";
}

const position = /^(?:vet: )?(?:\.\/)?([\w.\-/]+\.go):(\d+)(?::(\d+))?: (.*)$/;

export function parseProblems(text: string, severity: Problem["severity"], files: string[]): Problem[] {
  const problems: Problem[] = [];
  for (const raw of text.split("\n")) {
    const m = position.exec(raw.trim());
    if (!m) continue;
    const file = files.includes(m[1]) ? m[1] : testProg(m[1], files) ?? files.find((f) => f.endsWith("/" + m[1]) || m[1].endsWith("/" + f));
    if (!file) continue;
    problems.push({
      file,
      line: Number(m[2]),
      column: m[3] ? Number(m[3]) : 1,
      message: m[4],
      severity,
    });
  }
  return problems;
}

/** The editor file a position in program output names ("/tmp/x/prog.go", "./util.go"), if any. */
export function editorFile(name: string, files: string[]): string | undefined {
  const bare = name.replace(/^\.\//, "");
  if (files.includes(bare)) return bare;
  return testProg(bare.split("/").at(-1)!, files) ?? files.find((f) => bare.endsWith("/" + f));
}

// A prog.go of tests without main is built as prog_test.go, as upstream does, and the
// toolchain's messages name that file: they belong to the editor's prog.go.
function testProg(name: string, files: string[]): string | undefined {
  return name === "prog_test.go" && files.includes("prog.go") && !files.includes("prog_test.go") ? "prog.go" : undefined;
}
