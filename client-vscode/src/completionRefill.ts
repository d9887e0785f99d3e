/**
 * Completion that fills in when the names arrive. While a model is still traced the server answers
 * completion at once with an empty, incomplete list, and VS Code asks again only when it is asked:
 * a user who typed `"layer1.` and waits would see nothing. This remembers where such an answer was
 * given, and when the server says the models are traced, whether the cursor is still in the name
 * being typed there (the line unchanged before that point, only name characters typed after it, one
 * empty selection), so the suggestions are asked for again.
 */

/** A cursor, with the text of its line. */
export interface Spot {
  readonly uri: string;
  readonly line: number;
  readonly character: number;
  readonly lineText: string;
}

/** What a completion answer held: how many items, and whether the server will have more. */
export interface Answer {
  readonly items: number;
  readonly incomplete: boolean;
}

/** What may be typed on in a node name or module path after the answer: word characters and dots. */
const NAME_CHARACTERS = /^[\w.]*$/;

export class CompletionRefill {
  private waiting: Spot | undefined;
  private requests = 0;

  /** A completion request is sent: its ticket for `answered`. */
  asked(): number {
    return ++this.requests;
  }

  /**
   * Note the server's answer to request `ticket` at `spot`: an empty, incomplete list waits for the
   * models, any other does not. An answer to an older request than the latest (answers may come
   * out of order) says nothing of where the cursor is now.
   */
  answered(ticket: number, spot: Spot, answer: Answer): void {
    if (ticket === this.requests) {
      this.waiting = answer.incomplete && answer.items === 0 ? spot : undefined;
    }
  }

  /** The server traced its models: whether to ask again, the editor's cursor being `cursor` (undefined: none, or a selection). */
  traced(cursor: Spot | undefined): boolean {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting === undefined || cursor === undefined || waiting.uri !== cursor.uri || waiting.line !== cursor.line) {
      return false;
    }
    const before = waiting.lineText.slice(0, waiting.character);
    return (
      cursor.character >= waiting.character &&
      cursor.lineText.startsWith(before) &&
      NAME_CHARACTERS.test(cursor.lineText.slice(waiting.character, cursor.character))
    );
  }
}

/** The `Answer` in what a completion provider returned (vscode-languageclient gives items or a list). */
export function answerOf(result: readonly unknown[] | { readonly isIncomplete?: boolean; readonly items: readonly unknown[] } | null | undefined): Answer {
  if (result === null || result === undefined) {
    return { items: 0, incomplete: false };
  }
  if (Array.isArray(result)) {
    return { items: result.length, incomplete: false };
  }
  const list = result as { readonly isIncomplete?: boolean; readonly items: readonly unknown[] };
  return { items: list.items.length, incomplete: list.isIncomplete ?? false };
}
