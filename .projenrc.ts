import { awscdk, javascript } from 'projen';

/**
 * cdk-kms-patterns: the project definition. package.json, tsconfig*, .eslintrc.json, jest and
 * the task list are generated from this file: edit it, then run `npx projen`.
 */

// aws-cdk-lib 2.257.0 is the newest cloud-assembly version that integ-runner 2.197.10 (the newest
// integ-runner these machines can install) reads; see README "Versions".
const CDK_VERSION = '2.257.0';

/** Folders that hold TypeScript outside src/ (type-checked and linted, never compiled by jsii). */
const EXTRA_TS_DIRS = ['lambda', 'cli', 'bench', 'examples', 'integ', 'build-tools'];

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-kms-patterns',
  description:
    'Approved, least-privilege AWS KMS key patterns for the AWS CDK: ManagedKey with a separated key-policy model, ' +
    'replicas, custom key stores, an XKS proxy, envelope encryption patterns, audit wiring and key-policy linting.',
  author: 'cdk-kms-patterns developers',
  authorAddress: 'maintainers@cdk-kms-patterns.dev',
  repositoryUrl: 'https://github.com/cdk-kms-patterns/cdk-kms-patterns.git',
  keywords: ['aws-cdk', 'cdk', 'kms', 'key-policy', 'envelope-encryption', 'xks', 'cdk-nag'],
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  projenrcTs: true,
  packageManager: javascript.NodePackageManager.NPM,
  minNodeVersion: '20.0.0',

  cdkVersion: CDK_VERSION,
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  // TypeScript 7 breaks ts-jest and typescript-eslint.
  typescriptVersion: '~6.0.0',

  // Only the npm target: the other jsii targets need registries these machines cannot reach.
  // To enable one later, add e.g. `publishToPypi: { distName, module }` here.
  github: false,
  release: false,
  sampleCode: false,
  docgen: true,

  // cdk-nag is optional (see peerDependenciesMeta below): the library loads without it.
  peerDeps: ['cdk-nag@^2.38.1 || ^3.0.0'],
  devDeps: [
    'cdk-nag@~2.38.1',
    '@aws-cdk/integ-runner@2.197.10',
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    'aws-cdk@^2',
    // Test-only: AGPL-licensed, never bundled into anything we ship.
    '@cloud-copilot/iam-simulate',
    '@aws/cloudformation-validate',
    '@cdklabs/cdk-validator-cfnguard',
    'tsx',
    'esbuild',
    'yaml',
    'ajv@^8',
    'ajv-formats',
    'playwright-core',
    // Property-based tests of hostile-input classes.
    'fast-check',
    // A real Markdown renderer for the diff's pull-request comment.
    'marked',
    // Runtime code under lambda/ (bundled by esbuild at build time).
    '@aws-crypto/client-node',
    '@aws-sdk/client-kms',
    '@aws-sdk/client-dynamodb',
    '@aws-sdk/util-dynamodb@^3.996.9',
    '@aws-sdk/client-s3',
    '@aws-sdk/lib-storage',
    '@aws-sdk/client-secrets-manager',
    '@aws-sdk/client-cloudhsm-v2',
    '@aws-lambda-powertools/logger',
    '@types/aws-lambda',
    'pkcs11js',
    // Local servers for handler tests.
    'dynalite',
    's3rver',
  ],

  tsconfigDev: {
    include: ['../src/**/*.ts', ...EXTRA_TS_DIRS.map((dir) => `../${dir}/**/*.ts`)],
    compilerOptions: {},
  },
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', ...EXTRA_TS_DIRS],
  },

  jestOptions: {
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      collectCoverage: false,
      testTimeout: 60_000,
      // The machines have two cores.
      maxWorkers: 2,
    },
  },

  gitignore: [
    '/assets/', // esbuild bundles of lambda/ and cli/, made by the build
    'cdk.out',
    '/examples/cdk.out/',
    '/integ/**/cdk-integ.out.*',
    '/integ/**/*.snapshot/asset.*',
    '/bench/out/',
    '.tmp/',
  ],
});

