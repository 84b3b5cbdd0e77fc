// The Indiana University chest X-ray reports (Open-i, NLMCXR_reports.tgz) read as shipped:
// gzip -> tar -> one XML file per report. The report text is kept verbatim, including the
// "XXXX" de-identification marks: the licence (CC BY-NC-ND) forbids edits.
import { BiudError } from '../../engine/errors.ts';
import { decompressPartial } from '../data/gzip.ts';
import type { ReadProblem } from './problems.ts';
import { readTar } from './tar.ts';
import { children, descendants, parseXml, textContent, type XmlElement } from './xml.ts';

export interface IuReport {
  /** "CXR1" (the uId). */
  id: string;
  /** Archive member the report came from. */
  entry: string;
  comparison: string;
  indication: string;
  findings: string;
  impression: string;
  /** MeSH-like terms: `major` assigned by hand, `automatic` by MTI. */
  mesh: { major: string[]; automatic: string[] };
  /** parentImage ids, e.g. "CXR1_1_IM-0001-3001". */
  images: string[];
}

/** Every element name the shipped archive uses; anything else is reported (and ignored). */
const KNOWN_TAGS = new Set(
  ('Abstract AbstractText Affiliation Article ArticleDate ArticleTitle Author AuthorList CEDD ColorLayout Day ' +
    'EdgeHistogram EssieArticleTitle FCTH ForeName IMedAuthor IUXRId Initials Journal JournalIssue Language LastName ' +
    'MeSH MedlineCitation Month PubDate PublicationType PublicationTypeList SemanticContext60 Year articleDate ' +
    'articleType articleURL automatic caption ccLicense docSource eCitation figureId globalImageFeatures imgModality ' +
    'licenseType licenseURL major meta note panel parentImage pmcId publisher region specialty subset title uId url').split(' '),
);

const SECTIONS = { COMPARISON: 'comparison', INDICATION: 'indication', FINDINGS: 'findings', IMPRESSION: 'impression' } as const;

function sectionsOf(root: XmlElement, where: (e: XmlElement) => string, problems: ReadProblem[], source: string): Pick<IuReport, 'comparison' | 'indication' | 'findings' | 'impression'> {
  const out = { comparison: '', indication: '', findings: '', impression: '' };
  for (const e of descendants(root).filter((d) => d.name === 'AbstractText')) {
    const key = SECTIONS[e.attrs.Label as keyof typeof SECTIONS];
    if (key) out[key] = textContent(e);
    else problems.push({ source, where: where(e), message: `unknown AbstractText Label ${JSON.stringify(e.attrs.Label ?? '')}; ignored` });
  }
  return out;
}

/** One report's XML. Returns no report (and a problem) when the XML is unusable. */
export function parseIuReportXml(xml: string | Uint8Array, entry: string, source = 'NLMCXR_reports.tgz'): { report?: IuReport; problems: ReadProblem[] } {
  const problems: ReadProblem[] = [];
  const where = (e?: XmlElement): string => `entry ${entry}${e ? `, line ${e.line}` : ''}`;
  let root: XmlElement;
  try {
    root = parseXml(typeof xml === 'string' ? xml : new TextDecoder().decode(xml), `${source}: ${entry}`);
  } catch (err) {
    if (!(err instanceof BiudError)) throw err;
    return { problems: [{ source, where: where(), message: err.message.replace(`${source}: ${entry}, `, '') }] };
  }
  if (root.name !== 'eCitation') return { problems: [{ source, where: where(root), message: `root element is <${root.name}>, not <eCitation>` }] };
  const all = descendants(root);
  const unknown = [...new Set(all.filter((e) => !KNOWN_TAGS.has(e.name)).map((e) => e.name))];
  if (unknown.length) problems.push({ source, where: where(all.find((e) => e.name === unknown[0])), message: `unknown element(s) <${unknown.join('>, <')}>; ignored` });
  const id = all.find((e) => e.name === 'uId')?.attrs.id;
  if (!id) return { problems: [...problems, { source, where: where(), message: 'no <uId id=...>; report skipped' }] };
  const sections = sectionsOf(root, where, problems, source);
  const mesh = children(root, 'MeSH')[0];
  const terms = (name: string): string[] => (mesh ? children(mesh, name).map(textContent) : []);
  const images = children(root, 'parentImage').map((e) => e.attrs.id).filter((x): x is string => !!x);
  return { report: { id, entry, ...sections, mesh: { major: terms('major'), automatic: terms('automatic') }, images }, problems };
}

/**
 * Every report in the archive, in archive order. Throws BiudError when the bytes are not a
 * gzip'd tar at all; a damaged member is skipped and listed in `problems`.
 */
export async function readIuXrayArchive(bytes: Uint8Array, source = 'NLMCXR_reports.tgz'): Promise<{ reports: IuReport[]; problems: ReadProblem[] }> {
  // A truncated download keeps the members that came whole before the break.
  const { data, broken } = await decompressPartial(bytes, 'gzip', { what: source });
  const tar = readTar(data, source);
  const problems: ReadProblem[] = broken ? [{ source, where: `after ${data.length} decompressed bytes`, message: `${broken.message}; the members before the break are kept` }] : [];
  problems.push(...tar.problems);
  const reports: IuReport[] = [];
  for (const e of tar.entries) {
    if (e.type !== '0' || !e.name.endsWith('.xml')) continue;
    const r = parseIuReportXml(e.data, e.name, source);
    problems.push(...r.problems);
    if (r.report) reports.push(r.report);
  }
  if (reports.length === 0) throw new BiudError(`${source}: no readable report XML in the archive${problems.length ? ` (${problems[0].where}: ${problems[0].message})` : ''}`);
  return { reports, problems };
}

/** The report as one text for tokenising and labelling: findings then impression, verbatim. */
export function iuReportText(r: IuReport): string {
  return [r.findings, r.impression].filter((s) => s.length > 0).join(' ');
}
