#!/usr/bin/env bash
# Restore drill: prove that deploy/backup.sh + deploy/restore.sh give back the same data.
#
#   deploy/restore-drill.sh            (from the repository, after `make install`)
#
# On the PostgreSQL at 127.0.0.1:5432 (user postgres, loopback only) it creates its own two
# databases (DRILL_DB, default test_ops, and DRILL_DB_RESTORED, default test_ops_restored;
# names must start with test_ and are dropped first and at the end), builds the schema with
# the app's migrations, seeds the demo data, writes a few evidence files into a temporary
# local storage, backs up, restores into the second database and a fresh storage folder, and
# checks: every table's row count and content digest equal, the audit chain verifies with the
# backup's head as anchor, every evidence file byte-identical. Then it checks that a damaged
# backup is refused, and restores a second time over the now non-empty target (--clean).
# Every step is bounded by `timeout`; everything lives in a temporary folder, removed at the
# end (KEEP=1 keeps it and the databases). Exit 0 only when every check passed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
app_root="$(dirname "$here")"
flask="$app_root/.venv/bin/flask"
python="$app_root/.venv/bin/python"
[ -x "$flask" ] || { echo "drill: $flask missing (run make install)" >&2; exit 1; }

export PGHOST=127.0.0.1 PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
src_db="${DRILL_DB:-test_ops}"
dst_db="${DRILL_DB_RESTORED:-test_ops_restored}"
for name in "$src_db" "$dst_db"; do
    case "$name" in test_[a-z0-9_]*) ;; *) echo "drill: database $name must start with test_" >&2; exit 2 ;; esac
done
[ "$src_db" != "$dst_db" ] || { echo "drill: the two databases must differ" >&2; exit 2; }
src_url="postgresql+psycopg://$PGUSER@$PGHOST:$PGPORT/$src_db"
dst_url="postgresql+psycopg://$PGUSER@$PGHOST:$PGPORT/$dst_db"

work="$(mktemp -d /tmp/spotcheck-drill.XXXXXX)"
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local rc=$?
    if [ "${KEEP:-0}" = 1 ]; then
        echo "drill: kept $work and databases $src_db, $dst_db" >&2
    else
        dropdb --if-exists "$src_db" 2>/dev/null || true
        dropdb --if-exists "$dst_db" 2>/dev/null || true
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT

# The app's settings for every command below: no instance/ of the repository is touched.
export SPOTCHECK_INSTANCE_PATH="$work/instance"
export SPOTCHECK_SECRET_KEY="restore-drill-not-a-secret"
export SPOTCHECK_STORAGE=local
export SPOTCHECK_STORAGE_LOCAL_ROOT="$work/evidence"   # the seed's evidence lands here too

timings=()
step() {  # step SECONDS LABEL COMMAND...: run bounded, time it, stop the drill on failure
    local limit="$1" label="$2"; shift 2
    local start end
    start="$(date +%s.%N)"
    echo "== $label" >&2
    timeout --kill-after=10 "$limit" "$@"
    end="$(date +%s.%N)"
    timings+=("$(printf '%-34s %7.2f s' "$label" "$(echo "$end - $start" | bc)")")
}

# Row count and a digest of every row (text form, sorted) of every table in `public`.
snapshot() {  # snapshot DB OUT
    local db="$1" out="$2" table
    : > "$out"
    for table in $(psql -XAtd "$db" -c "select tablename from pg_tables where schemaname = 'public' order by 1"); do
        psql -XAtd "$db" -F ' ' -c "select '$table', count(*), md5(coalesce(string_agg(md5(t::text), '' order by md5(t::text)), '')) from \"$table\" t" >> "$out"
    done
}

echo "drill: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), PostgreSQL $(psql -XAtc 'show server_version' -d postgres)" >&2
dropdb --if-exists "$src_db"; dropdb --if-exists "$dst_db"
step 30 "create $src_db" createdb "$src_db"
export DATABASE_URL="$src_url"
step 300 "migrate (flask db upgrade)" "$flask" --app server db upgrade
step 900 "seed (flask seed-demo)" "$flask" --app server seed-demo

# Besides the seed's own evidence (its media rows), a few objects under real storage keys
# (sync.storage.new_key) of several sizes, from empty to 5 MiB.
mkdir -p "$work/evidence"
step 60 "write extra evidence files" "$python" - "$work/evidence" <<'PY'
import os, sys
from sync.storage import LocalStorage, new_key
store = LocalStorage(sys.argv[1])
for kind, size in [("photo", 0), ("photo", 1), ("photo", 4096), ("audio", 1 << 20), ("video", 5 << 20 | 7)]:
    store.put(new_key(kind), os.urandom(size))
