/**
 * The HTML page in headless Chromium (Debian's chromium via playwright-core): it loads with no
 * console errors and no network requests, and shows the matrix.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, BrowserContext } from 'playwright-core';
import { explainFixtures } from './matrix-support';
import { renderHtml } from '../../../src/access/explain';

const CHROMIUM = '/usr/bin/chromium';
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'explain-chromium-'));
const pageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'explain-page-'));
let browser: BrowserContext;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-system-deps.sh`);
  // A fresh profile (--user-data-dir) via launchPersistentContext, which passes it to Chromium.
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
  fs.rmSync(pageDir, { recursive: true, force: true });
});

test('the page loads without console errors or network requests and shows every matrix', async () => {
  const file = path.join(pageDir, 'explain.html');
  fs.writeFileSync(file, renderHtml(explainFixtures('iam-delegated.json', 'strict.yaml')));
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('request', (request) => requests.push(request.url()));

  await page.goto(`file://${file}`, { waitUntil: 'load' });

  expect(problems).toEqual([]);
  expect(requests).toEqual([`file://${file}`]);
  const tables = page.locator('table.matrix');
  expect(await tables.count()).toBe(3);
  await expect(tables.first().isVisible()).resolves.toBe(true);
  const headers = await tables.first().locator('thead th').allTextContents();
  expect(headers).toEqual(['principal', 'administer', 'change policy', 'delete', 'disable', 'encrypt', 'decrypt', 'sign', 'verify', 'MAC', 'derive', 'create grant']);
  const reader = tables.first().locator('tbody tr', { hasText: 'iam-delegated/ReaderRole' });
  await expect(reader.locator('td.partial').textContent()).resolves.toBe('◐ partly (kms:Decrypt)via IAM');
  const app = tables.first().locator('tbody tr', { hasText: 'iam-delegated/AppRole' });
  await expect(app.locator('td.conditional li').first().textContent()).resolves.toBe('StringEquals kms:ViaService = dynamodb.${AWS::Region}.amazonaws.com');
  // Styled: an allowed cell is green, not the default transparent background.
  type Styles = { getComputedStyle(element: unknown): { backgroundColor: string } };
  const allowed = await tables.first().locator('td.allowed').first().evaluate((el) => (globalThis as unknown as Styles).getComputedStyle(el).backgroundColor);
  expect(allowed).toBe('rgb(218, 251, 225)');
  await page.close();
});

test('principal names from the template are escaped, not interpreted', async () => {
  const page = await browser.newPage();
  const html = renderHtml({
    capabilities: [{ id: 'decrypt', label: 'decrypt' }],
    keys: [{
      stackName: '<b>S</b>',
      logicalId: 'K',
      unresolved: ['<img src=x onerror=alert(1)>'],
      resourceType: 'AWS::KMS::Key',
      keySpec: 'SYMMETRIC_DEFAULT',
      keyUsage: 'ENCRYPT_DECRYPT',
      rows: [{ principal: '<img src=x onerror=alert(1)>', source: 'key-policy', cells: { decrypt: { status: 'denied', conditions: [], allowedActions: [] } } }],
    }],
  });
  await page.setContent(html);
  expect(await page.locator('img').count()).toBe(0);
  await expect(page.locator('tbody th').textContent()).resolves.toContain('<img src=x onerror=alert(1)>');
  await page.close();
});
