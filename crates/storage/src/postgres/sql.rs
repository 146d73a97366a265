//! The SQL the engine sends: the schema it creates (the key-value table,
//! the fence, and the functions that lock, check the fence and add
//! counters inside PostgreSQL), and the statements each connection
//! prepares once.

use super::SETUP_LOCK;
use crate::{Result, StorageError};
use postgres::{Client, Statement};

/// The schema's name as an SQL identifier. Only plain names are taken, so
/// quoting never has to escape anything.
pub(super) fn quoted_schema(schema: &str) -> Result<String> {
    let plain = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !schema.as_bytes()[0].is_ascii_digit();
    if !plain {
        return Err(StorageError::Engine(format!(
            "invalid PostgreSQL schema name {schema:?}: letters, digits and _ only"
        )));
    }
    Ok(format!("\"{schema}\""))
}

/// The SQLSTATE `check_fence` raises.
const FENCED: &str = "DYN01";

pub(super) fn schema_sql(schema: &str) -> String {
    format!(
        "SELECT pg_advisory_lock({SETUP_LOCK});
         CREATE SCHEMA IF NOT EXISTS {schema};
         CREATE TABLE IF NOT EXISTS {schema}.kv (k bytea PRIMARY KEY, v bytea NOT NULL);
         -- One row: the term of the server holding the schema (`Fence`).
         CREATE TABLE IF NOT EXISTS {schema}.fence
           (one boolean PRIMARY KEY DEFAULT true CHECK (one), term bigint NOT NULL);
         INSERT INTO {schema}.fence (term) VALUES (0) ON CONFLICT DO NOTHING;
         CREATE OR REPLACE FUNCTION {schema}.check_fence(fence_lock bigint, held_term bigint)
           RETURNS boolean LANGUAGE plpgsql AS $$
           BEGIN
             IF held_term IS NULL THEN
               RETURN true;
             END IF;
             PERFORM pg_advisory_xact_lock_shared(fence_lock);
             IF (SELECT f.term FROM {schema}.fence f) IS DISTINCT FROM held_term THEN
               RAISE EXCEPTION 'another dynalith server holds this schema now'
                 USING ERRCODE = '{FENCED}';
             END IF;
             RETURN true;
           END $$;
         CREATE OR REPLACE FUNCTION {schema}.lock_and_get(lock_id bigint, wanted bytea,
             fence_lock bigint, held_term bigint)
           RETURNS bytea LANGUAGE plpgsql AS $$
           DECLARE
             found bytea;
             fenced_term bigint;
           BEGIN
             -- check_fence, inlined: a statement fewer per write.
             IF held_term IS NULL THEN
               PERFORM pg_advisory_xact_lock(lock_id);
             ELSE
               PERFORM pg_advisory_xact_lock_shared(fence_lock), pg_advisory_xact_lock(lock_id);
             END IF;
             -- A new statement: in READ COMMITTED it sees every commit made
             -- before the locks were granted.
             SELECT (SELECT v FROM {schema}.kv WHERE k = wanted),
                    (SELECT f.term FROM {schema}.fence f)
               INTO found, fenced_term;
             IF held_term IS NOT NULL AND fenced_term IS DISTINCT FROM held_term THEN
               RAISE EXCEPTION 'another dynalith server holds this schema now'
                 USING ERRCODE = '{FENCED}';
             END IF;
             RETURN found;
           END $$;
         -- Counters as `dynalith_storage::encode_counters` lays them out
         -- (i64s, little-endian), added element-wise; the shorter operand
         -- counts as zeros.
         CREATE OR REPLACE FUNCTION {schema}.add_counters(current bytea, delta bytea)
           RETURNS bytea LANGUAGE plpgsql IMMUTABLE STRICT AS $$
           DECLARE
             n int := greatest(length(current), length(delta)) / 8;
             total bytea := decode(repeat('00', n * 8), 'hex');
             a bigint;
             b bigint;
           BEGIN
             FOR i IN 0 .. n - 1 LOOP
               a := 0;
               b := 0;
               FOR j IN 0 .. 7 LOOP
                 IF i * 8 + 8 <= length(current) THEN
                   a := a | (get_byte(current, i * 8 + j)::bigint << (8 * j));
                 END IF;
                 IF i * 8 + 8 <= length(delta) THEN
                   b := b | (get_byte(delta, i * 8 + j)::bigint << (8 * j));
                 END IF;
               END LOOP;
               a := a + b;
               FOR j IN 0 .. 7 LOOP
                 total := set_byte(total, i * 8 + j, ((a >> (8 * j)) & 255)::int);
               END LOOP;
             END LOOP;
             RETURN total;
           END $$;
         SELECT pg_advisory_unlock({SETUP_LOCK});"
    )
}

pub(super) struct Statements {
    pub(super) get: Statement,
    pub(super) lock_and_get: Statement,
    pub(super) check_fence: Statement,
    pub(super) range_forward: Statement,
    pub(super) range_backward: Statement,
    pub(super) write: Statement,
    pub(super) delete_batch: Statement,
}

impl Statements {
    pub(super) fn prepare(
        client: &mut Client,
        schema: &str,
    ) -> std::result::Result<Self, postgres::Error> {
        let range = "SELECT k, v FROM {schema}.kv WHERE k >= $1 AND k < $2 ORDER BY k";
        let range = range.replace("{schema}", schema);
        Ok(Statements {
            get: client.prepare(&format!("SELECT v FROM {schema}.kv WHERE k = $1"))?,
            lock_and_get: client
                .prepare(&format!("SELECT {schema}.lock_and_get($1, $2, $3, $4)"))?,
            check_fence: client.prepare(&format!("SELECT {schema}.check_fence($1, $2)"))?,
            range_forward: client.prepare(&format!("{range} LIMIT $3"))?,
            range_backward: client.prepare(&format!("{range} DESC LIMIT $3"))?,
            // The keys of a transaction's writes are distinct, so the
            // deletes, the upserts and the counter additions never touch
            // the same row.
            write: client.prepare(&format!(
                "WITH gone AS (DELETE FROM {schema}.kv WHERE k = ANY($1::bytea[])),
                 added AS ({})
                 INSERT INTO {schema}.kv (k, v) SELECT * FROM unnest($2::bytea[], $3::bytea[])
                 ON CONFLICT (k) DO UPDATE SET v = excluded.v",
                add_counters_sql(schema, "SELECT * FROM unnest($4::bytea[], $5::bytea[])")
            ))?,
            delete_batch: client.prepare(&format!(
                "DELETE FROM {schema}.kv WHERE k IN
                   (SELECT k FROM {schema}.kv WHERE k >= $1 AND k < $2 ORDER BY k LIMIT $3)"
            ))?,
        })
    }
}

/// An upsert adding the counters `rows` (key, encoded deltas) yields to what
/// each key holds. Only such a statement locks a counter's row, and in a
/// transaction's commit it runs last, right before COMMIT, so a counter row
/// is never held while its holder waits for another lock. (Should
/// PostgreSQL still find a deadlock, it is a `Conflict`, which the core
/// retries.)
pub(super) fn add_counters_sql(schema: &str, rows: &str) -> String {
    format!(
        "INSERT INTO {schema}.kv (k, v) {rows}
         ON CONFLICT (k) DO UPDATE SET v = {schema}.add_counters({schema}.kv.v, excluded.v)"
    )
}
