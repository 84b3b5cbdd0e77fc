// A kernel is one compute entry point of a WGSL file. Its bind-group layout and the byte layout of
// its uniform struct are read from the WGSL with wgsl_reflect, so they are written once, in the
// shader. Tile and workgroup sizes are WGSL `override` constants; the engine caches one pipeline
// per (kernel, constants).
import { WgslReflect } from 'wgsl_reflect';
import { BiudError } from './errors.ts';

export type ScalarKind = 'f32' | 'u32' | 'i32';

export interface UniformMember {
  name: string;
  offset: number;
  kind: ScalarKind;
  /** Scalars in the member (1 for a scalar, 4 for vec4u, 8 for array<vec4u, 2>). */
  count: number;
}

export interface BindingInfo {
  name: string;
  binding: number;
  type: GPUBufferBindingType;
}

export interface KernelInfo {
  bindings: BindingInfo[];
  uniform?: { name: string; binding: number; size: number; members: UniformMember[] };
  overrides: string[];
}

const reflections = new Map<string, WgslReflect>();

function reflect(source: string): WgslReflect {
  let r = reflections.get(source);
  if (!r) {
    r = new WgslReflect(source);
    reflections.set(source, r);
  }
  return r;
}

// The parts of wgsl_reflect's reflection objects read here.
interface TypeInfo { name: string; format?: TypeInfo | null }
interface VariableInfo {
  name: string; group: number; binding: number; resourceType: number; access: string; size: number;
  members: { name: string; offset: number; size: number; type: TypeInfo }[] | null;
}

function scalarKind(t: TypeInfo | null | undefined): ScalarKind {
  if (!t) throw new Error('uniform member without a type');
  const n = t.name;
  if (n === 'f32' || n === 'u32' || n === 'i32') return n;
  const m = /^vec[234]([fui])$/.exec(n);
  if (m) return ({ f: 'f32', u: 'u32', i: 'i32' } as const)[m[1] as 'f' | 'u' | 'i'];
  return scalarKind(t.format);
}

export class Kernel {
  private _info?: KernelInfo;

  /**
   * @param name    shown in errors and in the profiler
   * @param source  WGSL text (a whole op family; several entry points may share it)
   * @param entry   the `@compute` function
   */
  constructor(
    readonly name: string,
    readonly source: string,
    readonly entry = 'main',
  ) {}

  get info(): KernelInfo {
    return (this._info ??= this.reflectInfo());
  }

  private reflectInfo(): KernelInfo {
    let r: WgslReflect;
    try {
      r = reflect(this.source);
    } catch (e) {
      throw new BiudError(`kernel ${this.name}: its WGSL could not be parsed for reflection: ${(e as Error).message}`);
    }
    const fn = r.entry.compute.find((f) => f.name === this.entry);
    if (!fn) throw new BiudError(`kernel ${this.name}: no @compute function "${this.entry}" in its WGSL`);
    const bindings: BindingInfo[] = [];
    let uniform: KernelInfo['uniform'];
    for (const v of fn.resources as unknown as VariableInfo[]) {
      if (v.group !== 0) throw new BiudError(`kernel ${this.name}: binding ${v.name} is in group ${v.group}; kernels use group 0 only`);
      // ResourceType: 0 uniform, 1 storage.
      if (v.resourceType === 0) {
        const members = (v.members ?? []).map((m) => ({
          name: m.name,
          offset: m.offset,
          kind: scalarKind(m.type),
          count: Math.max(1, m.size / 4),
        }));
        uniform = { name: v.name, binding: v.binding, size: Math.ceil(v.size / 16) * 16, members };
        bindings.push({ name: v.name, binding: v.binding, type: 'uniform' });
      } else if (v.resourceType === 1) {
        bindings.push({ name: v.name, binding: v.binding, type: v.access === 'read' ? 'read-only-storage' : 'storage' });
      } else {
        throw new BiudError(`kernel ${this.name}: binding ${v.name} is not a buffer; kernels bind buffers only`);
      }
    }
    bindings.sort((a, b) => a.binding - b.binding);
    // Module-level overrides: an entry's own list leaves out those used only in helper functions.
    return { bindings, uniform, overrides: r.overrides.map((o) => o.name) };
  }

  /** Pack uniform values by member name into `out` (the uniform's bytes). */
  packUniforms(values: Record<string, number | readonly number[]>, out: Uint8Array): void {
    const u = this.info.uniform!;
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    for (const m of u.members) {
      const v = values[m.name];
      if (v === undefined) throw new BiudError(`kernel ${this.name}: uniform ${m.name} was not given`);
      const arr = typeof v === 'number' ? [v] : v;
      if (arr.length > m.count) throw new BiudError(`kernel ${this.name}: uniform ${m.name} takes ${m.count} values, got ${arr.length}`);
      for (let i = 0; i < arr.length; i++) {
        const off = m.offset + 4 * i;
        const x = arr[i];
        if (m.kind === 'f32') view.setFloat32(off, x, true);
        else if (m.kind === 'u32') {
          if (!(x >= 0 && x <= 0xffffffff && Number.isInteger(x))) throw new BiudError(`kernel ${this.name}: uniform ${m.name} must be a u32, got ${x}`);
          view.setUint32(off, x, true);
        } else view.setInt32(off, x, true);
      }
    }
    for (const name of Object.keys(values)) {
      if (!u.members.some((m) => m.name === name)) throw new BiudError(`kernel ${this.name}: unknown uniform ${name}`);
    }
  }
}
