// localStorage that degrades to memory: third-party iframes and private windows may throw on
// any access, and the page must keep working without remembering anything.

const memory = new Map<string, string>();

function store(): Storage | null {
  try {
    const s = window.localStorage;
    const probe = "goplay.probe";
    s.setItem(probe, "1");
    s.removeItem(probe);
    return s;
  } catch {
    return null;
  }
}

const backing = store();

export function load<T>(key: string, fallback: T): T {
  try {
    const raw = backing ? backing.getItem(key) : memory.get(key) ?? null;
    return raw === null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

export function save(key: string, value: unknown): void {
  const raw = JSON.stringify(value);
  try {
    if (backing) backing.setItem(key, raw);
    else memory.set(key, raw);
  } catch {
    memory.set(key, raw);
  }
}

export function remove(key: string): void {
  try {
    backing?.removeItem(key);
  } catch {
    // Nothing to forget when storage is blocked.
  }
  memory.delete(key);
}
