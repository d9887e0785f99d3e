/** The levels the extension logs at; VS Code's `LogOutputChannel` has exactly these methods. */

export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
