// The Go versions a server offers (GET /versions) and the ways a page may name one: the
// picker, a share link's ?v= (as go.dev writes it) and the embed's version=.

import { endpoint } from "./protocol";

export type VersionState = "ready" | "preparing" | "failed" | "unavailable";

/** One installed (or configured) Go release, newest first in the list. */
export interface GoVersion {
  /** The exact toolchain, e.g. "go1.26.11": what runtime.Version() prints. */
  version: string;
  /** e.g. "go1.26": what runs and share links name, so a patch upgrade keeps the choice. */
  release: string;
  name: string;
  state: VersionState;
  default: boolean;
  previous: boolean;
  message: string | null;
}

export interface VersionList {
  default: string;
  versions: GoVersion[];
}

/** The list, or null when the server did not answer in time: the page then runs the default. */
export async function fetchVersions(timeoutMs = 5000): Promise<VersionList | null> {
  try {
    const response = await fetch(endpoint("versions"), { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return null;
    const list = (await response.json()) as VersionList;
    return Array.isArray(list?.versions) ? list : null;
  } catch {
    return null;
  }
}

/** Whether a version can be run: a preparing one can, the run just waits for it. */
export function usable(v: GoVersion): boolean {
  return v.state === "ready" || v.state === "preparing";
}

/** "go1.26" → "1.26": the form goVersion, ?v= and ?go= carry. */
export function bare(release: string): string {
  return release.replace(/^go/, "");
}

/**
 * What a query parameter asks for, in the forms the server accepts as goVersion: "1.26",
 * "1.26.11", "previous", or undefined for the default ("latest", empty). go.dev's "goprev"
 * and a "go" prefix are accepted.
 */
export function requested(param: string | null): string | undefined {
  const v = (param ?? "").trim().toLowerCase();
  if (v === "" || v === "latest" || v === "golatest") return undefined;
  if (v === "goprev" || v === "prev" || v === "previous") return "previous";
  return bare(v);
}

/**
 * The listed version a request names (see requested), or null when the server has no such
 * version. A release ("1.26") matches its entry; a full version ("1.26.11") only itself.
 */
export function find(list: VersionList, request: string | undefined): GoVersion | null {
  if (request === undefined) return list.versions.find((v) => v.default) ?? null;
  if (request === "previous") return list.versions.find((v) => v.previous) ?? null;
  return list.versions.find((v) => bare(v.release) === request || bare(v.version) === request) ?? null;
}

/** The option's text: "Go 1.26 (go1.26.11)", with the default and any state other than ready marked. */
export function label(v: GoVersion): string {
  let text = `${v.name} (${v.version})`;
  if (v.default) text += " (default)";
  if (v.state !== "ready") text += ` (${v.state})`;
  return text;
}