PY
snapshot "$src_db" "$work/source.counts"
step 120 "audit verify (source)" "$flask" --app server audit verify

step 300 "backup.sh" "$here/backup.sh" --dest "$work/backups"
backup="$(find "$work/backups" -mindepth 1 -maxdepth 1 -type d -name 'spotcheck-*' | head -1)"
[ -n "$backup" ] || { echo "drill: no backup folder" >&2; exit 1; }
echo "drill: backup $(basename "$backup"): $(du -sh "$backup" | cut -f1)" >&2
sed 's/^/  /' "$backup/info.txt" >&2

# Restore into a database created empty and a storage folder that does not exist yet.
step 30 "create $dst_db" createdb "$dst_db"
step 300 "restore.sh (empty target)" "$here/restore.sh" --yes --database-url "$dst_url" \
    --storage-root "$work/evidence-restored" "$backup"
snapshot "$dst_db" "$work/restored.counts"

fail=0
if diff -u "$work/source.counts" "$work/restored.counts" >&2; then
    echo "check: rows — $(wc -l < "$work/source.counts") tables, counts and content digests equal" >&2
else
    echo "check: rows — DIFFERENT" >&2; fail=1
fi
export DATABASE_URL="$dst_url"
src_head="$(DATABASE_URL="$src_url" "$flask" --app server audit head)"
dst_verify="$("$flask" --app server audit verify --anchor "${src_head/ /:}")" || fail=1
echo "check: audit — restored: $dst_verify; source head: $src_head" >&2
[ "$(echo "$dst_verify" | awk '{print $5, $6}')" = "$src_head" ] || { echo "check: audit heads differ" >&2; fail=1; }
if diff -r "$work/evidence" "$work/evidence-restored" >&2; then
    n="$(find "$work/evidence" -type f | wc -l)"
    echo "check: evidence — $n files byte-identical (diff -r)" >&2
else
    echo "check: evidence — DIFFERENT" >&2; fail=1
fi

# The restored database and storage agree: every media row's file is there with its SHA-256.
media_ok=0 media_bad=0
while IFS='|' read -r key sha thumb; do
    if [ -f "$work/evidence-restored/$key" ] \
        && [ "$(sha256sum < "$work/evidence-restored/$key" | cut -d' ' -f1)" = "$sha" ] \
        && { [ -z "$thumb" ] || [ -f "$work/evidence-restored/$thumb" ]; }; then
        media_ok=$((media_ok + 1))
    else
        media_bad=$((media_bad + 1)); echo "  media $key: missing or different" >&2
    fi
done < <(psql -XAtd "$dst_db" -c "select storage_key, sha256, coalesce(thumb_key, '') from media order by 1")
echo "check: media — $media_ok rows whose file (and thumbnail) is in the restored storage with its SHA-256, $media_bad not" >&2
[ "$media_bad" = 0 ] || fail=1

# A damaged backup must be refused before anything is written.
cp -a "$backup" "$work/damaged"
printf 'x' >> "$work/damaged/evidence.tar"
if "$here/restore.sh" --yes --skip-db --storage-root "$work/evidence-damaged" "$work/damaged" 2> "$work/damaged.err"; then
    echo "check: damaged backup — RESTORED (wrong)" >&2; fail=1
elif [ -e "$work/evidence-damaged" ]; then
    echo "check: damaged backup — refused, but wrote files" >&2; fail=1
else
    echo "check: damaged backup — refused: $(grep -m1 'checksum' "$work/damaged.err")" >&2
fi

# Again over the restored (now full) database: --clean replaces it, same result.
step 300 "restore.sh (over existing data)" "$here/restore.sh" --yes --database-url "$dst_url" \
    --skip-storage "$backup"
snapshot "$dst_db" "$work/restored2.counts"
if cmp -s "$work/source.counts" "$work/restored2.counts"; then
    echo "check: second restore — counts and digests equal" >&2
else
    echo "check: second restore — DIFFERENT" >&2; fail=1
fi

echo "--- tables (rows) ---" >&2
awk '{printf "  %-40s %8d\n", $1, $2; total += $2} END {printf "  %-40s %8d\n", "total rows", total}' "$work/source.counts" >&2
echo "--- timings ---" >&2
printf '  %s\n' "${timings[@]}" >&2
if [ "$fail" = 0 ]; then echo "drill: PASSED" >&2; else echo "drill: FAILED" >&2; fi
exit "$fail"
