#!/usr/bin/env bash
# Start-up time of bin/arbiter (in-memory store) and bin/region: launch to the gRPC port accepting,
# and for the region to SERVING-independent port open. 3 runs each; prints ms.
cd "$(dirname "$0")/.."
for run in 1 2 3; do
  t0=$(date +%s%N)
  env -u JAVA_HOME bin/arbiter --port 19390 --bind 127.0.0.1 --insecure >/tmp/sb-a.log 2>&1 & a=$!
  until (exec 3<>/dev/tcp/127.0.0.1/19390) 2>/dev/null; do sleep 0.01; done
  t1=$(date +%s%N)
  env -u JAVA_HOME bin/region --region r --port 19391 --arbiter 127.0.0.1:19390 --bind 127.0.0.1 --insecure >/tmp/sb-r.log 2>&1 & r=$!
  until (exec 3<>/dev/tcp/127.0.0.1/19391) 2>/dev/null; do sleep 0.01; done
  t2=$(date +%s%N)
  until grep -q "serving=true" /tmp/sb-r.log; do sleep 0.01; done
  t3=$(date +%s%N)
  echo "run $run: arbiter port open $(( (t1-t0)/1000000 )) ms, region port open $(( (t2-t1)/1000000 )) ms, region SERVING (after 10000 warm-up purchases) $(( (t3-t1)/1000000 )) ms, JVM warnings: $(grep -c '^WARNING' /tmp/sb-a.log /tmp/sb-r.log | tr '\n' ' ')"
  kill $r; wait $r 2>/dev/null; kill $a; wait $a 2>/dev/null
done
