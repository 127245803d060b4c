import type { Rng } from '../rng.js';

/** The Reber alphabet, in one-hot order. */
export const SYMBOLS = ['B', 'T', 'P', 'S', 'X', 'V', 'E'] as const;
/** One symbol of the Reber alphabet. */
export type ReberSymbol = (typeof SYMBOLS)[number];

// Node → [symbol, next node] edges; node 3's E ends the inner string (spec §3, Exp. 1).
const GRAPH: Record<number, [ReberSymbol, number][]> = {
  0: [
    ['T', 1],
    ['P', 5],
  ],
  1: [
    ['S', 1],
    ['X', 2],
  ],
  2: [
    ['S', 3],
    ['X', 5],
  ],
  3: [['E', -1]],
  4: [
    ['V', 3],
    ['P', 2],
  ],
  5: [
    ['T', 5],
    ['V', 4],
  ],
};

/** A Reber string: B, a random walk of the graph (each choice with probability ½), E. */
export function reberString(rng: Rng): string {
  let out = 'B';
  let node = 0;
  while (node !== -1) {
    const edges = GRAPH[node]!;
    const [symbol, next] = edges.length === 1 ? edges[0]! : rng.pick(edges);
    out += symbol;
    node = next;
  }
  return out;
}

/** An embedded Reber string: B, T|P, a Reber string, the same T|P, E. */
export function embeddedReberString(rng: Rng): string {
  const branch = rng.chance(0.5) ? 'T' : 'P';
  return `B${branch}${reberString(rng)}${branch}E`;
}

/** True if `s` is a Reber string. */
export function isReber(s: string): boolean {
  if (s[0] !== 'B') return false;
  let node = 0;
  for (let i = 1; i < s.length; i++) {
    const edge = GRAPH[node]?.find(([symbol]) => symbol === s[i]);
    if (!edge) return false;
    node = edge[1];
    if (node === -1) return i === s.length - 1;
  }
  return false;
}

/** True if `s` is an embedded Reber string. */
export function isEmbeddedReber(s: string): boolean {
  const branch = s[1];
  return (
    s.length >= 9 &&
    s[0] === 'B' &&
    (branch === 'T' || branch === 'P') &&
    s.at(-2) === branch &&
    s.at(-1) === 'E' &&
    isReber(s.slice(2, -2))
  );
}

/**
 * The legal successors after each prefix of an embedded Reber string: `next[t]` is the set of
 * symbols that may follow `s[0..t]` (what the net must rank above every illegal symbol).
 */
export function legalSuccessors(s: string): Set<ReberSymbol>[] {
  const out: Set<ReberSymbol>[] = [];
  const branch = s[1] as ReberSymbol;
  const innerEnd = s.length - 2; // index of the closing branch symbol
  let node = 0;
  for (let t = 0; t < s.length - 1; t++) {
    if (t === 0) out.push(new Set(['T', 'P']));
    else if (t === 1) out.push(new Set(['B']));
    else if (t < innerEnd - 1) {
      // inside the inner string: s[t] moved the walk to `node`
      if (t > 2) node = GRAPH[node]!.find(([symbol]) => symbol === s[t])![1];
      out.push(new Set(GRAPH[node]!.map(([symbol]) => symbol)));
    } else if (t === innerEnd - 1) out.push(new Set([branch]));
    else out.push(new Set(['E']));
  }
  return out;
}

/** One-hot encoding of a symbol. */
export function oneHotSymbol(symbol: string): Float64Array {
  const v = new Float64Array(SYMBOLS.length);
  const i = SYMBOLS.indexOf(symbol as ReberSymbol);
  if (i < 0) throw new Error(`not a Reber symbol: ${symbol}`);
  v[i] = 1;
  return v;
}
