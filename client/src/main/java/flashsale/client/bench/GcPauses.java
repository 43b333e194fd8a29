package flashsale.client.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The stop-the-world collections of this JVM while a window is open, from the collectors' own
 * notifications: with the nodes in this process, a decision's tail beside them says whether a
 * pause held it. Concurrent cycles (G1's marking, ZGC's cycles) are left out: they pause nothing.
 */
final class GcPauses implements AutoCloseable {
  /** One pause: how long it took, which collector. */
  record Pause(long durationMs, String collector) {}

  private final ConcurrentLinkedQueue<Pause> pauses = new ConcurrentLinkedQueue<>();
  private final List<NotificationEmitter> emitters = new ArrayList<>();
  private final NotificationListener listener = this::onNotification;

  /** Starts listening now. */
  static GcPauses start() {
    GcPauses recorder = new GcPauses();
    for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (bean instanceof NotificationEmitter emitter && pausesTheWorld(bean.getName())) {
        emitter.addNotificationListener(recorder.listener, null, null);
        recorder.emitters.add(emitter);
      }
    }
    return recorder;
  }

  /** G1 Young/Old Generation, ZGC Minor/Major Pauses, Parallel, Serial: not the concurrent beans. */
  static boolean pausesTheWorld(String collectorName) {
    return !collectorName.contains("Concurrent") && !collectorName.contains("Cycles");
  }

  private void onNotification(Notification notification, Object handback) {
    if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) return;
    var info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
    pauses.add(new Pause(info.getGcInfo().getDuration(), info.getGcName()));
  }

  /** Forgets what was seen so far: the window starts now. */
  void restart() {
    pauses.clear();
  }

  List<Pause> pauses() {
    return List.copyOf(pauses);
  }

  /** One line: how many pauses, their total and the longest, or that there was none. */
  String summary() {
    List<Pause> seen = pauses();
    if (seen.isEmpty()) return "no stop-the-world collection";
    long total = seen.stream().mapToLong(Pause::durationMs).sum();
    Pause longest = seen.stream().max(java.util.Comparator.comparingLong(Pause::durationMs)).orElseThrow();
    return String.format(Locale.ROOT, "%d stop-the-world collection(s), %d ms in all, the longest %d ms (%s)",
        seen.size(), total, longest.durationMs(), longest.collector());
  }

  @Override
  public void close() {
    for (NotificationEmitter emitter : emitters) {
      try {
        emitter.removeNotificationListener(listener);
      } catch (ListenerNotFoundException e) {
        // already gone: nothing to undo
      }
    }
    emitters.clear();
  }
}