// The package ships src/ compiled to lib/ and the prebuilt bundles in assets/, nothing else.
const NOT_PACKAGED = ['/lambda/', '/cli/', '/bench/', '/examples/', '/integ/', '/integ.config.json', '/build-tools/', '/.ci/', '/scripts/'];
for (const pattern of [...NOT_PACKAGED, '!/assets/']) {
  project.addPackageIgnore(pattern);
}

// eslint type-aware rules need every linted file in a TypeScript program: test/tsconfig.json covers
// src/, test/ and the folders outside src/; projenrc/tsconfig.json covers .projenrc.ts.
const eslintrc = project.tryFindObjectFile('.eslintrc.json');
eslintrc?.addDeletionOverride('parserOptions.projectService');
eslintrc?.addOverride('parserOptions.project', ['./test/tsconfig.json', './projenrc/tsconfig.json']);
// Cryptographic and binary-protocol code (PRNGs, CIDR masks, PKCS#11 flags) needs bitwise operators.
project.eslint?.addRules({ 'no-bitwise': 'off' });

// cdk-nag is only needed for KmsPatternsChecks; npm installs the library without it.
project.package.addField('peerDependenciesMeta', { 'cdk-nag': { optional: true } });

// `npm ci` on a fresh project: this registry lacks some platform builds of unrs-resolver 1.13.
project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });
// npm 11 blocks dependencies' install scripts unless they are approved here.
project.package.addField('allowScripts', {
  'pkcs11js': true,
  '@parcel/watcher': true,
  'classic-level': true,
  'esbuild': true,
  'unrs-resolver': true,
});

// The `cdk-kms-patterns` CLI ships as one esbuild bundle.
project.addBins({ 'cdk-kms-patterns': 'assets/cli/index.js' });

// Bundle lambda/ and cli/ into assets/ before jsii compiles, so tests, the demo and the package
// all use the same prebuilt assets and users never need esbuild or Docker at synth.
const bundle = project.addTask('bundle', {
  description: 'Bundle lambda/ handlers and the CLI into assets/ with esbuild',
  exec: 'tsx build-tools/bundle.ts',
});
project.preCompileTask.spawn(bundle);

// Integ tests (options in integ.config.json): with no AWS account, integ-runner verifies the
// committed snapshots; with credentials, `npx integ-runner --force` deploys them and runs their
// IntegTest assertions.
const integ = project.addTask('integ', {
  description: 'Verify the integ/ snapshots',
  exec: 'integ-runner',
});
project.addTask('integ:update', {
  description: 'Re-synthesize integ/ snapshots without deploying',
  exec: 'integ-runner --update-on-failed --dry-run',
});

const typecheck = project.addTask('typecheck', {
  description: 'Type-check everything outside src/ (lambda, cli, tests, bench, examples, integ)',
  exec: 'tsc --noEmit -p test/tsconfig.json',
});
project.testTask.spawn(typecheck);
project.testTask.spawn(integ);

// The compatibility matrix (test/compat) again, against the newest aws-cdk-lib 2.x the registry
// serves, installed into the gitignored .tmp/ (the pinned release runs in the main jest run).
const compatLatest = project.addTask('test:compat-latest', {
  description: 'Run the aws-cdk-lib compatibility matrix against the newest aws-cdk-lib 2.x',
  steps: [
    { exec: 'bash scripts/compat-install.sh' },
    { exec: 'jest --config test/compat/jest.latest.config.js --ci --passWithNoTests' },
  ],
});
project.testTask.spawn(compatLatest);

// README Quick start, line 2: system packages, then the whole build (bundle, jsii, API.md, jest,
// eslint, type-check, integ snapshots, package).
project.addTask('test:all', {
  description: 'Install the system packages the tests need, then build and run every test',
  steps: [{ exec: 'bash scripts/install-system-deps.sh' }, { spawn: 'build' }],
});

// README Quick start, line 1: synthesize examples/ and print what every key allows.
project.addTask('demo', {
  description: 'Synthesize the demo app in examples/ and print its keys, who can do what, and lint findings',
  steps: [{ spawn: 'bundle' }, { exec: 'tsx examples/demo.ts' }],
});

project.addTask('bench', {
  description: 'Run the benchmarks in bench/ (each prints its figures beside its baseline)',
  steps: [{ spawn: 'bundle' }, { exec: 'tsx bench/run.ts' }],
});

project.synth();
