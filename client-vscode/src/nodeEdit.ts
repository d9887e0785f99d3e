/**
 * The edit a click in the node view makes: put a node name into the call's node argument — replacing
 * the string under the cursor, inserting a new string at the cursor, or appending one to the
 * argument's collection when the cursor is elsewhere. Plain text logic, no `vscode` import.
 */

import type { ArgumentLiteral, LspPosition, LspRange } from "./nodeTable";

export interface PlannedEdit {
  readonly range: LspRange;
  readonly text: string;
}

/** The document's lines as the planner reads them. */
export type LineReader = (line: number) => string;

/**
 * The edit that puts `name` into the call: the string literal under `cursor` (inside one of the
 * call's argument collections) gets `name` as its content; a cursor elsewhere inside a collection
 * gets a new item there; any other cursor appends the item to the first collection. Undefined when
 * the call has no collection written in this document (the argument is a name bound elsewhere).
 */
export function planNameEdit(
  lineAt: LineReader,
  cursor: LspPosition,
  literals: readonly ArgumentLiteral[],
  name: string,
): PlannedEdit | undefined {
  const around = literals.find((literal) => strictlyInside(literal.range, cursor));
  if (around !== undefined) {
    const string = stringAt(lineAt(cursor.line), cursor.character);
    if (string !== undefined) {
      return { range: lineRange(cursor.line, string.start, string.end), text: name };
    }
    const after = firstCodeChar(lineAt(cursor.line).slice(cursor.character));
    const trail = after === undefined || "])},".includes(after) ? "" : ", ";
    const text = `${lead(lineAt, around.range.start, cursor)}${item(around.form, name)}${trail}`;
    return { range: { start: cursor, end: cursor }, text };
  }
  const first = literals[0];
  if (first === undefined) {
    return undefined;
  }
  const close = { line: first.range.end.line, character: first.range.end.character - 1 };
  return { range: { start: close, end: close }, text: `${lead(lineAt, first.range.start, close)}${item(first.form, name)}` };
}

/**
 * The content columns `[start, end)` of the string literal on `line` that holds column `column`
 * (between its quotes, either edge included), or undefined. An unterminated string runs to the end of the line.
 */
export function stringAt(line: string, column: number): { start: number; end: number } | undefined {
  let index = 0;
  while (index < line.length) {
    const char = line[index];
    if (char === "#") {
      return undefined; // a comment: no string from here on
    }
    if (char !== '"' && char !== "'") {
      index++;
      continue;
    }
    const start = index + 1;
    let end = start;
    while (end < line.length && line[end] !== char) {
      end += line[end] === "\\" ? 2 : 1;
    }
    end = Math.min(end, line.length);
    if (start <= column && column <= end) {
      return { start, end };
    }
    index = end + 1;
  }
  return undefined;
}

/** What goes before a new item at `at`: nothing after an opening bracket, a space after a comma, else ", ". */
function lead(lineAt: LineReader, from: LspPosition, at: LspPosition): string {
  const before = lastCodeChar(lineAt, from, at);
  if (before === undefined || "[({".includes(before)) {
    return "";
  }
  if (before === ",") {
    return /\s$/.test(lineAt(at.line).slice(0, at.character)) ? "" : " ";
  }
  return ", ";
}

function item(form: string, name: string): string {
  return form === "dict" ? `"${name}": "${name}"` : `"${name}"`;
}

function strictlyInside(range: LspRange, position: LspPosition): boolean {
  return compare(range.start, position) < 0 && compare(position, range.end) < 0;
}

function compare(a: LspPosition, b: LspPosition): number {
  return a.line !== b.line ? a.line - b.line : a.character - b.character;
}

function lineRange(line: number, start: number, end: number): LspRange {
  return { start: { line, character: start }, end: { line, character: end } };
}

/** The last non-blank character from `from` up to (not including) `to`, across lines. */
function lastCodeChar(lineAt: LineReader, from: LspPosition, to: LspPosition): string | undefined {
  for (let line = to.line; line >= from.line; line--) {
    const text = lineAt(line);
    const end = line === to.line ? to.character : text.length;
    const begin = line === from.line ? from.character : 0;
    const trimmed = text.slice(begin, end).trimEnd();
    if (trimmed.length > 0) {
      return trimmed[trimmed.length - 1];
    }
  }
  return undefined;
}

function firstCodeChar(text: string): string | undefined {
  const trimmed = text.trimStart();
  return trimmed.length > 0 ? trimmed[0] : undefined;
}
