# Sourced by bin/arbiter, bin/region and client/bin/flashsale: finds a JDK 21+ and the JVM options
# the nodes need. POSIX sh. Sets $java and $java_opts, or prints one line and exits 6.
#
# Order: $JAVA_HOME, the `java` on PATH, then the JDKs installed in the usual places (newest first).

flashsale_java_major() { # prints the feature version of the java binary $1, or nothing
  "$1" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1
}

flashsale_find_java() {
  min=21
  tried=""
  for candidate in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java 2>/dev/null || true)"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    v=$(flashsale_java_major "$candidate")
    if [ -n "$v" ] && [ "$v" -ge "$min" ]; then java=$candidate; java_major=$v; return 0; fi
    tried="$tried $candidate (Java ${v:-?})"
  done
  best=""; best_v=0
  # ${HOME:-…}: a systemd unit or `env -i` may run us without HOME, and set -u would end the script here.
  for home in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "${HOME:-/nonexistent}"/.sdkman/candidates/java/* \
      "${HOME:-/nonexistent}"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -x "$home/bin/java" ] || continue
    v=$(flashsale_java_major "$home/bin/java")
    if [ -n "$v" ] && [ "$v" -gt "$best_v" ]; then best="$home/bin/java"; best_v=$v; fi
  done
  if [ "$best_v" -ge "$min" ]; then java=$best; java_major=$best_v; return 0; fi
  echo "$1: needs a JDK $min or newer, found${tried:- none}${best:+ and $best (Java $best_v)}; install one (e.g. apt-get install openjdk-21-jre-headless) or set JAVA_HOME" >&2
  exit 6
}

# $1: the command name for messages. Leaves $java, $java_major and $java_opts set.
flashsale_java_setup() {
  flashsale_find_java "$1"
  java_opts=""
  # Netty loads its native transport (JDK 22+ warns about restricted native access) and protobuf
  # and Netty use sun.misc.Unsafe (JDK 23+ warns); both warnings would precede the first log line
  # and break one-line CLI output. Older JDKs reject the flags they do not know.
  if [ "$java_major" -ge 22 ]; then java_opts="--enable-native-access=ALL-UNNAMED"; fi
  if [ "$java_major" -ge 23 ]; then java_opts="$java_opts --sun-misc-unsafe-memory-access=allow"; fi
  # 8-byte object headers (a product option since JDK 25, JEP 519): a region's heap per pending
  # Purchase call 3,045-3,055 -> 2,702-2,713 bytes under ZGC, for 4-5 % more CPU per refused call
  # (bench-memory, bench-abuser; docs/measurements.md, twenty-ninth session). JarCluster adds the
  # same where the JVM accepts it.
  if [ "$java_major" -ge 25 ]; then java_opts="$java_opts -XX:+UseCompactObjectHeaders"; fi
}

# Prints -XX:+UseTransparentHugePages where the kernel backs an anonymous-memory heap (G1's, not
# ZGC's, which is shared memory) with transparent huge pages on request, else nothing: the JVM would only warn. Why: on
# this project's VMs a kernel thread samples which physical pages were touched (DAMON, twice a
# second), and clearing the accessed bit of a 4 KiB-mapped Java heap stalled both virtual CPUs
# 3-29 ms at once, ~190 times a minute; a huge-page heap cut that to ~10 (docs/measurements.md,
# "Machine stalls").
flashsale_thp_opts() {
  setting=/sys/kernel/mm/transparent_hugepage/enabled
  if [ -r "$setting" ] && grep -Eq '\[(always|madvise)\]' "$setting"; then
    echo "-XX:+UseTransparentHugePages"
  fi
}

# Prints the options that run a region's socket-reading threads (Java's MAX_PRIORITY) at nice -15
# and the JVM's compiler and GC threads at nice 0, where the process may raise priorities (root;
# CAP_SYS_NICE with FLASHSALE_READ_PRIORITY=on; FLASHSALE_READ_PRIORITY=off never) and the JVM
# allows the mapping (Java 17 does not); else nothing. For the nodes and for the CLI, whose
# in-process regions (demo, bench) stamp the same way: the demo's stamp lag p99 was 3-8 ms
# without them and 0.4-0.9 ms with them (docs/measurements.md, seventeenth session).
flashsale_priority_opts() {
  prio_opts="-XX:ThreadPriorityPolicy=1 -XX:JavaPriority10_To_OSPriority=-15 -XX:JavaPriority9_To_OSPriority=0 -XX:JavaPriority8_To_OSPriority=0"
  case ${FLASHSALE_READ_PRIORITY:-} in
    off) return 0 ;;
    on) ;;
    *) [ "$(id -u)" = 0 ] || return 0 ;;
  esac
  # shellcheck disable=SC2086
  if "$java" $prio_opts -version >/dev/null 2>&1; then echo "$prio_opts"; fi
}

# Prints the node JVM settings of role $1 (arbiter*, else a region).
# A node's collector and heap, by role, with a fixed heap floor and metaspace floor so start-up
# triggers no collections of its own (docs/measurements.md, "Machine stalls", has the runs):
# - a region runs ZGC, whose pauses stay under a millisecond, so a pause never holds a burst's
#   bytes in its socket past their stamp (with G1, 20,000-purchase bursts saw stamp lag p99 of
#   174-255 ms in 2 of 4 bursts and winner precision 0.635 once; with ZGC 9-52 ms and 1.000);
# - the arbiter runs G1, on transparent huge pages where the kernel offers them: with three node
#   JVMs on two cores ZGC's concurrent collector fell behind and the arbiter once stalled past its
#   lease and lost leadership, and the arbiter's pauses delay decisions, never stamps;
# - both compile with C1 alone (-XX:TieredStopAtLevel=1): on two shared cores, C2 compiling the
#   decision path during the first sales took about half the nodes' CPU, and a 20,000-purchase
#   burst's last decision came 1.7x sooner without it (README, "Measured");
# - both exit on an OutOfMemoryError: a node half broken by one (a dead Netty or loop thread) still
#   passes a TCP liveness probe; exited, it is restarted.
# JarCluster (the tests' launcher) and the container images (the poms' Jib settings) use the same;
# ContainerImageTest holds the three to one another.
flashsale_node_opts() {
  case $1 in
    arbiter*) echo "-XX:+UseG1GC -Xms512m -Xmx1g -XX:MetaspaceSize=128m -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError $(flashsale_thp_opts)" ;;
    *) echo "-XX:+UseZGC -Xms512m -Xmx1g -XX:MetaspaceSize=128m -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError" ;;
  esac
}

# Runs a node jar: $1 the command name, $2 the jar, the rest its arguments.
# FLASHSALE_NODE_JVM_OPTS replaces the role's settings (flashsale_node_opts); FLASHSALE_JAVA_OPTS adds options.
flashsale_exec_node() {
  name=$1; jar=$2; shift 2
  if [ ! -f "$jar" ]; then
    echo "$name: $jar not found; build it with ./mvnw -B -q -DskipTests package" >&2
    exit 6
  fi
  flashsale_java_setup "$name"
  node_opts=${FLASHSALE_NODE_JVM_OPTS:-$(flashsale_node_opts "$name")}
  # shellcheck disable=SC2086  # option lists are split into words on purpose
  exec "$java" $java_opts $node_opts $(flashsale_priority_opts) ${FLASHSALE_JAVA_OPTS:-} -jar "$jar" "$@"
}
