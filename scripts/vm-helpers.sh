# SPDX-License-Identifier: GPL-2.0-or-later
# Shell helpers shared by scripts that drive the emulator by hand (the
# demo, the benchmarks).  Source it; it defines functions only.

# free_port udp|tcp: a port on 127.0.0.1 that nothing listens on.
free_port() {
    local flag=-Hlun port
    [ "$1" = tcp ] && flag=-Hltn
    while :; do
        port=$(( 20000 + RANDOM % 40000 ))
        [ -z "$(ss "$flag" "sport = :$port" 2>/dev/null)" ] && { echo "$port"; return; }
    done
}

# wait_log FILE PID TEXT TIMEOUT_S: until FILE contains TEXT; fails (1)
# at the timeout or when process PID is gone.
wait_log() {
    local deadline=$(( $(date +%s) + $4 ))
    until grep -qa "$3" "$1" 2>/dev/null; do
        if [ "$(date +%s)" -ge "$deadline" ] || ! kill -0 "$2" 2>/dev/null; then
            return 1
        fi
        sleep 0.01
    done
}

# send_tcp FILE PORT: send FILE's bytes over a TCP connection to
# 127.0.0.1:PORT (a guest service behind a forward) within 600 s.
send_tcp() {
    timeout 600 bash -c 'cat "$1" > "/dev/tcp/127.0.0.1/$2"' _ "$1" "$2"
}
