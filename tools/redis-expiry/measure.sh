#!/usr/bin/env bash
# How long one command waits when a big sale's decisions hash expires, with Redis's
# lazyfree-lazy-expire off (Redis 7's default) and on. Starts its own redis-server on a free port.
# Usage: tools/redis-expiry/measure.sh [millions of fields, default 3]
set -euo pipefail
millions=${1:-3}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --save '' --appendonly no --daemonize yes >/dev/null
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true' EXIT
sleep 0.5
echo "$(redis-server --version | cut -d' ' -f1-3), ${millions}M fields of ~40 bytes (one per decision)"
for mode in no yes; do
  redis-cli -p "$port" config set lazyfree-lazy-expire "$mode" >/dev/null
  for chunk in $(seq 0 $((millions * 10 - 1))); do
    redis-cli -p "$port" eval "for i=1,100000 do redis.call('HSET', KEYS[1], 'request-' .. (ARGV[1]*100000+i),
      'decision-bytes-of-about-forty-characters-x') end" 1 'fs:{e}:decisions' "$chunk" >/dev/null
  done
  redis-cli -p "$port" pexpire 'fs:{e}:decisions' 1 >/dev/null
  start=$(date +%s%N)
  redis-cli -p "$port" exists 'fs:{e}:decisions' >/dev/null # the access that finds it expired frees it
  redis-cli -p "$port" ping >/dev/null
  end=$(date +%s%N)
  echo "lazyfree-lazy-expire=$mode: the command that met the expiry, and a PING after it, took $(( (end - start) / 1000000 )) ms"
done
