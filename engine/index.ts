// The engine's public surface: `import { Engine, Tensor, ops } from '…/engine/index.ts'`.
export { Engine, type EngineOptions, type MemoryInfo, type AdapterSummary } from './engine.ts';
export { Tensor, type DType } from './tensor.ts';
export { Kernel } from './kernel.ts';
export { BiudError, DeviceLostError } from './errors.ts';
export { backward, record } from './autograd.ts';
export * as ops from './ops/index.ts';
