/**
 * A scan of preprocessed DTS source for `outpost,owner` assignments, node by node.
 *
 * Owns `ownerAssignments`: dtc merges repeated node blocks silently (the last assignment
 * wins), so a node claimed by two tasks would compile to whichever came last; the board
 * reader uses this scan to report both claims with their file:line.
 *
 * Invariants:
 * - The text is hostile input: the tokenizer is linear, bounded per statement, and never
 *   throws; anything it cannot place is ignored, so it can only add problems about
 *   assignments it understood.
 */


export interface OwnerClaim { readonly file: string; readonly line: number; readonly value: string }
interface Token { readonly text: string; readonly file: string; readonly line: number; readonly kind: 'word' | 'punct' | 'value' | 'ref' }

/**
 * Tokenize preprocessed DTS just enough to follow node blocks: words, `{ } ; = : ,`,
 * references (`&label`, `&{/path}`) and opaque values (`"..."`, `<...>`, `[...]`).
 * cpp's `# N "file"` line markers keep file:line exact.
 */
function tokenizeDts(text: string): Token[] {
  const out: Token[] = [];
  let file = '';
  let line = 1;
  let i = 0;
  let atLineStart = true;
  const push = (t: string, kind: Token['kind']): void => { out.push({ text: t, file, line, kind }); };
  while (i < text.length) {
    const ch = text[i]!;
    if (atLineStart && ch === '#') {
      const end = text.indexOf('\n', i);
      const lineText = text.slice(i, end < 0 ? text.length : end);
      const marker = /^#\s*(\d+)\s+"((?:[^"\\]|\\.)*)"/.exec(lineText);
      if (marker !== null) {
        file = marker[2]!.replace(/\\(.)/g, '$1');
        line = Number(marker[1]);
        i = end < 0 ? text.length : end + 1;
        continue;
      }
    }
    if (ch === '\n') { line++; i++; atLineStart = true; continue; }
    atLineStart = false;
    if (ch === ' ' || ch === '\t' || ch === '\r') { i++; continue; }
    if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (let k = i; k < stop; k++) if (text[k] === '\n') line++;
      i = stop;
      continue;
    }
    if (ch === '/' && text[i + 1] === '/') { const end = text.indexOf('\n', i); i = end < 0 ? text.length : end; continue; }
    const startLine = line;
    if (ch === '"' || ch === '<' || ch === '[') {
      // Opaque value; `<...>` may hold parenthesised expressions containing `>`.
      const close = ch === '"' ? '"' : ch === '<' ? '>' : ']';
      let j = i + 1;
      let depth = 0;
      while (j < text.length) {
        const c = text[j]!;
        if (c === '\n') line++;
        if (ch === '"' && c === '\\') { j += 2; continue; }
        if (ch === '<' && c === '(') depth++;
        if (ch === '<' && c === ')') depth--;
        if (c === close && depth <= 0) break;
        j++;
      }
      out.push({ text: text.slice(i, j + 1), file, line: startLine, kind: 'value' });
      i = j + 1;
      continue;
    }
    if (ch === '&') {
      if (text[i + 1] === '{') {
        const end = text.indexOf('}', i);
        push(text.slice(i, end < 0 ? text.length : end + 1), 'ref');
        i = end < 0 ? text.length : end + 1;
      } else {
        const m = /^&[A-Za-z0-9_]+/.exec(text.slice(i, i + 256));
        push(m?.[0] ?? '&', 'ref');
        i += m?.[0].length ?? 1;
      }
      continue;
    }
    const word = /^[A-Za-z0-9,._+*#?@-]+/.exec(text.slice(i, i + 512));
    if (word !== null) { push(word[0], 'word'); i += word[0].length; continue; }
    if (ch === '/') {
      const directive = /^\/[a-z0-9-]+\//.exec(text.slice(i, i + 64));
      if (directive !== null) { push(directive[0], 'word'); i += directive[0].length; continue; }
    }
    push(ch, 'punct');
    i++;
  }
  return out;
}

/**
 * Every `outpost,owner = ...;` assignment of the source, by the node path it lands in.
 *
 * dtc merges repeated node blocks silently (the last assignment wins), so a node claimed
 * by two tasks would compile to whichever came last. This scan follows node blocks
 * (`/ {`, `name {`, `&label {`, `&{/path} {`, `/delete-node/`, `/delete-property/`) over
 * the preprocessed text; anything it cannot place is ignored, so it can only add problems
 * about assignments it understood. `/include/` (dtc's own include) is not followed.
 */
export function ownerAssignments(preText: string, symbols: ReadonlyMap<string, string>): Map<string, OwnerClaim[]> {
  const claims = new Map<string, OwnerClaim[]>();
  const stack: (string | null)[] = [];
  let stmt: Token[] = [];
  const join = (parent: string | null, name: string): string | null => parent === null ? null : parent === '/' ? `/${name}` : `${parent}/${name}`;
  const refPath = (t: Token): string | null => {
    if (t.text.startsWith('&{')) return t.text.slice(2, -1) || null;
    return symbols.get(t.text.slice(1)) ?? null;
  };
  const stripLabels = (s: Token[]): Token[] => {
    let k = 0;
    while (s[k]?.kind === 'word' && s[k + 1]?.text === ':') k += 2;
    return s.slice(k);
  };
  const forget = (target: string): void => {
    for (const key of [...claims.keys()]) if (key === target || key.startsWith(`${target}/`)) claims.delete(key);
  };
  for (const tok of tokenizeDts(preText)) {
    if (tok.text === '{' && tok.kind === 'punct') {
      const s = stripLabels(stmt).filter((t) => !(t.kind === 'word' && /^\/[a-z-]+\/$/.test(t.text) && t.text !== '/'));
      const top = stack.length === 0 ? null : stack[stack.length - 1]!;
      let pathHere: string | null = null;
      if (s.length === 1) {
        const t = s[0]!;
        if (t.text === '/' && t.kind === 'punct') pathHere = '/';
        else if (t.kind === 'ref') pathHere = refPath(t);
        else if (t.kind === 'word') pathHere = join(top, t.text);
      }
      stack.push(pathHere);
      stmt = [];
      continue;
    }
    if (tok.text === '}' && tok.kind === 'punct') { stack.pop(); stmt = []; continue; }
    if (tok.text === ';' && tok.kind === 'punct') {
      const s = stripLabels(stmt);
      const top = stack.length === 0 ? null : stack[stack.length - 1]!;
      const head = s[0];
      if (head?.text === '/delete-property/' && s[1]?.text === 'outpost,owner' && top !== null) claims.delete(top);
      else if (head?.text === '/delete-node/' && s[1] !== undefined) {
        const target = s[1].kind === 'ref' ? refPath(s[1]) : join(top, s[1].text);
        if (target !== null) forget(target);
      } else if (head?.kind === 'word' && head.text === 'outpost,owner' && top !== null) {
        const value = s.slice(2).map((t) => t.text).join(' ');
        const list = claims.get(top) ?? [];
        list.push({ file: head.file, line: head.line, value });
        claims.set(top, list);
      }
      stmt = [];
      continue;
    }
    if (stmt.length < 4096) stmt.push(tok);
  }
  return claims;
}
