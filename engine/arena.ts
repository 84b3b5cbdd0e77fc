// Host-written GPU memory for one submit: uniforms of every dispatch, and uploads recorded while
// commands are pending. Values are packed into a CPU mirror as the step is recorded, and each used
// chunk is sent with one `queue.writeBuffer` right before the submit. A chunk is recycled only
// after that submit, so the next step's writes land after this step's reads in queue order.

export class HostArena {
  private chunks: { buffer: GPUBuffer; mirror: Uint8Array }[] = [];
  private current = 0;
  private used = 0;

  constructor(
    private device: GPUDevice,
    private usage: number,
    private chunkSize: number,
    private align: number,
    private label: string,
  ) {}

  /** Reserve `bytes`; returns where they live on the GPU and the CPU bytes to fill. */
  alloc(bytes: number): { buffer: GPUBuffer; offset: number; bytes: Uint8Array } {
    const size = Math.ceil(bytes / 4) * 4;
    let chunk = this.chunks[this.current];
    let offset = Math.ceil(this.used / this.align) * this.align;
    if (!chunk || offset + size > chunk.mirror.length) {
      if (chunk) this.current++;
      chunk = this.chunks[this.current];
      if (!chunk || size > chunk.mirror.length) {
        const cap = Math.max(this.chunkSize, Math.ceil(size / this.align) * this.align);
        chunk = {
          buffer: this.device.createBuffer({ size: cap, usage: this.usage | GPUBufferUsage.COPY_DST, label: this.label }),
          mirror: new Uint8Array(cap),
        };
        if (this.chunks[this.current]) this.chunks[this.current].buffer.destroy();
        this.chunks[this.current] = chunk;
      }
      offset = 0;
    }
    this.used = offset + size;
    return { buffer: chunk.buffer, offset, bytes: chunk.mirror.subarray(offset, offset + size) };
  }

  get pending(): boolean {
    return this.current > 0 || this.used > 0;
  }

  /** Send what was written this submit; call right before `queue.submit`. */
  upload(queue: GPUQueue): void {
    for (let i = 0; i <= this.current && i < this.chunks.length; i++) {
      const n = i < this.current ? this.chunks[i].mirror.length : this.used;
      if (n > 0) queue.writeBuffer(this.chunks[i].buffer, 0, this.chunks[i].mirror, 0, n);
    }
    this.current = 0;
    this.used = 0;
  }

  get bytes(): number {
    return this.chunks.reduce((s, c) => s + c.mirror.length, 0);
  }

  destroy(): void {
    for (const c of this.chunks) c.buffer.destroy();
    this.chunks = [];
  }
}
