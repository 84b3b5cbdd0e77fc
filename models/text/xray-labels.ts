// IU X-ray reports -> the CT findings an X-ray can show. The report text goes through the same
// labeler as CT reports; the hand-assigned MeSH terms ("major": "Pulmonary Atelectasis/base/
// left", "Catheters, Indwelling", "Calcinosis/aorta") add findings the text only implies.
// Findings an X-ray cannot show are reported as not observable and left 0.
import { FINDINGS, NUM_FINDINGS, XRAY_OBSERVABLE, type Finding } from './findings.ts';
import type { IuReport } from './iu-xray.ts';
import { iuReportText } from './iu-xray.ts';
import { labelReport, type Mention } from './labeler.ts';

/** MeSH heading (the part before the first '/') -> finding. Qualifiers refine a few. */
const MESH: Array<[RegExp, Finding, RegExp?]> = [
  [/^(?:catheters|medical device|implanted medical device|surgical instruments|sutures|stents|pacemaker|tube|prosthes|foreign bodies|electrodes)/i, 'Medical material'],
  [/^(?:calcinosis|atherosclerosis)/i, 'Arterial wall calcification', /aort|arter/i],
  [/^cardiomegaly/i, 'Cardiomegaly'],
  [/^hernia, hiatal/i, 'Hiatal hernia'],
  [/^(?:lymph nodes|lymphadenopathy)/i, 'Lymphadenopathy'],
  [/^(?:emphysema|pulmonary emphysema|pulmonary disease, chronic obstructive|hyperdistention|lung, hyperlucent|bullous emphysema)/i, 'Emphysema'],
  [/^(?:pulmonary atelectasis|atelectases?)/i, 'Atelectasis'],
  [/^(?:nodule|calcified granuloma|granuloma|granulomatous disease|solitary pulmonary nodule|multiple pulmonary nodules|lung neoplasms|mass)/i, 'Lung nodule'],
  [/^(?:opacity|airspace disease|infiltrate|density|pneumonia|lung, hypolucent)/i, 'Lung opacity', /lung|pulmonary|base|lobe|apex|hilum|^[^/]*$/i],
  [/^(?:cicatrix|fibrosis|pulmonary fibrosis|scar)/i, 'Pulmonary fibrotic sequela'],
  [/^pleural effusion/i, 'Pleural effusion'],
  [/^(?:bronchial wall thickening|peribronchial cuffing)/i, 'Peribronchial thickening'],
  [/^consolidation/i, 'Consolidation'],
  [/^bronchiectasis/i, 'Bronchiectasis'],
  [/^kerley/i, 'Interlobular septal thickening'],
];

export interface XrayLabelResult {
  /** 1 where an X-ray can show the finding. */
  observable: Uint8Array;
  /** 0/1 per finding; always 0 where not observable. */
  labels: Uint8Array;
  /** Text mentions that decided each observable finding. */
  evidence: Mention[][];
  /** The MeSH terms that set a finding, per finding. */
  meshEvidence: string[][];
  /** The text that was labelled (findings + impression, verbatim). */
  text: string;
}

export function meshFindings(terms: readonly string[]): Map<Finding, string[]> {
  const out = new Map<Finding, string[]>();
  for (const term of terms) {
    for (const [head, finding, qualifier] of MESH) {
      if (!head.test(term) || (qualifier && !qualifier.test(term))) continue;
      out.set(finding, [...(out.get(finding) ?? []), term]);
    }
  }
  return out;
}

export function labelXrayReport(report: Pick<IuReport, 'findings' | 'impression' | 'mesh'>): XrayLabelResult {
  const text = iuReportText(report as IuReport);
  const fromText = labelReport(text);
  const fromMesh = meshFindings(report.mesh.major);
  const observable = new Uint8Array(NUM_FINDINGS);
  const labels = new Uint8Array(NUM_FINDINGS);
  const meshEvidence: string[][] = FINDINGS.map(() => []);
  FINDINGS.forEach((f, k) => {
    if (!XRAY_OBSERVABLE.has(f)) return;
    observable[k] = 1;
    meshEvidence[k] = fromMesh.get(f) ?? [];
    labels[k] = fromText.labels[k] || meshEvidence[k].length ? 1 : 0;
  });
  const evidence = fromText.evidence.map((e, k) => (observable[k] ? e : []));
  return { observable, labels, evidence, meshEvidence, text };
}


