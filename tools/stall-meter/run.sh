#!/bin/sh
# Meters machine stalls on every CPU for SECONDS (default 60): one stall_meter per CPU, pinned with
# taskset and at SCHED_FIFO priority with chrt where allowed (root). Prints per CPU the wake-ups
# more than THRESHOLD_US (default 3000) late, and the moments every CPU stalled together.
# Needs a C compiler (gcc or cc) and util-linux (taskset, chrt).
set -eu
seconds=${1:-60}; threshold_us=${2:-3000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
${CC:-cc} -O2 -o "$work/stall_meter" "$here/stall_meter.c"
rt="chrt -f 50"; $rt true 2>/dev/null || { rt=""; echo "not allowed real-time priority: the meters share the CPUs with everything else" >&2; }
cpus=$(nproc)
cpu=0
while [ "$cpu" -lt "$cpus" ]; do
  # shellcheck disable=SC2086  # $rt is a command prefix or nothing
  $rt taskset -c "$cpu" "$work/stall_meter" "$seconds" "$threshold_us" > "$work/cpu$cpu.txt" &
  cpu=$((cpu + 1))
done
wait
cpu=0
while [ "$cpu" -lt "$cpus" ]; do
  echo "cpu $cpu: $(grep -c '^late' "$work/cpu$cpu.txt" || true) wake-ups over ${threshold_us} us late; $(tail -n 1 "$work/cpu$cpu.txt")"
  cpu=$((cpu + 1))
done
# Stalls seen on every CPU within 20 ms of each other: the whole machine stopped.
cat "$work"/cpu*.txt | awk -v cpus="$cpus" '/^late/ { print $6, $2 }' | sort -n |
  awk -v cpus="$cpus" '
    { t[NR] = $1; l[NR] = $2 }
    END {
      n = 0; i = 1
      while (i <= NR) {
        j = i; longest = l[i]
        while (j + 1 <= NR && t[j + 1] - t[i] < 0.02) { j++; if (l[j] > longest) longest = l[j] }
        if (j - i + 1 >= cpus) { n++; if (longest > worst) worst = longest }
        i = j + 1
      }
      printf "every CPU stalled together: %d times, the longest %.1f ms\n", n, worst / 1000
    }'
