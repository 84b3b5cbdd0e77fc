// Whether an engine can run the kernels that trade values across a quad with quadBroadcast
// (matmul's sg* variants, attention's shared rows). They assume a subgroup of exactly four lanes
// made of four consecutive invocations, which is what SwiftShader gives and the only adapter on
// which their design (a storage read costs far more than a broadcast) pays; elsewhere the engine
// runs the plain kernels.
import type { Engine } from '../engine.ts';

export const SUBGROUPS_OF_4 = 'needs the "subgroups" feature with subgroups of exactly 4 lanes (adapterInfo.subgroupMinSize = subgroupMaxSize = 4)';

export function subgroupsOf4(e: Engine): boolean {
  const info = e.adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  return e.features.has('subgroups') && info.subgroupMinSize === 4 && info.subgroupMaxSize === 4;
}
