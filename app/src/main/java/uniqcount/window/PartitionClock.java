package uniqcount.window;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The event-time state of one input partition, fed its frames in arrival order by one thread at
 * a time: decides which timestamps to believe and tracks the partition's watermark (the largest
 * believed ts).
 *
 * <p>A frame is <em>plausible</em> if its ts is at most {@code maxFuture} ahead of the watermark
 * and of the wall clock, and at most {@code maxPast} behind the watermark. Plausible frames are
 * accepted and move the watermark. Implausible ones never move it and never reach a window.
 *
 * <p>A frame ahead of the watermark (but not of the wall clock) is held as a candidate jump, in
 * up to {@value #CANDIDATES} clusters of frames within {@code maxFuture} of each other. A cluster
 * that reaches {@value #CONFIRM_FACTOR} × {@code jumpFrames} frames ({@code jumpFrames} when it is
 * within {@code maxFuture} of the wall clock: a live stream resuming) before {@code jumpFrames}
 * plausible frames have passed since it began is a genuine jump (a gap in history, a restart after
 * a pause: the old timeline stopped): the watermark moves to it and all its frames are accepted,
 * none lost. Isolated bit flips never form such a cluster while normal frames keep coming, and a
 * burst of a few hundred frames from one wrong clock is over before it could, so both are counted
 * as implausible and the timeline goes on. At the start there is no watermark: a frame within
 * {@code maxFuture} of the wall clock sets it at once (live input); otherwise (history) the first
 * cluster to reach {@code jumpFrames} frames sets it. At the end of the input the largest cluster
 * is taken if the start is still unconfirmed, or if it has {@code jumpFrames} frames.
 */
public final class PartitionClock {
  static final int CANDIDATES = 4;
  /**
   * Once the watermark is set, a cluster ahead is a jump only when it has this many times {@code
   * jumpFrames} frames before {@code jumpFrames} believable frames arrived since it began: a burst
   * of a few hundred frames from one wrong clock (a replayed batch) is then dropped, while a real
   * gap in history or a restart — after which the old timeline stops — is followed.
   */
  static final int CONFIRM_FACTOR = 17;

  private final EventTimePolicy policy;
  private final Clock clock;
  private final Cluster[] clusters = new Cluster[CANDIDATES];
  private boolean established;
  private long watermarkSec = Long.MIN_VALUE;
  private long implausible;

  PartitionClock(EventTimePolicy policy, Clock clock) {
    this.policy = policy;
    this.clock = clock;
  }

  /** Classifies {@code n} frames in arrival order; appends the accepted ones (and any confirmed jump) to {@code out}. */
  void onFrames(long[] timestamps, long[] hashes, int n, FrameBuffer out) {
    long wallLimit = clock.epochSecond() + policy.maxFutureSec();
    for (int i = 0; i < n; i++) {
      classify(timestamps[i], hashes[i], wallLimit, out);
    }
  }

  /**
   * End of the partition's input: a still-unconfirmed start takes its largest cluster; after
   * the start, the largest cluster of at least {@code jumpFrames} frames is a jump (the old
   * timeline did stop: the input ended), so the frames of a real jump near the end are not lost.
   */
  void onEnd(FrameBuffer out) {
    int best = -1;
    for (int i = 0; i < CANDIDATES; i++) {
      if (clusters[i] != null && (best < 0 || clusters[i].size > clusters[best].size)) {
        best = i;
      }
    }
    if (best >= 0 && (!established || clusters[best].size >= policy.jumpFrames())) {
      Cluster c = clusters[best];
      clusters[best] = null;
      confirm(c, out);
    }
    for (int i = 0; i < CANDIDATES; i++) {
      if (clusters[i] != null) {
        implausible += clusters[i].size;
        clusters[i] = null;
      }
    }
  }

  /**
   * Continues the event time of the input before this one (files read as one history): its
   * watermark, if this clock has seen nothing yet.
   */
  void continueFrom(PartitionClock before) {
    boolean fresh = !established && watermarkSec == Long.MIN_VALUE;
    for (Cluster c : clusters) {
      fresh &= c == null;
    }
    if (fresh) {
      established = before.established;
      watermarkSec = before.watermarkSec;
      // frames held as a candidate jump at the end of the input before go on being weighed here:
      // history did not stop there
      System.arraycopy(before.clusters, 0, clusters, 0, CANDIDATES);
      java.util.Arrays.fill(before.clusters, null);
    }
  }

  /** The largest believed ts, or {@link Long#MIN_VALUE} before any. */
  long watermarkSec() {
    return watermarkSec;
  }

  /** Frames found implausible so far. */
  long implausible() {
    return implausible;
  }

  private void classify(long ts, long hash, long wallLimit, FrameBuffer out) {
    if (ts > wallLimit) {
      implausible++;
      return;
    }
    if (!established && Math.abs(ts - (wallLimit - policy.maxFutureSec())) <= policy.maxFutureSec()) {
      established = true; // a live stream: the wall clock vouches for a ts near it
      watermarkSec = ts;
    }
    if (!established || ts > watermarkSec + policy.maxFutureSec()) {
      hold(ts, hash, wallLimit, out);
      return;
    }
    if (ts < watermarkSec - policy.maxPastSec()) {
      implausible++;
      return;
    }
    if (ts > watermarkSec) {
      watermarkSec = ts;
    }
    out.add(ts, hash, watermarkSec);
    agePendingClusters();
  }

  private void agePendingClusters() {
    for (int i = 0; i < CANDIDATES; i++) {
      Cluster c = clusters[i];
      if (c != null && ++c.plausibleSince >= policy.jumpFrames()) {
        implausible += c.size;
        clusters[i] = null;
      }
    }
  }

  private void hold(long ts, long hash, long wallLimit, FrameBuffer out) {
    long tolerance = policy.maxFutureSec();
    int free = -1;
    int smallest = -1;
    for (int i = 0; i < CANDIDATES; i++) {
      Cluster c = clusters[i];
      if (c == null) {
        free = free < 0 ? i : free;
        continue;
      }
      if (ts >= c.minSec - tolerance && ts <= c.maxSec + tolerance) {
        c.add(ts, hash);
        if (c.size >= framesToConfirm(c, wallLimit)) {
          clusters[i] = null;
          confirm(c, out);
        }
        return;
      }
      if (smallest < 0 || c.size < clusters[smallest].size) {
        smallest = i;
      }
    }
    if (free < 0) {
      implausible += clusters[smallest].size;
      free = smallest;
    }
    Cluster c = new Cluster(ts, policy.jumpFrames());
    c.add(ts, hash);
    clusters[free] = c;
    if (c.size >= framesToConfirm(c, wallLimit)) {
      clusters[free] = null;
      confirm(c, out);
    }
  }

  /**
   * Frames a cluster needs to be believed: {@code jumpFrames} to set the first watermark, or when
   * the wall clock vouches for the cluster (a live stream resuming); else {@value #CONFIRM_FACTOR}
   * times as many, so that a burst from one wrong clock in history is not taken for a jump.
   */
  private int framesToConfirm(Cluster c, long wallLimit) {
    boolean live = Math.abs(c.maxSec - (wallLimit - policy.maxFutureSec())) <= policy.maxFutureSec();
    return established && !live ? CONFIRM_FACTOR * policy.jumpFrames() : policy.jumpFrames();
  }

  /** Moves the watermark to a confirmed cluster, accepts its frames, re-examines the others. */
  private void confirm(Cluster c, FrameBuffer out) {
    established = true;
    FrameBuffer f = c.frames;
    for (int i = 0; i < f.size; i++) {
      // each frame with the watermark as of it, in arrival order: a jump spanning more than a
      // window's horizon loses none of its first frames
      watermarkSec = Math.max(watermarkSec, f.timestamps[i]);
      out.add(f.timestamps[i], f.hashes[i], watermarkSec);
    }
    long wallLimit = clock.epochSecond() + policy.maxFutureSec();
    for (int k = 0; k < CANDIDATES; k++) {
      Cluster other = clusters[k];
      if (other != null) {
        clusters[k] = null;
        for (int i = 0; i < other.frames.size; i++) {
          classify(other.frames.timestamps[i], other.frames.hashes[i], wallLimit, out);
        }
      }
    }
  }

  /** This clock's state as values (call while no frames are being applied). */
  State state() {
    List<HeldCluster> held = new ArrayList<>();
    for (int k = 0; k < CANDIDATES; k++) {
      Cluster c = clusters[k];
      if (c != null) {
        held.add(new HeldCluster(k, c.anchorSec, c.plausibleSince,
            Arrays.copyOf(c.frames.timestamps, c.size), Arrays.copyOf(c.frames.hashes, c.size)));
      }
    }
    return new State(established, watermarkSec, implausible, held);
  }

  /** Sets this clock to a state taken by {@link #state()}. */
  void restore(State s) {
    established = s.established();
    watermarkSec = s.watermarkSec();
    implausible = s.implausible();
    Arrays.fill(clusters, null);
    for (HeldCluster h : s.held()) {
      if (h.slot() < 0 || h.slot() >= CANDIDATES || clusters[h.slot()] != null
          || h.timestamps().length != h.hashes().length) {
        throw new IllegalArgumentException("bad held cluster in slot " + h.slot());
      }
      Cluster c = new Cluster(h.anchorSec(), policy.jumpFrames());
      c.plausibleSince = h.plausibleSince();
      for (int i = 0; i < h.timestamps().length; i++) {
        c.add(h.timestamps()[i], h.hashes()[i]);
      }
      clusters[h.slot()] = c;
    }
  }

  /**
   * The event-time state of a partition as values.
   *
   * @param established whether the watermark is set (a first cluster confirmed, or live input)
   * @param watermarkSec the largest believed ts, or {@link Long#MIN_VALUE}
   * @param implausible frames found implausible so far
   * @param held frames held as candidate jumps, per cluster slot
   */
  public record State(boolean established, long watermarkSec, long implausible, List<HeldCluster> held) {}

  /** Frames held as a candidate jump: the cluster's slot, anchor, age and frames in arrival order. */
  public record HeldCluster(int slot, long anchorSec, int plausibleSince, long[] timestamps, long[] hashes) {}

  /**
   * Frames within maxFuture of each other — of the range they span so far, so a sparse new
   * timeline grows one cluster — held until confirmed or discarded.
   */
  private static final class Cluster {
    final long anchorSec;
    final FrameBuffer frames;
    long minSec;
    long maxSec;
    int size;
    int plausibleSince;

    Cluster(long anchorSec, int capacity) {
      this.anchorSec = anchorSec;
      this.frames = new FrameBuffer(capacity);
      this.minSec = anchorSec;
      this.maxSec = anchorSec;
    }

    void add(long ts, long hash) {
      frames.add(ts, hash);
      size++;
      minSec = Math.min(minSec, ts);
      maxSec = Math.max(maxSec, ts);
    }
  }
}
