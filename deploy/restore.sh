#!/usr/bin/env bash
# Restore a SpotCheck backup made by deploy/backup.sh.
#
#   deploy/restore.sh --yes [--env-file /etc/spotcheck/env] [--database-url URL]
#                     [--storage-root DIR | --s3] [--skip-db] [--skip-storage] BACKUP_DIR
#
# 1. Verifies the folder: SHA256SUMS over every file (nothing restored if one byte differs).
# 2. The database into the target (--database-url, else DATABASE_URL): PostgreSQL with
#    `pg_restore --clean --if-exists --single-transaction` (the target database must exist;
#    what it holds is replaced, all or nothing); SQLite by copying the file into place (an
#    existing file is kept beside it as *.pre-restore-<time>).
# 3. The evidence into the target storage (--storage-root DIR or --s3, else the environment's
#    SPOTCHECK_STORAGE / SPOTCHECK_STORAGE_LOCAL_ROOT), then every object is checked against
#    evidence.sha256.
# 4. With the app's venv beside this script: `flask audit verify` on the restored database.
# Stop the web and worker units first (systemctl stop spotcheck-web 'spotcheck-worker@*').
set -euo pipefail
umask 027

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
app_root="$(dirname "$here")"
yes=no skip_db=no skip_storage=no target_url="" target_root="" target_storage=""

usage() { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --yes) yes=yes; shift ;;
        --env-file) set -a; # shellcheck disable=SC1090
                    . "$2"; set +a; shift 2 ;;
        --database-url) target_url="$2"; shift 2 ;;
        --storage-root) target_root="$2"; target_storage=local; shift 2 ;;
        --s3) target_storage=s3; shift ;;
        --skip-db) skip_db=yes; shift ;;
        --skip-storage) skip_storage=yes; shift ;;
        -h|--help) usage 0 ;;
        -*) echo "restore: unknown option $1" >&2; usage 2 ;;
        *) backup="$1"; shift ;;
    esac
done
[ -n "${backup:-}" ] || usage 2
[ "$yes" = yes ] || { echo "restore: this replaces the target's data; add --yes" >&2; exit 2; }

python="${SPOTCHECK_PYTHON:-}"
if [ -z "$python" ]; then
    if [ -x "$app_root/.venv/bin/python" ]; then python="$app_root/.venv/bin/python"; else python=python3; fi
fi
log() { printf '%s restore: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
backup="$(cd "$backup" && pwd)"
instance="${SPOTCHECK_INSTANCE_PATH:-$app_root/instance}"
target_url="${target_url:-${DATABASE_URL:-${SPOTCHECK_DATABASE_URL:-sqlite:///$instance/spotcheck.db}}}"
target_storage="${target_storage:-$(printf '%s' "${SPOTCHECK_STORAGE:-local}" | tr '[:upper:]' '[:lower:]')}"
target_root="${target_root:-${SPOTCHECK_STORAGE_LOCAL_ROOT:-$instance/evidence}}"

# --- 1. the manifest ---
log "verifying $backup/SHA256SUMS"
(cd "$backup" && sha256sum --check --strict --quiet SHA256SUMS) \
    || { echo "restore: checksum mismatch in $backup — nothing restored" >&2; exit 1; }
db_file="$(sed -n 's/^database_file=//p' "$backup/info.txt")"
grep -q " \*\?$db_file\$" "$backup/SHA256SUMS" || { echo "restore: $db_file not in SHA256SUMS" >&2; exit 1; }
grep -q ' \*\?evidence.tar$' "$backup/SHA256SUMS" || { echo "restore: evidence.tar not in SHA256SUMS" >&2; exit 1; }

# --- 2. the database ---
if [ "$skip_db" = no ]; then
    case "$db_file:$target_url" in
        database.dump:postgres*)
            pg_url="$(printf '%s' "$target_url" | sed -E 's#^postgres(ql)?(\+[a-z0-9_]+)?://#postgresql://#')"
            log "pg_restore --clean into ${pg_url##*/}"
            # One transaction: a failure leaves the target as it was. --clean --if-exists drops
            # what the dump recreates (DROP is allowed on the append-only audit table; its
            # triggers refuse UPDATE, DELETE and TRUNCATE, which a restore never does).
            pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
                --exit-on-error --dbname="$pg_url" "$backup/$db_file"
            ;;
        database.sqlite3:sqlite:*)
            db_path="${target_url#sqlite:///}"
            mkdir -p "$(dirname "$db_path")"
            if [ -e "$db_path" ]; then
                aside="$db_path.pre-restore-$(date -u +%Y%m%dT%H%M%SZ)"
                log "keeping the existing database as $aside"
                mv "$db_path" "$aside"
                rm -f "$db_path-wal" "$db_path-shm"
            fi
            cp "$backup/$db_file" "$db_path.restoring"
            mv "$db_path.restoring" "$db_path"
            log "SQLite database at $db_path"
            ;;
        *) echo "restore: backup holds $db_file, target is ${target_url%%:*} — not restored" >&2; exit 1 ;;
    esac
fi

# --- 3. the evidence ---
if [ "$skip_storage" = no ]; then
    staging=""
    trap '[ -n "$staging" ] && rm -rf "$staging"' EXIT
    case "$target_storage" in
        local) dest="$target_root" ;;
        s3) staging="$(mktemp -d "${TMPDIR:-/var/tmp}/spotcheck-restore.XXXXXX")"; dest="$staging" ;;
        *) echo "restore: unknown storage $target_storage" >&2; exit 1 ;;
    esac
    mkdir -p "$dest"
    log "evidence into ${target_storage}: $dest"
    # Keys are the app's server-generated paths; tar refuses absolute names and ".." anyway.
    tar -C "$dest" --no-same-owner --no-same-permissions -xf "$backup/evidence.tar"
    (cd "$dest" && sha256sum --check --strict --quiet "$backup/evidence.sha256") \
        || { echo "restore: restored evidence does not match evidence.sha256" >&2; exit 1; }
    if [ "$target_storage" = s3 ]; then
        "$python" "$here/s3_evidence.py" upload "$staging" >&2
    fi
    log "evidence verified: $(wc -l < "$backup/evidence.sha256") files"
fi

# --- 4. the audit chain ---
if [ "$skip_db" = no ] && [ -x "$app_root/.venv/bin/flask" ]; then
    # The head recorded at backup time must still be in the restored chain.
    anchor="$(sed -n 's/^audit_head=\([0-9][0-9]*\) \([0-9a-f]\{64\}\)$/\1:\2/p' "$backup/info.txt")"
    log "audit verify${anchor:+ --anchor $anchor}"
    (cd "$app_root" && DATABASE_URL="$target_url" "$app_root/.venv/bin/flask" --app server \
        audit verify ${anchor:+--anchor "$anchor"})
fi
log "done"
