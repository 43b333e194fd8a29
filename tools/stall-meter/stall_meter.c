/*
 * Machine stall meter: sleeps 1 ms in a loop and reports each wake-up that came more than a
 * threshold late. Run one per CPU, pinned and at real-time priority (run.sh does), so that the
 * guest's own scheduler cannot delay it: what lateness remains is the machine (hypervisor or
 * kernel) taking the CPU away. Used to separate the box's stalls from the project's own tail.
 *
 * usage: stall_meter SECONDS THRESHOLD_US
 * prints one line per late wake-up (lateness in us, wall-clock end in epoch seconds), then a
 * histogram line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long monotonic_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

static double wall_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s SECONDS THRESHOLD_US\n", argv[0]);
    return 2;
  }
  long seconds = atol(argv[1]), threshold_us = atol(argv[2]);
  long end_ns = monotonic_ns() + seconds * 1000000000L;
  static const long bucket_us[] = {100, 500, 1000, 2000, 5000, 10000, 20000};
  long counts[8] = {0}, wakeups = 0, max_late_us = 0;
  struct timespec one_ms = {0, 1000000};
  while (monotonic_ns() < end_ns) {
    long before_ns = monotonic_ns();
    nanosleep(&one_ms, NULL);
    long late_us = (monotonic_ns() - before_ns - 1000000) / 1000;
    wakeups++;
    if (late_us > max_late_us) max_late_us = late_us;
    int b = 0;
    while (b < 7 && late_us >= bucket_us[b]) b++;
    counts[b]++;
    if (late_us > threshold_us) printf("late %ld us ending at %.4f\n", late_us, wall_s());
  }
  printf("wakeups=%ld max_late_us=%ld; <0.1ms %ld <0.5ms %ld <1ms %ld <2ms %ld <5ms %ld <10ms %ld <20ms %ld >=20ms %ld\n",
         wakeups, max_late_us, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], counts[7]);
  return 0;
}
