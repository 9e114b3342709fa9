import * as signalR from "@microsoft/signalr";
import { endpoint, type RunEvent, type RunRequest } from "./protocol";

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "disconnected";

/** A run in progress: its stdin and its kill switch. */
export interface ActiveRun {
  send(text: string): void;
  eof(): void;
  /** Asks the server to kill the program; the run then ends with the server's final event. */
  kill(): void;
  /** Stops listening: the server kills the program, and no final event reaches the page. */
  abandon(): void;
}

/** How long a kill may go unconfirmed before the page stops waiting for the server. */
const killConfirmMs = 5000;

export interface RunObserver {
  event(e: RunEvent): void;
  /** The stream failed (connection lost, server error); no final event will come. */
  failed(message: string): void;
}

/**
 * The page's one SignalR connection to /hubs/run. WebSockets first, then Server-Sent Events
 * and long polling, because corporate proxies often break WebSockets; reconnects on its own
 * and reports every state change so the page can say what is going on.
 */
export class RunConnection {
  private readonly connection: signalR.HubConnection;
  private starting: Promise<void> | null = null;
  private selected = "";

  constructor(private readonly onState: (state: ConnectionState, detail?: string) => void) {
    this.connection = new signalR.HubConnectionBuilder()
      .withUrl(endpoint("hubs/run"), {
        transport: signalR.HttpTransportType.WebSockets | signalR.HttpTransportType.ServerSentEvents | signalR.HttpTransportType.LongPolling,
      })
      .withAutomaticReconnect({ nextRetryDelayInMilliseconds: (ctx) => Math.min(10_000, 500 * 2 ** ctx.previousRetryCount) })
      .configureLogging({
        // The client names the transport it picked only in a debug message; keep that, and
        // pass warnings and errors on to the console.
        log: (level: signalR.LogLevel, message: string) => {
          const picked = /Selecting transport '(\w+)'/.exec(message);
          if (picked) this.selected = picked[1];
          if (level >= signalR.LogLevel.Warning) console.warn("[signalr]", message);
        },
      })
      .build();
    this.connection.onreconnecting((e) => onState("reconnecting", e?.message));
    this.connection.onreconnected(() => onState("connected", this.transport()));
    this.connection.onclose((e) => {
      this.starting = null;
      onState("disconnected", e?.message);
    });
  }

  /** The transport in use, for the status line and the tests. */
  transport(): string {
    return this.selected;
  }

  async ensureStarted(): Promise<void> {
    if (this.connection.state === signalR.HubConnectionState.Connected) return;
    if (this.connection.state === signalR.HubConnectionState.Reconnecting) {
      throw new Error("Reconnecting to the server; try again in a moment.");
    }
    if (!this.starting) {
      this.onState("connecting");
      this.starting = this.connection.start().then(
        () => this.onState("connected", this.transport()),
        (e: Error) => {
          this.starting = null;
          this.onState("disconnected", e.message);
          throw e;
        },
      );
    }
    await this.starting;
  }

  async run(request: RunRequest, observer: RunObserver): Promise<ActiveRun> {
    await this.ensureStarted();
    const stdin = new signalR.Subject<string>();
    let done = false;
    const subscription = this.connection.stream<RunEvent>("Run", request, stdin).subscribe({
      next: (e) => {
        if (e.kind === "exit" || e.kind === "error") done = true;
        observer.event(e);
      },
      error: (err: Error) => {
        if (!done) {
          done = true;
          observer.failed(err?.message ?? String(err));
        }
      },
      complete: () => {
        if (!done) {
          done = true;
          observer.failed("The server ended the run without a result.");
        }
      },
    });
    let closed = false;
    let killing = false;
    const abandon = () => {
      if (done) return;
      done = true;
      // Disposing the stream cancels the invocation; the server kills the program.
      subscription.dispose();
    };
    return {
      send: (text) => {
        if (!closed && !done) stdin.next(text);
      },
      eof: () => {
        if (!closed && !done) {
          closed = true;
          stdin.complete();
        }
      },
      kill: () => {
        if (done || killing) return;
        killing = true;
        const unconfirmed = (reason: string) => {
          if (done) return;
          abandon();
          observer.failed(reason);
        };
        this.connection.invoke("Kill").catch((e: Error) => unconfirmed("Kill failed: " + e.message));
        setTimeout(() => unconfirmed("The server did not confirm the kill."), killConfirmMs);
      },
      abandon,
    };
  }
}
