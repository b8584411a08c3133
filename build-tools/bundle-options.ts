/**
 * The esbuild options of every shipped bundle, shared with tests that bundle code the same way.
 */
import * as path from 'node:path';
import { BuildOptions } from 'esbuild';

/** Native modules stay external: they are installed next to the bundle where it runs. */
const NATIVE_MODULES = ['pkcs11js'];

export const BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  external: NATIVE_MODULES,
  logLevel: 'warning',
  // Deterministic output: no absolute paths or timestamps end up in the bundle.
  absWorkingDir: path.resolve(__dirname, '..'),
  // Prefer packages' ES module builds: esbuild can drop what is not used from them (the AWS SDK and
  // the Encryption SDK ship both), which keeps every function bundle under 1 MB.
  mainFields: ['module', 'main'],
};
