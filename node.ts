// 'biud/node': what only Node has. A WebGPU engine through Dawn (the `webgpu` package), the
// repository's data files as assets, and a checkpoint folder:
//   import { createNodeEngine, diskAssets } from 'biud/node';
export { createNodeEngine, nodeGPU } from './engine/node.ts';
export { diskAssets, repoRoot } from './models/assets-node.ts';
export { folderSink } from './models/train/sink-node.ts';
