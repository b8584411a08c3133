/**
 * The child side of servers-process.ts: the local KMS server and dynalite in their own process,
 * driven over the IPC channel. Not run directly.
 */
import { startDynalite } from '../../test/support/dynalite';
import { LocalKmsServer } from '../../test/support/kms-server';

type Request = { id: number; op: 'createKey' | 'setLatency' | 'resetCalls' | 'totalCalls' | 'stop'; ms?: number };

async function main(): Promise<void> {
  const [kms, db] = await Promise.all([LocalKmsServer.start(), startDynalite()]);
  const answer = (id: number, value: unknown) => process.send!({ id, value });
  process.on('message', (request: Request) => {
    switch (request.op) {
      case 'createKey': return answer(request.id, kms.createKey());
      case 'setLatency': kms.setLatency(request.ms ?? 0); return answer(request.id, null);
      case 'resetCalls': kms.resetCalls(); return answer(request.id, null);
      case 'totalCalls': return answer(request.id, kms.totalCalls);
      case 'stop':
        void Promise.all([kms.stop(), db.stop()]).then(() => {
          answer(request.id, null);
          process.disconnect();
        });
        return undefined;
    }
  });
  // A parent that dies (a killed benchmark) closes the channel: do not outlive it.
  process.once('disconnect', () => process.exit(0));
  process.send!({ ready: { kmsEndpoint: kms.endpoint, region: kms.region, credentials: kms.credentials, dynamoEndpoint: db.endpoint } });
}

void main();
