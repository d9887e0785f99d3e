/**
 * Logging into VS Code's log output channel (timestamps, levels): the extension's own messages,
 * the language client's (`[Error - 10:00:00] …` lines) and the server's stderr, each at its level.
 */

/** The levels the extension logs at; VS Code's `LogOutputChannel` has exactly these methods. */
export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type Level = keyof Logger;

/** vscode-languageclient 9 writes `[Name  - time] message`; the log channel adds its own time. */
const CLIENT_LINE = /^\[(Trace|Debug|Info|Warn|Error|LSP)\s*- [^\]]*\] ?/;
const CLIENT_LEVELS: Record<string, Level> = { Trace: "info", LSP: "info", Debug: "debug", Info: "info", Warn: "warn", Error: "error" };

/** A server line that starts with a Python logging level name (`WARNING fxlens.worker: …`). */
const SERVER_LEVEL = /^(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b[:\s]*/;
const SERVER_LEVELS: Record<string, Level> = { DEBUG: "debug", INFO: "info", WARNING: "warn", ERROR: "error", CRITICAL: "error" };

/** vscode-languageclient 9 logs every exit of the server process as an error, a clean one after a stop too. */
const CLEAN_EXIT = "Server process exited with code 0.";

/** A line that continues the entry before it: indented, or a traceback's first or last line. */
const CONTINUATION = /^(\s|Traceback \(most recent call last\):|[\w.]+(Error|Exception|Interrupt|Exit)\b)/;

/**
 * The writer vscode-languageclient gets as its output channel. Its `appendLine` calls carry the
 * client's messages (the level is in their prefix; a line without one continues the last entry);
 * its `append` calls carry the server's stderr in chunks, split here into lines that are logged
 * under `[server]` at the level they start with (else information), tracebacks at their record's.
 * Once the server is being stopped (`expectExit`), its clean exit is information, not an error.
 */
export class LeveledWriter {
  private clientLevel: Level = "info";
  private serverLevel: Level = "info";
  private partial = "";
  private stopping = false;

  constructor(private readonly log: Logger) {}

  /** The server is being stopped on purpose (a restart, a new interpreter, deactivation). */
  expectExit(): void {
    this.stopping = true;
  }

  appendLine(line: string): void {
    const prefix = CLIENT_LINE.exec(line);
    if (prefix !== null) {
      line = line.slice(prefix[0].length);
      this.clientLevel = this.stopping && line === CLEAN_EXIT ? "info" : CLIENT_LEVELS[prefix[1]];
    }
    this.log[this.clientLevel](line);
  }

  append(chunk: string): void {
    const lines = (this.partial + chunk).split(/\r?\n/);
    this.partial = lines.pop() ?? "";
    lines.forEach((line) => this.serverLine(line));
  }

  /** Log a last line that came without its newline. */
  flush(): void {
    if (this.partial !== "") {
      this.serverLine(this.partial);
      this.partial = "";
    }
  }

  private serverLine(line: string): void {
    if (line.trim() === "") {
      return;
    }
    const level = SERVER_LEVEL.exec(line);
    if (level !== null) {
      this.serverLevel = SERVER_LEVELS[level[1]];
      line = line.slice(level[0].length);
    } else if (!CONTINUATION.test(line)) {
      this.serverLevel = "info";
    }
    this.log[this.serverLevel](`[server] ${line}`);
  }
}

/**
 * The writer for the language client's trace (`fxlens.trace.server`): it writes a message's
 * prefix and body in separate calls; each message becomes one information entry.
 */
export class TraceWriter {
  private pending = "";

  constructor(private readonly log: Logger) {}

  append(text: string): void {
    this.pending += text.replace(CLIENT_LINE, "");
  }

  appendLine(line: string): void {
    const text = this.pending + (this.pending === "" ? line.replace(CLIENT_LINE, "") : line);
    this.pending = "";
    this.log.info(text);
  }
}
