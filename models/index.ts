// BIUD's parts, for the package root (index.ts): the model and its configs, the tokenizer, the
// X-ray expert, losses, training, evaluation and the uses (zero-shot, probes, report
// generation), the data paths (cohort, NIfTI, preprocessing) and the report labeler.
export { Biud, LOSS_TERMS, type LossSwitches, type StepInputs, type StepLosses } from './biud.ts';
export { CONFIGS, getConfig, validate, ctTokens, type BiudConfig, type DeepPartial } from './config.ts';
export { ReportTokenizer } from './tokenize.ts';
export { XrayExpert, PRETRAINED_EXPERT } from './xray-expert.ts';
export { rocoLoss, pairLoss, relationLoss, Temperature } from './losses.ts';
export { buildRetrieval, type RetrievalIndex } from './retrieval.ts';
export { zeroShotScores, allPrompts, auc, rocCurve, PROMPTS, type ZeroShotResult } from './zero-shot.ts';
export { LinearProbe, linearProbe, FineTuner } from './probe.ts';
export { ReportDecoder, ReportGenerator, trainReportGenerator, evaluateReports } from './report-gen.ts';
export { fetchAssets, type Assets } from './assets.ts';
export { Trainer, NonFiniteLossError, type Progress, type TrainerOptions } from './train/trainer.ts';
export { trainWithRecovery } from './train/recover.ts';
export { MODEL_FILE, OPTIMIZER_FILE, EXPERT_FILE, storeToSafetensors, loadIntoStore, type CheckpointSink } from './train/checkpoint.ts';
export { opfsSink, hasOpfs } from './train/sink-opfs.ts';
export { loadCohortData, CohortData } from './train/cohort-data.ts';
export { loadVolumeData, VolumeData, type VolumeSource } from './train/volume-data.ts';
export type { BiudData, CtItem, XrayItem, Report } from './train/data.ts';
export { loadModel, zeroShot, embedCts, embedTexts, embedVolumes, zeroShotVolumes, diagnoseVolumes, labelledVolumes, type EvalModel, type LabelledVolume } from './train/evaluate.ts';
export { readNifti, toRAS, type NiftiVolume } from './data/nifti.ts';
export { writeNifti } from './data/nifti-write.ts';
export { preprocessVolume, windowHU, type HuVolume } from './data/preprocess.ts';
export { pairVolumesWithReports } from './data/volume-reports.ts';
export { reportsFromCsv, splitReports, makeCohort, type CohortReport } from './data/cohort.ts';
export { buildPhantom, renderPhantom, renderPhantoms } from './data/phantom.ts';
export { labelReport, FINDINGS } from './text/index.ts';
