#!/bin/sh
# watershed-entrypoint - the roles of the watershed image (POSIX sh).
#
#   keys                    make the CURVE key pairs in $WATERSHED_KEYS on
#                           first start: 'coordinator', 'worker' (shared by
#                           every worker replica) and 'client' (the CLI),
#                           and put the public keys of the last two in the
#                           coordinator's allow-list ($WATERSHED_KEYS/
#                           authorized). Never overwrites; run it again and
#                           it only checks.
#   watershedd [OPTION]...  the coordinator with the key pair and the
#                           allow-list (so its sockets use CURVE)
#   watershed-worker [OPTION]...
#                           a worker with the shared worker key pair
#   demo-apply              wait for the coordinator, then apply the demo's
#                           sources ($WATERSHED_DEMO_SOURCES) pointed at
#                           $WATERSHED_DEMO_URL (default http://demo:8089)
#   anything else           run as given (watershed status, sh, ...)
set -eu

keys=${WATERSHED_KEYS:-/keys}

die() {
    echo "watershed-entrypoint: $*" >&2
    exit 1
}

# make_key NAME: DIR/NAME.secret and DIR/NAME.key, unless both exist.
make_key() {
    if [ -f "$keys/$1.secret" ] && [ -f "$keys/$1.key" ]; then
        echo "watershed-entrypoint: key pair '$1' exists in $keys"
    elif [ -f "$keys/$1.secret" ] || [ -f "$keys/$1.key" ]; then
        die "key pair '$1' in $keys is half there; delete $keys/$1.secret and $keys/$1.key to make a new one"
    else
        watershed keygen "$1" --dir "$keys" >/dev/null
        echo "watershed-entrypoint: made key pair '$1' in $keys"
    fi
}

# need FILE: fail with what to do when a key file is missing.
need() {
    [ -r "$1" ] || die "$1 is missing: run the 'keys' role first (docker compose runs it as the 'keys' service)"
}

# The CLI in this container speaks CURVE with the client key pair.
if [ -r "$keys/client.secret" ] && [ -r "$keys/coordinator.key" ]; then
    export WATERSHED_CLIENT_KEY="${WATERSHED_CLIENT_KEY:-$keys/client.secret}"
    export WATERSHED_COORDINATOR_KEY="${WATERSHED_COORDINATOR_KEY:-$keys/coordinator.key}"
fi

role=${1:-watershedd}
[ $# -gt 0 ] && shift
case "$role" in
    keys)
        if [ ! -d "$keys" ] || [ ! -w "$keys" ]; then
            die "key folder '$keys' is not writable"
        fi
        umask 077
        make_key coordinator
        make_key worker
        make_key client
        mkdir -p "$keys/authorized"
        for name in worker client; do
            cmp -s "$keys/$name.key" "$keys/authorized/$name.key" \
                || cp "$keys/$name.key" "$keys/authorized/$name.key"
        done
        chmod 0644 "$keys"/*.key "$keys"/authorized/*.key
        ;;
    watershedd)
        need "$keys/coordinator.secret"
        exec watershedd --curve-key "$keys/coordinator.secret" \
            --curve-authorized "$keys/authorized" "$@"
        ;;
    watershed-worker)
        need "$keys/worker.secret"
        need "$keys/coordinator.key"
        exec watershed-worker --key "$keys/worker.secret" \
            --coordinator-key "$keys/coordinator.key" "$@"
        ;;
    demo-apply)
        url=${WATERSHED_DEMO_URL:-http://demo:8089}
        sources=${WATERSHED_DEMO_SOURCES:-/opt/watershed/share/watershed/demo/sources.json}
        tries=0
        until watershed status >/dev/null 2>&1; do
            tries=$((tries + 1))
            [ "$tries" -lt 120 ] || die "no coordinator answered within 60 s"
            sleep 0.5
        done
        file=$(mktemp)
        sed "s|http://127\.0\.0\.1:8089|$url|g" "$sources" >"$file"
        watershed apply -f "$file"
        rm -f "$file"
        ;;
    *)
        exec "$role" "$@"
        ;;
esac
