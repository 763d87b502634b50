import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultNumberPlan, planMarkdownTable } from '@pbx/dialplan';

describe('apps/cli/README.md', () => {
  it('shows the feature code table exactly as planMarkdownTable prints the default plan', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Feature codes'),
      readme.indexOf('## Output and exit status'),
    );
    expect(section.length).toBeGreaterThan(0);
    const table = section
      .split('\n')
      .filter((line) => line.startsWith('|'))
      .join('\n');
    expect(table).toBe(planMarkdownTable(defaultNumberPlan()));
  });

  it('the root README shows the same table', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const start = readme.indexOf('## Feature codes');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const table = section
      .split('\n')
      .filter((line) => line.startsWith('|'))
      .join('\n');
    expect(table).toBe(planMarkdownTable(defaultNumberPlan()));
  });
});
