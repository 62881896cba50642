# Sourced by ./test: starts a throwaway PostgreSQL server on loopback for the ledger tests and
# exports its URL as USAGETAP_TEST_POSTGRES_URL; the server and its files go when the shell
# exits. Where PostgreSQL is not installed, nothing is started and the tests say they skipped.

start_test_postgres() {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [[ -z $bin || ! -x $bin/initdb ]]; then
        echo "test: PostgreSQL is not installed: the PostgreSQL ledger tests will be skipped" >&2
        return 0
    fi
    # PostgreSQL refuses to run as root: as root, the server runs as the postgres user.
    local as=()
    [[ $(id -u) == 0 ]] && as=(runuser -u postgres --)

    TEST_POSTGRES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/usagetap-postgres.XXXXXX")
    local password
    password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$password" >"$TEST_POSTGRES_DIR/password"
    [[ $(id -u) == 0 ]] && chown -R postgres "$TEST_POSTGRES_DIR"
    trap stop_test_postgres EXIT

    "${as[@]}" "$bin/initdb" -D "$TEST_POSTGRES_DIR/data" -U usagetap --pwfile="$TEST_POSTGRES_DIR/password" \
        --auth=scram-sha-256 -E UTF8 --no-locale >"$TEST_POSTGRES_DIR/initdb.log" 2>&1 ||
        { cat "$TEST_POSTGRES_DIR/initdb.log" >&2; return 1; }
    local port
    for port in $(seq 55432 55532); do
        if "${as[@]}" "$bin/pg_ctl" -D "$TEST_POSTGRES_DIR/data" -l "$TEST_POSTGRES_DIR/server.log" -w -s \
            -o "-p $port -k $TEST_POSTGRES_DIR -c listen_addresses=127.0.0.1" start >/dev/null 2>&1; then
            TEST_POSTGRES_BIN=$bin
            export USAGETAP_TEST_POSTGRES_URL="postgres://usagetap:$password@127.0.0.1:$port/postgres"
            echo "test: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
            return 0
        fi
    done
    echo "test: PostgreSQL would not start on any port of 55432-55532:" >&2
    cat "$TEST_POSTGRES_DIR/server.log" >&2
    return 1
}

stop_test_postgres() {
    if [[ -n ${TEST_POSTGRES_BIN:-} ]]; then
        local as=()
        [[ $(id -u) == 0 ]] && as=(runuser -u postgres --)
        "${as[@]}" "$TEST_POSTGRES_BIN/pg_ctl" -D "$TEST_POSTGRES_DIR/data" -m immediate -s stop >/dev/null 2>&1 || true
    fi
    [[ -n ${TEST_POSTGRES_DIR:-} ]] && rm -rf "$TEST_POSTGRES_DIR"
}
