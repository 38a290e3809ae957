package uniqcount;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The layering of DESIGN.md, enforced on the compiled production classes (a failure here fails
 * {@code mvn verify}):
 *
 * <pre>
 * control: cli ──> engine (the job: threads, lifecycle, failures, checkpoints)
 * data:    source ──> frame ──> window/count ──> emit ──> sink      checkpoint: the codec of state
 * side:    kafka (client settings, admin), gen, broker, bench; the root holds UserException
 * serve:   the live page (store, HTTP server, file follower, range queries): count (sketch images), no Kafka types
 * </pre>
 */
class ArchitectureTest {
  private static final JavaClasses PRODUCT = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("uniqcount");

  /** Package → the packages of ours it may use (besides itself and the root's UserException). */
  private static final Map<String, Set<String>> ALLOWED = new LinkedHashMap<>();

  static {
    ALLOWED.put("frame", Set.of());
    ALLOWED.put("count", Set.of());
    ALLOWED.put("kafka", Set.of());
    ALLOWED.put("gen", Set.of());
    ALLOWED.put("broker", Set.of());
    ALLOWED.put("bench", Set.of("frame")); // the Jackson baseline hashes and ranges like the decoder
    ALLOWED.put("serve", Set.of("count"));
    ALLOWED.put("source", Set.of("kafka"));
    ALLOWED.put("window", Set.of("count"));
    ALLOWED.put("emit", Set.of("window", "count"));
    ALLOWED.put("sink", Set.of("emit", "kafka"));
    ALLOWED.put("checkpoint", Set.of("emit", "window", "count"));
    ALLOWED.put("engine", Set.of("checkpoint", "source", "frame", "window", "count", "emit", "sink", "kafka"));
    ALLOWED.put("metrics", Set.of("engine"));
  }

  private static final List<String> PACKAGES = List.of("cli", "engine", "checkpoint", "sink", "emit", "window", "count",
      "frame", "source", "kafka", "gen", "broker", "bench", "metrics", "serve");

  @Test
  void packagesHaveNoCycles() {
    slices().matching("uniqcount.(*)..").should().beFreeOfCycles().check(PRODUCT);
  }

  @Test
  void eachPackageUsesOnlyThePackagesBelowIt() {
    ALLOWED.forEach((pkg, allowed) -> {
      List<String> forbidden = new ArrayList<>();
      for (String other : PACKAGES) {
        if (!other.equals(pkg) && !allowed.contains(other)) {
          forbidden.add("uniqcount." + other + "..");
        }
      }
      noClasses().that().resideInAPackage("uniqcount." + pkg + "..")
          .should().dependOnClassesThat().resideInAnyPackage(forbidden.toArray(new String[0]))
          .because(pkg + " may use only " + (allowed.isEmpty() ? "nothing of ours" : allowed))
          .check(PRODUCT);
    });
  }

  @Test
  void nothingBelowTheCommandLineUsesIt() {
    noClasses().that().resideOutsideOfPackage("uniqcount.cli..")
        .should().dependOnClassesThat().resideInAPackage("uniqcount.cli..").check(PRODUCT);
  }

  @Test
  void theDataPathNeverUsesTheEngine() {
    noClasses().that().resideInAnyPackage("uniqcount.source..", "uniqcount.frame..", "uniqcount.window..",
            "uniqcount.count..", "uniqcount.emit..", "uniqcount.sink..", "uniqcount.checkpoint..", "uniqcount.kafka..", "uniqcount.serve..")
        .should().dependOnClassesThat().resideInAPackage("uniqcount.engine..").check(PRODUCT);
  }

  @Test
  void thePrometheusClientStaysInTheMetricsPackage() {
    noClasses().that().resideOutsideOfPackage("uniqcount.metrics..")
        .should().dependOnClassesThat().resideInAPackage("io.prometheus..").check(PRODUCT);
  }

  @Test
  void kafkaTypesStayInTheKafkaAdapters() {
    noClasses().that().resideInAnyPackage("uniqcount.frame..", "uniqcount.window..", "uniqcount.count..",
            "uniqcount.emit..", "uniqcount.checkpoint..", "uniqcount.engine..", "uniqcount.gen..", "uniqcount.serve..")
        .should().dependOnClassesThat().resideInAPackage("org.apache.kafka..").check(PRODUCT);
  }
}
