// Every op, by family. Each module holds its launches, backward rules and CPU references.
export * from './elementwise.ts';
export * from './reduce.ts';
export * from './shape.ts';
export * from './matmul.ts';
export * from './conv.ts';
export * from './pool.ts';
export * from './blob.ts';
export * from './attention.ts';
export * from './norm.ts';
export * from './activation.ts';
export * from './softmax.ts';
export * from './contrastive.ts';
export * from './cross-entropy.ts';
export * from './embedding.ts';
