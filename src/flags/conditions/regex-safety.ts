import { RegExpParser, type AST } from '@eslint-community/regexpp';

/**
 * Worst-case work of a `REGEX` condition, bounded when the pattern is written.
 *
 * Why: JavaScript's regex engine backtracks. On a pattern whose parts can match the same text
 * in many ways (`(a+)+`, `(a|a)*`, `(a?a)*`, `\d+\d+\d+x`), a value chosen by whoever sends the
 * context makes one `isEnabled` call run for seconds or forever. Unleash avoids this with RE2,
 * a linear-time engine; phasegate keeps the built-in engine (no engine to ship, the same
 * semantics everywhere) and refuses what can blow up instead, from the parsed pattern
 * (`@eslint-community/regexpp`, the parser ESLint uses), not from its text:
 *
 * 1. No back-references and no lookaround (RE2 has neither; both defeat any bound).
 * 2. Star height one: the body of a repeat (`*`, `+`, `{n,m}` with m > 1) matches text of one
 *    fixed length in exactly one way: characters, classes and groups of them, with no
 *    alternation and no other repeat or `?` inside (`(ab)+` is fine, `(a|b)+` is written `[ab]+`).
 * 3. Everything else is counted. A repeat (or `?`) is *deterministic* when what must come next
 *    cannot start with a character its body can match (`[a-z]+@`, `\d+$`): backtracking then
 *    tries one way out of it. Any other repeat multiplies the ways to match what follows by up
 *    to n + 1 (n = the longest value read, {@link MAX_REGEX_INPUT_LENGTH}); an alternation adds
 *    up its branches; an unanchored pattern is tried at each of n + 1 positions. The pattern is
 *    refused when that count of steps exceeds {@link MAX_REGEX_STEPS}.
 *
 * The count is an upper bound on the steps of a backtracking matcher, so every accepted pattern
 * answers within a few milliseconds on any value of up to 1,024 characters. Common patterns
 * pass: `^[\w.+-]+@example\.com$`, `foo.*bar`, `^(pro|enterprise)$`, `^2\.\d+\.\d+`.
 */

/** Longest attribute value a `REGEX` condition reads; longer text is the wrong type (never matched). */
export const MAX_REGEX_INPUT_LENGTH = 1024;
/** Most backtracking steps a pattern may need on a value of {@link MAX_REGEX_INPUT_LENGTH} characters. */
export const MAX_REGEX_STEPS = 2 ** 23;

const N = MAX_REGEX_INPUT_LENGTH + 1;

/** Thrown inside the analysis with the reason a pattern is refused. */
class Refusal {
  constructor(readonly reason: string) {}
}

// ---------------------------------------------------------------------------------------------
// Character sets, as sorted disjoint [from, to] code point ranges: enough to tell whether two
// atoms can match the same character. Anything not worked out exactly is widened (a wider set
// only makes a repeat count as non-deterministic, never the other way round).

type CharSet = readonly (readonly [number, number])[];
const MAX_CODE_POINT = 0x10ffff;
const ALL: CharSet = [[0, MAX_CODE_POINT]];
const LINE_TERMINATORS: CharSet = [
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x2028, 0x2029],
];
const DIGITS: CharSet = [[0x30, 0x39]];
const WORD: CharSet = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
const SPACE: CharSet = [
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];

