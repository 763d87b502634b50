import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  defaultCodes,
  describePlan,
  defaultNumberPlan,
  planMarkdownTable,
  FEATURE_IDS,
} from '@pbx/dialplan';

describe('describePlan', () => {
  it('lists every feature once, in code-table order', () => {
    expect(describePlan(defaultNumberPlan()).map((r) => r.feature)).toEqual([...FEATURE_IDS]);
  });

  const cases: Array<[string, string | null, string]> = [
    ['forward.clear', '600', '600'],
    ['forward.all', '601', '601 + station, trunk code + number, or voice-mail code'],
    ['dnd', '40', '40 + 1 (on) / 0 (off)'],
    ['park', '11', '11 + station'],
    ['parkRetrieve', '12', '12 + station'],
    ['pickup.group', '14', '14 + pickup group'],
    ['pickup.myGroup', null, '(unassigned)'],
  ];
  it.each(cases)('%s: code %s, dialled as %s', (feature, code, dial) => {
    const row = describePlan(defaultNumberPlan()).find((r) => r.feature === feature);
    expect(row).toMatchObject({ code, dial });
  });

  it('shows the code in force next to the default', () => {
    const rows = describePlan({ codes: { ...defaultCodes(), dnd: '48', conference: null } });
    expect(rows.find((r) => r.feature === 'dnd')).toMatchObject({
      code: '48',
      defaultCode: '40',
      dial: '48 + 1 (on) / 0 (off)',
    });
    expect(rows.find((r) => r.feature === 'conference')).toMatchObject({
      code: null,
      defaultCode: '46',
      dial: '(unassigned)',
    });
  });

  it('gives the manual names HOLD, HOLDPK, DND and MYGPICK', () => {
    const names = Object.fromEntries(
      describePlan(defaultNumberPlan()).map((r) => [r.feature, r.officeServName]),
    );
    expect(names).toMatchObject({
      park: 'HOLD',
      parkRetrieve: 'HOLDPK',
      dnd: 'DND',
      'pickup.myGroup': 'MYGPICK',
    });
  });
});

describe('README', () => {
  it('holds the default code table exactly as planMarkdownTable prints it', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    expect(readme).toContain(planMarkdownTable(defaultNumberPlan()));
  });
});
