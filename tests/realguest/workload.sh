#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Drive the stock Debian guest (scripts/build-debian-image.sh) with real
# clients from the host, for a false-alarm soak of the detector.
#
#   tests/realguest/workload.sh --host 127.0.0.1 --ssh-port P --http-port P \
#       --dns-port P --redis-port P --memcached-port P --smtp-port P \
#       --key KEYFILE --seconds N [--timeout S] [--redis-clients N]
#       [--out FILE]
#
# Each workload whose port is given runs its own loop for N seconds, all
# at once, so the guest sees mixed traffic:
#   http       curl GET / and /big.bin (sha256 of the known 16 MiB), POST
#              of 1-4 MiB to /upload (nginx names the length it read), a 404
#   dns        dig over UDP and over TCP (+tcp): A, TXT, MX of vg.test
#   redis      redis-cli SET/GET/INCR/DEL
#   redisbench (with redis) back-to-back short redis-benchmark runs,
#              -n 500 with --redis-clients parallel clients (default 4:
#              user-mode networking stalls with 50; a tap network does not)
#   memcached  set/get/delete of up to 16 KiB on fresh connections (python3)
#   ssh        logins running commands, scp uploads of 2-4 MiB checked by
#              sha256sum in the guest (needs --key)
#   smtp       mails to root (python3 smtplib), then a check over ssh that
#              every accepted mail was delivered to /var/mail
# The cheap loops (dns, memcached, redis) pause between requests so that
# they do not starve the others of the guest's one CPU.
# Every request is checked.  At the end one line per workload:
#   workload NAME ok=N failed=M seconds=S
# (also written to --out FILE) and the exit status is 1 if any request
# failed or a workload completed none.  All traffic goes to --host, which
# must be a loopback address (slirp's forwards) or the guest's address on
# the test's private tap network (10.0.2.0/24, soak.sh --net tap); every
# loop is bounded in time and count.
# Failures are reported on stderr (the first 20 per workload).
set -euo pipefail

HOST=127.0.0.1
SECONDS_=60
TIMEOUT=120         # per request; raise it for slow (instrumented) guests
REDIS_CLIENTS=4     # redis-benchmark -c
OUT=
KEY=
declare -A PORT=()
WORKLOADS=(http dns redis redisbench memcached ssh smtp)
MAX_ITER=100000     # a bound on every loop besides its deadline
MAX_REPORTED=20     # failures printed per workload
PAUSE=0.1           # seconds between requests of the cheap loops
BIG_SIZE=$((16 << 20))
GUEST_NAME=vg-debian

die() {
    echo "workload.sh: error: $*" >&2
    exit 2
}
usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
    --host) HOST=$2; shift 2 ;;
    --ssh-port|--http-port|--dns-port|--redis-port|--memcached-port|--smtp-port)
        w=${1#--}; w=${w%-port}
        [[ $2 =~ ^[0-9]+$ ]] || die "$1 needs a port number"
        PORT[$w]=$2; shift 2 ;;
    --key) KEY=$2; shift 2 ;;
    --seconds) SECONDS_=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --redis-clients) REDIS_CLIENTS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ $SECONDS_ =~ ^[0-9]+$ ]] && [ "$SECONDS_" -gt 0 ] || die "--seconds needs a positive number"
[[ $TIMEOUT =~ ^[0-9]+$ ]] && [ "$TIMEOUT" -gt 0 ] || die "--timeout needs a positive number"
[[ $REDIS_CLIENTS =~ ^[0-9]+$ ]] && [ "$REDIS_CLIENTS" -gt 0 ] &&
    [ "$REDIS_CLIENTS" -le 1000 ] || die "--redis-clients needs a number from 1 to 1000"
