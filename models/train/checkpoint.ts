// Checkpoints: safetensors with PyTorch module-path names and layouts (`checkpoint.safetensors`,
// loadable by PyTorch's safetensors.torch.load_file), the optimiser state beside it
// (`optimizer.safetensors`), and the run's metadata (config, step, vocabulary) in the header.
// A sink writes whole files only: a checkpoint is either complete or absent.
import { readSafetensors, writeSafetensors, toFloat32, type SafeTensor } from '../../engine/safetensors.ts';
import { BiudError } from '../../engine/errors.ts';
import type { ParamStore } from '../../engine/params.ts';

export interface CheckpointSink {
  /** Replace `name` with `bytes` atomically (the old file stays whole until the new one is). */
  write(name: string, bytes: Uint8Array): Promise<void>;
  /** The file's bytes, or null when there is none. */
  read(name: string): Promise<Uint8Array | null>;
  /** Where files go, for messages ("runs/tiny", "the browser's private storage"). */
  readonly where: string;
}

export const MODEL_FILE = 'checkpoint.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const EXPERT_FILE = 'xray_expert.safetensors';

/** Parameters of a store as a safetensors file with metadata. */
export async function storeToSafetensors(store: ParamStore, metadata: Record<string, string>): Promise<Uint8Array> {
  const values = await store.read();
  return writeSafetensors(values.entries(), metadata);
}

/** Load a safetensors file into a store; lists every missing, unexpected or mis-shaped name. */
export function loadIntoStore(store: ParamStore, bytes: Uint8Array, what: string): Record<string, string> {
  const file = readSafetensors(bytes, what);
  const values = new Map<string, { data: Float32Array; shape: number[] }>();
  for (const [name, t] of file.tensors) values.set(name, { data: toFloat32(t), shape: t.shape });
  store.load(values, what);
  return file.metadata;
}

export interface OptimizerState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

/** Training state that is not a parameter, saved beside the moments (L_RoCo's queue). */
export type StateTensors = [string, { data: Float32Array | Int32Array; shape: readonly number[] }][];

export function optimizerToSafetensors(s: OptimizerState, metadata: Record<string, string>, extra: StateTensors = []): Uint8Array {
  return writeSafetensors(
    [
      ['m', { data: s.m, shape: [s.m.length] }],
      ['v', { data: s.v, shape: [s.v.length] }],
      ...extra,
    ],
    { ...metadata, step: String(s.step) },
  );
}

export function optimizerFromSafetensors(bytes: Uint8Array, expectLength: number, what: string): { state: OptimizerState; metadata: Record<string, string>; tensors: Map<string, SafeTensor> } {
  const f = readSafetensors(bytes, what);
  const m = f.tensors.get('m');
  const v = f.tensors.get('v');
  if (!m || !v) throw new BiudError(`${what}: no optimiser moments "m" and "v"`);
  const state = { step: Number(f.metadata.step ?? 0), m: toFloat32(m), v: toFloat32(v) };
  if (state.m.length !== expectLength || state.v.length !== expectLength) {
    throw new BiudError(`${what}: optimiser state has ${state.m.length} values, the model's parameter slab ${expectLength}: it belongs to another config`);
  }
  return { state, metadata: f.metadata, tensors: f.tensors };
}
