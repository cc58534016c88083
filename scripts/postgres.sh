#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback for the registry's Postgres tests (and CI).
#   scripts/postgres.sh start DIR   installs Debian's postgresql if needed, makes a cluster in DIR,
#                                   starts it on a free 127.0.0.1 port, prints its URL
#   scripts/postgres.sh stop DIR    stops it (DIR can then be removed)
# Tests use it through WARDEN_TEST_POSTGRES=$(scripts/postgres.sh start DIR).
set -euo pipefail
command="${1:-}"; dir="${2:-}"
[ -n "$command" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

bin() {
    local found
    found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
    [ -n "$found" ] && echo "$found"
}

as_postgres() { # command… (the server refuses to run as root)
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$command" in
start)
    if [ -z "$(bin)" ]; then
        (apt-get install -y postgresql >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y postgresql >/dev/null 2>&1; }) \
            || { echo "cannot install postgresql (apt-get install -y postgresql)" >&2; exit 2; }
    fi
    BIN="$(bin)"
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
    password="warden-test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
    echo "$password" > "$dir/.pwfile"; chmod 600 "$dir/.pwfile"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir/.pwfile"; fi
    as_postgres "$BIN/initdb" -D "$dir/data" -U warden --pwfile="$dir/.pwfile" --auth=scram-sha-256 -E UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 2; }
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    as_postgres "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=on -c max_connections=200" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 2; }
    PGPASSWORD="$password" "$BIN/createdb" -h 127.0.0.1 -p "$port" -U warden warden
    echo "postgres://warden:$password@127.0.0.1:$port/warden"
    ;;
stop)
    BIN="$(bin)"
    [ -d "$dir/data" ] && as_postgres "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
