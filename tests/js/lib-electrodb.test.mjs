// ElectroDB, unchanged, against the server: single-table design with two entities in one
// service, so the library's own request shapes (composite keys, generated expressions,
// cursors, batch chunking, transactions, collections) reach the server as in real apps.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Entity, Service } from 'electrodb';
import { makeClient, ensureTable, deleteTable } from './helpers.mjs';

const TABLE = `dynalith_js_electrodb_${process.pid}_${Date.now()}`;
const client = makeClient();

const Project = new Entity(
  {
    model: { entity: 'project', version: '1', service: 'taskapp' },
    attributes: {
      projectId: { type: 'string', required: true },
      name: { type: 'string', required: true },
      budget: { type: 'number', default: 0 },
    },
    indexes: {
      primary: {
        collection: 'board',
        pk: { field: 'pk', composite: ['projectId'] },
        sk: { field: 'sk', composite: [] },
      },
    },
  },
  { table: TABLE, client },
);

const Task = new Entity(
  {
    model: { entity: 'task', version: '1', service: 'taskapp' },
    attributes: {
      projectId: { type: 'string', required: true },
      taskId: { type: 'string', required: true },
      title: { type: 'string', required: true },
      status: { type: ['open', 'in-progress', 'closed'], required: true },
      assignee: { type: 'string', required: true },
      points: { type: 'number' },
      description: { type: 'string' },
      tags: { type: 'set', items: 'string' },
      notes: { type: 'list', items: { type: 'string' } },
      meta: { type: 'map', properties: { owner: { type: 'string' }, priority: { type: 'number' } } },
    },
    indexes: {
      primary: {
        collection: 'board',
        pk: { field: 'pk', composite: ['projectId'] },
        sk: { field: 'sk', composite: ['taskId'] },
      },
      byAssignee: {
        index: 'gsi1',
        pk: { field: 'gsi1pk', composite: ['assignee'] },
        sk: { field: 'gsi1sk', composite: ['status', 'taskId'] },
      },
      // KEYS_ONLY index: queries on it need hydrate (index query, then BatchGetItem of the keys).
      byStatus: {
        index: 'gsi2',
        projection: 'keys_only',
        pk: { field: 'gsi2pk', composite: ['status'] },
        sk: { field: 'gsi2sk', composite: ['projectId', 'taskId'] },
      },
    },
  },
  { table: TABLE, client },
);

const app = new Service({ project: Project, task: Task }, { table: TABLE, client });

const STATUSES = ['open', 'in-progress', 'closed'];
// 12 tasks in project p1: T01..T12, status cycling, assignee alternating alice/bob.
const P1_TASKS = Array.from({ length: 12 }, (_, i) => {
  const n = i + 1;
  return {
    projectId: 'p1',
    taskId: `T${String(n).padStart(2, '0')}`,
    title: `task ${n}`,
    status: STATUSES[i % 3],
    assignee: n % 2 ? 'alice' : 'bob',
    points: n,
  };
});
const ids = (items) => items.map((t) => t.taskId);
const byId = (a, b) => (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0);

/** Runs `p` and returns the error it rejects with; fails the test when it resolves. */
async function rejection(p) {
  const res = await p.then(
    (v) => ({ ok: true, v }),
    (e) => ({ ok: false, e }),
  );
  assert.ok(!res.ok, `expected a rejection, got ${JSON.stringify(res.v)}`);
  return res.e;
}

/** The ElectroError that wraps a failed condition (create/patch/remove/where). */
function assertConditionFailed(err) {
  assert.equal(err.name, 'ElectroError');
  assert.equal(err.code, 4001, `AWS error wrapped by ElectroDB, got ${err.code}: ${err.message}`);
  assert.equal(err.cause?.name, 'ConditionalCheckFailedException', String(err.cause));
}