function normalise(ranges: (readonly [number, number])[]): CharSet {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [from, to] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

const union = (...sets: CharSet[]): CharSet => normalise(sets.flat());

function complement(set: CharSet): CharSet {
  const out: [number, number][] = [];
  let next = 0;
  for (const [from, to] of set) {
    if (from > next) out.push([next, from - 1]);
    next = to + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

function intersects(a: CharSet, b: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x[1] < y[0]) i++;
    else if (y[1] < x[0]) j++;
    else return true;
  }
  return false;
}

/**
 * With `i`, a letter also matches its other cases, some of them outside ASCII (`k` matches
 * U+212A KELVIN SIGN): a set holding any letter or any non-ASCII character gains both ASCII
 * cases and everything non-ASCII.
 */
function foldCase(set: CharSet): CharSet {
  const letters: CharSet = [
    [0x41, 0x5a],
    [0x61, 0x7a],
    [0x80, MAX_CODE_POINT],
  ];
  return intersects(set, letters) ? union(set, letters) : set;
}

function characterSetOf(node: AST.CharacterSet): CharSet {
  switch (node.kind) {
    case 'any':
      return complement(LINE_TERMINATORS);
    case 'digit':
      return node.negate ? complement(DIGITS) : DIGITS;
    case 'space':
      return node.negate ? complement(SPACE) : SPACE;
    case 'word':
      return node.negate ? complement(WORD) : WORD;
    default:
      return ALL; // Unicode properties: not worked out, so the widest set.
  }
}

/** The characters a single-character atom can match, or `undefined` for anything else. */
function atomSet(node: AST.Node, caseInsensitive: boolean): CharSet | undefined {
  let set: CharSet | undefined;
  if (node.type === 'Character') set = [[node.value, node.value]];
  else if (node.type === 'CharacterSet') set = characterSetOf(node);
  else if (node.type === 'CharacterClass') {
    const parts: CharSet[] = [];
    for (const element of node.elements) {
      if (element.type === 'Character') parts.push([[element.value, element.value]]);
      else if (element.type === 'CharacterClassRange') parts.push([[element.min.value, element.max.value]]);
      else if (element.type === 'CharacterSet') parts.push(characterSetOf(element));
      else parts.push(ALL);
    }
    const inside = union(...parts);
    set = node.negate ? complement(inside) : inside;
  }
  return set === undefined ? undefined : caseInsensitive ? foldCase(set) : set;
}

// ---------------------------------------------------------------------------------------------
// Repeat bodies (rule 2): text of one fixed length, matched one way.

/** The characters `node` can match, if it matches fixed-length text one way; else refuses. */
function deterministicBody(node: AST.Node, caseInsensitive: boolean, where: string): CharSet {
  const set = atomSet(node, caseInsensitive);
  if (set !== undefined) return set;
  switch (node.type) {
    case 'Assertion':
      if (node.kind === 'start' || node.kind === 'end' || node.kind === 'word') return [];
      break;
    case 'Group':
    case 'CapturingGroup': {
      if (node.alternatives.length > 1) {
        throw new Refusal(`${where} holds an alternation ('${node.raw}'); write single characters as a class, e.g. [ab]+, or repeat each branch separately`);
      }
      return union(...node.alternatives[0]!.elements.map((element) => deterministicBody(element, caseInsensitive, where)));
    }
    case 'Quantifier':
      if (node.min === node.max) return deterministicBody(node.element, caseInsensitive, where);
      throw new Refusal(`${where} holds another repeat ('${node.raw}'): nested repeats can take exponential time`);
    default:
      break;
  }
  throw new Refusal(`${where} holds '${node.raw}'`);
}

// ---------------------------------------------------------------------------------------------
// Counting (rule 3).

/** What a piece of pattern costs: steps spent in it, and ways out of it for what follows. */
interface Cost {
  readonly steps: number;
  readonly ways: number;
}

/** What must come right after an element, as far as deciding determinism goes. */
type Follower = CharSet | 'end' | 'nothing' | 'unknown';

function followerOf(elements: readonly AST.Element[], index: number, atTop: boolean, caseInsensitive: boolean): Follower {
  const next = elements[index + 1];
  // Nothing after it in the whole pattern: the first way out of a repeat already matches.
  if (next === undefined) return atTop ? 'nothing' : 'unknown';
  if (next.type === 'Assertion' && next.kind === 'end') return 'end';
  const first = firstSet(next, caseInsensitive);
  return first ?? 'unknown';
}

/** The characters `node` must start with, when it cannot match empty text; else `undefined`. */
function firstSet(node: AST.Node, caseInsensitive: boolean): CharSet | undefined {
  const set = atomSet(node, caseInsensitive);
  if (set !== undefined) return set;
  if (node.type === 'Quantifier') return node.min >= 1 ? firstSet(node.element, caseInsensitive) : undefined;
  if (node.type === 'Group' || node.type === 'CapturingGroup') {
    const sets: CharSet[] = [];
    for (const alternative of node.alternatives) {
      const head = alternative.elements[0];
      const first = head === undefined ? undefined : firstSet(head, caseInsensitive);
      if (first === undefined) return undefined;
      sets.push(first);
    }
    return union(...sets);
  }
  return undefined;
}

function isDeterministicExit(body: CharSet, follower: Follower): boolean {
  if (follower === 'nothing' || follower === 'end') return true;
  if (follower === 'unknown') return false;
  return !intersects(body, follower);
}

function alternativesCost(alternatives: readonly AST.Alternative[], atTop: boolean, caseInsensitive: boolean): Cost {
  let steps = 0;
  let ways = 0;
  for (const alternative of alternatives) {
    const cost = sequenceCost(alternative.elements, atTop, caseInsensitive);
    steps += cost.steps;
    ways += cost.ways;
  }
  return { steps, ways };
}

function sequenceCost(elements: readonly AST.Element[], atTop: boolean, caseInsensitive: boolean): Cost {
  let steps = 0;
  let ways = 1;
  elements.forEach((element, index) => {
    const cost = elementCost(element, followerOf(elements, index, atTop, caseInsensitive), caseInsensitive);
    // Every way into this element runs it once; each of its ways out runs the rest.
    steps += ways * cost.steps;
    ways *= cost.ways;
  });
  return { steps: steps + ways, ways };
}

function elementCost(element: AST.Element, follower: Follower, caseInsensitive: boolean): Cost {
  switch (element.type) {
    case 'Backreference':
      throw new Refusal(`back-references ('${element.raw}') are not allowed`);
    case 'Assertion':
      if (element.kind === 'lookahead' || element.kind === 'lookbehind') {
        throw new Refusal(`lookahead and lookbehind ('${element.raw}') are not allowed`);
      }
      return { steps: 1, ways: 1 };
    case 'Group':
    case 'CapturingGroup':
      return alternativesCost(element.alternatives, false, caseInsensitive);
    case 'Quantifier':
      return quantifierCost(element, follower, caseInsensitive);
    default:
      return { steps: 1, ways: 1 };
  }
}

function quantifierCost(node: AST.Quantifier, follower: Follower, caseInsensitive: boolean): Cost {
  if (node.max <= 1) {
    // `x?`: x or nothing, as an alternation would be.
    if (node.max === 0) return { steps: 1, ways: 1 };
    if (node.min === 1) return elementCost(node.element, follower, caseInsensitive);
    const inner = elementCost(node.element, 'unknown', caseInsensitive);
    const first = firstSet(node.element, caseInsensitive);
    if (first !== undefined && inner.ways === 1 && isDeterministicExit(first, follower)) return { steps: inner.steps + 1, ways: 1 };
    return { steps: inner.steps + 1, ways: inner.ways + 1 };
  }
  const body = deterministicBody(node.element, caseInsensitive, `the repeat '${node.raw}'`);
  // A fixed count is plain concatenation: one way through.
  if (node.min === node.max) return { steps: Math.min(node.max, N), ways: 1 };
  const choices = Math.min(node.max - node.min + 1, N);
  return { steps: Math.min(node.max, N), ways: isDeterministicExit(body, follower) ? 1 : choices };
}

const parser = new RegExpParser({ ecmaVersion: 2025 });

/**
 * Why `pattern` is refused for a `REGEX` condition (it could take too long to match, or uses a
 * construct that defeats any bound), or `undefined` when it is accepted. The pattern must
 * already compile with the `u` flag.
 */
export function unsafePatternReason(pattern: string, caseInsensitive = false): string | undefined {
  let ast: AST.Pattern;
  try {
    ast = parser.parsePattern(pattern, 0, pattern.length, { unicode: true });
  } catch (error) {
    return `cannot be read: ${(error as Error).message}`;
  }
  try {
    const anchored = ast.alternatives.every((alternative) => {
      const head = alternative.elements[0];
      return head !== undefined && head.type === 'Assertion' && head.kind === 'start';
    });
    const perStart = alternativesCost(ast.alternatives, true, caseInsensitive);
    const steps = (anchored ? 1 : N) * perStart.steps;
    if (!(steps <= MAX_REGEX_STEPS)) {
      const hint = !anchored && /^\.\*/.test(pattern) ? ' (a leading .* is not needed: REGEX searches anywhere in the value)' : '';
      return `could take too long to match: its repeats can split the same text in many ways (up to ${formatSteps(steps)} steps on a ${MAX_REGEX_INPUT_LENGTH.toLocaleString('en-US')}-character value; the limit is ${formatSteps(MAX_REGEX_STEPS)})${hint}`;
    }
    return undefined;
  } catch (error) {
    if (error instanceof Refusal) return error.reason;
    throw error;
  }
}

function formatSteps(steps: number): string {
  if (!Number.isFinite(steps) || steps >= 1e15) return 'more than 10^15';
  const exponent = Math.floor(Math.log10(steps));
  return exponent < 7 ? Math.round(steps).toLocaleString('en-US') : `about 10^${exponent}`;
}
