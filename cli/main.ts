// `biud <command> [args]`: each command lives in its own file under cli/ and exports
// `run(args): Promise<number>` (the exit code). Imports are lazy so that `biud label`
// never loads the GPU stack.
type Command = { summary: string; load: () => Promise<{ run(args: string[]): Promise<number> }> };

const commands: Record<string, Command> = {
  golden: { summary: 'run PyTorch golden fixtures through the engine on WebGPU', load: () => import('./golden.ts') },
  'nifti-info': { summary: 'header, orientation and HU statistics of a NIfTI volume', load: () => import('./nifti-info.ts') },
  label: { summary: 'label CT-RATE-format reports with the 18 findings; P/R/F1 when hand labels are present', load: () => import('./label.ts') },
  train: { summary: 'train BIUD (X-ray expert, retrieval, RoCo/EFM/distillation) with checkpoints and metrics.json', load: () => import('./train.ts') },
  eval: { summary: 'zero-shot AUC per finding of a checkpoint on the held-out cohort, a report CSV, or a folder of real CTs', load: () => import('./eval.ts') },
  diagnose: { summary: 'zero-shot p(finding) of each given CT volume (NIfTI) under a checkpoint; no report needed', load: () => import('./diagnose.ts') },
  ablate: { summary: 'four runs (CLIP, +RoCo, +distillation, +EFM) and their zero-shot table', load: () => import('./ablate.ts') },
  cohort: { summary: 'render a synthetic CT cohort (slices, DRRs, reports, labels) and an index.html contact sheet', load: () => import('./cohort.ts') },
  generate: { summary: 'train the report decoder on a frozen CT encoder; BLEU-4, ROUGE-L, label F1 of greedy and beam reports', load: () => import('./generate.ts') },
  probe: { summary: 'linear probe and fine-tuning for the 18 findings from a few labelled volumes; AUC per finding', load: () => import('./probe.ts') },
  bench: { summary: 'time the kernels and a training step against TF.js WebGPU and the adapter\'s measured peak', load: () => import('./bench.ts') },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length), 4);
  const lines = Object.entries(commands).map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`);
  return `usage: biud <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nbiud <command> --help for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    console.error(`biud: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await cmd.load()).run(rest);
  } catch (err) {
    // Our own errors carry a message meant for the user; anything else is a bug: show its stack.
    const e = err as Error;
    console.error(e && e.name === 'BiudError' ? `biud ${name}: ${e.message}` : e?.stack ?? String(err));
    return 1;
  }
}
