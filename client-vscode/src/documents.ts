/** Which documents the server is given: Python files on disk and untitled Python editors. */

export interface DocumentFilter {
  readonly scheme: string;
  readonly language: string;
}

export const DOCUMENT_SELECTOR: readonly DocumentFilter[] = [
  { scheme: "file", language: "python" },
  { scheme: "untitled", language: "python" },
];
