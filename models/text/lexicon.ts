// The clinical lexicon: how radiologists write each of the 18 findings, and the words for
// anatomy, size and laterality that the labeler marks as entities (for EFM and highlighting).
//
// Each finding has mention patterns and, optionally, `veto` patterns tested on the clause around
// a mention: a match means the words are about something else ("thyroid nodule" is not a lung
// nodule, "vertebral collapse" is not atelectasis). Patterns are written for the phrasing of the
// CT-RATE reports (translated Turkish: "density increase", "LAP", "sequelae") and for common
// English radiology phrasing, so that they carry over to reports they were not fitted on.
import type { Finding } from './findings.ts';

/** A pattern with its own clause-level vetoes (on top of the finding's). */
export interface GuardedPattern {
  re: RegExp;
  /** The clause must not match this... */
  veto?: RegExp;
  /** ...and must match this. */
  require?: RegExp;
}

export interface FindingLexicon {
  finding: Finding;
  mentions: Array<RegExp | GuardedPattern>;
  /** Clause-level vetoes: a mention in a clause that matches one of these does not count. */
  veto?: RegExp[];
}

const rx = (parts: string[]): RegExp => new RegExp(parts.join('|'), 'gi');

// Lines, tubes, devices and surgical material seen on a chest CT.
const MEDICAL_MATERIAL = rx([
  String.raw`\b(?:catheters?|kat[eh]ters?)\b`,
  String.raw`\bstents?(?:ing|ed)?\b`,
  String.raw`\bpace\s?-?makers?\b`,
  String.raw`\b(?:icd|defibrillator|cardioverter)\b`,
  String.raw`\b(?:pacemaker |pacing |cardiac )?(?:electrodes?|leads)\b`,
  String.raw`\b(?:surgical |metallic |vascular |hemostatic |ligation )?clips?\b`,
  String.raw`\b(?:sternotomy|sternal|cerclage|metallic) (?:wires?|sutures?)\b`,
  String.raw`\bwire sutures?\b`,
  String.raw`\b(?:surgical |metallic |metal |wire )?sutures? materials?\b`,
  String.raw`\bmetallic (?:sutures?|densit(?:y|ies)|materials?|implants?|screws?|plates?|foreign bod(?:y|ies)|artifacts?|objects?|fixation)\b`,
  String.raw`\b(?:surgical|operation|postoperative) materials?\b`,
  String.raw`\bsutures?\b(?= (?:secondary|belonging|related|due|after|in the sternum|on the sternum|at the sternum))`,
  String.raw`\bsternotomy\b`,
  String.raw`\b(?:acbg|cabg)\b(?= (?:material|wire|suture|clip))`,
  String.raw`\bpeg\b`,
  String.raw`\b(?:(?:nasogastric|orogastric|endotracheal|tracheostomy|thoracostomy|chest|drainage|feeding|gastrostomy|peg|ng|et) tubes?)\b`,
  String.raw`\b(?:tracheostomy |tracheal )?cannula\b`,
  String.raw`\b(?:port|port-?a-?cath|chemoport|port chamber|reservoir)\b(?! vein)`,
  String.raw`\b(?:prosthetic|prosthesis|prostheses|mechanical) (?:valves?|heart valves?)\b`,
  String.raw`\b(?:valve|valvular) (?:replacement|prosthes[ie]s)\b`,
  String.raw`\b(?:endo)?(?:prosthes[ie]s|prosthetic)\b`,
  String.raw`\b(?:tavi|tavr|annuloplasty rings?|tissue expanders?|k(?:irschner)?[- ]wires?)\b`,
  String.raw`\b(?:endo)?(?:vascular )?grafts?\b`,
  String.raw`\bevar\b|\btevar\b`,
  String.raw`\b(?:screws?|fixation plates?|osteosynthesis|fixation materials?|rods?)\b(?= )`,
  String.raw`\b(?:coils?|embolization materials?|occluder|vena cava filter|ivc filter)\b`,
  String.raw`\b(?:drains?|drainage)\b(?= (?:tube|catheter|system|material))`,
  String.raw`\b(?:breast |silicone |mammary )implants?\b`,
  String.raw`\bimplants? in the (?:left |right )?breast\b`,
  String.raw`\b(?:central venous|jugular|subclavian) (?:line|access)\b`,
  String.raw`\bhemodialysis catheter\b|\bpermcath\b`,
  String.raw`\bpicc\b`,
  String.raw`\bforeign bod(?:y|ies)\b`,
  String.raw`\b(?:surgical|prolene|hernia) mesh\b`,
]);