describe('lib: ElectroDB', () => {
  before(async () => {
    await ensureTable(client, {
      TableName: TABLE,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
        { AttributeName: 'gsi2pk', AttributeType: 'S' },
        { AttributeName: 'gsi2sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'gsi2',
          KeySchema: [
            { AttributeName: 'gsi2pk', KeyType: 'HASH' },
            { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    });
    await Project.create({ projectId: 'p1', name: 'Apollo', budget: 100 }).go();
    await Project.create({ projectId: 'p2', name: 'Gemini' }).go();
    // Created one by one, in reverse, so queries must sort them by key themselves.
    for (const t of [...P1_TASKS].reverse()) await Task.create(t).go();
    // Same assignee and status in another project: GSI queries must include it, p1 queries must not.
    await Task.create({ projectId: 'p2', taskId: 'T00', title: 'other', status: 'open', assignee: 'alice' }).go();
  });

  after(async () => {
    await deleteTable(client, TABLE);
    client.destroy();
  });

  it('create returns the item; get reads it back; a missing key gives null', async () => {
    const created = await Task.create({
      projectId: 'p3', taskId: 'A', title: 'alpha', status: 'open', assignee: 'carol',
      tags: ['x', 'y'], notes: ['first'], points: 5,
    }).go();
    assert.deepEqual(created.data, {
      projectId: 'p3', taskId: 'A', title: 'alpha', status: 'open', assignee: 'carol',
      tags: ['x', 'y'], notes: ['first'], points: 5,
    });
    const got = await Task.get({ projectId: 'p3', taskId: 'A' }).go();
    assert.deepEqual({ ...got.data, tags: [...got.data.tags].sort() }, created.data);
    assert.equal((await Task.get({ projectId: 'p3', taskId: 'nope' }).go()).data, null);
    const project = await Project.get({ projectId: 'p2' }).go();
    assert.deepEqual(project.data, { projectId: 'p2', name: 'Gemini', budget: 0 });
  });

  it('create of an existing item fails its attribute_not_exists condition', async () => {
    const err = await rejection(
      Task.create({ projectId: 'p1', taskId: 'T01', title: 'dup', status: 'closed', assignee: 'zed' }).go(),
    );
    assertConditionFailed(err);
    const still = await Task.get({ projectId: 'p1', taskId: 'T01' }).go();
    assert.equal(still.data.title, 'task 1');
  });

  it('put replaces; returnOnConditionCheckFailure all_old returns the current item', async () => {
    await Task.put({ projectId: 'p4', taskId: 'P', title: 'v1', status: 'open', assignee: 'dan', points: 1 }).go();
    await Task.put({ projectId: 'p4', taskId: 'P', title: 'v2', status: 'closed', assignee: 'dan' }).go();
    const got = await Task.get({ projectId: 'p4', taskId: 'P' }).go();
    assert.deepEqual(got.data, { projectId: 'p4', taskId: 'P', title: 'v2', status: 'closed', assignee: 'dan' });

    const res = await Task.patch({ projectId: 'p4', taskId: 'P' })
      .set({ title: 'v3' })
      .where(({ status }, { eq }) => eq(status, 'open'))
      .go({ returnOnConditionCheckFailure: 'all_old' });
    assert.equal(res.rejected, true);
    assert.deepEqual(res.data, { projectId: 'p4', taskId: 'P', title: 'v2', status: 'closed', assignee: 'dan' });
  });

  it('update with set/add/remove/append and a passing where clause; subtract/delete-from-set; GSI key rewrite', async () => {
    await Task.create({
      projectId: 'p5', taskId: 'U', title: 'before', status: 'open', assignee: 'erin',
      points: 10, description: 'to be removed', tags: ['a', 'b', 'c'], notes: ['n1'],
    }).go();
    const res = await Task.update({ projectId: 'p5', taskId: 'U' })
      .set({ title: 'after' })
      .add({ points: 5, tags: ['d'] })
      .append({ notes: ['n2', 'n3'] })
      .remove(['description'])
      .where(({ status, points }, { eq, gte }) => `${eq(status, 'open')} AND ${gte(points, 10)}`)
      .go({ response: 'all_new' });
    const expected = {
      projectId: 'p5', taskId: 'U', title: 'after', status: 'open', assignee: 'erin',
      points: 15, notes: ['n1', 'n2', 'n3'], tags: ['a', 'b', 'c', 'd'],
    };
    assert.deepEqual({ ...res.data, tags: [...res.data.tags].sort() }, expected);
    const got = await Task.get({ projectId: 'p5', taskId: 'U' }).go();
    assert.deepEqual({ ...got.data, tags: [...got.data.tags].sort() }, expected);

    // DELETE from a set goes in its own update: one expression may not ADD and DELETE the same path.
    const sub = await Task.update({ projectId: 'p5', taskId: 'U' })
      .subtract({ points: 4 })
      .delete({ tags: ['a', 'c'] })
      .go({ response: 'updated_new' });
    // ElectroDB also SETs the key composites in every update, so UPDATED_NEW includes them.
    assert.deepEqual({ ...sub.data, tags: [...sub.data.tags].sort() }, { projectId: 'p5', taskId: 'U', points: 11, tags: ['b', 'd'] });

    // Updating a composite of the GSI key must rewrite the GSI key fields too.
    await Task.update({ projectId: 'p5', taskId: 'U' }).set({ status: 'closed' }).composite({ assignee: 'erin' }).go();
    const moved = await Task.query.byAssignee({ assignee: 'erin', status: 'closed' }).go();
    assert.deepEqual(ids(moved.data), ['U']);
  });

  it('update via data(): nested map path, list index remove, if_not_exists; overlapping paths refused', async () => {
    await Task.create({
      projectId: 'p5', taskId: 'N', title: 'nested', status: 'open', assignee: 'erin',
      notes: ['a', 'b', 'c'], meta: { owner: 'erin', priority: 1 },
    }).go();
    const err = await rejection(Task.update({ projectId: 'p5', taskId: 'N' })
      .data(({ meta, description }, { set, add }) => {
        set(meta.priority, 5);
        add(meta.priority, 1);
        set(description, 'never stored');
      })
      .go());
    // SET and ADD on the same path overlap: DynamoDB refuses the whole expression.
    assert.equal(err.cause?.name, 'ValidationException', String(err));
    assert.match(err.cause.message, /overlap/i);

    const ok = await Task.update({ projectId: 'p5', taskId: 'N' })
      .data(({ meta, notes, points, title }, { set, remove, ifNotExists }) => {
        set(meta.priority, 5);
        remove(notes[1]);
        ifNotExists(points, 7);
        ifNotExists(title, 'ignored');
      })
      .go({ response: 'all_new' });
    assert.deepEqual(ok.data, {
      projectId: 'p5', taskId: 'N', title: 'nested', status: 'open', assignee: 'erin',
      notes: ['a', 'c'], meta: { owner: 'erin', priority: 5 }, points: 7,
    });
  });

  it('where clause with size/attribute_type/contains/not_contains/exists/not_exists/between/begins_with', async () => {
    const res = await Task.query.primary({ projectId: 'p1' })
      .where(({ title, description, points, status }, { begins, notExists, between, ne, type, size, value }) => [
        begins(title, 'task 1'),
        notExists(description),
        between(points, 10, 12),
        ne(status, 'open'),
        type(points, 'N'),
        // value() takes the type of the attribute it is given: points, so 6 stays a number.
        `${size(title)} > ${value(points, 6)}`,
      ].join(' AND '))
      .go();
    assert.deepEqual(ids(res.data), ['T11', 'T12']);

    await Task.create({ projectId: 'p9', taskId: 'S1', title: 'x', status: 'open', assignee: 'q', tags: ['red', 'blue'] }).go();
    await Task.create({ projectId: 'p9', taskId: 'S2', title: 'y', status: 'open', assignee: 'q', tags: ['green'] }).go();
    await Task.create({ projectId: 'p9', taskId: 'S3', title: 'z', status: 'open', assignee: 'q' }).go();
    const q = (fn) => Task.query.primary({ projectId: 'p9' }).where(fn).go().then((r) => ids(r.data));
    assert.deepEqual(await q(({ tags }, { contains }) => contains(tags, 'red')), ['S1']);
    assert.deepEqual(await q(({ tags }, { notContains, exists }) => `${exists(tags)} AND ${notContains(tags, 'red')}`), ['S2']);
    assert.deepEqual(await q(({ tags }, { notExists }) => notExists(tags)), ['S3']);
    assert.deepEqual(await q(({ tags }, { size, value }) => `${size(tags)} = ${value(tags, 2)}`), ['S1']);
  });

  it('query with an attribute projection', async () => {
    const res = await Task.query.primary({ projectId: 'p1' }).lte({ taskId: 'T02' }).go({ attributes: ['title', 'points'] });
    assert.deepEqual(res.data, [{ title: 'task 1', points: 1 }, { title: 'task 2', points: 2 }]);
  });

  it('update with a failing where clause is rejected and changes nothing', async () => {
    await Task.create({ projectId: 'p6', taskId: 'W', title: 'keep', status: 'open', assignee: 'fay', points: 1 }).go();
    const err = await rejection(
      Task.update({ projectId: 'p6', taskId: 'W' })
        .set({ title: 'changed' })
        .add({ points: 1 })
        .where(({ status }, { eq }) => eq(status, 'closed'))
        .go(),
    );
    assertConditionFailed(err);
    const got = await Task.get({ projectId: 'p6', taskId: 'W' }).go();
    assert.equal(got.data.title, 'keep');
    assert.equal(got.data.points, 1);
  });

  it('patch and remove of a missing item fail their attribute_exists condition', async () => {
    assertConditionFailed(await rejection(Task.patch({ projectId: 'p6', taskId: 'missing' }).set({ title: 'x' }).go()));
    assertConditionFailed(await rejection(Task.remove({ projectId: 'p6', taskId: 'missing' }).go()));
    // The failed patch must not have created the item (update creates by default).
    assert.equal((await Task.get({ projectId: 'p6', taskId: 'missing' }).go()).data, null);
  });

  it('upsert creates then updates', async () => {
    await Task.upsert({ projectId: 'p7', taskId: 'X', title: 'one', status: 'open', assignee: 'gus' }).go();
    await Task.upsert({ projectId: 'p7', taskId: 'X', title: 'two', status: 'open', assignee: 'gus' })
      .add({ points: 3 })
      .go();
    const got = await Task.get({ projectId: 'p7', taskId: 'X' }).go();
    assert.deepEqual(got.data, { projectId: 'p7', taskId: 'X', title: 'two', status: 'open', assignee: 'gus', points: 3 });
  });

  it('delete with a where clause: failing leaves the item, passing removes it', async () => {
    await Task.create({ projectId: 'p8', taskId: 'D', title: 'del', status: 'closed', assignee: 'hal' }).go();
    assertConditionFailed(
      await rejection(Task.delete({ projectId: 'p8', taskId: 'D' }).where(({ status }, { eq }) => eq(status, 'open')).go()),
    );
    assert.notEqual((await Task.get({ projectId: 'p8', taskId: 'D' }).go()).data, null);
    const del = await Task.delete({ projectId: 'p8', taskId: 'D' })
      .where(({ status }, { eq }) => eq(status, 'closed'))
      .go({ response: 'all_old' });
    assert.equal(del.data.title, 'del');
    assert.equal((await Task.get({ projectId: 'p8', taskId: 'D' }).go()).data, null);
  });

  it('query by partition returns only this entity, sorted by sort key; desc reverses', async () => {
    const all = await Task.query.primary({ projectId: 'p1' }).go();
    assert.deepEqual(all.data, P1_TASKS);
    assert.equal(all.cursor, null);
    const desc = await Task.query.primary({ projectId: 'p1' }).go({ order: 'desc' });
    assert.deepEqual(ids(desc.data), ids(P1_TASKS).reverse());
  });

  it('query with begins_with / between / gt / lte on the sort key', async () => {
    const begins = await Task.query.primary({ projectId: 'p1' }).begins({ taskId: 'T0' }).go();
    assert.deepEqual(ids(begins.data), ['T01', 'T02', 'T03', 'T04', 'T05', 'T06', 'T07', 'T08', 'T09']);
    const between = await Task.query.primary({ projectId: 'p1' }).between({ taskId: 'T03' }, { taskId: 'T06' }).go();
    assert.deepEqual(ids(between.data), ['T03', 'T04', 'T05', 'T06']);
    const gt = await Task.query.primary({ projectId: 'p1' }).gt({ taskId: 'T10' }).go();
    assert.deepEqual(ids(gt.data), ['T11', 'T12']);
    const lte = await Task.query.primary({ projectId: 'p1' }).lte({ taskId: 'T02' }).go();
    assert.deepEqual(ids(lte.data), ['T01', 'T02']);
  });

  it('query with a filter (where) on non-key attributes', async () => {
    const res = await Task.query.primary({ projectId: 'p1' })
      .where(({ points, assignee }, { gt, eq }) => `${gt(points, 6)} AND ${eq(assignee, 'bob')}`)
      .go();
    assert.deepEqual(ids(res.data), ['T08', 'T10', 'T12']);
  });

  it('GSI query on the whole partition and on a partial composite sort key', async () => {
    const alice = await Task.query.byAssignee({ assignee: 'alice' }).go();
    // GSI sort key is status then taskId: closed < in-progress < open.
    const order = alice.data.map((t) => `${t.status}/${t.taskId}/${t.projectId}`);
    assert.deepEqual(order, [
      'closed/T03/p1', 'closed/T09/p1',
      'in-progress/T05/p1', 'in-progress/T11/p1',
      'open/T00/p2', 'open/T01/p1', 'open/T07/p1',
    ]);
    const open = await Task.query.byAssignee({ assignee: 'alice', status: 'open' }).go();
    assert.deepEqual(open.data.map((t) => `${t.projectId}/${t.taskId}`), ['p2/T00', 'p1/T01', 'p1/T07']);
  });

  it('query on a KEYS_ONLY GSI with hydrate returns full items', async () => {
    const keysOnly = await Task.query.byStatus({ status: 'closed', projectId: 'p1' }).go({ data: 'raw' });
    // Raw index items carry only the table and index keys.
    assert.deepEqual(Object.keys(keysOnly.data.Items[0]).sort(), ['gsi2pk', 'gsi2sk', 'pk', 'sk']);
    const res = await Task.query.byStatus({ status: 'closed', projectId: 'p1' }).go({ hydrate: true });
    assert.deepEqual(res.data, P1_TASKS.filter((t) => t.status === 'closed'));
    assert.deepEqual(res.unprocessed, []);
  });

  it('pagination with limit and cursor walks every page in order', async () => {
    const pages = [];
    let cursor = null;
    do {
      const res = await Task.query.primary({ projectId: 'p1' }).go({ limit: 5, cursor });
      pages.push(ids(res.data));
      cursor = res.cursor;
      assert.ok(pages.length <= 4, 'too many pages');
    } while (cursor);
    assert.deepEqual(pages.map((p) => p.length), [5, 5, 2]);
    assert.deepEqual(pages.flat(), ids(P1_TASKS));

    const allPages = await Task.query.primary({ projectId: 'p1' }).go({ limit: 5, pages: 'all' });
    assert.deepEqual(allPages.data, P1_TASKS);
    const counted = await Task.query.primary({ projectId: 'p1' }).go({ limit: 5, count: 7 });
    assert.deepEqual(ids(counted.data), ids(P1_TASKS).slice(0, 7));
    assert.ok(counted.cursor, 'count stops early and returns a cursor');
    const rest = await Task.query.primary({ projectId: 'p1' }).go({ cursor: counted.cursor });
    assert.deepEqual(ids(rest.data), ids(P1_TASKS).slice(7));
  });

  it('pagination over the GSI (cursor carries the index and table keys)', async () => {
    const seen = [];
    let cursor = null;
    let n = 0;
    do {
      const res = await Task.query.byAssignee({ assignee: 'bob' }).go({ limit: 2, cursor });
      seen.push(...res.data.map((t) => t.taskId));
      cursor = res.cursor;
      assert.ok(++n <= 5, 'too many pages');
    } while (cursor);
    assert.deepEqual(seen, ['T06', 'T12', 'T02', 'T08', 'T04', 'T10']);
  });

  it('batch put (chunked), batch get with a missing key, batch delete', async () => {
    const items = Array.from({ length: 30 }, (_, i) => ({
      projectId: 'batch', taskId: `B${String(i).padStart(2, '0')}`, title: `b${i}`, status: 'open', assignee: 'ivy', points: i,
    }));
    const put = await Task.put(items).go();
    assert.deepEqual(put.unprocessed, []);

    const keys = items.map(({ projectId, taskId }) => ({ projectId, taskId }));
    const got = await Task.get([...keys, { projectId: 'batch', taskId: 'none' }]).go();
    assert.deepEqual(got.unprocessed, []);
    assert.deepEqual([...got.data].sort(byId), items);

    const q = await Task.query.primary({ projectId: 'batch' }).go();
    assert.equal(q.data.length, 30);

    const del = await Task.delete(keys.slice(0, 27)).go();
    assert.deepEqual(del.unprocessed, []);
    const left = await Task.query.primary({ projectId: 'batch' }).go();
    assert.deepEqual(ids(left.data), ['B27', 'B28', 'B29']);
  });

  it('scan with a filter finds only matching items of the entity', async () => {
    const closed = await Task.scan.where(({ status, projectId }, { eq }) => `${eq(status, 'closed')} AND ${eq(projectId, 'p1')}`).go();
    assert.deepEqual(ids(closed.data).sort(), ['T03', 'T06', 'T09', 'T12']);
    const projects = await Project.scan.go({ pages: 'all' });
    assert.deepEqual(projects.data.map((p) => p.projectId).sort(), ['p1', 'p2']);
  });

  it('collection query returns both entities of one partition', async () => {
    const res = await app.collections.board({ projectId: 'p1' }).go();
    assert.deepEqual(res.data.project, [{ projectId: 'p1', name: 'Apollo', budget: 100 }]);
    assert.deepEqual(res.data.task, P1_TASKS);
    const other = await app.collections.board({ projectId: 'p2' }).go();
    assert.deepEqual(other.data.project.map((p) => p.name), ['Gemini']);
    assert.deepEqual(other.data.task.map((t) => t.title), ['other']);
  });

  it('transaction write commits all items; transaction get reads them', async () => {
    await Project.create({ projectId: 'tx', name: 'Tx', budget: 10 }).go();
    const res = await app.transaction
      .write(({ project, task }) => [
        project.update({ projectId: 'tx' }).add({ budget: 5 }).where(({ budget }, { eq }) => eq(budget, 10)).commit(),
        task.create({ projectId: 'tx', taskId: 'N1', title: 'new', status: 'open', assignee: 'jon' }).commit(),
        task.put({ projectId: 'tx', taskId: 'N2', title: 'new2', status: 'closed', assignee: 'jon' }).commit(),
      ])
      .go();
    assert.equal(res.canceled, false);
    assert.equal(res.data.length, 3);
    assert.ok(res.data.every((r) => r.rejected === false));

    const got = await app.transaction
      .get(({ project, task }) => [
        project.get({ projectId: 'tx' }).commit(),
        task.get({ projectId: 'tx', taskId: 'N1' }).commit(),
        task.get({ projectId: 'tx', taskId: 'absent' }).commit(),
      ])
      .go();
    assert.equal(got.canceled, false);
    assert.deepEqual(got.data.map((r) => r.item), [
      { projectId: 'tx', name: 'Tx', budget: 15 },
      { projectId: 'tx', taskId: 'N1', title: 'new', status: 'open', assignee: 'jon' },
      null,
    ]);
  });

  it('a canceled transaction reports which item failed (with its old item) and writes nothing', async () => {
    await Project.create({ projectId: 'tx2', name: 'Tx2', budget: 1 }).go();
    await Task.create({ projectId: 'tx2', taskId: 'E', title: 'exists', status: 'open', assignee: 'kim' }).go();
    await Task.create({ projectId: 'tx2', taskId: 'F', title: 'checked', status: 'open', assignee: 'kim' }).go();
    const res = await app.transaction
      .write(({ project, task }) => [
        project.update({ projectId: 'tx2' }).add({ budget: 100 }).commit(),
        task.create({ projectId: 'tx2', taskId: 'E', title: 'dup', status: 'open', assignee: 'kim' }).commit({ response: 'all_old' }),
        task.check({ projectId: 'tx2', taskId: 'F' }).where(({ status }, { eq }) => eq(status, 'open')).commit(),
      ])
      .go();
    assert.equal(res.canceled, true);
    assert.deepEqual(res.data.map((r) => [r.rejected, r.code]), [
      [false, 'None'],
      [true, 'ConditionalCheckFailed'],
      [false, 'None'],
    ]);
    assert.deepEqual(res.data[1].item, { projectId: 'tx2', taskId: 'E', title: 'exists', status: 'open', assignee: 'kim' });
    assert.equal((await Project.get({ projectId: 'tx2' }).go()).data.budget, 1);
  });
});
