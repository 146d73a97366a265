// ElectroDB's `type: "composite"` indexes, unchanged: the library maps them to DynamoDB's
// multi-attribute GSI keys (the entity's own attributes are the index's HASH and RANGE
// attributes, no synthetic key fields), and builds the left-to-right key conditions itself.
// Skipped when DYNALITH_SKIP contains "gsi".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Entity } from 'electrodb';
import { makeClient, ensureTable, deleteTable, skipFor } from './helpers.mjs';

const SKIP = skipFor('gsi');
const TABLE = `dynalith_js_electrodb_composite_${process.pid}_${Date.now()}`;
const client = SKIP ? null : makeClient();

const Match = new Entity(
  {
    model: { entity: 'match', version: '1', service: 'esports' },
    attributes: {
      matchId: { type: 'string', required: true },
      tournamentId: { type: 'string', required: true },
      region: { type: 'string', required: true },
      round: { type: 'string', required: true },
      bracket: { type: 'string', required: true },
      player1Id: { type: 'string', required: true },
      matchDate: { type: 'string', required: true },
      score: { type: 'number' },
    },
    indexes: {
      primary: {
        pk: { field: 'pk', composite: ['matchId'] },
        sk: { field: 'sk', composite: [] },
      },
      byTournament: {
        index: 'TournamentRegionIndex',
        type: 'composite',
        pk: { composite: ['tournamentId', 'region'] },
        sk: { composite: ['round', 'bracket', 'matchId'] },
      },
      byPlayer: {
        index: 'PlayerMatchHistoryIndex',
        type: 'composite',
        pk: { composite: ['player1Id'] },
        sk: { composite: ['matchDate', 'round'] },
      },
    },
  },
  { table: TABLE, client },
);

const MATCHES = [
  ['match-001', 'WINTER2024', 'NA-EAST', 'FINALS', 'CHAMPIONSHIP', '101', '2024-01-20'],
  ['match-002', 'WINTER2024', 'NA-EAST', 'SEMIFINALS', 'UPPER', '101', '2024-01-18'],
  ['match-003', 'WINTER2024', 'NA-EAST', 'SEMIFINALS', 'UPPER', '103', '2024-01-18'],
  ['match-004', 'WINTER2024', 'NA-EAST', 'QUARTERFINALS', 'UPPER', '101', '2024-01-15'],
  ['match-005', 'WINTER2024', 'NA-WEST', 'FINALS', 'CHAMPIONSHIP', '102', '2024-01-20'],
  ['match-007', 'SPRING2024', 'NA-EAST', 'QUARTERFINALS', 'UPPER', '101', '2024-03-15'],
].map(([matchId, tournamentId, region, round, bracket, player1Id, matchDate], i) => ({
  matchId, tournamentId, region, round, bracket, player1Id, matchDate, score: i,
}));

const ids = (data) => data.map((m) => m.matchId);

describe('lib: ElectroDB composite indexes (multi-attribute GSI keys)', () => {
  before(async () => {
    if (SKIP) return;
    await ensureTable(client, {
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['pk', 'sk', 'tournamentId', 'region', 'round', 'bracket', 'matchId', 'player1Id', 'matchDate']
        .map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'TournamentRegionIndex',
          KeySchema: [
            { AttributeName: 'tournamentId', KeyType: 'HASH' },
            { AttributeName: 'region', KeyType: 'HASH' },
            { AttributeName: 'round', KeyType: 'RANGE' },
            { AttributeName: 'bracket', KeyType: 'RANGE' },
            { AttributeName: 'matchId', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'PlayerMatchHistoryIndex',
          KeySchema: [
            { AttributeName: 'player1Id', KeyType: 'HASH' },
            { AttributeName: 'matchDate', KeyType: 'RANGE' },
            { AttributeName: 'round', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
    await Match.put(MATCHES).go();
  });

  after(async () => {
    if (SKIP) return;
    await deleteTable(client, TABLE);
    client.destroy();
  });

  it('queries by the whole partition, in (round, bracket, matchId) order', { skip: SKIP }, async () => {
    const { data } = await Match.query.byTournament({ tournamentId: 'WINTER2024', region: 'NA-EAST' }).go();
    assert.deepEqual(ids(data), ['match-001', 'match-004', 'match-002', 'match-003']);
    assert.deepEqual(data[0], MATCHES[0]);
  });

  it('narrows by leading sort attributes', { skip: SKIP }, async () => {
    const semifinals = await Match.query
      .byTournament({ tournamentId: 'WINTER2024', region: 'NA-EAST', round: 'SEMIFINALS' })
      .go();
    assert.deepEqual(ids(semifinals.data), ['match-002', 'match-003']);
    const upper = await Match.query
      .byTournament({ tournamentId: 'WINTER2024', region: 'NA-EAST', round: 'SEMIFINALS', bracket: 'UPPER' })
      .go();
    assert.deepEqual(ids(upper.data), ['match-002', 'match-003']);
    const west = await Match.query.byTournament({ tournamentId: 'WINTER2024', region: 'NA-WEST' }).go();
    assert.deepEqual(ids(west.data), ['match-005']);
  });

  it('takes range conditions on the next sort attribute', { skip: SKIP }, async () => {
    const january = await Match.query
      .byPlayer({ player1Id: '101' })
      .between({ matchDate: '2024-01-01' }, { matchDate: '2024-01-31' })
      .go();
    assert.deepEqual(ids(january.data), ['match-004', 'match-002', 'match-001']);
    const later = await Match.query.byPlayer({ player1Id: '101' }).gt({ matchDate: '2024-01-18' }).go();
    assert.deepEqual(ids(later.data), ['match-001', 'match-007']);
    const all = await Match.query.byPlayer({ player1Id: '101' }).go({ order: 'desc' });
    assert.deepEqual(ids(all.data), ['match-007', 'match-001', 'match-002', 'match-004']);
  });

  it('pages with its cursor', { skip: SKIP }, async () => {
    const seen = [];
    let cursor = null;
    do {
      const page = await Match.query
        .byTournament({ tournamentId: 'WINTER2024', region: 'NA-EAST' })
        .go({ limit: 1, cursor });
      seen.push(...ids(page.data));
      cursor = page.cursor;
    } while (cursor);
    assert.deepEqual(seen, ['match-001', 'match-004', 'match-002', 'match-003']);
  });
});
