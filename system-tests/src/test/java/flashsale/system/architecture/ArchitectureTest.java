package flashsale.system.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The boundaries DESIGN.md draws, enforced on the compiled classes of every module: the pure cores
 * (the sequencer, the region book, shard accounting, the sale rules) know nothing of gRPC, Redis,
 * metrics, protobuf, executors, locks or the wall clock (they may log through slf4j, and a store
 * port may answer with a future); adapters translate around them.
 */
class ArchitectureTest {
  static final String[] CORE_PACKAGES = {
      "flashsale.arbiter.core..", "flashsale.region.core..", "flashsale.sale..", "flashsale.shard.."};
  /** Use cases: they drive the cores through ports (a store, the sequencer's loop), never an adapter. */
  static final String[] USE_CASE_PACKAGES = {"flashsale.arbiter.events.."};

  static JavaClasses production;

  @BeforeAll
  static void importClasses() {
    production = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .withImportOption(location -> !location.contains("-tests.jar")) // store's test-jar, in a reactor build
        .importPackages("flashsale");
  }

  @Test
  void coresImportNoTransportStoreMetricsOrProto() {
    ArchRule rule = noClasses().that().resideInAnyPackage(CORE_PACKAGES)
        .should().dependOnClassesThat().resideInAnyPackage(
            "io.grpc..", "io.netty..", "io.lettuce..", "io.micrometer..", "com.google.protobuf..", "com.google.rpc..",
            "flashsale.v1..", "flashsale.wire..", "flashsale.store.redis..")
        .because("the cores are pure: adapters map protos, statuses and stores around them");
    rule.check(production);
  }

  @Test
  void useCasesReachNoAdapter() {
    ArchRule rule = noClasses().that().resideInAnyPackage(USE_CASE_PACKAGES)
        .should().dependOnClassesThat().resideInAnyPackage(
            "io.grpc..", "io.netty..", "io.lettuce..", "io.micrometer..", "com.google.protobuf..", "com.google.rpc..",
            "flashsale.v1..", "flashsale.wire..", "flashsale.store.redis..", "flashsale.arbiter.grpc..",
            "flashsale.arbiter.metrics..", "flashsale.arbiter.cluster..")
        .because("a use case drives the cores through ports; gRPC, Redis, metrics and leases are wired around it");
    rule.check(production);
  }

  @Test
  void coresReadNoWallClockAndStartNoThreads() {
    ArchRule rule = noClasses().that().resideInAnyPackage(CORE_PACKAGES)
        .should().callMethod(System.class, "currentTimeMillis")
        .orShould().callMethod(System.class, "nanoTime")
        .orShould().callMethod(java.time.Instant.class, "now")
        // A store port may answer with a CompletableFuture; running or scheduling work is the loop's.
        // (the injected flashsale.loop.LoopScheduler is an Executor: that one is the point)
        .orShould().dependOnClassesThat(JavaClass.Predicates.assignableTo(java.util.concurrent.Executor.class)
            .and(DescribedPredicate.not(JavaClass.Predicates.resideInAPackage("flashsale.loop.."))))
        .orShould().dependOnClassesThat().belongToAnyOf(java.util.concurrent.Executors.class)
        .orShould().dependOnClassesThat().resideInAnyPackage("java.util.concurrent.locks..")
        .orShould().dependOnClassesThat().areAssignableTo(Thread.class)
        .because("time and threads are injected, so one seeded simulation can drive the whole system");
    rule.check(production);
  }
}
