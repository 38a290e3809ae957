package uniqcount.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import uniqcount.engine.JobStatus;

/**
 * The job's metrics, from one {@link JobStatus} per scrape (so they agree with each other). Names
 * follow Prometheus conventions: counters end in {@code _total} (the client adds it), units in
 * the name ({@code _seconds}, {@code _bytes}, {@code _records}); labels are bounded (reason,
 * status, granularity, kind, input partition — never a uid or a window start). The README's
 * metrics table lists them all.
 */
final class JobCollector implements MultiCollector {
  private final Supplier<JobStatus> status;

  JobCollector(Supplier<JobStatus> status) {
    this.status = status;
  }

  @Override
  public MetricSnapshots collect() {
    JobStatus s = status.get();
    long nowSec = System.currentTimeMillis() / 1000;
    List<MetricSnapshot> out = new ArrayList<>();
    out.add(counter("uniqcount_frames_read", "Frames read (accepted and rejected).", s.frames()));
    out.add(counter("uniqcount_frames_accepted", "Frames counted.", s.accepted()));
    out.add(counter("uniqcount_frames_rejected", "Frames rejected, by reason.", "reason", s.rejectedByReason()));
    out.add(counter("uniqcount_frames_late_dropped", "Frames whose window was already released (later than the late horizon).",
        s.lateDropped()));
    out.add(counter("uniqcount_frames_implausible_ts", "Frames with an implausible timestamp (bit flips), not counted.",
        s.implausible()));
    out.add(counter("uniqcount_input_bytes", "Bytes of frames decoded.", s.bytes()));
    out.add(counter("uniqcount_decode_seconds", "Worker time spent decoding JSON.", s.decodeSeconds()));
    out.add(counter("uniqcount_busy_seconds", "Worker time spent on frames (decoding, windows, counting).", s.busySeconds()));
    out.add(counter("uniqcount_results", "Result records published by this process, by status.", "status",
        s.resultsByStatus()));

    GaugeSnapshot.Builder open = GaugeSnapshot.builder().name("uniqcount_windows_open")
        .help("Windows held, by granularity; kind=counting: this process's partitions, kind=merge: the merge step's views.");
    GaugeSnapshot.Builder bytes = GaugeSnapshot.builder().name("uniqcount_state_bytes")
        .help("Bytes of the counters of the windows held (arrays only), by granularity and kind.");
    for (JobStatus.WindowStats w : s.windows()) {
      Labels labels = Labels.of("granularity", w.granularity(), "kind", w.kind());
      open.dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(w.open()).build());
      bytes.dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(w.stateBytes()).build());
    }
    out.add(open.build());
    out.add(bytes.build());

    GaugeSnapshot.Builder watermark = GaugeSnapshot.builder().name("uniqcount_watermark_seconds")
        .help("Watermark (event time surely reached, unix seconds) per input partition counted here.");
    GaugeSnapshot.Builder watermarkLag = GaugeSnapshot.builder().name("uniqcount_watermark_lag_seconds")
        .help("Wall clock minus the watermark, per input partition counted here.");
    GaugeSnapshot.Builder lag = GaugeSnapshot.builder().name("uniqcount_consumer_lag_records")
        .help("Kafka: records behind the end of each partition counted here, as last fetched.");
    for (JobStatus.PartitionStatus p : s.partitions()) {
      Labels labels = Labels.of("partition", Integer.toString(p.id()));
      if (p.watermarkSec() != Long.MIN_VALUE) {
        watermark.dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(p.watermarkSec()).build());
        watermarkLag.dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(nowSec - p.watermarkSec()).build());
      }
      if (p.lag() >= 0) {
        lag.dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(p.lag()).build());
      }
    }
    out.add(watermark.build());
    out.add(watermarkLag.build());
    out.add(lag.build());
    if (s.watermarkSec() != Long.MIN_VALUE) {
      out.add(gauge("uniqcount_global_watermark_seconds",
          "The global watermark (minimum over the input's partitions) the results follow, unix seconds.", s.watermarkSec()));
      out.add(gauge("uniqcount_global_watermark_lag_seconds", "Wall clock minus the global watermark.",
          nowSec - s.watermarkSec()));
    }

    JobStatus.Progress p = s.progress();
    if (p.total() >= 0) {
      out.add(gauge("uniqcount_progress_ratio", "Share of the input read: files by bytes, a Kafka catch-up by records"
          + " (to the ends seen at start); 1 once live.", p.live() ? 1 : p.fraction()));
    }

    JobStatus.Commits c = s.commits();
    if (c.enabled()) {
      out.add(counter("uniqcount_checkpoints", "Checkpoints (files) or commits of state with offsets (Kafka) taken.", c.taken()));
      out.add(counter("uniqcount_checkpoint_failures",
          "Checkpoints or commits that failed (Kafka: refused because the group moved on).", c.failures()));
      out.add(gauge("uniqcount_checkpoint_age_seconds", "Seconds since the last checkpoint or commit (or the start).",
          c.ageSeconds()));
      out.add(gauge("uniqcount_checkpoint_duration_seconds", "How long the last checkpoint or commit took.",
          c.lastDurationSeconds()));
    }
    out.add(counter("uniqcount_partials_published", "Scale-out: partition state records written to the state topic.",
        s.partialsPublished()));
    out.add(counter("uniqcount_partials_merged", "Scale-out: partition state records the merge step of this process applied.",
        s.partialsMerged()));
    out.add(gauge("uniqcount_healthy", "1 while the job runs, 0 once it failed.", s.healthy() ? 1 : 0));
    return new MetricSnapshots(out);
  }

  private static CounterSnapshot counter(String name, String help, double value) {
    return CounterSnapshot.builder().name(name).help(help)
        .dataPoint(CounterDataPointSnapshot.builder().value(value).build()).build();
  }

  private static CounterSnapshot counter(String name, String help, String label, Map<String, Long> values) {
    CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
    values.forEach((k, v) -> b.dataPoint(CounterDataPointSnapshot.builder().labels(Labels.of(label, k)).value(v).build()));
    return b.build();
  }

  private static GaugeSnapshot gauge(String name, String help, double value) {
    return GaugeSnapshot.builder().name(name).help(help)
        .dataPoint(GaugeDataPointSnapshot.builder().value(value).build()).build();
  }
}
