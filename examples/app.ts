/** The demo CDK app: `npx cdk synth --app "npx tsx examples/app.ts"` works too. */
import { App } from 'aws-cdk-lib';
import { PlatformStack } from './platform-stack';

export function buildDemoApp(outdir?: string): App {
  // Path metadata (as the CDK CLI adds it): explain and the summary name principals by construct path.
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } });
  new PlatformStack(app, 'Platform', { env: { account: '111111111111', region: 'eu-west-1' } });
  return app;
}

if (require.main === module) {
  buildDemoApp().synth();
}
