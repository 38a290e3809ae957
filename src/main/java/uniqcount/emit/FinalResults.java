package uniqcount.emit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import uniqcount.count.CounterSpec;
import uniqcount.count.DistinctCounter;
import uniqcount.window.Granularity;
import uniqcount.window.Shard;
import uniqcount.window.WindowState;

/**
 * At the end of a finite input: merges every shard's windows (a union of counters, which is
 * lossless) and emits each window once as {@code final}, revision 0, ordered by granularity and
 * start.
 */
public final class FinalResults {
  private FinalResults() {}

  /** The merged results of stopped shards. */
  public static List<ResultRecord> of(List<Shard> shards, CounterSpec spec) {
    List<ResultRecord> out = new ArrayList<>();
    for (Granularity g : Granularity.values()) {
      Map<Long, Merged> byStart = new TreeMap<>();
      for (Shard shard : shards) {
        for (WindowState w : shard.windows(g)) {
          Merged m = byStart.get(w.startSec());
          if (m == null) {
            byStart.put(w.startSec(), new Merged(w));
          } else {
            m.add(w);
          }
        }
      }
      for (Merged m : byStart.values()) {
        out.add(new ResultRecord(
            g.label(),
            m.startSec,
            m.endSec,
            m.counter.estimate(),
            m.frames,
            ResultRecord.Status.FINAL,
            0,
            spec.kind().label(),
            m.counter.relativeStandardError()));
      }
    }
    return out;
  }

  private static final class Merged {
    final long startSec;
    final long endSec;
    DistinctCounter counter;
    long frames;

    Merged(WindowState w) {
      startSec = w.startSec();
      endSec = w.endSec();
      counter = w.counter().copy();
      frames = w.frames();
    }

    void add(WindowState w) {
      counter = counter.merge(w.counter());
      frames += w.frames();
    }
  }
}
