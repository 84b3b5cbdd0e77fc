// The package root: `import { Engine, Tensor, ops, Biud, getConfig } from 'biud'` (DESIGN.md §4).
// The engine's surface and BIUD's parts, for the browser and Node alike; what needs Node (Dawn,
// the file system) is under 'biud/node' (node.ts). `npm install` builds both into dist/lib
// (`npm run build:lib` after changing the sources); inside the repository, scripts can also
// import the .ts files directly, as bench/ does.
export * from './engine/index.ts';
export * from './models/index.ts';
