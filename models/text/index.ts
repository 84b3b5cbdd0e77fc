// Report understanding: readers, tokenizer, labeler, entity-focused masking, RoCo false negatives.
export { FINDINGS, NUM_FINDINGS, XRAY_OBSERVABLE, findingIndex, type Finding } from './findings.ts';
export { formatProblem, summarizeProblems, type ReadProblem } from './problems.ts';
export { parseCsv, parseCsvRecords, csvField, csvLine, type CsvTable, type CsvRecord } from './csv.ts';
export { readCtRateCsv, LABEL_MISSING, type CtReport, type CtReportTable } from './ct-rate.ts';
export { readTar, type TarEntry } from './tar.ts';
export { parseXml, textContent, children, descendants, type XmlElement, type XmlNode } from './xml.ts';
export { readIuXrayArchive, parseIuReportXml, iuReportText, type IuReport } from './iu-xray.ts';
export { WordPieceTokenizer, basicTokenize, SPECIAL_TOKENS, type Encoding, type EncodeOptions } from './wordpiece.ts';
export { SubVocabulary } from './subvocab.ts';
export { splitSentences, splitClauses, type Span } from './sentences.ts';
export { certaintyOf, cuesIn, type Certainty, type CueHit } from './negation.ts';
export { LEXICON, ANATOMY, SIZE, LATERALITY, type FindingLexicon } from './lexicon.ts';
export { labelReport, findMentions, entitySpans, reportClauses, type LabelResult, type Mention, type EntitySpan, type EntityKind } from './labeler.ts';
export { labelXrayReport, meshFindings, type XrayLabelResult } from './xray-labels.ts';
export { scoreLabels, formatScores, type FindingScore } from './metrics.ts';
export { mulberry32, randInt, shuffle, type Rng } from './rng.ts';
export { entityFocusedMask, charSpansToTokenSpans, IGNORE_INDEX, type EfmOptions, type EfmResult } from './efm.ts';
export { detectFalseNegatives, softTargets, type FalseNegative, type FalseNegativeReason, type FalseNegativeOptions, type FalseNegativeResult } from './false-negatives.ts';
