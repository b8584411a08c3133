/**
 * The README's TypeScript examples, as a user copies them: every fenced block whose info string
 * starts with `ts`. Words after `ts` state what the example needs, e.g. ```` ```ts cdk-nag@3 aws-cdk-lib@>=2.258.0 ````:
 * `cdk-nag@2` / `cdk-nag@3` (that major installed), `aws-cdk-lib@>=<version>`.
 */

export interface ReadmeExample {
  /** `readme-<n>-<section>`: a file name. */
  readonly name: string;
  /** The README heading the example sits under. */
  readonly section: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
  readonly requires: readonly string[];
}

/** What a consumer app has installed. */
export interface Installed {
  readonly awsCdkLib: string;
  /** cdk-nag's major, or undefined when it is not installed. */
  readonly cdkNagMajor?: 2 | 3;
}

export function readmeExamples(markdown: string): ReadmeExample[] {
  const examples: ReadmeExample[] = [];
  const lines = markdown.split('\n');
  let section = 'top';
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{1,6}\s+(.*)$/.exec(lines[i]);
    if (heading) section = heading[1];
    const fence = /^```(\S*)\s*(.*)$/.exec(lines[i]);
    if (!fence) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`README line ${i + 1}: unclosed code block`);
    if (fence[1] === 'ts' || fence[1] === 'typescript') {
      const slug = section.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
      examples.push({
        name: `readme-${examples.length + 1}-${slug}`,
        section,
        line: i + 1,
        code: lines.slice(i + 1, end).join('\n') + '\n',
        requires: fence[2].split(/\s+/).filter((word) => word !== ''),
      });
    }
    i = end;
  }
  return examples;
}

/** Whether the example's requirements hold for what is installed; throws on a requirement it does not know. */
export function applies(example: ReadmeExample, installed: Installed): boolean {
  return example.requires.every((requirement) => {
    const nag = /^cdk-nag@([23])$/.exec(requirement);
    if (nag) return installed.cdkNagMajor === Number(nag[1]);
    const minimum = /^aws-cdk-lib@>=(\d+\.\d+\.\d+)$/.exec(requirement);
    if (minimum) return compareVersions(installed.awsCdkLib, minimum[1]) >= 0;
    throw new Error(`README example at line ${example.line}: unknown requirement '${requirement}'`);
  });
}

/** Compares `x.y.z` versions numerically. */
export function compareVersions(a: string, b: string): number {
  const [pa, pb] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}
