import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real servers for tests, started on loopback from Debian's packages. When a server
 * cannot be started the test fails loudly, naming the package to install.
 */

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function which(binary: string): string | undefined {
  try {
    return execFileSync('which', [binary], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * How a test Redis persists: `always` (AOF, fsync before every reply: the default here),
 * `everysec` (AOF, fsync once a second) or `none` (no AOF and no snapshots).
 */
export type RedisPersistence = 'always' | 'everysec' | 'none';

/** A redis-server of our own on a free loopback port. */
export class RedisServer {
  readonly port: number;
  private process: ChildProcess | undefined;
  private readonly directory = mkdtempSync(join(tmpdir(), 'phasegate-redis-'));
  private readonly persistence: RedisPersistence;

  private constructor(port: number, persistence: RedisPersistence) {
    this.port = port;
    this.persistence = persistence;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(persistence: RedisPersistence = 'always'): Promise<RedisServer> {
    if (!which('redis-server')) {
      throw new Error('redis-server is not installed: these tests need a real server (apt-get install redis-server; .ci/run does this)');
    }
    const server = new RedisServer(await freePort(), persistence);
    try {
      await server.resume();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** (Re)starts the server on the same port. */
  async resume(): Promise<void> {
    this.process = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        ...(this.persistence === 'none' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', this.persistence]),
        '--dir',
        this.directory,
      ],
      { stdio: 'ignore' },
    );
    await waitUntil(() => this.ping(), 10_000, `redis-server on port ${this.port}`);
  }

  private ping(): boolean {
    try {
      return execFileSync('redis-cli', ['-p', String(this.port), 'ping'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() === 'PONG';
    } catch {
      return false;
    }
  }

  /** Kills the server abruptly (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.directory, { recursive: true, force: true });
  }
}

function postgresBinary(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const path = join(root, version, 'bin', name);
    if (existsSync(path)) return path;
  }
  const found = which(name);
  if (found) return found;
  throw new Error(`PostgreSQL's ${name} is not installed: these tests need a real server (apt-get install postgresql; .ci/run does this)`);
}

/** A PostgreSQL cluster of our own (initdb into a temp dir) on a free loopback port. */
export class PostgresServer {
  readonly port: number;
  private readonly directory: string;
  private readonly asPostgres: boolean;

  private constructor(port: number, directory: string, asPostgres: boolean) {
    this.port = port;
    this.directory = directory;
    this.asPostgres = asPostgres;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private run(binary: string, args: string[]): void {
    const command = postgresBinary(binary);
    // PostgreSQL refuses to run as root; CI runs as root, so drop to the postgres user there.
    if (this.asPostgres) execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'pipe' });
    else execFileSync(command, args, { stdio: 'pipe' });
  }

  static async start(): Promise<PostgresServer> {
    const asPostgres = process.getuid?.() === 0;
    const directory = mkdtempSync(join(tmpdir(), 'phasegate-pg-'));
    if (asPostgres) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(directory, uid, gid);
    }
    const server = new PostgresServer(await freePort(), directory, asPostgres);
    try {
      server.run('initdb', ['-D', join(directory, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
      server.resume();
    } catch (error) {
      // A cluster that did not start leaves no temp directory behind.
      server.stop();
      throw error;
    }
    return server;
  }

  /** (Re)starts the cluster on the same port. */
  resume(): void {
    this.run('pg_ctl', [
      '-D',
      join(this.directory, 'data'),
      '-l',
      join(this.directory, 'log'),
      '-w',
      '-o',
      `-p ${this.port} -k ${this.directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      'start',
    ]);
  }

  /** Stops the cluster at once (immediate shutdown: connections are cut, as in a crash). */
  kill(): void {
    try {
      this.run('pg_ctl', ['-D', join(this.directory, 'data'), '-m', 'immediate', '-w', 'stop']);
    } catch {
      // Already stopped.
    }
  }

  /** A fast shutdown (`pg_ctl -m fast`): sessions are terminated with "administrator command", as in a restart or failover. */
  fastStop(): void {
    this.run('pg_ctl', ['-D', join(this.directory, 'data'), '-m', 'fast', '-w', 'stop']);
  }

  /**
   * kill -9 of the postmaster and every backend, as a crash or an OOM kill would do; resolves
   * once they are all gone (the next start then runs crash recovery from the WAL).
   */
  async crash(): Promise<void> {
    const pidFile = join(this.directory, 'data', 'postmaster.pid');
    const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((pid) => pid > 0);
    const pids = [postmaster, ...children];
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    // A zombie (killed, not yet reaped by whoever adopted it) holds nothing: it counts as gone.
    const state = (pid: number): 'gone' | 'zombie' | 'alive' => {
      try {
        return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) ? 'zombie' : 'alive';
      } catch {
        return 'gone';
      }
    };
    await waitUntil(() => pids.every((pid) => state(pid) !== 'alive'), 10_000, 'the killed PostgreSQL processes to exit');
    // PostgreSQL refuses to start while the old postmaster's pid still answers kill(pid, 0), which
    // a zombie does until it is reaped. After a real crash the pid is simply gone; give the reaper
    // a moment, then clear the stale lock files as an operator would.
    await waitUntil(() => state(postmaster) === 'gone', 2000, 'the killed postmaster to be reaped').catch(() => {
      rmSync(pidFile, { force: true });
      rmSync(join(this.directory, `.s.PGSQL.${this.port}.lock`), { force: true });
    });
  }

  stop(): void {
    this.kill();
    rmSync(this.directory, { recursive: true, force: true });
  }
}
