// Short sentences for the CT-RATE labelling conventions and lexicon entries added after the
// first labeler: each must (1) or must not (0) label its finding.
import { describe, expect, it } from 'vitest';
import { labelReport } from '../../models/text/labeler.ts';
import { findingIndex } from '../../models/text/findings.ts';
import { splitClauses, splitSentences } from '../../models/text/sentences.ts';

const has = (text: string, finding: string): number => labelReport(text).labels[findingIndex(finding)];

const cases = (rows: Array<[string, string, number]>) =>
  it.each(rows)('%s -> %s = %i', (text, finding, want) => {
    expect(has(text, finding)).toBe(want);
  });

describe('clause scope', () => {
  it('an ", and" between two complete statements ends a negation', () => {
    const text = 'No active infiltration is detected in the right lung, and sequelae changes are observed in the lower lobe.';
    const [s] = splitSentences(text);
    expect(splitClauses(text, s).map((c) => text.slice(c.start, c.end))).toEqual([
      'No active infiltration is detected in the right lung',
      'sequelae changes are observed in the lower lobe.',
    ]);
  });
  it('an ", and" inside a list is not a clause break', () => {
    const text = 'Calcific atheroma plaques are observed in the aortic arch, ascending aorta, and coronary arteries.';
    expect(splitClauses(text, splitSentences(text)[0])).toHaveLength(1);
  });
  cases([
    ['No active infiltration is detected in the right lung, and sequelae changes are observed in the lower lobe.', 'Pulmonary fibrotic sequela', 1],
    ['No mass is detected in the lungs, and no pleural effusion is observed.', 'Pleural effusion', 0],
    ['Calcific atheroma plaques are observed in the aortic arch, ascending aorta, and coronary arteries.', 'Coronary artery wall calcification', 1],
    ['Millimetric atheroma plaque was also observed in the left coronary artery.', 'Coronary artery wall calcification', 1],
  ]);
});

describe('speculation', () => {
  cases([
    ['The described appearances may be due to infective pathology or atelectasis.', 'Atelectasis', 0],
    ['This appearance was thought to be compatible with sequelae changes.', 'Pulmonary fibrotic sequela', 0],
    ['Presence of calcific nodules suggests that this appearance may belong to a sequelae change.', 'Pulmonary fibrotic sequela', 0],
    ['A 4 mm nodule that may be an intrapulmonary lymph node.', 'Lung nodule', 1],
    ['Linear density increases consistent with sequelae changes are observed in the middle lobe.', 'Pulmonary fibrotic sequela', 1],
    ['There is an appearance suggesting a chronic fibrotic lesion accompanied by subpleural band formation.', 'Pulmonary fibrotic sequela', 1],
    ['Pleural-based areas of nodular consolidation (sequelae change?).', 'Pulmonary fibrotic sequela', 0],
  ]);
});

describe('lung opacity', () => {
  cases([
    ['Linear density increases are observed in the upper lobe of the right lung.', 'Lung opacity', 1],
    ['There are linear density increases evaluated in favor of atelectasis in the left lung.', 'Lung opacity', 1],
    ['Interlobular septal and interstitial thickenings and frosted glass areas are observed.', 'Lung opacity', 1],
    ['Pleuroparenchymal sequelae density increases were observed in both lung apexes.', 'Lung opacity', 0],
    ['Centriacinar micronodular opacities are observed around these bronchioles.', 'Lung opacity', 0],
    ['Branches with buds and acinar opacities are observed in the lower lobe of the left lung.', 'Lung opacity', 0],
    ['Peribronchial density increases were observed in the right lung middle lobe.', 'Lung opacity', 0],
  ]);
});

describe('lung nodule', () => {
  cases([
    ['Centriacinar nodules are observed.', 'Lung nodule', 1],
    ['There are hypodense nodules.', 'Lung nodule', 0],
    ['There are nodular lesions of millimeter size with smooth borders in both breasts.', 'Lung nodule', 0],
    ['In both kidneys, thin-walled mural nodules or cysts are observed.', 'Lung nodule', 0],
    ['Metastatic nodule sizes are stable in anterior and posterior mediastinum.', 'Lung nodule', 0],
  ]);
});

describe('pericardial effusion', () => {
  cases([
    ['An effusion with a diameter of 9 mm is observed in the thickest part of the pericardium.', 'Pericardial effusion', 1],
    ['An effusion of approximately 17 mm was observed in the deepest part of the pericardial area.', 'Pericardial effusion', 1],
    ['Pleural effusion of 20 mm on the right; pericardial thickening was not observed.', 'Pericardial effusion', 0],
  ]);
});

describe('peribronchial and septal thickening', () => {
  cases([
    ['A significant increase in peribronchovascular density is observed in both lungs.', 'Peribronchial thickening', 1],
    ['Areas of increased density in the peribronchial areas of the right lung upper lobe.', 'Peribronchial thickening', 1],
    ['Ground glass densities conforming to the peribronchial distribution are observed.', 'Peribronchial thickening', 0],
    ['Thickening of parenchymal bands and interlobular septa are observed on this background.', 'Interlobular septal thickening', 1],
    ['There are ground-glass density increases and interstitial thickening in the lower lobes.', 'Interlobular septal thickening', 1],
    ['Paraseptal emphysema in both upper lobes.', 'Interlobular septal thickening', 0],
  ]);
});

