/**
 * A minimal request handler calling `isEnabled` (run: npx tsx examples/request-handler/server.ts).
 * `isEnabled` is a synchronous read of the in-memory snapshot: no await, no network, never throws.
 */
import { createServer } from 'node:http';
import { MemoryStore, createPhasegate } from 'phasegate';

const gate = await createPhasegate({ store: new MemoryStore() });
await gate.flags.create({ key: 'new-checkout', state: 'rollout', strategy: { type: 'percentage', percentage: 50 } });
gate.events.on('evaluation:error', ({ flagKey, error }) => console.warn(`flag ${flagKey} failed: ${error.message}`));

const server = createServer((request, response) => {
  const userId = request.headers['x-user-id'];
  const context = typeof userId === 'string' ? { userId } : {};
  const checkout = gate.isEnabled('new-checkout', context) ? 'new' : 'classic';
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ checkout, why: gate.evaluate('new-checkout', context).reason }));
});

server.listen(3000, '127.0.0.1', () => console.log('listening on http://127.0.0.1:3000 (try: curl -H "x-user-id: u-1" ...)'));
