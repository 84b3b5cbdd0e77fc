// The engine: one GPUDevice, the buffer pool, the pipeline cache, and the command recorder.
//
// Everything a step does is recorded into one command encoder (consecutive dispatches share one
// compute pass) and submitted once, at `flush()`: when the caller asks for data (`t.data()`), or
// explicitly. Uniforms of all dispatches go into one host arena sent with a single writeBuffer
// before the submit.
import { BufferPool, sizeClass } from './pool.ts';
import { HostArena } from './arena.ts';
import { Kernel } from './kernel.ts';
import { Storage, Tensor, checkShape, numel, type DType } from './tensor.ts';
import { BiudError, DeviceLostError } from './errors.ts';
import { Profiler } from './profiler.ts';

export interface EngineOptions {
  /** `navigator.gpu` in a browser; the `webgpu` package's GPU in Node (see engine/node.ts). */
  gpu?: GPU;
  adapter?: GPUAdapter;
  powerPreference?: GPUPowerPreference;
  /** Limits a model needs beyond WebGPU's defaults; refused with a message naming the limit. */
  requiredLimits?: Partial<Record<keyof GPUSupportedLimits, number>>;
  /** Record per-kernel GPU time with timestamp queries (one compute pass per dispatch). */
  profile?: boolean;
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

export interface MemoryInfo {
  /** Bytes of GPU buffers held by live tensors (pool size classes). */
  liveBytes: number;
  /** Bytes of GPU buffers idle in the pool, ready for reuse. */
  pooledBytes: number;
  /** Bytes in fixed allocations: parameter/optimiser slabs, uniform and staging arenas. */
  fixedBytes: number;
  liveTensors: number;
  /** GPUBuffers created by the pool since the engine started. */
  buffersCreated: number;
}

/** Limits the engine raises to the adapter's maximum when offered: big tensors, many bindings. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
] as const;

type Bindable = Tensor | GPUBufferBinding;

export interface DispatchArgs {
  bindings: Record<string, Bindable>;
  uniforms?: Record<string, number | readonly number[]>;
  /** Workgroup counts; [x] or [x, y] or [x, y, z]. A zero anywhere skips the dispatch. */
  workgroups: readonly number[];
  constants?: Record<string, number>;
}

export class Engine {
  readonly pool: BufferPool;
  readonly limits: GPUSupportedLimits;
  readonly features: ReadonlySet<string>;
  readonly adapterInfo: AdapterSummary;
  readonly profiler: Profiler | null;

  private pipelines = new Map<Kernel, Map<string, GPUComputePipeline>>();
  private layouts = new Map<Kernel, GPUBindGroupLayout>();
  private uniformArena: HostArena;
  private uploadArena: HostArena;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readbackPool = new Map<number, GPUBuffer[]>();
  private scopes: Set<Tensor>[] = [];
  private live = new Set<Tensor>();
  private gradDepth = 0;
  private pendingErrors: Promise<GPUError | null>[] = [];
  /** A buffer allocation that failed: the root cause of whatever error follows it. */
  private allocFailure: BiudError | null = null;
  private failure: Error | null = null;
  private lostInfo: GPUDeviceLostInfo | null = null;
  private fixed = 0;
  /** Dispatches and submits since the engine started; the benchmark reads them per step. */
  readonly counters = { dispatches: 0, submits: 0, readbacks: 0 };

