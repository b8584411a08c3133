/**
 * The packed library in a fresh consumer app, as a user installs it: aws-cdk-lib 2.257.0 (our
 * floor) and the newest 2.x the registry serves, each with cdk-nag 2, cdk-nag 3 and no cdk-nag.
 * Every TypeScript example of the README is compiled as written (strict, its own imports, the
 * library's .d.ts checked) and synthesized as `cdk synth` would, without AWS credentials; so a
 * missing export, an example that does not compile, a lookup that needs credentials or a hard
 * dependency on cdk-nag fails here. Needs the build (lib/, assets/) and the npm registry.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assemblyProblems, compile, consumerProject, newestAwsCdkLib, packLibrary, ROOT, synth, Variant, writeTsconfig } from './consumer-app';
import { applies, ReadmeExample, readmeExamples } from './readme-examples';

const README_EXAMPLES = readmeExamples(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf-8'));
const FLOOR = '2.257.0';

test('the README has TypeScript examples, each a complete program importing from cdk-kms-patterns', () => {
  expect(README_EXAMPLES.length).toBeGreaterThanOrEqual(6);
  for (const example of README_EXAMPLES) {
    expect({ line: example.line, imports: /from 'cdk-kms-patterns';/.test(example.code) }).toEqual({ line: example.line, imports: true });
    expect({ line: example.line, app: /new App\(/.test(example.code) }).toEqual({ line: example.line, app: true });
  }
});

describe('the packed library in a consumer app', () => {
  let tarball: string;
  let newest: string;
  beforeAll(() => {
    tarball = packLibrary();
    newest = newestAwsCdkLib();
  }, 300_000);

  // Each aws-cdk-lib release, each cdk-nag major and no cdk-nag at least once (three installs keep CI
  // within its time; the nag packs themselves run against both majors in test/lint).
  test.each([
    ['floor', '2'], ['newest', '3'], ['floor', undefined],
  ] as const)('aws-cdk-lib %s, cdk-nag %s: every README example compiles and synthesizes', async (cdkLib, cdkNag) => {
    const variant: Variant = { awsCdkLib: cdkLib === 'floor' ? FLOOR : newest, cdkNag };
    const dir = consumerProject(variant, tarball);
    expect(fs.existsSync(path.join(dir, 'node_modules', 'cdk-nag'))).toBe(cdkNag !== undefined);

    const installed = { awsCdkLib: variant.awsCdkLib, cdkNagMajor: cdkNag && (Number(cdkNag) as 2 | 3) };
    const examples = README_EXAMPLES.filter((example) => applies(example, installed));
    fs.rmSync(path.join(dir, 'examples'), { recursive: true, force: true });
    fs.rmSync(path.join(dir, 'out'), { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, 'examples'));
    for (const example of examples) fs.writeFileSync(path.join(dir, 'examples', `${example.name}.ts`), example.code);
    // Declaration files (ours included: no cdk-nag types may leak into them) are checked without cdk-nag.
    writeTsconfig(dir, examples.map((example) => `examples/${example.name}.ts`), cdkNag !== undefined);
    expect(compile(dir)).toBe('');

    const problems = await inPairs(examples, async (example: ReadmeExample) => {
      const { code, output, outdir } = await synth(dir, example.name);
      const found = code === 0 ? assemblyProblems(outdir) : [`exit code ${code}: ${output.slice(-3000)}`];
      return found.map((problem) => `README line ${example.line} (${example.section}): ${problem}`);
    });
    expect(problems.flat()).toEqual([]);
  }, 900_000); // an install of aws-cdk-lib, one compile and six synths; minutes on a busy two-core machine
});

/** Runs `task` over `items` two at a time (the machines have two cores). */
async function inPairs<T, R>(items: readonly T[], task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}
