// Every op, by family. Each module holds its launches, backward rules and CPU references.
export * from './elementwise.ts';
export * from './reduce.ts';
export * from './shape.ts';
export * from './matmul.ts';
