// The Examples menu. Each one runs as-is in the sandbox; the browser tests run them all.
// The texts are src/examples/*.txt in upstream's format (a "// Title:" line, then the
// program, txtar for several files): the server serves the same files at /doc/play/{id}.txt.

import { fromText, type SourceFile } from "./files";
import hello from "./examples/hello.txt?raw";
import stdin from "./examples/stdin.txt?raw";
import goroutines from "./examples/goroutines.txt?raw";
import time from "./examples/time.txt?raw";
import tests from "./examples/tests.txt?raw";
import http from "./examples/http.txt?raw";
import multi from "./examples/multi.txt?raw";

export interface Example {
  id: string;
  title: string;
  files: SourceFile[];
}

const titleLine = /^\/\/ Title:(.*)\n/;

function example(id: string, text: string): Example {
  const title = titleLine.exec(text);
  if (!title) throw new Error(`examples/${id}.txt does not start with a "// Title:" line`);
  return { id, title: title[1].trim(), files: fromText(text.slice(title[0].length)) };
}

export const examples: Example[] = [
  example("hello", hello),
  example("stdin", stdin),
  example("goroutines", goroutines),
  example("time", time),
  example("tests", tests),
  example("http", http),
  example("multi", multi),
];

export const defaultFiles = examples[0].files;
