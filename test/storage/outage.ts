import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { expect, vi } from 'vitest';
import { Collections, createPhasegate, StoreError, type Store } from '../../src/index.js';

export interface Killable {
  kill(): void | Promise<void>;
  resume(): void | Promise<void>;
}

/**
 * Kill the server under two clients: evaluation keeps answering from the snapshot, the
 * outage is reported, writes fail clearly, and after a restart the clients resynchronise.
 */
export async function outageScenario(openStore: () => Store, server: Killable): Promise<void> {
  const writer = await createPhasegate({ store: openStore() });
  const reader = await createPhasegate({ store: openStore() });
  const seen: string[] = [];
  reader.events.on('store:unavailable', () => seen.push('unavailable'));
  reader.events.on('store:available', () => seen.push('available'));
  try {
    const key = `outage-${Date.now()}`;
    await writer.flags.create({ key, state: 'rollout', strategy: { type: 'percentage', percentage: 100 } });
    await vi.waitFor(() => expect(reader.isEnabled(key, { userId: 'u' })).toBe(true), { timeout: 2000 });

    await server.kill();
    await vi.waitFor(() => expect(seen).toContain('unavailable'), { timeout: 10_000 });
    expect(reader.storeIsAvailable).toBe(false);
    for (let i = 0; i < 100; i++) expect(reader.isEnabled(key, { userId: `u-${i}` })).toBe(true);
    await expect(writer.flags.update(key, { state: 'disabled' })).rejects.toThrow(StoreError);
    expect(reader.isEnabled(key, { userId: 'u' })).toBe(true);

    await server.resume();
    await vi.waitFor(() => expect(seen).toContain('available'), { timeout: 15_000 });
    expect(reader.storeIsAvailable).toBe(true);
    // A change made after the restart reaches the reader (by notification or by the resync).
    await vi.waitFor(() => writer.flags.update(key, { state: 'disabled' }), { timeout: 10_000, interval: 200 });
    await vi.waitFor(() => expect(reader.isEnabled(key, { userId: 'u' })).toBe(false), { timeout: 5000 });
    expect(seen.indexOf('unavailable')).toBeLessThan(seen.indexOf('available'));
  } finally {
    await Promise.all([writer.close(), reader.close()]);
  }
}

