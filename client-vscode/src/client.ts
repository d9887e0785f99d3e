/** Builds the language client for one server: how it is launched, what it is given, how it logs. */

import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  type LanguageClientOptions,
  ResponseError,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
} from "vscode-languageclient/node";
import { answerOf, type CompletionRefill } from "./completionRefill";
import { DOCUMENT_SELECTOR } from "./documents";
import type { ServerClient, Subscription, Target } from "./lifecycle";
import { LeveledWriter, TraceWriter } from "./log";
import { answerConfiguration, type FxlensOptions } from "./options";
import { ServerProcesses, serverEnvironment } from "./serverProcess";

/**
 * How long a stopping server may take to answer `shutdown` and exit. vscode-languageclient's 2 s
 * default is too short: the server first stops its warm worker, which took 2.2 s in a measurement
 * (the worker gets 2 s to exit), and a timed-out stop is logged as an error on every restart.
 */
const STOP_TIMEOUT_MS = 10_000;

export interface ClientContext {
  /** The extension's folder: the server's working directory. */
  readonly extensionPath: string;
  readonly output: vscode.LogOutputChannel;
  /** The options of the running server, for its `workspace/configuration` requests. */
  readonly currentOptions: () => FxlensOptions | undefined;
  /** Hears every completion answer, so an empty one given while tracing can be asked again. */
  readonly refill: CompletionRefill;
}

/** A `LanguageClient` as the lifecycle drives it; `languageClient` is there for requests. */
export class FxlensClient implements ServerClient {
  constructor(
    readonly languageClient: LanguageClient,
    private readonly writer: LeveledWriter,
    private readonly processes: ServerProcesses,
  ) {}

  start(): Promise<void> {
    return this.languageClient.start();
  }

  async dispose(): Promise<void> {
    this.writer.expectExit();
    try {
      await this.languageClient.dispose(STOP_TIMEOUT_MS);
    } finally {
      this.processes.kill();
      this.writer.flush();
    }
  }

  isRunning(): boolean {
    return this.languageClient.isRunning();
  }

  onNotification(method: string, handler: (params: unknown) => void): Subscription {
    return this.languageClient.onNotification(method, handler);
  }

  onDidStop(listener: () => void): Subscription {
    return this.languageClient.onDidChangeState(({ newState }) => {
      if (newState === State.Stopped) {
        listener();
      }
    });
  }

  sendSettings(options: FxlensOptions): Promise<void> {
    return this.languageClient.sendNotification(DidChangeConfigurationNotification.type, { settings: { fxlens: options } });
  }
}

/**
 * `target`'s server processes, the first spawned now. The working directory is the extension's own,
 * so `python -m fxlens` cannot import an `fxlens` package from the workspace (`-m` puts the working
 * directory on sys.path).
 */
export function launchServer(target: Target, extensionPath: string): ServerProcesses {
  return new ServerProcesses(target.launch.command, target.launch.args, extensionPath, serverEnvironment(target.launch.options));
}

/** The client of `processes`' server (see `launchServer`). */
export function createClient(target: Target, processes: ServerProcesses, context: ClientContext): FxlensClient {
  const writer = new LeveledWriter(context.output);
  // Logged as vscode-languageclient logs the exits of the processes it spawns itself.
  const server: ServerOptions = () =>
    processes.next((code, signal) => {
      const how = code !== null ? `code ${code}` : `signal ${signal}`;
      client.error(`Server process exited with ${how}.`, undefined, false);
    });
  const options: LanguageClientOptions = {
    documentSelector: [...DOCUMENT_SELECTOR],
    initializationOptions: target.launch.options,
    outputChannel: writerChannel(context.output, writer),
    traceOutputChannel: writerChannel(context.output, new TraceWriter(context.output)),
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    middleware: {
      provideCompletionItem: async (document, position, completionContext, token, next) => {
        const ticket = context.refill.asked();
        const answered = await next(document, position, completionContext, token);
        if (!token.isCancellationRequested) {
          // A cancelled request's answer (null) is nobody's: a newer request at the cursor has its own.
          const spot = { uri: document.uri.toString(), line: position.line, character: position.character, lineText: document.lineAt(position.line).text };
          context.refill.answered(ticket, spot, answerOf(answered));
        }
        return answered;
      },
      workspace: {
        configuration: async (params, token, next) => {
          const answered = await next(params, token);
          return answered instanceof ResponseError ? answered : answerConfiguration(params.items, answered, context.currentOptions());
        },
      },
    },
  };
  const client = new LanguageClient("fxlens", "fxlens", server, options);
  return new FxlensClient(client, writer, processes);
}

/**
 * An output channel for vscode-languageclient that writes into the log channel through `writer`
 * (vscode-languageclient 9 knows plain output channels only). Disposing it leaves the log channel,
 * which the extension owns, open.
 */
function writerChannel(channel: vscode.LogOutputChannel, writer: { append(text: string): void; appendLine(line: string): void }): vscode.OutputChannel {
  return {
    name: channel.name,
    append: (text) => writer.append(text),
    appendLine: (line) => writer.appendLine(line),
    replace: (text) => writer.appendLine(text),
    clear: () => channel.clear(),
    show: (columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean) =>
      channel.show(typeof columnOrPreserveFocus === "boolean" ? columnOrPreserveFocus : preserveFocus),
    hide: () => channel.hide(),
    dispose: () => undefined,
  };
}
