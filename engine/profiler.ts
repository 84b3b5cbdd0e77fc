// Per-kernel GPU time from timestamp queries: each dispatch runs in its own compute pass whose
// beginning and end are stamped; after each submit the stamps are resolved and read back
// asynchronously (profiling is something the user asked to see), then summed per kernel name.

const CAPACITY = 4096; // timestamps per submit (two per dispatch)

export interface KernelTime {
  name: string;
  calls: number;
  totalMs: number;
}

export class Profiler {
  private querySet: GPUQuerySet;
  private resolveBuf: GPUBuffer;
  private names: string[] = [];
  private totals = new Map<string, KernelTime>();
  private inflight: Promise<void>[] = [];
  private dropped = 0;

  constructor(private device: GPUDevice) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: CAPACITY });
    this.resolveBuf = device.createBuffer({ size: CAPACITY * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  }

  /** Timestamp slots for the next dispatch's pass (undefined when this submit's slots are used up). */
  nextWrites(name: string): GPUComputePassTimestampWrites | undefined {
    const i = this.names.length;
    if (2 * i + 2 > CAPACITY) {
      this.dropped++;
      return undefined;
    }
    this.names.push(name);
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  private pendingRead: GPUBuffer | null = null;
  private pendingNames: string[] = [];

  /** Record the resolve of this submit's stamps into the encoder. */
  resolve(encoder: GPUCommandEncoder): void {
    const n = this.names.length;
    if (n === 0) return;
    encoder.resolveQuerySet(this.querySet, 0, 2 * n, this.resolveBuf, 0);
    const read = this.device.createBuffer({ size: 2 * n * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.copyBufferToBuffer(this.resolveBuf, 0, read, 0, 2 * n * 8);
    this.pendingRead = read;
    this.pendingNames = this.names;
    this.names = [];
  }

  /** After the submit: map the stamps and add them up, without blocking the caller. */
  collect(): void {
    const read = this.pendingRead;
    const names = this.pendingNames;
    if (!read) return;
    this.pendingRead = null;
    this.inflight.push(
      read.mapAsync(GPUMapMode.READ).then(
        () => {
          const t = new BigInt64Array(read.getMappedRange());
          names.forEach((name, i) => {
            const ms = Number(t[2 * i + 1] - t[2 * i]) / 1e6;
            const k = this.totals.get(name) ?? { name, calls: 0, totalMs: 0 };
            k.calls++;
            if (ms > 0 && ms < 1e6) k.totalMs += ms;
            this.totals.set(name, k);
          });
          read.unmap();
          read.destroy();
        },
        () => read.destroy(),
      ),
    );
  }

  /** Totals per kernel so far, slowest first. */
  async report(): Promise<KernelTime[]> {
    await Promise.all(this.inflight);
    this.inflight = [];
    return [...this.totals.values()].sort((a, b) => b.totalMs - a.totalMs);
  }

  reset(): void {
    this.totals.clear();
  }
}