describe('fibrotic sequela', () => {
  cases([
    ['There are parenchymal band appearances in the middle lobe.', 'Pulmonary fibrotic sequela', 1],
    ['There are bilateral subpleural bands.', 'Pulmonary fibrotic sequela', 1],
    ['Pleuroparenchymal density increases are observed in the lingular segment.', 'Pulmonary fibrotic sequela', 1],
    ['Pleuroparenchymal recession is observed in the middle lobe of the right lung.', 'Pulmonary fibrotic sequela', 1],
    ['Linear fibroatelactastic changes were observed in the right lung middle lobe.', 'Pulmonary fibrotic sequela', 1],
    ['Band atelectasis in the left lower lobe.', 'Pulmonary fibrotic sequela', 0],
  ]);
});

describe('other findings', () => {
  cases([
    ['Diaphragmatic hernia with intra-abdominal fatty planes is observed at the level of the esophagogastric junction.', 'Hiatal hernia', 1],
    ['Intestinal loop was not detected in the hernia sac.', 'Hiatal hernia', 0],
    ['Diaphragmatic hernia containing colonic loops on the left.', 'Hiatal hernia', 0],
    ['There is a new moderate to large amount of effusion in the abdomen.', 'Pleural effusion', 0],
    ['Millimetric atheroma plaque in the distal part of the left anterior descending artery.', 'Arterial wall calcification', 0],
    ['Millimetric atheroma plaque in the distal part of the left anterior descending artery.', 'Coronary artery wall calcification', 1],
    ['There are areas of focal air trapping in both lungs.', 'Mosaic attenuation pattern', 0],
    ['Mosaic perfusion in both lung parenchyma.', 'Mosaic attenuation pattern', 1],
    ['There are unbounded increases in density in the anterior segment of the left lung upper lobe.', 'Lung opacity', 1],
    ['At this level, linear densities compatible with sequelae changes are observed.', 'Lung opacity', 1],
  ]);
});

describe('comma splices and spelling variants', () => {
  cases([
    ['No pleural effusion was detected, atelectasis is observed in the right lower lobe.', 'Atelectasis', 1],
    ['No pleural effusion was detected, atelectasis is observed in the right lower lobe.', 'Pleural effusion', 0],
    ['No pleural effusion or atelectasis was detected.', 'Atelectasis', 0],
    ['There are linear ateectasis in the lower lobe of both lungs.', 'Atelectasis', 1],
    ['Band atelectic change causing slight volume loss in the middle lobe.', 'Atelectasis', 1],
    ['Fibroatelectatic changes in the lingula.', 'Atelectasis', 0],
    ['Bronchiolitis and bronchial ectasias in the middle lobe of the right lung.', 'Bronchiectasis', 1],
  ]);
});

describe('lymph nodes', () => {
  cases([
    ['Lymph nodes in the mediastinum that are not in pathological size and appearance.', 'Lymphadenopathy', 1],
    ['No lymph node that reached pathological size was detected in the mediastinum.', 'Lymphadenopathy', 0],
    ['Multiple lymphadenomegaly with a short axis of 23 mm in the paratracheal and subcarinal regions.', 'Lymphadenopathy', 1],
    ['Multiple lymphadenopathy in the axillary fossas, mediastinum, mesentery and paraaortic areas.', 'Lymphadenopathy', 1],
    ['Lymph nodes with short diameters less than 1 cm in the paraaortic and paracaval areas.', 'Lymphadenopathy', 0],
    ['A lymph node of 8 mm in the splenic hilum and paraaortic area.', 'Lymphadenopathy', 0],
  ]);
});

describe('more lexicon variants', () => {
  cases([
    ['Consolidated fracture of the left 6th rib with callus formation.', 'Consolidation', 0],
    ['Fracture line with consolidation in the right 7th rib.', 'Consolidation', 0],
    ['Patchy consolidation in the right lower lobe adjacent to the rib fracture.', 'Consolidation', 1],
    ['The nodule described in the previous examination is no longer observed.', 'Lung nodule', 0],
    ['Aortic endoprosthesis in the descending aorta.', 'Medical material', 1],
    ['Minimal thickening around the bronchial structures in the left lower lobe.', 'Peribronchial thickening', 1],
  ]);
});

describe('density put down to sequelae', () => {
  cases([
    ['There are density increases that are evaluated in favor of sequelae.', 'Lung opacity', 0],
    ['Linear density increases consistent with sequelae changes in the middle lobe.', 'Lung opacity', 1],
    ['Ground glass density increases in both lower lobes.', 'Lung opacity', 1],
  ]);
});

describe('lung mass', () => {
  cases([
    ['In the follow-up, lung Ca, spiculated contoured mass in the lower lobe of the left lung.', 'Lung nodule', 0],
    ['Masses and nodular lesions are observed in both lungs.', 'Lung nodule', 1],
  ]);
});
