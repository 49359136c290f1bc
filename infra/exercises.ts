/**
 * Which exercises are finished enough to take part in `make demo` / `make bench`:
 * those whose folder has the script.
 *
 * @example
 * ```ts
 * exercisesWith("demo.ts"); // ["01", "02"]
 * ```
 * @module
 */
export function exercisesWith(script: string): string[] {
  const root = new URL("../exercises/", import.meta.url);
  const found: string[] = [];
  for (const entry of Deno.readDirSync(root)) {
    if (!entry.isDirectory || !/^\d\d$/.test(entry.name)) continue;
    try {
      Deno.statSync(new URL(`${entry.name}/${script}`, root));
      found.push(entry.name);
    } catch {
      // Not there yet.
    }
  }
  return found.sort();
}