# Soak traffic stays on this machine.
case $HOST in
127.*|localhost|::1|10.0.2.*) ;;
*) die "--host must be a loopback address (127.0.0.0/8) or in 10.0.2.0/24, not '$HOST'" ;;
esac
[ ${#PORT[@]} -gt 0 ] || die "no --*-port given: nothing to do (see --help)"
if [ -n "${PORT[ssh]:-}" ]; then
    [ -n "$KEY" ] || die "--ssh-port needs --key KEYFILE"
    [ -r "$KEY" ] || die "cannot read key $KEY"
fi

need() { command -v "$1" >/dev/null || die "'$1' not found (package $2; run scripts/install-deps.sh)"; }
need python3 python3
need timeout coreutils
[ -z "${PORT[http]:-}" ] || need curl curl
[ -z "${PORT[dns]:-}" ] || need dig bind9-dnsutils
if [ -n "${PORT[redis]:-}" ]; then need redis-cli redis-tools; need redis-benchmark redis-tools; fi
if [ -n "${PORT[ssh]:-}" ]; then need ssh openssh-client; need scp openssh-client; fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vg-workload.XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

RUN_ID=$(date +%s)-$$
START=$(date +%s)
DEADLINE=$((START + SECONDS_))
# The guest's host keys are new to us and the same in every copy of the
# image: no known_hosts.  (ssh takes the port with -p, scp with -P.)
SSH_OPTS=(-i "$KEY" -o BatchMode=yes -o IdentitiesOnly=yes
          -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
          -o LogLevel=ERROR -o ConnectTimeout="$TIMEOUT")

# ---- helpers shared by the loops (each loop runs in its own subshell) ----
OK=0 FAILED=0 NAME=
fail() {
    FAILED=$((FAILED + 1))
    [ "$FAILED" -gt "$MAX_REPORTED" ] || echo "workload.sh: $NAME: $*" >&2
}
pass() { OK=$((OK + 1)); }
running() { [ "$(date +%s)" -lt "$DEADLINE" ] && [ "$1" -lt "$MAX_ITER" ]; }
report() {
    echo "workload $NAME ok=$OK failed=$FAILED seconds=$(( $(date +%s) - START ))" \
        >"$TMP/$NAME.result"
}
guest_ssh() { timeout "$TIMEOUT" ssh -p "${PORT[ssh]}" "${SSH_OPTS[@]}" "root@$HOST" "$@"; }

# Python for the byte-exact parts: big.bin's known content, memcached's
# protocol, SMTP.
cat >"$TMP/helper.py" <<'EOF'
import hashlib, os, random, smtplib, socket, sys, time
from email.message import EmailMessage

def err(name, msg):
    print(f"{name}: {msg}", file=sys.stderr, flush=True)

def bigsha(size):
    # The guest's /var/www/html/big.bin: SHAKE-256 of a fixed string.
    data = hashlib.shake_256(b"vigilante-qemu big.bin").digest(size)
    print(hashlib.sha256(data).hexdigest())

def memcached(host, port, deadline, timeout, max_iter, pause):
    ok = failed = 0
    def fail(msg):
        nonlocal failed
        failed += 1
        if failed <= 20:
            err("memcached", msg)
    it = 0
    while time.time() < deadline and it < max_iter:
        it += 1
        try:
            s = socket.create_connection((host, port), timeout=timeout)
            f = s.makefile("rwb")
            for j in range(10):      # a fresh connection every 10 keys
                key = f"vg:{os.getpid()}:{it}:{j}"
                val = os.urandom(random.randint(1, 16 << 10))
                f.write(b"set %s 0 0 %d\r\n%s\r\n" % (key.encode(), len(val), val))
                f.flush()
                r = f.readline()
                if r != b"STORED\r\n":
                    fail(f"set {key}: {r!r}"); continue
                f.write(b"get %s\r\n" % key.encode()); f.flush()
                hdr = f.readline().split()
                if len(hdr) != 4 or hdr[0] != b"VALUE" or int(hdr[3]) != len(val):
                    fail(f"get {key}: header {hdr!r}"); break
                got = f.read(len(val) + 2)
                end = f.readline()
                if got[:-2] != val or end != b"END\r\n":
                    fail(f"get {key}: value differs"); break
                f.write(b"delete %s\r\n" % key.encode()); f.flush()
                r = f.readline()
                if r != b"DELETED\r\n":
                    fail(f"delete {key}: {r!r}"); continue
                ok += 1
                time.sleep(pause)
            f.write(b"quit\r\n"); f.flush()
            s.close()
        except (OSError, ValueError) as e:
            fail(f"connection: {e}")
            time.sleep(1)
    print(f"ok={ok} failed={failed}")

def smtp(host, port, deadline, timeout, max_iter, token, rcpt):
    sent = failed = 0
    it = 0
    while time.time() < deadline and it < max_iter:
        try:
            s = smtplib.SMTP(host, port, local_hostname="vg-host.vg.test", timeout=timeout)
            s.ehlo()
            for j in range(5):       # a fresh session every 5 mails
                it += 1
                m = EmailMessage()
                m["From"] = "soak@vg-host.vg.test"
                m["To"] = rcpt
                m["Subject"] = f"vg-soak {token} #{it}"
                lines = random.randint(10, 400)
                m.set_content("".join(f"line {k} {os.urandom(24).hex()}\n" for k in range(lines)))
                refused = s.send_message(m)
                if refused:
                    failed += 1
                    if failed <= 20: err("smtp", f"refused: {refused}")
                else:
                    sent += 1
                if time.time() >= deadline:
                    break
            s.quit()
        except (OSError, smtplib.SMTPException) as e:
            failed += 1
            if failed <= 20: err("smtp", f"session: {e}")
            time.sleep(1)
    print(f"sent={sent} failed={failed}")

cmd = sys.argv[1]
if cmd == "bigsha":
    bigsha(int(sys.argv[2]))
elif cmd == "memcached":
    memcached(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]),
              int(sys.argv[6]), float(sys.argv[7]))
