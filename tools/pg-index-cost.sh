#!/usr/bin/env bash
# What bounds the indexer's PostgreSQL sink: the same 200,000 synthetic transfer rows
# (1,000 per block, ~1,000 distinct senders and receivers, random 66-character tx
# hashes) inserted in one statement into `transfers` with
#   (a) the primary key only,
#   (b) the schema of migrations 0001 (five secondary indexes, the database's collation),
#   (c) the schema after migration 0005 (byte-order collation, hash index on tx_hash).
# Each shape runs ROUNDS times interleaved; the fastest run of each is printed (the
# minimum is the figure least disturbed by other load). Needs psql and a PostgreSQL on
# PGHOST/PGPORT (default 127.0.0.1:5432, user postgres); uses a scratch database.
set -euo pipefail
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
ROWS="${ROWS:-200000}" ROUNDS="${ROUNDS:-3}"
DB="stablerail_index_cost_$$"
psql -qAt -d postgres -c "CREATE DATABASE $DB" >/dev/null
trap 'psql -qAt -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null' EXIT
psql -qAt -d "$DB" >/dev/null <<SQL
CREATE UNLOGGED TABLE src AS SELECT 'eth'::text chain, (g / 1000)::bigint block_number,
  (g % 1000)::bigint log_index, '0x' || md5(g::text) || md5((g / 1000)::text) block_hash,
  1700000000::bigint block_time, '0x' || md5(g::text) || md5((g * 7)::text) tx_hash,
  '0xdac17f958d2ee523a2206206994597c13d831ec7'::text token,
  '0x' || substr(md5((g % 977)::text), 1, 40) from_addr,
  '0x' || substr(md5((g % 1013)::text), 1, 40) to_addr, (g * 7)::numeric amount,
  true confirmed FROM generate_series(1, $ROWS) g;
SQL

# $1: collation clause for chain/address/hash columns; $2: index statements.
run() {
  psql -qAt -d "$DB" <<SQL | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1
SET client_min_messages = warning;
DROP TABLE IF EXISTS transfers;
CREATE TABLE transfers (chain TEXT $1 NOT NULL, block_number BIGINT NOT NULL,
  log_index BIGINT NOT NULL, block_hash TEXT NOT NULL, block_time BIGINT NOT NULL,
  tx_hash TEXT $1 NOT NULL, token TEXT NOT NULL, from_addr TEXT $1 NOT NULL,
  to_addr TEXT $1 NOT NULL, amount NUMERIC(78,0) NOT NULL CHECK (amount >= 0),
  confirmed BOOLEAN NOT NULL DEFAULT FALSE, PRIMARY KEY (chain, block_number, log_index));
$2
CHECKPOINT;
\timing on
INSERT INTO transfers SELECT * FROM src;
SQL
}

COMMON="CREATE INDEX ON transfers (chain, from_addr, block_number, log_index);
CREATE INDEX ON transfers (chain, to_addr, block_number, log_index);
CREATE INDEX ON transfers (chain, block_time);
CREATE INDEX ON transfers (chain, block_number) WHERE NOT confirmed;"
declare -A best=([pk]=inf [m0001]=inf [m0005]=inf)
keep() { best[$1]=$(python3 -c "print(min(float('${best[$1]}'), float('$2')))"); }
for _ in $(seq "$ROUNDS"); do
  keep pk "$(run "" "")"
  keep m0001 "$(run "" "$COMMON CREATE INDEX ON transfers (tx_hash);")"
  keep m0005 "$(run 'COLLATE "C"' "$COMMON CREATE INDEX ON transfers USING hash (tx_hash);")"
done
rate() { python3 -c "print(f'{$ROWS / ($1 / 1000) / 1000:.0f}k rows/s ({$1 / 1000:.2f} s)')"; }
echo "transfers, $ROWS rows, fastest of $ROUNDS:"
echo "  (a) primary key only:                    $(rate "${best[pk]}")"
echo "  (b) migrations 0001 (5 indexes):          $(rate "${best[m0001]}")"
echo "  (c) after migration 0005 (C, hash tx):    $(rate "${best[m0005]}")"
