/**
 * `cdk-kms-patterns diff BASE HEAD`: what a change does to key access, offline. BASE and HEAD are
 * each a cloud assembly (cdk.out, nested stages included), a folder of templates, or one template.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { environmentOf, stackEnvironments } from './explain';
import { DIFF_FORMATS, DiffFormat, DiffOutput, formatDiff } from './format/diff';
import { CliIo, EXIT_FINDINGS, EXIT_OK, UsageError } from './io';
import { LoadedTemplate, LoadError, loadInputs, loadTemplateFile } from './load';
import { AllowRule, AllowRuleError, applyAllowRules, diffTemplates, FailOn, parseAllowRule, verdictOf } from '../src/access/diff';
import { ExplainInput } from '../src/access/explain';

export const DIFF_USAGE = `Usage: cdk-kms-patterns diff BASE HEAD [options]

Compares the KMS keys of two versions of an app, offline, with the evaluator behind 'explain':
keys added, removed or replaced (and whether key material gets deleted), principals who gain or
lose a capability, conditions that widen or narrow (encryption context, kms:ViaService,
kms:CallerAccount, ...), posture (STRICT / IAM_DELEGATED), rotation and deletion protection, and
lint findings that HEAD adds.

BASE and HEAD: a cloud assembly directory (cdk.out), a folder of templates (*.json, *.yaml,
*.yml, *.template), or one template file. Keys are matched by stack and logical id, then by alias.

Options:
  -f, --format <text|markdown|json|sarif>  output (default: text); markdown is written for a
                                           pull-request comment, json follows schemas/diff-report.v1.json
      --fail-on <error|warning|none>       lowest severity of a new lint finding that fails (default: error)
      --allow <principal-pattern:capability>
                                           accepted new access (repeatable), e.g. 'App/Reader*:decrypt',
                                           'arn:aws:iam::111111111111:role/ci:*'; * and ? are wildcards
      --account <id>, --region <r>         the account and Region the templates deploy to, when they
                                           spell them literally (default: the cloud assemblies' environments)
  -h, --help                               show this help

Capabilities: administer, change-policy, delete, disable, encrypt, decrypt, sign, verify, mac,
derive, create-grant.

Exit codes: 0 no new access, 1 new access that no --allow accepts or new lint findings at
--fail-on, 2 unusable input or arguments.
`;

const TEMPLATE_FILE = /\.(json|ya?ml|template)$/i;

/** One side: a cloud assembly, a folder of templates, or a template file. */
export function loadSide(input: string): LoadedTemplate[] {
  const absolute = path.resolve(input);
  if (!fs.existsSync(absolute)) throw new LoadError(`${input}: no such file or directory`);
  if (!fs.statSync(absolute).isDirectory() || fs.existsSync(path.join(absolute, 'manifest.json'))) return loadInputs([input]);
  const files = fs.readdirSync(absolute).filter((name) => TEMPLATE_FILE.test(name) && fs.statSync(path.join(absolute, name)).isFile()).sort();
  if (files.length === 0) throw new LoadError(`${input}: neither a cloud assembly (no manifest.json) nor a folder of templates (no *.json, *.yaml, *.yml or *.template file)`);
  return files.map((name) => loadTemplateFile(path.join(absolute, name)));
}

function explainInputs(input: string, templates: LoadedTemplate[], account?: string, region?: string): ExplainInput[] {
  const environments = stackEnvironments([input]);
  return templates.map(({ stackName, template }) => {
    const environment = environmentOf(environments, stackName);
    return { stackName, template, account: account ?? environment.account, region: region ?? environment.region };
  });
}

export async function runDiff(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'format': { type: 'string', short: 'f', default: 'text' },
      'fail-on': { type: 'string', default: 'error' },
      'allow': { type: 'string', multiple: true, default: [] },
      'account': { type: 'string' },
      'region': { type: 'string' },
      'help': { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(DIFF_USAGE);
    return EXIT_OK;
  }
  const format = values.format as DiffFormat;
  if (!DIFF_FORMATS.includes(format)) throw new UsageError(`unknown --format '${values.format}' (${DIFF_FORMATS.join(', ')})`);
  const failOn = values['fail-on'] as FailOn;
  if (!['error', 'warning', 'none'].includes(failOn)) throw new UsageError(`unknown --fail-on '${failOn}' (error, warning or none)`);
  if (values.account !== undefined && !/^\d{12}$/.test(values.account)) throw new UsageError(`--account takes a 12-digit account id (got '${values.account}')`);
  if (values.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(values.region)) throw new UsageError(`--region takes a Region name such as eu-west-1 (got '${values.region}')`);
  if (positionals.length !== 2) throw new UsageError(`diff takes two inputs, BASE and HEAD (got ${positionals.length})`);
  let rules: AllowRule[];
  try {
    rules = values.allow.map(parseAllowRule);
  } catch (error) {
    if (error instanceof AllowRuleError) throw new UsageError(error.message);
    throw error;
  }

  const [baseInput, headInput] = positionals;
  const base = loadSide(baseInput);
  const head = loadSide(headInput);
  const result = applyAllowRules(diffTemplates(
    explainInputs(baseInput, base, values.account, values.region),
    explainInputs(headInput, head, values.account, values.region),
  ), rules);
  const verdict = verdictOf(result, failOn);
  const output: DiffOutput = { result, verdict, base, head, allow: rules.map((r) => r.text) };
  io.stdout(formatDiff(output, format));
  return verdict.failing ? EXIT_FINDINGS : EXIT_OK;
}
