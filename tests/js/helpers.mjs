// Shared helpers for the JavaScript client tests.
//
// DYNALITH_ENDPOINT  endpoint of the server under test (e.g. http://127.0.0.1:8000), required.
// DYNALITH_BIN       the dynalith binary tests start servers of their own from (default:
//                    ../../target/debug/dynalith, or $CARGO_TARGET_DIR/debug/dynalith).
// DYNALITH_SKIP      tokens (comma/space separated) naming features to skip, e.g. "query,gsi,transact,condition,partiql,streams,kinesis".
import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  DynamoDBClient,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
} from '@aws-sdk/client-dynamodb';

export function endpoint() {
  const ep = process.env.DYNALITH_ENDPOINT;
  if (!ep) {
    throw new Error('DYNALITH_ENDPOINT is not set (e.g. DYNALITH_ENDPOINT=http://127.0.0.1:8000)');
  }
  return ep;
}

// The only client configuration the tests use: endpoint, region and dummy credentials.
export function clientConfig() {
  return {
    endpoint: endpoint(),
    region: 'us-east-1',
    credentials: { accessKeyId: 'dummy', secretAccessKey: 'dummy' },
  };
}

export function makeClient() {
  return new DynamoDBClient(clientConfig());
}

/** Returns a skip reason (truthy) when DYNALITH_SKIP names `token`, otherwise false. */
export function skipFor(token) {
  const tokens = (process.env.DYNALITH_SKIP || '')
    .split(/[\s,;:]+/)
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  return tokens.includes(token) ? `skipped: DYNALITH_SKIP contains "${token}"` : false;
}

export async function describeTable(client, TableName) {
  try {
    return (await client.send(new DescribeTableCommand({ TableName }))).Table;
  } catch (err) {
    if (err.name === 'ResourceNotFoundException') return null;
    throw err;
  }
}

async function waitActive(client, TableName) {
  for (let i = 0; i < 300; i++) {
    const t = await describeTable(client, TableName);
    if (t && t.TableStatus === 'ACTIVE' &&
        (t.GlobalSecondaryIndexes || []).every((g) => g.IndexStatus === 'ACTIVE')) {
      return t;
    }
    await sleep(100);
  }
  throw new Error(`table ${TableName} did not become ACTIVE`);
}

/**
 * Creates `input.TableName` unless it already exists; waits until it is ACTIVE.
 * Returns true when this call created the table (so the caller should delete it).
 */
export async function ensureTable(client, input) {
  const existing = await describeTable(client, input.TableName);
  if (existing) {
    await waitActive(client, input.TableName);
    return false;
  }
  try {
    await client.send(new CreateTableCommand(input));
  } catch (err) {
    if (err.name !== 'ResourceInUseException') throw err;
    await waitActive(client, input.TableName);
    return false;
  }
  await waitActive(client, input.TableName);
  return true;
}

export async function deleteTable(client, TableName) {
  try {
    await client.send(new DeleteTableCommand({ TableName }));
  } catch (err) {
    if (err.name === 'ResourceNotFoundException') return;
    throw err;
  }
  for (let i = 0; i < 300; i++) {
    if (!(await describeTable(client, TableName))) return;
    await sleep(100);
  }
  throw new Error(`table ${TableName} was not deleted`);
}

/** The seed's table: MyTable, PK/SK strings, PAY_PER_REQUEST (optionally with GSI1 on GSI1PK/GSI1SK). */
export function myTableInput({ withGsi1 = false } = {}) {
  const input = {
    TableName: 'MyTable',
    AttributeDefinitions: [
      { AttributeName: 'PK', AttributeType: 'S' },
      { AttributeName: 'SK', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  };
  if (withGsi1) {
    input.AttributeDefinitions.push(
      { AttributeName: 'GSI1PK', AttributeType: 'S' },
      { AttributeName: 'GSI1SK', AttributeType: 'S' },
    );
    input.GlobalSecondaryIndexes = [
      {
        IndexName: 'GSI1',
        KeySchema: [
          { AttributeName: 'GSI1PK', KeyType: 'HASH' },
          { AttributeName: 'GSI1SK', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ];
  }
  return input;
}

// `node --test` runs test files in parallel processes; the seed files all use MyTable and
// delete it when done, so they take this cross-process lock (a directory holding the owner's
// pid; a lock whose owner is dead is taken over) for their whole run.
function lockDir(name) {
  const ep = endpoint().replace(/[^A-Za-z0-9]+/g, '_');
  return path.join(os.tmpdir(), `dynalith-js-${name}-${ep}.lock`);
}

function ownerAlive(dir) {
  let pid;
  try {
    pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'));
  } catch {
    pid = 0;
  }
  if (!pid) {
    // pid not written yet (or the owner died right after mkdir): stale after 5 s.
    try {
      return Date.now() - fs.statSync(dir).mtimeMs < 5000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

export async function acquireLock(name) {
  const dir = lockDir(name);
  for (let i = 0; i < 1200; i++) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'pid'), String(process.pid));
      return;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      if (i > 0 && !ownerAlive(dir)) fs.rmSync(dir, { recursive: true, force: true });
      await sleep(100);
    }
  }
  throw new Error(`could not take lock ${dir} within 120 s`);
}

export function releaseLock(name) {
  fs.rmSync(lockDir(name), { recursive: true, force: true });
}

const HERE = path.dirname(fileURLToPath(import.meta.url));

function dynalithBin() {
  if (process.env.DYNALITH_BIN) return path.resolve(process.env.DYNALITH_BIN);
  const target = path.resolve(HERE, '../..', process.env.CARGO_TARGET_DIR || 'target');
  return path.join(target, 'debug', 'dynalith');
}

/**
 * Starts a dynalith of the test's own, `serve --port 0 ...args`, in memory unless `inMemory` is
 * false (args then name its --data-dir); resolves once it prints its endpoint.
 */
export function startDynalith(args, { inMemory = true } = {}) {
  const bin = dynalithBin();
  const engine = inMemory ? ['--in-memory'] : [];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['serve', ...engine, '--port', '0', '--log-level', 'warn', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    let settled = false;
    const fail = (message) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${bin}: ${message}\n${stderr}`));
    };
    const timer = setTimeout(() => fail('did not start within 10 s'), 10_000);
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code, signal) => fail(`exited (code ${code}, signal ${signal})`));
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const m = /^dynalith listening on (http:\/\/\S+)$/.exec(line);
      if (!m) return fail(`unexpected first line ${JSON.stringify(line)}`);
      settled = true;
      clearTimeout(timer);
      resolve({ child, endpoint: m[1], stderr: () => stderr });
    });
  });
}

/** SIGTERM (SIGKILL after 5 s) and wait for the exit. */
export async function stopDynalith(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(force);
}
