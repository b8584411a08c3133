/**
 * Jest configuration that runs the compatibility matrix (and the action-catalogue scan of
 * aws-cdk-lib's action names) against the newest aws-cdk-lib 2.x, which scripts/compat-install.sh
 * installs into .tmp/aws-cdk-lib-latest. Everything else is the project's jest configuration.
 * Run it with `npx projen test:compat-latest`.
 */
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', '..');
const latest = path.join(root, '.tmp', 'aws-cdk-lib-latest', 'node_modules', 'aws-cdk-lib');
if (!fs.existsSync(path.join(latest, 'package.json'))) {
  throw new Error(`no aws-cdk-lib in ${latest}: run bash scripts/compat-install.sh first`);
}
const base = require(path.join(root, 'package.json')).jest;

module.exports = {
  ...base,
  rootDir: root,
  testMatch: ['<rootDir>/test/compat/**/*.test.ts', '<rootDir>/test/key/action-catalogue.test.ts'],
  // Every import of aws-cdk-lib (ours, the tests', the support code's) gets the newest release.
  moduleNameMapper: { '^aws-cdk-lib$': latest, '^aws-cdk-lib/(.*)$': `${latest}/$1` },
  // The main run's test-reports/junit.xml is what CI counts; this run reports beside it.
  reporters: ['default', ['jest-junit', { outputDirectory: 'test-reports', outputName: 'junit-compat-latest.xml' }]],
};
