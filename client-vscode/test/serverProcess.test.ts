// ServerProcesses with real processes: the first is spawned at once and handed to the client's first start.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ServerProcesses, serverEnvironment } from "../src/serverProcess";

/** A "server" that answers one line on stdin with its pid and waits to be killed. */
const ECHO_PID = ["-e", "process.stdin.once('data', () => process.stdout.write(String(process.pid))); setInterval(() => {}, 1000);"];

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    await once(child, "exit");
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("serverEnvironment", () => {
  it("asks for a warm worker only where code may run, with the interpreter the settings name", () => {
    assert.deepEqual(serverEnvironment({ executeCode: true, interpreter: null }), { FXLENS_WARM_WORKER: "1" });
    assert.deepEqual(serverEnvironment({ executeCode: true, interpreter: "/venv/bin/python" }), { FXLENS_WARM_WORKER: "/venv/bin/python" });
    assert.deepEqual(serverEnvironment({ executeCode: false, interpreter: "/venv/bin/python" }), {});
  });
});

describe("ServerProcesses", () => {
  it("spawns the first process before any client asks, and hands that one to the first start", async () => {
    const processes = new ServerProcesses(process.execPath, ECHO_PID, os.tmpdir());
    const first = await processes.next(() => undefined);
    assert.ok(first.pid !== undefined);
    first.stdin?.write("hello\n");
    const [answer] = await once(first.stdout!, "data");
    assert.equal(String(answer), String(first.pid), "the process answers on its own stdio");
    const second = await processes.next(() => undefined);
    assert.notEqual(second.pid, first.pid, "a restart gets a new process");
    first.kill();
    second.kill();
    await Promise.all([exited(first), exited(second)]);
  });

  it("adds its environment to the extension's", async () => {
    const printsEnv = ["-e", "process.stdout.write(JSON.stringify([process.env.FXLENS_WARM_WORKER, process.env.PATH]))"];
    const processes = new ServerProcesses(process.execPath, printsEnv, os.tmpdir(), serverEnvironment({ executeCode: true, interpreter: null }));
    const child = await processes.next(() => undefined);
    const [output] = await once(child.stdout!, "data");
    assert.deepEqual(JSON.parse(String(output)), ["1", process.env.PATH]);
    await exited(child);
  });

  it("tells the client when its process exits", async () => {
    const processes = new ServerProcesses(process.execPath, ["-e", "process.exit(3)"], os.tmpdir());
    const codes: (number | null)[] = [];
    const child = await processes.next((code) => codes.push(code));
    await exited(child);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(codes, [3]);
  });

  it("kills the process no client took", { timeout: 10_000 }, async () => {
    const pidFile = path.join(mkdtempSync(path.join(os.tmpdir(), "fxlens-process-")), "pid");
    const writesPid = ["-e", `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`];
    const processes = new ServerProcesses(process.execPath, writesPid, os.tmpdir());
    while (!existsSync(pidFile) || readFileSync(pidFile, "utf8") === "") {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const pid = Number(readFileSync(pidFile, "utf8"));
    processes.kill();
    while (alive(pid)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const next = await processes.next(() => undefined);
    assert.ok(next.pid !== undefined, "a later start spawns a new one");
    next.kill();
    await exited(next);
  });

  it("rejects a start when the command cannot be run", async () => {
    const processes = new ServerProcesses("/no/such/python", ["-m", "fxlens", "serve"], os.tmpdir());
    await assert.rejects(processes.next(() => undefined), /Launching the server with \/no\/such\/python failed/);
  });
});
