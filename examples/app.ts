/** The demo CDK app: `npx cdk synth --app "npx tsx examples/app.ts"` works too. */
import { App, Stack } from 'aws-cdk-lib';
import { AuditStack } from './audit-stack';
import { PlatformStack } from './platform-stack';

const ACCOUNT = '111111111111';
/** Regions that hold replicas of the backup key (the primary is in eu-west-1). */
export const DR_REGIONS = ['eu-central-1', 'us-east-1'];

export function buildDemoApp(outdir?: string): App {
  // Path metadata (as the CDK CLI adds it): explain and the summary name principals by construct path.
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } });
  const env = { account: ACCOUNT, region: 'eu-west-1' };
  const platform = new PlatformStack(app, 'Platform', { env });
  // One stack per DR Region; `cdk deploy --all` deploys them after Platform (they read its key's ARN).
  for (const region of DR_REGIONS) {
    platform.backupKey.replicateTo(new Stack(app, `PlatformDr-${region}`, { env: { account: ACCOUNT, region } }));
  }
  new AuditStack(app, 'Audit', { env, watchedKeys: platform.auditedKeys, keyAdministrator: platform.operatorRole });
  return app;
}

if (require.main === module) {
  buildDemoApp().synth();
}
