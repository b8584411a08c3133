import * as fs from 'fs';
import * as path from 'path';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { IConstruct } from 'constructs';
import { fail } from './validation';

/** Where `npx projen bundle` puts the proxy and its Dockerfile (same depth from src/xks and lib/xks). */
export const BUNDLED_PROXY_DIR = path.join(__dirname, '..', '..', 'assets', 'xks-proxy', 'server');

/**
 * The bundled proxy as a Docker image asset. Synth only stages the folder; Docker builds the image
 * when the asset is published (cdk deploy), never at synth.
 */
export function bundledProxyImage(scope: IConstruct, directory = BUNDLED_PROXY_DIR): ecs.ContainerImage {
  if (!fs.existsSync(path.join(directory, 'Dockerfile'))) {
    fail(scope, `the bundled XKS proxy image is missing (${directory}/Dockerfile)`,
      'Run `npx projen bundle`, or pass `image` with a prebuilt proxy image.');
  }
  return ecs.ContainerImage.fromAsset(directory, { platform: Platform.LINUX_AMD64 });
}