/** A second client follows the first through notification (polling is not involved). */
export async function followsThroughNotification(openStore: () => Store): Promise<void> {
  const first = await createPhasegate({ store: openStore() });
  const second = await createPhasegate({ store: openStore() });
  try {
    const remote: string[] = [];
    second.events.on('flag:changed', ({ key, source }) => remote.push(`${source}:${key}`));
    // No settling delay: a client is following the store as soon as createPhasegate resolves.
    const key = `follow-${Date.now()}`;
    await first.flags.create({ key, state: 'enabled' });
    await vi.waitFor(() => expect(second.isEnabled(key)).toBe(true), { timeout: 1000 });
    await first.flags.update(key, { state: 'disabled' });
    await vi.waitFor(() => expect(second.isEnabled(key)).toBe(false), { timeout: 1000 });
    expect(remote.filter((entry) => entry === `remote:${key}`)).toHaveLength(2);
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
}

const hostWorker = new URL('../support/host-worker.mjs', import.meta.url).pathname;

interface HostResult {
  evaluations: number;
  isEnabledThrows: string[];
  wrongAnswers: number;
  acked: string[];
  ackedAfterRecovery: number;
  ambiguous: number;
  storeErrors: number;
  errorsAfterRecovery: string[];
  unexpectedErrors: string[];
  statuses: string[];
}

/** One host process (test/support/host-worker.mjs) and what it has said so far. */
class Host {
  readonly events: string[] = [];
  result: HostResult | undefined;
  /** Set once the process has exited. */
  exit: { code: number | null; signal: NodeJS.Signals | null; stderr: string } | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  private readonly child: ChildProcess;

  constructor(kind: 'redis' | 'postgres', url: string, prefix: string, lanes: number, name: string) {
    this.child = spawn(process.execPath, [hostWorker, kind, url, prefix, String(lanes), name], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    this.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as { event: string } & HostResult;
      this.events.push(message.event);
      if (message.event === 'result') this.result = message;
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal, stderr };
        resolve(this.exit);
      }),
    );
  }

  /** Fails at once, with what the host printed, if it died before being told to stop. */
  assertAlive(): void {
    if (this.exit) throw new Error(`a host process died (exit code ${this.exit.code}, signal ${this.exit.signal}):\n${this.exit.stderr.slice(0, 2000)}`);
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.stdin!.end('stop\n');
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Options for {@link hostsSurviveOutage}. */
export interface HostOutageOptions {
  readonly kind: 'redis' | 'postgres';
  readonly url: string;
  /** A store on the server, for seeding and for checking what it holds after the restart. */
  readonly openStore: () => Store;
  /** Takes the server down (fast shutdown, kill -9, …). */
  readonly outage: () => void | Promise<void>;
  /** Brings it back. */
  readonly restart: () => void | Promise<void>;
  readonly hosts?: number;
  readonly lanes?: number;
}

/**
 * Host processes keep serving while their server goes down and comes back: no host dies, no
 * `isEnabled` call throws or answers wrong, writes fail only with `StoreError` while it is down,
 * writes work again after the restart, and every acknowledged write is in the store afterwards.
 */
export async function hostsSurviveOutage(options: HostOutageOptions): Promise<void> {
  const prefix = `host-${options.kind}-${Date.now().toString(36)}`;
  const seeder = await createPhasegate({ store: options.openStore() });
  await seeder.flags.create({ key: `${prefix}-on`, state: 'enabled' });
  await seeder.close();

  const hosts = Array.from({ length: options.hosts ?? 2 }, (_, index) => new Host(options.kind, options.url, prefix, options.lanes ?? 4, `h${index}`));
  try {
    await vi.waitFor(() => expect(hosts.every((host) => host.assertAlive() ?? host.events.includes('ready'))).toBe(true), { timeout: 20_000, interval: 50 });
    await new Promise((resolve) => setTimeout(resolve, 800));
    await options.outage();
    try {
      await vi.waitFor(() => expect(hosts.every((host) => host.assertAlive() ?? host.events.includes('unavailable'))).toBe(true), { timeout: 10_000, interval: 50 });
      await new Promise((resolve) => setTimeout(resolve, 800));
    } finally {
      // Whatever happened to the hosts, the server comes back for the tests after this one.
      await options.restart();
    }
    await vi.waitFor(() => expect(hosts.every((host) => host.assertAlive() ?? host.events.lastIndexOf('available') > host.events.indexOf('unavailable'))).toBe(true), {
      timeout: 20_000,
      interval: 50,
    });
    await new Promise((resolve) => setTimeout(resolve, 800));
    for (const host of hosts) host.assertAlive();
  } finally {
    for (const host of hosts) host.stop();
  }
  const exits = await Promise.race([
    Promise.all(hosts.map((host) => host.exited)),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('hosts did not exit within 20 s of "stop"')), 20_000)),
  ]).finally(() => hosts.forEach((host) => host.kill()));

  for (const exit of exits) expect({ code: exit.code, signal: exit.signal, stderr: exit.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
  const results = hosts.map((host) => host.result!);
  for (const result of results) {
    expect(result.isEnabledThrows).toEqual([]);
    expect(result.wrongAnswers).toBe(0);
    expect(result.evaluations).toBeGreaterThan(1000);
    expect(result.unexpectedErrors).toEqual([]);
    expect(result.storeErrors).toBeGreaterThan(0);
    expect({ ackedAfterRecovery: result.ackedAfterRecovery > 0, errorsAfterRecovery: result.errorsAfterRecovery }).toEqual({
      ackedAfterRecovery: true,
      errorsAfterRecovery: [],
    });
  }

  // Zero acknowledged writes lost: every acked create is in the store after the restart.
  const checker = options.openStore();
  try {
    const stored = new Set<string>();
    let after: string | undefined;
    for (;;) {
      const page = await checker.list(Collections.flags, { prefix: `${prefix}-h`, ...(after === undefined ? {} : { after }) });
      for (const record of page) stored.add(record.key);
      if (page.length === 0) break;
      after = page[page.length - 1]!.key;
    }
    const acked = results.flatMap((result) => result.acked);
    expect(acked.length).toBeGreaterThan(0);
    expect(acked.filter((key) => !stored.has(key))).toEqual([]);
  } finally {
    await checker.close();
  }
}
