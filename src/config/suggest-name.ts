/**
 * "Did you mean" suggestions for misspelt setting names and environment
 * variables.
 */

/** Optimal-string-alignment distance: edits, counting a swap of neighbours as one. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i += 1) {
    for (let j = 1; j < cols; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** Lower case without `_` and `-`, so `idle_timeout_seconds` meets `idleTimeoutSeconds`. */
function fold(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, '');
}

/** How many edits still count as a misspelling of a name this long. */
function tolerance(length: number): number {
  return Math.max(1, Math.min(3, Math.floor(length / 5)));
}

/**
 * The known name that `given` most likely misspells, or undefined. A near
 * miss is a small edit distance (case, `_` and `-` ignored), or the known
 * name with its unit left off (`idleTimeout` for `idleTimeoutSeconds`).
 */
export function suggestName(given: string, known: Iterable<string>): string | undefined {
  const folded = fold(given);
  if (folded === '') return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const target = fold(name);
    let distance = editDistance(folded, target);
    if (
      distance > tolerance(target.length) &&
      folded.length >= 4 &&
      /^(seconds|ms|days|bytes)$/.test(target.slice(folded.length)) &&
      target.startsWith(folded)
    ) {
      distance = 1;
    }
    if (distance <= tolerance(target.length) && (best === undefined || distance < best.distance)) {
      best = { name, distance };
    }
  }
  return best?.name;
}
