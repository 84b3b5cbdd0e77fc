import { describe, expect, it } from 'vitest';
import { BiudError } from '../../engine/errors.ts';
import { parseCsv, csvLine } from '../../models/text/csv.ts';
import { readCtRateCsv } from '../../models/text/ct-rate.ts';
import { FINDINGS } from '../../models/text/findings.ts';
import { gunzip } from '../../models/data/gzip.ts';
import { readTar } from '../../models/text/tar.ts';
import { parseXml, textContent } from '../../models/text/xml.ts';
import { parseIuReportXml, readIuXrayArchive } from '../../models/text/iu-xray.ts';
import { dataFile, makeTar } from './helpers.ts';

const header = `AccessionNo,report_text,${FINDINGS.join(',')}`;
const zeros = FINDINGS.map(() => '0').join(',');

describe('CSV', () => {
  it('parses quoted fields with commas, quotes and newlines, and round-trips', () => {
    const t = parseCsv('a,b\n"x, ""y""","line1\nline2"\r\n', 'mem.csv');
    expect(t.records[0].cells).toEqual(['x, "y"', 'line1\nline2']);
    expect(csvLine(t.records[0].cells)).toBe('"x, ""y""","line1\nline2"');
  });

  it('skips a row with an unterminated quote and keeps the rest', () => {
    const t = parseCsv('a,b\n1,"open\n2,two\n3,three\n', 'bad.csv');
    expect(t.records.map((r) => r.cells[0])).toEqual(['2', '3']);
    expect(t.problems[0]).toMatchObject({ source: 'bad.csv', where: 'line 2' });
    expect(t.problems[0].message).toMatch(/unterminated/);
  });

  it('reads the shipped CT-RATE table: 800 reports, 18 label columns', () => {
    const t = readCtRateCsv(dataFile('ct-reports/ct-rate-train.csv'), 'ct-rate-train.csv');
    expect(t.reports.length).toBe(800);
    expect(t.problems).toEqual([]);
    expect(t.labelColumns.length).toBe(18);
    expect(t.reports[0].accession).toBe('train_1');
    expect(t.reports[0].text).toMatch(/^Trachea, both main bronchi are open/);
  });

  it('names a missing column', () => {
    expect(() => readCtRateCsv('AccessionNo,text\n1,x\n', 'x.csv')).toThrow(/x\.csv: missing column "report_text"/);
    expect(() => readCtRateCsv('', 'empty.csv')).toThrow(BiudError);
  });

  it('skips empty reports, bad labels and short rows, and says where', () => {
    const csv = [header, `a,"",${zeros}`, `b,"ok",${zeros.replace(/^0/, '2')}`, `c,"short"`, `d,"fine",${zeros}`].join('\n');
    const t = readCtRateCsv(csv, 'r.csv');
    expect(t.reports.map((r) => r.accession)).toEqual(['d']);
    expect(t.problems.map((p) => p.where)).toEqual(['line 4', 'line 2', 'line 3']);
  });

  it('takes unlabelled input', () => {
    const t = readCtRateCsv('AccessionNo,report_text\nx,"No effusion."\n', 'u.csv');
    expect(t.labelColumns).toEqual([]);
    expect(t.reports[0].labels).toBeUndefined();
  });
});

describe('gzip, tar, XML', () => {
  it('refuses non-gzip bytes and a stream that yields nothing', async () => {
    await expect(gunzip(new TextEncoder().encode('hello'), { what: 'x.tgz' })).rejects.toThrow(/x\.tgz: not a gzip file \(starts with 68 65 6c/);
    await expect(gunzip(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]), { what: 't.tgz' })).rejects.toThrow(BiudError);
  });

  it('parses XML with entities, CDATA and comments; reports the line of an error', () => {
    const el = parseXml('<?xml version="1.0"?>\n<!-- c --><a x="1 &amp; 2"><b>&lt;t&gt;</b><![CDATA[<raw>]]>&#65;</a>', 'm.xml');
    expect(el.attrs.x).toBe('1 & 2');
    expect(textContent(el)).toBe('<t><raw>A');
    expect(() => parseXml('<a>\n<b>\n</a>', 'bad.xml')).toThrow(/bad\.xml, line 3: .*<\/a> closes <b>/);
    expect(() => parseXml('<a>' + '<b>'.repeat(100000), 'deep.xml')).toThrow(BiudError);
  });

  it('reads a tar with a damaged header and keeps the good entries', () => {
    const tar = makeTar([['a.txt', 'alpha'], ['b.txt', 'beta'], ['c.txt', 'gamma']]);
    tar[512 * 2 + 10] ^= 0xff; // corrupt b.txt's header
    const r = readTar(tar, 't.tar');
    expect(r.entries.map((e) => e.name)).toEqual(['a.txt', 'c.txt']);
    expect(r.problems[0].message).toMatch(/checksum/);
  });
});

describe('IU X-ray archive', () => {
  it('reads all 3955 reports verbatim from the shipped .tgz', async () => {
    const { reports, problems } = await readIuXrayArchive(dataFile('cxr-reports/NLMCXR_reports.tgz'));
    expect(reports.length).toBe(3955);
    expect(problems).toEqual([]);
    const r1 = reports.find((r) => r.id === 'CXR1')!;
    expect(r1.indication).toBe('Positive TB test');
    expect(r1.findings).toBe('The cardiac silhouette and mediastinum size are within normal limits. There is no pulmonary edema. There is no focal consolidation. There are no XXXX of a pleural effusion. There is no evidence of pneumothorax.');
    expect(r1.impression).toBe('Normal chest x-XXXX.');
    expect(r1.mesh.major).toEqual(['normal']);
    expect(r1.images).toEqual(['CXR1_1_IM-0001-3001', 'CXR1_1_IM-0001-4001']);
  });

  it('keeps the complete entries of a truncated archive and reports the break', async () => {
    const bytes = dataFile('cxr-reports/NLMCXR_reports.tgz');
    const { reports, problems } = await readIuXrayArchive(bytes.subarray(0, bytes.length >> 1));
    expect(reports.length).toBeGreaterThan(1000);
    expect(problems.some((p) => /breaks off|truncated/.test(p.message))).toBe(true);
  });

  it('reports unknown tags and labels but keeps the report; skips broken XML', () => {
    const xml = '<eCitation><uId id="CXR9"/><Abstract><AbstractText Label="FINDINGS">Clear.</AbstractText><AbstractText Label="FOO">x</AbstractText></Abstract><weird/></eCitation>';
    const r = parseIuReportXml(xml, 'e/9.xml');
    expect(r.report?.findings).toBe('Clear.');
    expect(r.problems.map((p) => p.message).join(' ')).toMatch(/<weird>.*|FOO/);
    expect(r.problems.every((p) => p.where.startsWith('entry e/9.xml'))).toBe(true);
    const bad = parseIuReportXml('<eCitation><uId id="x">', 'e/10.xml');
    expect(bad.report).toBeUndefined();
    expect(bad.problems[0].where).toBe('entry e/10.xml');
  });
});
