// One build at a time: a request during a build queues exactly one more build (however many saves
// arrive meanwhile), which starts when the running one ends and sees all of them.
export class BuildScheduler {
  private running: Promise<void> | undefined;
  private queued = false;
  private closed = false;

  constructor(private readonly task: () => Promise<void>) {}

  /** Starts a build now, or after the running one. */
  request(): void {
    if (this.closed) return;
    if (this.running) {
      this.queued = true;
      return;
    }
    this.running = this.loop();
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Resolves when no build runs and none is queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Drops a queued build and waits for the running one to end. */
  async close(): Promise<void> {
    this.closed = true;
    this.queued = false;
    await this.idle();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.queued = false;
        // The task reports its own failures; one that throws must not stop later builds.
        await this.task().catch(() => undefined);
      } while (this.queued && !this.closed);
    } finally {
      this.running = undefined;
    }
  }
}