// Organs and tissues other than lung parenchyma, where "density" means something else.
const OUTSIDE_LUNG =
  /\b(?:liver|hepatic|hepatosteatosis|spleen|bone|vertebra\w*|sclerotic|trabecul\w*|breast|kidney|renal|pancreas|adrenal|subcutaneous|mediastin\w*|thym\w*|fatty (?:planes?|tissues?)|soft tissue|muscle|thyroid|metallic|gallbladder|rib|skin|trachea|(?:intra)?lum(?:en|inal)|(?:supra|sub)?carina\w*|esophag\w*|stomach|gastric|axilla\w*|adipose|colon\w*|pericolonic|mesenter\w*|peritone\w*)\b/i;

/** The stock scar phrase: "pleuroparenchymal sequelae" in either order. */
const PLEUROPARENCHYMAL_SEQUELAE = /\bpleur\w*[- ]?parenchymal\b[\s\S]*\bsequel|\bsequel\w*[\s\S]*\bpleur\w*[- ]?parenchymal\b/;

export const LEXICON: FindingLexicon[] = [
  {
    finding: 'Medical material',
    mentions: [MEDICAL_MATERIAL],
    veto: [
      /\b(?:portal|porta hepatis|report|support|important|transport|proportion)\b/gi,
      /\b(?:lymph node|nodul|metasta|peritoneal) implants?\b|\bin favou?r of (?:the )?implants?\b|\bimplants? (?:in|on) the (?:peritone|omentum)/gi,
    ],
  },
  {
    finding: 'Arterial wall calcification',
    // Calcium or plaque in the wall of a thoracic artery. Plaques only in the coronaries are the
    // coronary finding, calcium of the aortic valve is valvular, and the abdominal aorta and
    // iliac arteries lie outside a chest CT's finding.
    mentions: [
      {
        re: rx([
          String.raw`\b(?:calcific|calcified|calcium|mixed|soft|non-?calcified)? ?(?:atheroma(?:tous)?|atherosclero(?:sis|tic)|atheromatosis)(?: plaques?| changes?| calcifications?)?\b`,
          String.raw`\b(?:calcific|calcified|calcium|mixed) (?:atheroma )?plaques?\b`,
          String.raw`\bcalcifications?\b`,
          String.raw`\bcalcific (?:densit(?:y|ies)|changes?)\b`,
        ]),
        require: /(?<!coronary |valve |valvular )\b(?:aort(?:a|ic)\b(?! valve)|arch|(?<!(?:descending|circumflex|main) )arter(?:y|ies|ial)|vascular (?:structures?|walls?|system)|carotid|subclavian|brachiocephalic|innominate|vessels?)/i,
        veto: /^(?=[\s\S]*\b(?:abdominal aort\w*|iliac|infrarenal|renal arter\w*|femoral)\b)(?![\s\S]*\b(?:thora\w*|arch|ascending|descending|carotid|subclavian|brachiocephalic|supra-?aortic)\b)/i,
      },
    ],
    veto: [/\b(?:pleural|pleura|breast|thyroid|lymph|pericardial|pineal|renal|kidney|gallbladder|prostate|costal|cartilage|nodules?|granuloma\w*|parenchym\w*)\b/gi],
  },
  {
    finding: 'Cardiomegaly',
    mentions: [
      rx([
        String.raw`\bcardiomegal(?:y|ic)\b`,
        String.raw`\b(?:heart|cardiac)(?: contours?,?)? (?:size|sizes|dimensions?|volume|shadow|silhouette)(?: and (?:contours?|shape))?,? (?:(?:is|are|was|were|has|have) )?(?:slightly |mildly |markedly |significantly |minimally )?(?:increased|enlarged|large|larger than normal|prominent|wide|widened)\b`,
        String.raw`\b(?:increased|enlarged|large|enlargement of the) (?:heart|cardiac) (?:size|sizes|dimensions?|silhouette|shadow)\b`,
        String.raw`\b(?:enlarged|large|big) heart\b`,
        String.raw`\b(?:heart|cardiac) enlargement\b`,
        String.raw`\b(?:heart|cardiac) (?:is|was) (?:slightly |mildly |markedly )?(?:enlarged|large|larger than normal|increased in size)\b`,
        String.raw`\bincrease in (?:the )?(?:heart|cardiac) (?:size|sizes|dimensions?|volume)\b`,
        String.raw`\b(?:cardiothoracic|cardio-thoracic) (?:ratio|index)(?:,? \w+)? (?:is |was |has )?(?:slightly |mildly |markedly )?increased\b|\bincreased? (?:in )?(?:the )?(?:cardiothoracic|cardio-thoracic) (?:ratio|index)\b`,
        String.raw`\bctr (?:is |was )?(?:slightly |mildly )?increase[ds]?\b|\bincreased? (?:in )?(?:the )?ctr\b`,
        String.raw`\b(?:dilated|enlarged|dilatation of the|enlargement of the) (?:heart )?(?:cardiac )?(?:chambers?|ventricles?|atri(?:um|a)|left ventricle|right ventricle)\b`,
      ]),
    ],
  },
  {
    finding: 'Pericardial effusion',
    mentions: [
      rx([
        String.raw`\b(?:hydropericardium|hemopericardium)\b`,
        String.raw`\bpericardi\w*(?: \w+)?(?: space| area| recess)? (?:minimal |mild |small |thin )?(?:effusion|fluid|collection)s?\b`,
        // "Effusion ... pericardial": not when the effusion is already pleural, nor across an
        // "and" to a different pericardial finding ("effusion on the right and pericardial
        // thickening").
        String.raw`(?<!\bpleural )\b(?:effusion|fluid|collection)s?(?:(?! and\b)[\w ,.-]){0,60}?\bpericardi\w*(?![- ](?:thicken\w*|fat|calcif\w*)\b)`,
        // "An effusion of 9 mm is observed in the thickest part of the pericardium": the place
        // comes after the measurement, a longer way from the noun.
        String.raw`\b(?:effusion|fluid|collection)s?\b[\w ,.-]{0,120}?\b(?:in|of|at|within|into) (?:the )?(?:[\w-]+ ){0,3}pericardi(?:um|al (?:area|space|cavity|sac|recess(?:es)?))\b`,
      ]),
    ],
    veto: [/\bpericardial (?:fat|recess(?:es)? (?:are|is) normal)\b/gi],
  },
  {
    finding: 'Coronary artery wall calcification',
    // The mention is the vessel; the clause must say calcium, plaque or atheroma.
    mentions: [
      {
        re: rx([
          String.raw`\bcoronar(?:y|ies)(?: arter(?:y|ies)| vascular structures?| vessels?| system)?\b`,
          String.raw`\b(?:lad|lcx|cx|rca|left anterior descending(?: coronary)?(?: artery)?|circumflex(?: artery)?|left main(?: coronary)?(?: artery)?|right coronary artery)\b`,
        ]),
        require: /\b(?:calcif\w*|calcium|plaques?|atheroma\w*|atherosclero\w*|atheromatosis)\b/i,
      },
    ],
  },
  {
    finding: 'Hiatal hernia',
    mentions: [
      rx([
        String.raw`\bhiat(?:al|us) hernia\b`,
        String.raw`\bhiatal\b`,
        String.raw`\b(?:sliding|paraesophageal|para-esophageal) hernia\b`,
        String.raw`\bhernia(?:tion)? (?:of (?:the )?(?:stomach|gastric \w+) )?(?:through|into|at|in) the (?:esophageal )?hiatus\b`,
        String.raw`\b(?:stomach|gastric \w+)[\w ,-]{0,40}\b(?:herniat\w*|protrud\w*)[\w ,-]{0,40}\b(?:hiatus|thorax|thoracic|mediastinum)\b`,
        String.raw`\bhernia\b`,
      ]),
    ],
    // Other hernias: of the abdominal wall (a sac with bowel loops in it), the disc, the lung. A
    // "diaphragmatic hernia" at the esophagogastric junction is the hiatal one.
    veto: [
      /\b(?:inguinal|umbilical|incisional|ventral|abdominal wall|bochdalek|morgagni|disc|disk|spinal|femoral|lung hernia|intervertebral|schmorl|scar|hernia of the lung|hernia (?:sac|cavity)|intestinal loops?|bowel loops?|colonic loops?)\b/gi,
      /^(?![\s\S]*\b(?:esophagogastric|gastro-?esophageal|hiat\w*|esophag\w*|stomach|gastric)\b)[\s\S]*\bdiaphragmatic\b/gi,
    ],
  },
  {
    finding: 'Lymphadenopathy',
    mentions: [
      rx([
        String.raw`\blymph ?nodes?\b`,
        String.raw`\blymphadeno?pathy\b|\blymphadenopathies\b|\blymphadeopathy\b|\badenopath(?:y|ies)\b`,
        String.raw`\b(?:lymph)?adenomegal(?:y|ies)\b`,
        String.raw`\blaps?\b`,
        String.raw`\blymph node (?:conglomerat\w*|packages?)\b`,
      ]),
    ],
    // Nodes inside the lung, the breast or the abdomen do not make mediastinal/hilar/axillary LAP.
    veto: [
      /\b(?:intra-?pulmonary|intraparenchymal|perifissural|fissural|subpleural|intramammar\w*|intra-?mammary)\b/gi,
      /\b(?:fissures?)\b/gi,
      // Abdominal stations, unless the same list also names a thoracic one.
      /^(?![\s\S]*\b(?:mediastin\w*|(?<!(?:hepatic|splenic|portal|renal) )hil(?:ar|um|us)|axilla\w*|supraclavicular|paratracheal|subcarinal|prevascular|aortopulmonary|paraesophageal|cervical)\b)[\s\S]*\b(?:intra-?abdominal|abdominal|paraaortic|para-aortic|paracaval|interaortocaval|interaortic\w*|retroperitoneal|iliac|inguinal|obturator|mesenter\w*|periportal|peripancreatic|celiac|portal|perigastric|retrocrural|pelvic|hepatic hil\w*|splenic hil\w*)\b/gi,
    ],
  },
  {
    finding: 'Emphysema',
    mentions: [
      rx([
        String.raw`\bemphysema(?:tous)?\b`,
        String.raw`\b(?:bullae|bulla|bullous|blebs?)\b`,
      ]),
    ],
    veto: [/\b(?:subcutaneous|soft tissue|mediastinal emphysema|pneumomediastinum|subcutaneous emphysema|interstitial emphysema|axillary|pectoral|chest wall|intramuscular)\b/gi],
  },
  {
    finding: 'Atelectasis',
    // Fibroatelectasis is a scar (fibrotic sequela); volume loss alone is not called atelectasis.
    mentions: [
      rx([
        // Spelling slips of the translations: "ateectasis", "atelactasis", "atelectic".
        String.raw`(?<!fibro-?)\bat[ae]?l?[ae]c?ta(?:sis|ses|tic)\b`,
        String.raw`(?<!fibro-?)\batelect?ic\b`,
        String.raw`\b(?:lung|lobe|lobar|segment\w*|pulmonary|parenchymal|total|partial)[\w ,-]{0,20}\bcollaps\w*`,
        String.raw`\bcollaps\w*[\w ,-]{0,30}\b(?:lung|lobe|lobar|segment\w*|parenchyma)\b`,
      ]),
    ],
    veto: [/\b(?:vertebra\w*|corpus|fractur\w*|vertebral|t\d+|l\d+|c\d+|spine|bone)\b/gi],
  },
  {
    finding: 'Lung nodule',
    // A lung mass (the primary tumour, over 3 cm) was not labelled as a nodule unless nodules
    // were described as well; centriacinar nodules were.
    mentions: [
      rx([
        String.raw`\bnodules?\b`,
        String.raw`\bmicronodul\w*`,
        String.raw`\bnodular (?:lesions?|opacit(?:y|ies)|appearances?|formations?|structures?)\b`,
        String.raw`\b(?:intra-?pulmonary|perifissural|subpleural|fissural) lymph nodes?\b`,
        String.raw`\bmetasta\w*[\w ,-]{0,20}\b(?:in|of) (?:both |the )?lungs?\b`,
        String.raw`\bgranulomas?\b`,
      ]),
    ],
    veto: [
      /\b(?:thyroid|liver|hepatic|adrenals?|spleen|splenic|kidneys?|renal|breasts?|pancrea\w*|glands?|lobe of the liver|axilla\w*|subcutaneous|skin|peritone\w*|omentum|mesenter\w*|uterus|ovar\w*|pleural-based mass|schmorl|pleural nodules?)\b/gi,
      /\b(?:in|of) (?:the )?(?:anterior |posterior |middle |superior )?(?:(?:and|or) (?:anterior |posterior |middle )?)?mediastinum\b/gi,
      // Hypo-/hyperdense is how solid organs' nodules are described (thyroid, liver, adrenal);
      // lung nodules are solid, ground-glass or calcified.
      /\b(?:hypo|hyper|iso)-?(?:dense|attenuat\w*|echoic)\b/gi,
    ],
  },
  {
    finding: 'Lung opacity',
    // CT-RATE's "lung opacity" is ground glass and unspecified parenchymal density increase
    // (including dependent density, linear density and density put down to atelectasis);
    // consolidation, nodules, fibrotic or pleuroparenchymal scars and density put down to
    // sequelae have findings of their own and were not double-labelled. Density around the
    // bronchi is peribronchial thickening, and tree-in-bud/micronodular opacities are small-airway
    // disease. Outside the lung, "density" is about other organs. "Infiltration" alone was not
    // labelled (it is an interpretation, not a pattern).
    mentions: [
      rx([
        // "Frosted glass" and "icy" are how the Turkish "buzlu cam" is sometimes translated.
        String.raw`\b(?:ground|frosted|frosty|icy|matte?)[- ]?glass\b(?! (?:density )?(?:nodul\w*|nodular|halo))`,
        String.raw`\bicy densit(?:y|ies)\b`,
      ]),
      {
        re: rx([String.raw`\b(?:dependent|depandant|dependant)(?:-like)?(?: nonspecific| mild| minimal| linear)? (?:densit(?:y|ies)|density increases?|increases? in density|areas?|changes?)\b`]),
        veto: OUTSIDE_LUNG,
      },
      {
        // Linear density was labelled as opacity even where it is called pleuroparenchymal or put
        // down to sequelae or band atelectasis, but not when it is called fibrotic or is the
        // stock "pleuroparenchymal sequelae" scar.
        re: rx([
          String.raw`\blinear (?:(?:\w+ ){0,2}densit(?:y|ies)|density increases?|increases? in density)\b`,
          String.raw`\b(?:increases?|increased?) in (?:\w+ )?linear density\b`,
        ]),
        veto: new RegExp(`${OUTSIDE_LUNG.source}|\\b(?:fibrotic|fibrous|fibrosis|micronodul\\w*|mass)\\b|${PLEUROPARENCHYMAL_SEQUELAE.source}`, 'i'),
      },
      {
        re: rx([
          // "Nodular opacities" are nodules (see Lung nodule); "nodular density increases" were
          // labelled as both.
          String.raw`(?<!\bnodular )\b(?:opacit(?:y|ies)|opacification)\b`,
          String.raw`\b(?:densit(?:y|ies)|attenuation) (?:increases?|increased|increments?)\b`,
          String.raw`\b(?:increased?|increases?|increases? in|increments? in) (?:the )?(?:(?:parenchymal|lung|pulmonary) )?(?:densit(?:y|ies)|attenuation)\b`,
          String.raw`\b(?:patchy|acinar|alveolar|hazy|faint) (?:densit(?:y|ies)|opacit\w*|areas?)\b`,
        ]),
        veto: new RegExp(`${OUTSIDE_LUNG.source}|\\b(?:sequel\\w*|pleuroparenchymal|pleural parenchymal|fibrotic|fibrous|fibro\\w*|micronodul\\w*|mass|consolidat\\w*|dependent|buds?|budding|peribronch\\w*)\\b`, 'i'),
      },
    ],
  },
  {
    finding: 'Pulmonary fibrotic sequela',
    // Scars of past disease. Honeycombing and traction bronchiectasis (interstitial lung
    // disease) were not labelled as sequelae by CT-RATE's annotators.
    mentions: [
      rx([
        String.raw`\bsequel(?:a|ae|ea|e)\b`,
        String.raw`\bfibro(?:sis|tic|us)\b`,
        String.raw`\bfibro-?atel[ae]c?ta\w*`,
        String.raw`\bfibrotic bands?\b`,
        String.raw`\bscar(?:s|ring)?\b`,
        // Pleuroparenchymal (also "pleural parenchymal", "pleuraparenchymal") density, bands and
        // retraction are apical/basal scars; so are parenchymal and subpleural bands (but "band
        // atelectasis" is atelectasis).
        String.raw`\bpleur[oa]-?\s?parenchymal (?:(?:linear|minimal|mild|fibrotic) )?(?:changes?|thickening|bands?|densit(?:y|ies)|density increases?|increases? in density|recession|retractions?|scars?)\b`,
        String.raw`\bincreases? in (?:the )?pleur[oa]-?\s?parenchymal (?:linear )?densit(?:y|ies)\b`,
        String.raw`\b(?:parenchymal|parachymal|subpleural|linear)(?: [\w-]+)? bands?\b(?![ -](?:atelecta\w*|like atelecta\w*))`,
      ]),
    ],
    veto: [
      /\b(?:liver|hepatic|kidney|renal|spleen|splenic|bone|vertebra\w*|breast|fibroadenoma|fibroid|uter\w*|cirrho\w*|fibrous dysplasia|thyroid|lymph nodes?|humer\w*|ribs?|fractur\w*|mediastinum|clavic\w*|scapula|sternum|skin|subcutaneous|pancrea\w*|adrenal|pulmonary fibrosis|idiopathic)\b/gi,
    ],
  },
  {
    finding: 'Pleural effusion',
    mentions: [
      rx([
        String.raw`\bpleural (?:effusions?|fluids?|collections?)\b`,
        String.raw`\bpleural effusion-thickening\b`,
        String.raw`\b(?:hydro|hemo|haemo|pyo)(?:pneumo|pnomo)?thora(?:x|ces)\b`,
        String.raw`\bempyema\b`,
        String.raw`\b(?:fluid|effusion)s? (?:in|into|within|between) (?:the |both |bilateral |right |left |leaves of the )+(?:pleura\w*|pleural spaces?)`,
      ]),
      {
        // A bare "effusion" is pleural unless the clause puts it elsewhere.
        re: rx([String.raw`\beffusions?\b`]),
        veto: /\b(?:pericardi\w*|joints?|abdominal|abdomen|intra-?abdominal|pelvis|perihepatic|perisplenic|ascites|subdural|peritoneal|pelvic|kidneys?|renal|perirenal|spleen|splenic|liver|hepatic|subcapsular|gallbladder|pericholecystic)\b/i,
      },
    ],
  },
  {
    finding: 'Mosaic attenuation pattern',
    mentions: [
      rx([
        // Air trapping alone (an expiratory finding) was not labelled as mosaic attenuation.
        String.raw`\bmosaic\b`,
      ]),
    ],
  },
  {
    finding: 'Peribronchial thickening',
    // "Peri"bronchial: CT-RATE's annotators kept plain bronchial wall thickening apart. Up to
    // three words between the airway word and "thickening", never across "and".
    mentions: [
      rx([
        String.raw`\bperibronch(?:ial|ovascular)?(?: (?!and\b)[\w-]+){0,3}? (?:walls? )?(?:thicken\w*|thickness(?: increases?)?|increases? in (?:wall )?thickness|cuffing)`,
        String.raw`\b(?:thicken\w*|increased? (?:in )?(?:the )?thickness)(?: of| in)?(?: the)?(?: (?!and\b)[\w-]+){0,3}? peribronch(?:ial|ovascular)?\b`,
        // Increased density around the bronchi ("peribronchial density increases") is the same
        // cuffing, seen as density rather than as a wall.
        String.raw`\bperibronch(?:ial|ovascular)(?: soft tissue)? (?:density increases?|increases? in density)\b`,
        // Coordinated with another thickening that shares the noun: "peribronchial and
        // interlobular septal thickening", "peribronchial-peribronchiolar thickening".
        String.raw`\bperibronch(?:ial|ovascular|iolar)?(?:,? (?:and|or) |-)(?:[\w-]+ ){0,2}?(?:walls? )?(?:thicken\w*|thickness(?: increases?)?)`,
        String.raw`\bthicken\w*(?: \w+)? (?:around|surrounding) (?:the )?(?:\w+ )?bronch(?:i|us|ial structures|ial walls)\b`,
        String.raw`\bincrease[sd]? (?:in )?(?:the )?peribronch(?:ial|ovascular) density\b`,
        String.raw`\b(?:increased density|density increases?|increases? in density)(?: \w+){0,3} (?:in|of) the peribronch(?:ial|ovascular) (?:areas?|regions?|interstitium)\b`,
      ]),
    ],
  },
  {
    finding: 'Consolidation',
    // "Ground-glass consolidation" was read as opacity.
    // A healed fracture is "consolidated" too.
    mentions: [
      {
        re: rx([String.raw`(?<!\bground[- ]?glass[- ])\bconsolidat(?:ion|ions|ed|ive)\b`]),
        veto: /\bconsolidat\w*(?: [\w-]+){0,3} (?:fractur\w*|callus)|\bfractur\w*(?: [\w-]+){0,4} consolidat\w*|\bcallus\b/i,
      },
    ],
  },
  {
    finding: 'Bronchiectasis',
    mentions: [rx([String.raw`\bbronchiecta\w*`, String.raw`\bbronchiolectas\w*`, String.raw`\bbronch(?:ial|iolar) ectas\w*`, String.raw`\bbronchial dilat\w*`, String.raw`\bdilat\w* (?:of (?:the )?)?bronch(?:i|us|ial|ioles?)\b`,
      // Predicative: "segmental bronchi are dilated" (the main bronchi's calibre is another matter).
      String.raw`(?<!\bmain )\bbronch(?:i|us|ioles?)\b(?: [\w-]+){0,2}? (?:is|are|was|were) (?:\w+ly )?dilated\b`,
    ])],
  },
  {
    finding: 'Interlobular septal thickening',
    mentions: [
      rx([
        String.raw`\b(?:interlobular|intralobular|interlobar)?(?:[ -](?:and|or)[ -](?:interlobular|intralobular))?[ -]?sept(?:al|a|um)\b(?: (?!and\b)[\w-]+){0,2}? (?:thicken\w*|thickness(?: increases?)?|clarifications?)`,
        String.raw`\b(?:thicken\w*|thickness increases?)(?: of)?(?: the)?(?: (?!and\b)[\w-]+){0,2}? (?:interlobular )?sept(?:al|a|um)\b`,
        String.raw`\bsept(?:al|a) and (?:interstitial|intralobular) (?:thicken\w*|thickness)`,
        String.raw`\bkerley\b`,
        // Thickening named first and the septa later in a list ("thickening of parenchymal bands
        // and interlobular septa"), and interstitial thickening, which annotators counted here.
        String.raw`\bthicken\w*\b[\w ,-]{0,40}?\binterlobular sept(?:a|al|um)\b`,
        String.raw`\binterstitial (?:thicken\w*|thickness(?: increases?)?)`,
      ]),
    ],
    veto: [/\b(?:interatrial|interventricular|nasal)\b/gi],
  },
];

