#!/usr/bin/env bash
# Back up SpotCheck: the database and the evidence storage, into one timestamped folder.
#
#   deploy/backup.sh [--env-file /etc/spotcheck/env] [--dest /var/backups/spotcheck]
#
# Reads the app's own settings from the environment (or --env-file): DATABASE_URL (PostgreSQL
# → `pg_dump -Fc`; SQLite or unset → an online SQLite backup), SPOTCHECK_STORAGE (local:
# SPOTCHECK_STORAGE_LOCAL_ROOT, default <SPOTCHECK_INSTANCE_PATH>/evidence; s3: the bucket
# through deploy/s3_evidence.py). Writes <dest>/spotcheck-<UTC time>/:
#   database.dump | database.sqlite3   the database
#   evidence.tar                       every evidence object, paths = storage keys
#   evidence.sha256                    sha256sum of every object (checked again on restore)
#   info.txt                           when, what, the Alembic revision, the audit chain head
#   SHA256SUMS                         sha256sum of the files above
# The folder appears under its final name only once complete (written as *.partial first).
# Order: the database first, then the storage. Evidence objects are written once under fresh
# keys, so every object the dump refers to is already in the storage when it is copied.
# Not included, on purpose: secrets (/etc/spotcheck/env: SPOTCHECK_SECRET_KEY, S3 keys) — keep
# them in your secrets store; unfinished tus uploads (<instance>/uploads: phones resume them).
set -euo pipefail
umask 077

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
app_root="$(dirname "$here")"
dest="${SPOTCHECK_BACKUP_DIR:-/var/backups/spotcheck}"

usage() { sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --env-file) set -a; # shellcheck disable=SC1090
                    . "$2"; set +a; shift 2 ;;
        --dest) dest="$2"; shift 2 ;;
        -h|--help) usage 0 ;;
        *) echo "backup: unknown argument $1" >&2; usage 2 ;;
    esac
done

python="${SPOTCHECK_PYTHON:-}"
if [ -z "$python" ]; then
    if [ -x "$app_root/.venv/bin/python" ]; then python="$app_root/.venv/bin/python"; else python=python3; fi
fi
log() { printf '%s backup: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

instance="${SPOTCHECK_INSTANCE_PATH:-$app_root/instance}"
db_url="${DATABASE_URL:-${SPOTCHECK_DATABASE_URL:-sqlite:///$instance/spotcheck.db}}"
storage="$(printf '%s' "${SPOTCHECK_STORAGE:-local}" | tr '[:upper:]' '[:lower:]')"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$dest"
final="$dest/spotcheck-$stamp"
work="$final.partial"
[ -e "$final" ] && { echo "backup: $final exists" >&2; exit 1; }
mkdir "$work"
trap 'rm -rf "$work"' EXIT   # a failed run leaves nothing that looks like a backup

# The audit chain's head ("SEQ HASH"); restore then checks that the restored chain still
# contains it (`audit verify --anchor`). On PostgreSQL it is read just before the dump: the
# chain only grows, so the dump holds that event.
audit_head() {
    [ -x "$app_root/.venv/bin/flask" ] || return 0
    (cd "$app_root" && DATABASE_URL="$1" "$app_root/.venv/bin/flask" --app server audit head 2>/dev/null) || true
}
audit_head=""

# --- the database ---
case "$db_url" in
    postgresql*|postgres:*)
        # SQLAlchemy's postgresql+psycopg:// is libpq's postgresql://.
        pg_url="$(printf '%s' "$db_url" | sed -E 's#^postgres(ql)?(\+[a-z0-9_]+)?://#postgresql://#')"
        audit_head="$(audit_head "$db_url")"
        log "pg_dump -Fc"
        pg_dump --format=custom --compress=6 --no-owner --no-privileges \
            --file="$work/database.dump" "$pg_url"
        db_kind=postgresql
        db_file=database.dump
        revision="$(psql "$pg_url" -XAtc 'select version_num from alembic_version' 2>/dev/null || true)"
        ;;
    sqlite:*)
        db_path="${db_url#sqlite:///}"
        [ -f "$db_path" ] || { echo "backup: no SQLite database at $db_path" >&2; exit 1; }
        log "SQLite online backup of $db_path"
        # The SQLite online-backup API (what `sqlite3 db .backup` uses): consistent while the
        # app keeps writing (WAL), then checked.
        "$python" - "$db_path" "$work/database.sqlite3" <<'PY'
import sqlite3, sys
src = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
dst = sqlite3.connect(sys.argv[2])
with dst:
    src.backup(dst)
ok = dst.execute("pragma integrity_check").fetchone()[0]
dst.execute("pragma journal_mode=delete")
dst.close()
src.close()
sys.exit(0 if ok == "ok" else f"integrity_check: {ok}")
PY
        db_kind=sqlite
        db_file=database.sqlite3
        revision="$("$python" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select version_num from alembic_version").fetchone()[0])' "$work/database.sqlite3" 2>/dev/null || true)"
        ;;
    *) echo "backup: unsupported DATABASE_URL scheme: ${db_url%%:*}" >&2; exit 1 ;;
esac

if [ "$db_kind" = sqlite ]; then audit_head="$(audit_head "sqlite:///$work/database.sqlite3")"; fi

# --- the evidence storage ---
case "$storage" in
    local)
        root="${SPOTCHECK_STORAGE_LOCAL_ROOT:-$instance/evidence}"
        mkdir -p "$root"
        ;;
    s3)
        root="$work/evidence.staging"
        log "downloading bucket ${SPOTCHECK_S3_BUCKET:-?}"
        "$python" "$here/s3_evidence.py" download "$root" >&2
        ;;
    *) echo "backup: unknown SPOTCHECK_STORAGE $storage" >&2; exit 1 ;;
esac
log "evidence from $root"
# One sorted list of files drives both the checksums and the tar (new objects written after
# this line are not in this backup, and the dump above cannot refer to them).
(cd "$root" && find . -type f ! -name '.tmp-*' -print0 | LC_ALL=C sort -z) > "$work/evidence.list"
(cd "$root" && xargs -0 -r sha256sum -- < "$work/evidence.list") > "$work/evidence.sha256"
tar -C "$root" --create --file="$work/evidence.tar" --numeric-owner --owner=0 --group=0 \
    --no-recursion --null --files-from="$work/evidence.list"
files="$(tr -cd '\0' < "$work/evidence.list" | wc -c)"
bytes="$( (cd "$root" && xargs -0 -r stat -c %s -- < "$work/evidence.list") | awk '{s+=$1} END {print s+0}')"
rm -f "$work/evidence.list"
[ "$storage" = s3 ] && rm -rf "$root"

cat > "$work/info.txt" <<EOF
created_at=$stamp
host=$(hostname)
database=$db_kind
database_file=$db_file
alembic_revision=$revision
audit_head=$audit_head
storage=$storage
evidence_files=$files
evidence_bytes=$bytes
EOF
(cd "$work" && sha256sum -- "$db_file" evidence.tar evidence.sha256 info.txt > SHA256SUMS)
mv "$work" "$final"
trap - EXIT
log "done: $files evidence files, $bytes bytes, database $db_kind"
echo "$final"
