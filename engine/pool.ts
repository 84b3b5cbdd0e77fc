// Buffer pool by size class. Every tensor's storage comes from here and returns here when the
// tensor dies, so a training loop that makes the same shapes each step allocates nothing new
// after its first step (tfjs learned this the hard way: count bytes, or growth hides).
//
// Size classes: multiples of 256 B up to 4 KiB, then 8 steps per power of two (≤ 12.5% waste).

// GPUBufferUsage.STORAGE | COPY_SRC | COPY_DST, spelled as numbers: in Node the GPU globals exist
// only after the `webgpu` package is loaded, which is after this module is.
export const STORAGE_USAGE = 0x80 | 0x04 | 0x08;

export function sizeClass(bytes: number): number {
  const b = Math.max(256, bytes);
  if (b <= 4096) return Math.ceil(b / 256) * 256;
  const step = 2 ** (Math.floor(Math.log2(b)) - 3);
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  /** Bytes held by buffers currently handed out. */
  liveBytes = 0;
  /** Bytes held by buffers waiting in the pool. */
  pooledBytes = 0;
  /** Buffers ever created: flat after warm-up in a steady loop. */
  created = 0;

  /**
   * `watch` receives the out-of-memory error scope of every buffer the pool creates: a buffer
   * within the adapter's limits can still fail to allocate (SwiftShader refuses a 1 GiB buffer
   * with maxBufferSize = 1 GiB), and without its own scope that failure surfaces later only as
   * "Invalid Buffer" in whichever dispatch first uses it.
   */
  constructor(private device: GPUDevice, private maxBufferSize: number, private watch?: (scope: Promise<GPUError | null>, bytes: number) => void) {}

  acquire(bytes: number, label?: string): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    let buf = list?.pop();
    if (buf) {
      this.pooledBytes -= size;
    } else {
      if (size > this.maxBufferSize) {
        throw new RangeError(`a ${bytes}-byte tensor exceeds this adapter's maxBufferSize (${this.maxBufferSize} bytes)`);
      }
      if (this.watch) this.device.pushErrorScope('out-of-memory');
      buf = this.device.createBuffer({ size, usage: STORAGE_USAGE, label });
      if (this.watch) this.watch(this.device.popErrorScope(), size);
      this.created++;
    }
    this.liveBytes += size;
    return buf;
  }

  release(buf: GPUBuffer): void {
    const size = buf.size;
    this.liveBytes -= size;
    this.pooledBytes += size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
  }

  /** Give pooled (unused) buffers back to the driver. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooledBytes = 0;
  }
}