elif cmd == "smtp":
    smtp(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]),
         int(sys.argv[6]), sys.argv[7], sys.argv[8])
EOF

# Upload bodies, made once: three sizes so that lengths vary.
make_payloads() {
    local mib
    for mib in "$@"; do
        head -c "$((mib << 20))" /dev/urandom >"$TMP/payload-$mib"
    done
}

# ---- http -------------------------------------------------------------
run_http() {
    NAME=http
    local base="http://$HOST:${PORT[http]}" i=0 code body sizes=(1 2 4)
    local want_sha
    want_sha=$(python3 "$TMP/helper.py" bigsha "$BIG_SIZE")
    local curl=(curl -sS --max-time "$TIMEOUT")
    while running "$i"; do
        i=$((i + 1))
        # GET /: the guest's own page.
        if code=$("${curl[@]}" -o "$TMP/http.index" -w '%{http_code}' "$base/") &&
           [ "$code" = 200 ] && grep -q "$GUEST_NAME" "$TMP/http.index"; then
            pass
        else
            fail "GET / -> ${code:-no answer}"
        fi
        # GET /big.bin: 16 MiB of known bytes.
        if [ $((i % 2)) -eq 1 ]; then
            if code=$("${curl[@]}" -o "$TMP/http.big" -w '%{http_code}' "$base/big.bin") &&
               [ "$code" = 200 ] &&
               [ "$(sha256sum <"$TMP/http.big" | cut -d' ' -f1)" = "$want_sha" ]; then
                pass
            else
                fail "GET /big.bin -> ${code:-no answer}, $(stat -c %s "$TMP/http.big" 2>/dev/null || echo 0) bytes, sha256 mismatch or error"
            fi
            rm -f "$TMP/http.big"
        fi
        # POST /upload: nginx reads the whole body and names its length.
        if [ $((i % 2)) -eq 0 ]; then
            local mib=${sizes[$(( (i / 2) % 3 ))]} len
            len=$((mib << 20))
            if body=$("${curl[@]}" -H 'Content-Type: application/octet-stream' \
                         --data-binary "@$TMP/payload-$mib" "$base/upload") &&
               [ "$body" = "received $len bytes" ]; then
                pass
            else
                fail "POST /upload ($len bytes) -> '${body:-no answer}'"
            fi
        fi
        # A missing page is a 404, not an error.
        if [ $((i % 5)) -eq 0 ]; then
            if code=$("${curl[@]}" -o /dev/null -w '%{http_code}' "$base/no-such-page-$i") &&
               [ "$code" = 404 ]; then
                pass
            else
                fail "GET /no-such-page -> ${code:-no answer}, expected 404"
            fi
        fi
    done
    report
}