/** Entity words that are not findings: where, how big, which side. */
export const ANATOMY = rx([
  String.raw`\b(?:right|left|both|bilateral)?\s?(?:lungs?|hemithorax|hemithoraces)\b`,
  String.raw`\b(?:upper|middle|lower) lobes?\b`,
  String.raw`\blingula\w*\b`,
  String.raw`\b(?:apical|apicoposterior|anterior|posterior|lateral|medial|superior|inferior|basal|posterobasal|laterobasal|anteromedial|mediobasal|anterobasal) segments?\b`,
  String.raw`\b(?:mediastin\w*|hil(?:um|ar|us)|trachea|carina|main bronch\w*|bronch(?:us|i)|pleura\w*|fissures?|apex|apices|subpleural|parenchyma\w*|pericardi\w*|aort\w*|coronar\w*|heart|cardiac|esophag\w*|axilla\w*|paratracheal|subcarinal|prevascular|aortopulmonary|supraclavicular|diaphragm\w*|sternum|vena cava|atri(?:um|al)|ventric\w*|pulmonary arter\w*|thora\w*|chest wall)\b`,
]);

export const SIZE = rx([
  String.raw`\b\d+(?:[.,]\d+)?(?:\s?[x×*]\s?\d+(?:[.,]\d+)?)*\s?(?:mm|cm)\b`,
  String.raw`\b(?:millimetric|centimetric|submillimetric|micronodular|small|tiny|large|massive|minimal|mild|moderate|marked|severe)\b`,
]);

export const LATERALITY = rx([String.raw`\b(?:right|left|bilateral(?:ly)?|both|unilateral|ipsilateral|contralateral)\b`]);
