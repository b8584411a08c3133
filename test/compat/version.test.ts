/** Names the aws-cdk-lib the matrix ran against, so a report shows which release was judged. */
import * as fs from 'fs';
import * as path from 'path';

test('aws-cdk-lib version under test', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve('aws-cdk-lib/package.json')), 'package.json'), 'utf8'));
  console.log(`compatibility matrix against aws-cdk-lib ${pkg.version}`);
  expect(pkg.version).toMatch(/^2\./);
});