# ---- dns --------------------------------------------------------------
run_dns() {
    NAME=dns
    local i=0 got q proto
    # "type name|expected dig +short output"
    local queries=(
        "A www.vg.test|10.0.2.15"
        "A vg-debian.vg.test|10.0.2.15"
        "TXT info.vg.test|\"vigilante-qemu soak guest\""
        "MX vg.test|10 vg-debian.vg.test."
        "TXT multi.vg.test|\"first string\" \"second string\""
        "A RANDOM.vg.test|10.0.2.15"
    )
    while running "$i"; do
        for q in "${queries[@]}"; do
            i=$((i + 1))
            local ask=${q%%|*} want=${q#*|}
            ask=${ask/RANDOM/r$RANDOM$i}
            # Alternate UDP and TCP, so both see every query type.
            proto=()
            [ $(( (i / ${#queries[@]}) % 2 )) -eq 0 ] || proto=(+tcp)
            # shellcheck disable=SC2086
            if got=$(dig @"$HOST" -p "${PORT[dns]}" "${proto[@]}" +short +time="$TIMEOUT" \
                         +tries=1 $ask 2>&1) && [ "$got" = "$want" ]; then
                pass
            else
                fail "$ask ${proto[*]:-udp}: got '${got//$'\n'/ }', want '$want'"
            fi
            sleep "$PAUSE"
        done
    done
    report
}

# ---- redis ------------------------------------------------------------
run_redis() {
    NAME=redis
    local i=0 key val got
    local cli=(timeout "$TIMEOUT" redis-cli -h "$HOST" -p "${PORT[redis]}")
    while running "$i"; do
        i=$((i + 1))
        key="vg:$RUN_ID:$i"
        val="value-$i-$RANDOM$RANDOM-$(head -c $((RANDOM % 2048)) /dev/zero | tr '\0' x)"
        if got=$("${cli[@]}" SET "$key" "$val") && [ "$got" = OK ]; then pass
        else fail "SET $key -> '$got'"; fi
        if got=$("${cli[@]}" GET "$key") && [ "$got" = "$val" ]; then pass
        else fail "GET $key -> ${#got} bytes, not the value set"; fi
        if got=$("${cli[@]}" INCR "vg:$RUN_ID:counter") && [ "$got" = "$i" ]; then pass
        else fail "INCR -> '$got', want $i"; fi
        if got=$("${cli[@]}" DEL "$key") && [ "$got" = 1 ]; then pass
        else fail "DEL $key -> '$got'"; fi
        sleep "$PAUSE"
    done
    "${cli[@]}" DEL "vg:$RUN_ID:counter" >/dev/null 2>&1 || true
    report
}

# A loop of its own: under load one run takes tens of seconds, which
# would starve the redis-cli loop.  Each run is 2 x 500 requests from 4
# clients (-r: over 1000 keys), small enough to finish within --timeout
# on a guest under taint whose one CPU the other workloads also load
# (2 x 2000 took over 120 s there); both tests must report a rate.
run_redisbench() {
    NAME=redisbench
    local i=0 got n rc
    while running "$i"; do
        i=$((i + 1))
        rc=0
        got=$(timeout "$TIMEOUT" redis-benchmark -h "$HOST" -p "${PORT[redis]}" \
                  -c "$REDIS_CLIENTS" -n 500 -r 1000 -t set,get --csv 2>&1) || rc=$?
        if [ "$rc" -eq 0 ] &&
           n=$(grep -cE '^"(SET|GET)","[0-9.]+"' <<<"$got") && [ "$n" -eq 2 ]; then
            pass
        elif [ "$rc" -eq 124 ]; then
            fail "redis-benchmark: no result within $TIMEOUT s"
        else
            fail "redis-benchmark: status $rc: $(tail -n1 <<<"$got")"
        fi
    done
    report
}

# ---- memcached -------------------------------------------------------
run_memcached() {
    NAME=memcached
    local res
    res=$(python3 "$TMP/helper.py" memcached "$HOST" "${PORT[memcached]}" \
              "$DEADLINE" "$TIMEOUT" "$MAX_ITER" "$PAUSE" 2> >(sed "s/^/workload.sh: /" >&2)) ||
        res="ok=0 failed=1"
    OK=$(sed -n 's/.*ok=\([0-9]*\).*/\1/p' <<<"$res")
    FAILED=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$res")
    report
}

# ---- ssh --------------------------------------------------------------
run_ssh() {
    NAME=ssh
    local i=0 out want_sha got_sha sizes=(2 3 4)
    while running "$i"; do
        i=$((i + 1))
        # A login that runs commands: the kernel name, a count, an echo.
        if out=$(guest_ssh 'uname -a; ls /etc | wc -l; echo hi' 2>&1) &&
           [ "$(sed -n 1p <<<"$out" | cut -d' ' -f1,2)" = "Linux $GUEST_NAME" ] &&
           [[ $(sed -n 2p <<<"$out") =~ ^[0-9]+$ ]] &&
           [ "$(sed -n 3p <<<"$out")" = hi ]; then
            pass
        else
            fail "login: '${out//$'\n'/ | }'"
        fi
        # Every other round: an scp upload, checked by the guest's sha256sum.
        if [ $((i % 2)) -eq 0 ]; then
            local f=$TMP/payload-${sizes[$(( (i / 2) % 3 ))]}
            local dst=/tmp/vg-upload-$RUN_ID-$i
            want_sha=$(sha256sum <"$f" | cut -d' ' -f1)
            if out=$(timeout "$TIMEOUT" scp -q -P "${PORT[ssh]}" "${SSH_OPTS[@]}" \
                         "$f" "root@$HOST:$dst" 2>&1) &&
               got_sha=$(guest_ssh "sha256sum $dst && rm -f $dst" 2>&1) &&
               [ "${got_sha%% *}" = "$want_sha" ]; then
                pass
            else
                fail "scp $(stat -c %s "$f") bytes: '${out:-}' sha256 '${got_sha:-}'"
            fi
        fi
    done
    report
}

# ---- smtp -------------------------------------------------------------
run_smtp() {
    NAME=smtp
    local token="t$RUN_ID" res sent delivered=0 t_end
    res=$(python3 "$TMP/helper.py" smtp "$HOST" "${PORT[smtp]}" "$DEADLINE" "$TIMEOUT" \
              "$MAX_ITER" "$token" "root@$GUEST_NAME" \
              2> >(sed "s/^/workload.sh: /" >&2)) || res="sent=0 failed=1"
    sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$res")
    FAILED=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$res")
    if [ -z "${PORT[ssh]:-}" ]; then
        # Without ssh, accepted by the server is as far as we can see.
        echo "workload.sh: smtp: no --ssh-port: delivery not checked" >&2
        OK=$sent
    else
        # Exim delivers at once; give its queue a little time all the same.
        # Mail to root goes to /var/mail/mail (Debian's mail4root router).
        t_end=$(( $(date +%s) + TIMEOUT ))
        while :; do
            delivered=$(guest_ssh "cat /var/mail/* 2>/dev/null | grep -c '^Subject: vg-soak $token #'" 2>/dev/null) ||
                delivered=${delivered:-0}
            [[ $delivered =~ ^[0-9]+$ ]] || delivered=0
            [ "$delivered" -lt "$sent" ] && [ "$(date +%s)" -lt "$t_end" ] || break
            sleep 2
        done
        OK=$delivered
        if [ "$delivered" -lt "$sent" ]; then
            FAILED=$((FAILED + sent - delivered))
            echo "workload.sh: smtp: $((sent - delivered)) of $sent accepted mails not delivered" >&2
        fi
    fi
    report
}

# ---- run them all at once -------------------------------------------------
[ -z "${PORT[http]:-}${PORT[ssh]:-}" ] || make_payloads 1 2 3 4
active=()
[ -z "${PORT[redis]:-}" ] || PORT[redisbench]=${PORT[redis]}
for w in "${WORKLOADS[@]}"; do
    [ -n "${PORT[$w]:-}" ] || continue
    active+=("$w")
    ( "run_$w" ) &
    PIDS+=($!)
done
echo "workload.sh: ${active[*]} against $HOST for $SECONDS_ s (run $RUN_ID)" >&2
for p in "${PIDS[@]}"; do wait "$p" || true; done
PIDS=()

status=0
summary=()
for w in "${active[@]}"; do
    if [ -s "$TMP/$w.result" ]; then
        line=$(cat "$TMP/$w.result")
    else
        line="workload $w ok=0 failed=1 seconds=$(( $(date +%s) - START ))"
        echo "workload.sh: $w: the loop died without a result" >&2
    fi
    summary+=("$line")
    # Fail on any failed request, and on a workload that completed none.
    [[ $line =~ failed=0\  ]] && ! [[ $line =~ ok=0\  ]] || status=1
done
printf '%s\n' "${summary[@]}"
[ -z "$OUT" ] || printf '%s\n' "${summary[@]}" >"$OUT"
exit "$status"
