// The wire types of /hubs/run (docs/CONTRACTS.md: RunRequest and RunEvent).

export type RunMode = "live" | "playback";

export interface RunRequest {
  files: Record<string, string>;
  mode: RunMode;
  withVet: boolean;
  /** "1.26", "go1.26", "1.26.11", "latest" or "previous"; absent for the server's default. */
  goVersion?: string;
}

export type Outcome =
  | "exited" | "timeout" | "oom" | "output-limit" | "killed"
  | "build-error" | "build-timeout" | "rejected" | "internal";

export interface RunEvent {
  // "preparing" comes first when the chosen Go version is still being set up on the server.
  kind: "preparing" | "queued" | "building" | "built" | "vet" | "stdout" | "stderr" | "exit" | "error";
  position?: number;
  cached?: boolean;
  buildMs?: number;
  data?: string;
  delayNs?: number;
  outcome?: Outcome;
  exitCode?: number;
  runMs?: number;
  peakMemoryBytes?: number;
  binaryBytes?: number;
  retryAfterSeconds?: number;
  // On the final event: the program had no main and its tests ran.
  isTest?: boolean;
  // On the final event of a test run: how many tests the test binary reported failed.
  testsFailed?: number;
  // On a vet event: vet did not finish (time or memory), so its findings are unknown.
  vetUnfinished?: boolean;
}

/** What a finished run produced, as the embed's postMessage API reports it. */
export interface RunResult {
  outcome: Outcome;
  exitCode?: number;
  stdout: string;
  stderr: string;
  buildMs?: number;
  runMs?: number;
  peakMemoryBytes?: number;
  cached?: boolean;
  errors?: string;
}

/**
 * The address of a server route. Pages live at several paths (/, /p/{id}, /embed), so routes
 * are resolved against the site root, not the page.
 */
export function endpoint(path: string): string {
  return new URL(path, location.origin + "/").toString();
}
