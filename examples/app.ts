/** The demo CDK app: `npx cdk synth --app "npx tsx examples/app.ts"` works too. */
import { App } from 'aws-cdk-lib';
import { AuditStack } from './audit-stack';
import { PlatformStack } from './platform-stack';

export function buildDemoApp(outdir?: string): App {
  const app = new App({ outdir });
  const env = { account: '111111111111', region: 'eu-west-1' };
  const platform = new PlatformStack(app, 'Platform', { env });
  new AuditStack(app, 'Audit', { env, watchedKeys: platform.auditedKeys, keyAdministrator: platform.operatorRole });
  return app;
}

if (require.main === module) {
  buildDemoApp().synth();
}