  private constructor(
    readonly device: GPUDevice,
    readonly adapter: GPUAdapter,
    info: AdapterSummary,
    profile: boolean,
  ) {
    this.adapterInfo = info;
    this.limits = device.limits;
    this.features = new Set(device.features as unknown as Iterable<string>);
    // A failed allocation is reported at the next readback before any error it causes later.
    // It names the cause even when a dispatch using the buffer failed first ("Invalid Buffer").
    this.pool = new BufferPool(device, device.limits.maxBufferSize, (scope, bytes) => {
      this.pendingErrors.push(scope.then((err) => {
        if (err) this.allocFailure ??= new BiudError(`the GPU ran out of memory: a buffer of ${(bytes / 2 ** 20).toFixed(0)} MiB could not be allocated (${err.message.trim()}); use a smaller config, batch or training pool`);
        return null;
      }));
    });
    const ua = device.limits.minUniformBufferOffsetAlignment;
    this.uniformArena = new HostArena(device, GPUBufferUsage.UNIFORM, 1 << 16, ua, 'uniforms');
    this.uploadArena = new HostArena(device, GPUBufferUsage.COPY_SRC, 1 << 20, 256, 'uploads');
    this.profiler = profile && this.features.has('timestamp-query') ? new Profiler(device) : null;
    device.lost.then((lost) => {
      this.lostInfo = lost;
    });
    device.addEventListener('uncapturederror', (ev) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      this.failure ??= new BiudError(`GPU error: ${err.message}`);
    });
  }

  /** Ask the browser or Node for an adapter and a device with the limits the models need. */
  static async create(opts: EngineOptions = {}): Promise<Engine> {
    const gpu = opts.gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
    if (!gpu) {
      throw new BiudError(
        'WebGPU is not available here. In Chromium, start it with --enable-unsafe-webgpu (headless or on a machine ' +
          'without a GPU) and serve the page from http://127.0.0.1 or https; in Node, use createNodeEngine() from engine/node.ts.',
      );
    }
    const adapter = opts.adapter ?? (await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' }));
    if (!adapter) {
      throw new BiudError(
        'no WebGPU adapter: the browser has WebGPU but offered no adapter. On a machine without a GPU, Chromium needs ' +
          '--enable-unsafe-webgpu (its SwiftShader Vulkan driver then serves as the adapter); in Node, set ' +
          'VK_ICD_FILENAMES to a Vulkan driver (e.g. /usr/lib/chromium/vk_swiftshader_icd.json) and install libvulkan1.',
      );
    }
    const requiredLimits: Record<string, number> = {};
    for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
    for (const [name, want] of Object.entries(opts.requiredLimits ?? {})) {
      const have = adapter.limits[name as keyof GPUSupportedLimits] as number | undefined;
      if (have === undefined) throw new BiudError(`unknown WebGPU limit "${name}"`);
      const isMin = name.startsWith('min');
      if (isMin ? have > want! : have < want!) {
        throw new BiudError(
          `this adapter's ${name} is ${have}, and this job needs ${isMin ? 'at most' : 'at least'} ${want}: ` +
            'choose a smaller config, or run on an adapter that offers more.',
        );
      }
      requiredLimits[name] = isMin ? Math.max(have, want!) : Math.max(requiredLimits[name] ?? 0, want!);
    }
    // subgroups: matmul's subgroup-shared register kernels (engine/ops/matmul.ts) where offered.
    const wanted: GPUFeatureName[] = ['timestamp-query', 'shader-f16', 'subgroups'];
    const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
    const ai = adapter.info;
    const info: AdapterSummary = {
      vendor: ai?.vendor ?? '',
      architecture: ai?.architecture ?? '',
      device: ai?.device ?? '',
      description: ai?.description ?? '',
      isFallbackAdapter: Boolean((ai as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    };
    return new Engine(device, adapter, info, opts.profile ?? false);
  }

  // ---------------------------------------------------------------- tensors

  /** A tensor whose contents are undefined until a kernel writes them. */
  empty(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    checkShape(shape);
    this.checkAlive();
    const bytes = Math.max(4, numel(shape) * 4);
    if (bytes > this.limits.maxStorageBufferBindingSize) {
      throw new BiudError(
        `a tensor of shape [${shape}] needs ${bytes} bytes, over this adapter's maxStorageBufferBindingSize ` +
          `(${this.limits.maxStorageBufferBindingSize}): use a smaller config or batch.`,
      );
    }
    const buf = this.pool.acquire(bytes);
    return new Tensor(this, [...shape], dtype, new Storage(buf, 0, bytes, true));
  }

  zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    const t = this.empty(shape, dtype);
    this.clear(t);
    return t;
  }

  /** A tensor with CPU data; `shape` defaults to 1-D. Integer data must be an Int32Array or say dtype 'int32'. */
  tensor(data: ArrayLike<number>, shape?: readonly number[], dtype?: DType): Tensor {
    const dt: DType = dtype ?? (data instanceof Int32Array ? 'int32' : 'float32');
    const sh = shape ?? [data.length];
    if (numel(sh) !== data.length) {
      throw new BiudError(`tensor(): ${data.length} values cannot fill shape [${sh.join(', ')}] (${numel(sh)} elements)`);
    }
    const arr = dt === 'int32' ? Int32Array.from(data) : data instanceof Float32Array ? data : Float32Array.from(data);
    const t = this.empty(sh, dt);
    this.write(t, arr);
    return t;
  }

  /** A tensor viewing `bytes` of a fixed buffer at `offset` (parameter slabs); not pooled. */
  view(buffer: GPUBuffer, offset: number, shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return new Tensor(this, [...shape], dtype, new Storage(buffer, offset, numel(shape) * 4, false));
  }

  /** Create a fixed (non-pooled) storage buffer, counted in memory().fixedBytes. */
  createFixedBuffer(bytes: number, label: string): GPUBuffer {
    this.checkAlive();
    const size = Math.ceil(Math.max(bytes, 4) / 256) * 256;
    if (size > this.limits.maxBufferSize) {
      throw new BiudError(`${label} needs ${size} bytes, over this adapter's maxBufferSize (${this.limits.maxBufferSize})`);
    }
    this.fixed += size;
    return this.device.createBuffer({ size, label, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  }

  destroyFixedBuffer(buffer: GPUBuffer): void {
    // Work recorded but not yet submitted may use this buffer, and WebGPU refuses a submit that
    // names a destroyed buffer: submit it first (a destroy after submit waits for that work).
    this.flush();
    this.fixed -= buffer.size;
    buffer.destroy();
  }

  /** Fill a tensor from the CPU. Ordered after everything recorded so far. */
  write(t: Tensor, data: Float32Array | Int32Array): void {
    if (data.length !== t.size) throw new BiudError(`write(): ${data.length} values for a tensor of ${t.size}`);
    const b = t.binding();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (!this.encoder) {
      // Nothing pending can read this buffer, so the queue's own write is in order.
      this.device.queue.writeBuffer(b.buffer, b.offset!, bytes);
      return;
    }
    // Commands already recorded may still read this buffer's earlier life: stage the bytes and
    // copy them in the encoder, so the write happens in recording order.
    const s = this.uploadArena.alloc(bytes.byteLength);
    s.bytes.set(bytes);
    this.endPass();
    this.encoder.copyBufferToBuffer(s.buffer, s.offset, b.buffer, b.offset!, bytes.byteLength);
  }

  /** Zero a tensor, or its `count` elements from `at` (recorded in order). */
  clear(t: Tensor, at = 0, count = t.size - at): void {
    if (!(Number.isInteger(at) && Number.isInteger(count) && at >= 0 && count >= 0 && at + count <= t.size)) {
      throw new BiudError(`clear(): elements ${at} to ${at + count} of ${t.size}`);
    }
    const b = t.binding();
    const enc = this.beginRecording();
    this.endPass();
    enc.clearBuffer(b.buffer, b.offset! + at * 4, count * 4);
  }

  /**
   * Copy `src` into `dst` (same element count), recorded in order; with `at`, into dst's elements
   * from `at` on (a part of a larger tensor: rows of a pool, slots of a queue).
   */
  copy(src: Tensor, dst: Tensor, at?: number): void {
    if (at === undefined ? src.size !== dst.size : !(Number.isInteger(at) && at >= 0 && at + src.size <= dst.size)) {
      throw new BiudError(`copy(): ${src.size} elements into ${dst.size}${at === undefined ? '' : ` from element ${at}`}`);
    }
    const a = src.binding();
    const b = dst.binding();
    const enc = this.beginRecording();
    this.endPass();
    enc.copyBufferToBuffer(a.buffer, a.offset!, b.buffer, b.offset! + (at ?? 0) * 4, src.size * 4);
  }

  /** Read a tensor back to the CPU: flushes pending work and waits for the GPU. */
  async read(t: Tensor): Promise<Float32Array | Int32Array> {
    const b = t.binding();
    const bytes = t.size * 4;
    const size = sizeClass(bytes);
    const staging = this.readbackPool.get(size)?.pop() ??
      this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'readback' });
    const enc = this.beginRecording();
    this.endPass();
    if (bytes > 0) enc.copyBufferToBuffer(b.buffer, b.offset!, staging, 0, bytes);
    this.flush();
    this.counters.readbacks++;
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (e) {
      this.checkAlive();
      await this.checkErrors();
      throw new BiudError(`reading ${t} back failed: ${(e as Error).message}`);
    }
    await this.checkErrors();
    const copy = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    let list = this.readbackPool.get(size);
    if (!list) this.readbackPool.set(size, (list = []));
    list.push(staging);
    return t.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
  }

  // ---------------------------------------------------------------- kernels

  /** Largest workgroup count per grid dimension; kernels fold 1-D work into x and y. */
  grid1d(n: number, workgroupSize: number): [number, number] {
    const groups = Math.ceil(n / workgroupSize);
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= max) return [groups, 1];
    const y = Math.ceil(groups / max);
    return [Math.ceil(groups / y), y];
  }

  pipeline(kernel: Kernel, constants: Record<string, number> = {}): GPUComputePipeline {
    let byConst = this.pipelines.get(kernel);
    if (!byConst) this.pipelines.set(kernel, (byConst = new Map()));
    const key = JSON.stringify(constants);
    let p = byConst.get(key);
    if (p) return p;
    const info = kernel.info;
    for (const name of Object.keys(constants)) {
      if (!info.overrides.includes(name)) throw new BiudError(`kernel ${kernel.name}: no override constant "${name}" in its WGSL`);
    }
    let layout = this.layouts.get(kernel);
    if (!layout) {
      const storageCount = info.bindings.filter((b) => b.type !== 'uniform').length;
      if (storageCount > this.limits.maxStorageBuffersPerShaderStage) {
        throw new BiudError(
          `kernel ${kernel.name} binds ${storageCount} storage buffers; this adapter's maxStorageBuffersPerShaderStage is ` +
            `${this.limits.maxStorageBuffersPerShaderStage}`,
        );
      }
      layout = this.device.createBindGroupLayout({
        label: kernel.name,
        entries: info.bindings.map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.type } })),
      });
      this.layouts.set(kernel, layout);
    }
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code: kernel.source, label: kernel.name });
    p = this.device.createComputePipeline({
      label: `${kernel.name}:${kernel.entry}`,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: kernel.entry, constants },
    });
    this.pendingErrors.push(
      this.device.popErrorScope().then((err) => {
        if (err) this.failure ??= new BiudError(`kernel ${kernel.name} (${kernel.entry}, ${key}) failed to compile: ${err.message}`);
        return err;
      }),
    );
    byConst.set(key, p);
    return p;
  }

  /** Record one dispatch. Bindings are by the WGSL variable's name; uniforms by struct member name. */
  dispatch(kernel: Kernel, args: DispatchArgs): void {
    this.checkAlive();
    const wg = args.workgroups;
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (wg.some((n) => n > max)) {
      throw new BiudError(`kernel ${kernel.name}: ${wg.join('×')} workgroups exceeds maxComputeWorkgroupsPerDimension (${max})`);
    }
    if (wg.some((n) => n === 0)) return;
    const pipeline = this.pipeline(kernel, args.constants);
    const info = kernel.info;
    const entries: GPUBindGroupEntry[] = [];
    for (const b of info.bindings) {
      if (b.type === 'uniform') {
        const u = info.uniform!;
        const slot = this.uniformArena.alloc(u.size);
        slot.bytes.fill(0);
        kernel.packUniforms(args.uniforms ?? {}, slot.bytes);
        entries.push({ binding: b.binding, resource: { buffer: slot.buffer, offset: slot.offset, size: u.size } });
        continue;
      }
      const t = args.bindings[b.name];
      if (!t) throw new BiudError(`kernel ${kernel.name}: binding "${b.name}" was not given`);
      entries.push({ binding: b.binding, resource: t instanceof Tensor ? t.binding() : t });
    }
    for (const name of Object.keys(args.bindings)) {
      if (!info.bindings.some((b) => b.name === name)) throw new BiudError(`kernel ${kernel.name}: it has no binding "${name}"`);
    }
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    this.beginRecording();
    let pass: GPUComputePassEncoder;
    if (this.profiler) {
      this.endPass();
      pass = this.encoder!.beginComputePass({ timestampWrites: this.profiler.nextWrites(kernel.name) });
    } else {
      pass = this.pass ??= this.encoder!.beginComputePass();
    }
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(wg[0], wg[1] ?? 1, wg[2] ?? 1);
    if (this.profiler) pass.end();
    this.counters.dispatches++;
  }

  /** Submit everything recorded so far as one command buffer. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    this.profiler?.resolve(this.encoder);
    const cb = this.encoder.finish();
    this.encoder = null;
    this.uniformArena.upload(this.device.queue);
    this.uploadArena.upload(this.device.queue);
    this.device.queue.submit([cb]);
    this.counters.submits++;
    this.profiler?.collect();
    this.pendingErrors.push(this.device.popErrorScope(), this.device.popErrorScope());
  }

  /** Wait until the GPU has finished everything submitted (for timing). */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  private beginRecording(): GPUCommandEncoder {
    if (!this.encoder) {
      this.checkAlive();
      // Catch validation and out-of-memory errors of this submit's commands; read at the next readback.
      this.device.pushErrorScope('validation');
      this.device.pushErrorScope('out-of-memory');
      this.encoder = this.device.createCommandEncoder();
    }
    return this.encoder;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  private async checkErrors(): Promise<void> {
    const pending = this.pendingErrors;
    this.pendingErrors = [];
    for (const err of await Promise.all(pending)) {
      if (err) {
        const oom = err.constructor?.name === 'GPUOutOfMemoryError' || /out of memory/i.test(err.message);
        this.failure ??= new BiudError(oom ? `the GPU ran out of memory: ${err.message}` : `GPU error: ${err.message}`);
      }
    }
    if (this.allocFailure) {
      this.failure = this.allocFailure;
      this.allocFailure = null;
    }
    if (this.failure) {
      const f = this.failure;
      this.failure = null;
      throw f;
    }
  }

  private checkAlive(): void {
    if (this.lostInfo) {
      throw new DeviceLostError(
        this.lostInfo.reason,
        `the GPU device was lost (${this.lostInfo.reason}${this.lostInfo.message ? ': ' + this.lostInfo.message : ''}); ` +
          'create a new Engine and reload the last checkpoint',
      );
    }
  }

  get isLost(): boolean {
    return this.lostInfo !== null;
  }

  /** Resolves when the device is lost, with its reason. */
  get lost(): Promise<GPUDeviceLostInfo> {
    return this.device.lost;
  }

  // ---------------------------------------------------------------- lifetimes

  /** @internal Called by every Tensor constructor. */
  track(t: Tensor): void {
    this.live.add(t);
    this.scopes[this.scopes.length - 1]?.add(t);
  }

  /** @internal Called by Tensor.dispose(). */
  untrack(t: Tensor): void {
    this.live.delete(t);
    for (const s of this.scopes) s.delete(t);
    if (t.grad && !t.grad.isDisposed && t.grad.storage.owned) t.grad.dispose();
  }

  /** @internal */
  releaseStorage(s: Storage): void {
    if (s.owned && s.buffer) this.pool.release(s.buffer);
  }

  /**
   * Run `fn`; every tensor it creates and does not return (directly, or in an array or object)
   * is disposed when it ends. Returned tensors move to the enclosing scope.
   */
  scope<T>(fn: () => T): T {
    const mine = new Set<Tensor>();
    this.scopes.push(mine);
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.scopes.pop();
      for (const t of mine) t.dispose();
      throw e;
    }
    this.scopes.pop();
    if (result instanceof Promise) throw new BiudError('engine.scope() takes a synchronous function; await outside it');
    const kept = new Set<Tensor>();
    collectTensors(result, kept);
    const parent = this.scopes[this.scopes.length - 1];
    for (const t of mine) {
      if (kept.has(t)) parent?.add(t);
      else t.dispose();
    }
    return result;
  }

  /** Take a tensor out of every scope: it lives until disposed. */
  keep<T extends Tensor>(t: T): T {
    for (const s of this.scopes) s.delete(t);
    return t;
  }

  get gradEnabled(): boolean {
    return this.gradDepth === 0;
  }

  /** Run `fn` without recording anything for backward. */
  noGrad<T>(fn: () => T): T {
    this.gradDepth++;
    try {
      return fn();
    } finally {
      this.gradDepth--;
    }
  }

  memory(): MemoryInfo {
    return {
      liveBytes: this.pool.liveBytes,
      pooledBytes: this.pool.pooledBytes,
      fixedBytes: this.fixed + this.uniformArena.bytes + this.uploadArena.bytes,
      liveTensors: this.live.size,
      buffersCreated: this.pool.created,
    };
  }

  /** Release the device. Tensors become unusable. */
  destroy(): void {
    this.encoder = null;
    this.pass = null;
    this.pool.trim();
    this.uniformArena.destroy();
    this.uploadArena.destroy();
    this.device.destroy();
  }
}

function collectTensors(x: unknown, out: Set<Tensor>, depth = 0): void {
  if (depth > 4 || x === null || typeof x !== 'object') return;
  if (x instanceof Tensor) {
    out.add(x);
    if (x.grad) out.add(x.grad);
    return;
  }
  if (Array.isArray(x)) for (const v of x) collectTensors(v, out, depth + 1);
  else if (Object.getPrototypeOf(x) === Object.prototype || x instanceof Map) {
    for (const v of x instanceof Map ? x.values() : Object.values(x)) collectTensors(v, out, depth + 1);
  }
}
