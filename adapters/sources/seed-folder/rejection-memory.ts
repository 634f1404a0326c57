/** Why a file was rejected, without the file name: the same bytes are rejected for the same reason anywhere. */
export interface RejectionReason {
  field?: string;
  reason: string;
}

/**
 * Rejected files by content hash (a bounded, least-recently-used memory). A parse depends on the bytes
 * only, so a file whose bytes are unchanged is rejected again, for the same reason, without being parsed:
 * a pathological file costs its parse (at most the time limit) once per process, not on every rescan.
 */
export class RejectionMemory {
  private readonly entries = new Map<string, RejectionReason>();

  constructor(private readonly capacity = 10_000) {}

  get(contentHash: string): RejectionReason | undefined {
    const found = this.entries.get(contentHash);
    if (found) {
      this.entries.delete(contentHash);
      this.entries.set(contentHash, found);
    }
    return found;
  }

  set(contentHash: string, reason: RejectionReason): void {
    this.entries.delete(contentHash);
    this.entries.set(contentHash, reason);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}
