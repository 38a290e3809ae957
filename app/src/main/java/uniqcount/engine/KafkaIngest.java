package uniqcount.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import uniqcount.UserException;
import uniqcount.checkpoint.StateCodec;
import uniqcount.checkpoint.TaskState;
import uniqcount.emit.Emitter;
import uniqcount.emit.ResultRecord;
import uniqcount.kafka.GroupMember;
import uniqcount.kafka.KafkaAdmin;
import uniqcount.kafka.StateTopic;
import uniqcount.sink.KafkaResultSink;
import uniqcount.sink.ResultSink;
import uniqcount.window.Granularity;
import uniqcount.window.Partition;
import uniqcount.window.PartitionView;
import uniqcount.window.WindowState;
import uniqcount.window.Windows;

/**
 * A Kafka topic, read by any number of identical instances in one consumer group, with one answer.
 *
 * <p><b>Tasks.</b> Each worker thread is one member of the group ({@link GroupMember}) with its
 * own transactional producer. Every input partition it is given is a {@link Partition} with its
 * own clock and windows. Every commit interval the member writes, for each of its partitions,
 * the windows that changed (key {@code p/granularity/start}; a released window is deleted) and
 * then the partition's clock record (key {@code p/clock}: next offset, idle, event-time clock,
 * release lines) to the job's compacted state topic ({@code <group>-state}, partition p), and
 * commits them in one transaction with the consumer offsets. A partition that moves is committed
 * by its old owner and restored by the new one from the state topic; a member that died loses
 * only what it had not committed, which its successor reads again.
 *
 * <p><b>Merge.</b> The member that owns input partition 0 also merges: it tails the whole state
 * topic ({@code read_committed}), keeps the latest committed view of every partition, and runs
 * the {@link Emitter} over those views — the same early / final / update rules as one process,
 * with the global watermark the minimum over every partition of the topic. Its results and its
 * merge record (key {@code merge}, in the last state partition: what was published per window)
 * go out in its transaction with {@code --exactly-once}; without it, right after a commit of its
 * offsets proved it still belongs to the group's current generation. The others learn the
 * global watermark from the merge record and release their windows past the late horizon.
 */
final class KafkaIngest implements Ingest {
  /** How often the job's thread looks at the clock, a stop request and the members. */
  private static final long WATCH_MILLIS = 100;
  /** How often the input topic is checked for deletion or growth (the job's clock). */
  private static final long TOPIC_CHECK_NANOS = 30_000_000_000L;
  /** Key of the merge record and of the job's fingerprint, in the last state partition. */
  private static final String MERGE_KEY = "merge";
  private static final String JOB_KEY = "job";
  /** Offset metadata of partition 0: the number of the merge record its transaction wrote. */
  private static final String MERGE_SEQUENCE = "uniqcount-merge:";
  /** How long a new merger waits for the merge record its predecessor's last commit named. */
  private static final long MERGE_WAIT_NANOS = 30_000_000_000L;
  /** How long a new merger may take to read the state topic (below the consumer's default max.poll.interval.ms). */
  private static final long READ_NANOS = 240_000_000_000L;
  /** Commit interval of the merging member while the input is idle and the end is being looked for. */
  private static final long FINISHING_NANOS = 250_000_000L;

  private final Job job;
  private final JobConfig.TopicInput input;
  private final JobConfig config;
  private final String stateTopic;
  private final String instance = UUID.randomUUID().toString().substring(0, 8);
  /** Filled while the members start; the status reads it from other threads meanwhile. */
  private final List<Task> tasks = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final AtomicReference<UserException> topicProblem = new AtomicReference<>();
  private final Object publishLock = new Object();
  private int partitionCount;
  private int statePartitions;
  private String fingerprint;
  private boolean fingerprintStored;
  private KafkaResultSink resultsTopic;
  private ResultSink local;
  private Thread topicWatch;
  private volatile boolean stopping;
  /** The input's end offsets when this process started (progress of a catch-up). */
  private volatile Map<Integer, Long> endsAtStart = Map.of();
  private final long startNanos;
  private final java.util.concurrent.atomic.AtomicLong partialsPublished = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong partialsMerged = new java.util.concurrent.atomic.AtomicLong();

  KafkaIngest(Job job, JobConfig.TopicInput input) {
    this.job = job;
    this.input = input;
    this.config = job.config();
    this.stateTopic = config.recovery().stateTopic() != null ? config.recovery().stateTopic() : input.group() + "-state";
    this.startNanos = job.clock().nanoTime();
  }

  /** The state topic's name for a group (documented: {@code <group>-state}). */
  static String stateTopicOf(String group) {
    return group + "-state";
  }

  @Override
  public int open(KafkaAdmin admin) {
    partitionCount = admin.partitions(input.topic());
    admin.createIfMissing(stateTopic, partitionCount + 1, Map.of(
        "cleanup.policy", "compact",
        "max.message.bytes", Integer.toString(64 << 20),
        "segment.ms", Long.toString(Duration.ofMinutes(10).toMillis()),
        "min.cleanable.dirty.ratio", "0.2"));
    statePartitions = admin.partitions(stateTopic);
    if (statePartitions < 2) {
      throw UserException.failure("the state topic '" + stateTopic + "' has " + statePartitions
          + " partition; uniqcount needs at least 2 (delete it, or use another --group)");
    }
    fingerprint = kafkaFingerprint();
    Map<String, byte[]> merge = StateTopic.read(config.kafka().settings(), stateTopic, List.of(mergePartition()),
        "uniqcount-" + instance + "-check");
    byte[] stored = merge.get(JOB_KEY);
    if (stored != null) {
      String before = new String(stored, java.nio.charset.StandardCharsets.UTF_8);
      if (!before.equals(fingerprint)) {
        throw UserException.failure("group '" + input.group() + "' counted with other options: "
            + Checkpoints.differences(before, fingerprint) + "; use the same options, or another --group");
      }
      fingerprintStored = true;
    }
    endsAtStart = admin.endOffsets(input.topic(), partitionCount);
    return partitionCount;
  }

  /** What must be equal in every instance and run of a group: what counts and where results go, not local outputs. */
  private String kafkaFingerprint() {
    StringBuilder kept = new StringBuilder();
    for (String line : config.fingerprint(describe()).split("\n")) {
      if (!line.startsWith("--output=")) {
        kept.append(line).append('\n');
      }
    }
    return kept.toString();
  }

  @Override
  public Map<String, String> describe() {
    return Map.of("input", "kafka:" + input.topic());
  }

  @Override
  public boolean keepsFinished() {
    return false;
  }

  @Override
  public void startAt(long[] from) {
    // positions come from the state topic, per partition, as the group assigns them
  }

  private int mergePartition() {
    return statePartitions - 1;
  }

  private int statePartitionOf(int partition) {
    return partition % (statePartitions - 1);
  }

  @Override
  public End run() throws Exception {
    local = job.localSink();
    if (config.output().topic() != null && !config.recovery().exactlyOnce()) {
      resultsTopic = new KafkaResultSink(config.kafka().settings(), config.output().topic());
    }
    List<Worker> workers = job.workers();
    // Static membership (-X group.instance.id=NAME, stable per machine): each member is NAME-<thread>, and
    // so is its transactional id, so a restarted instance rejoins at once and fences what its previous
    // incarnation left open instead of waiting for the session and transaction timeouts.
    Object staticName = config.kafka().settings().with(Map.of()).get("group.instance.id");
    GroupMember[] members = startMembers(workers.size(), staticName);
    for (int i = 0; i < workers.size(); i++) {
      GroupMember member = members[i];
      Task task = new Task(i, member, workers.get(i));
      tasks.add(task);
      Thread t = new Thread(() -> {
        try {
          member.run(task);
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        } finally {
          task.closeTails();
        }
      }, "uniqcount-kafka-" + i);
      t.setDaemon(true);
      threads.add(t);
    }
    if (config.output().stdout() || config.output().file() != null) {
      job.streams().err().println("uniqcount: with several instances in group '" + input.group() + "', this instance's "
          + (config.output().file() != null ? "--output file" : "stdout") + " holds the results only while it merges"
          + " (owns partition 0 of '" + input.topic() + "')" + (config.output().topic() != null
              ? "; topic '" + config.output().topic() + "' holds them all" : "; use --output-topic for them all"));
    }
    threads.forEach(Thread::start);
    long idleNanos = input.exitOnIdle() == null ? Long.MAX_VALUE : input.exitOnIdle().toNanos();
    topicWatch = new Thread(this::watchTopic, "uniqcount-topic-watch");
    topicWatch.setDaemon(true);
    topicWatch.start();
    while (!job.stopRequested()) {
      Thread.sleep(WATCH_MILLIS);
      if (failure.get() != null) {
        throw asException(failure.get());
      }
      if (topicProblem.get() != null) {
        throw topicProblem.get();
      }
      long last = Long.MIN_VALUE;
      boolean joined = true;
      for (Task t : tasks) {
        last = Math.max(last, t.member.lastRecordNanos());
        joined &= t.member.joined();
      }
      // idle once every member is in the group (the group may wait for members that died) and nothing came
      boolean idle = joined && job.clock().nanoTime() - last >= idleNanos;
      Task merging = null;
      boolean endPublished = false;
      for (Task t : tasks) {
        t.finishRequested = idle;
        if (!idle) {
          // records came after a final flush: it no longer covers the input's end
          t.endPublished = false;
          t.finished = false;
        }
        if (t.merger != null) {
          merging = t;
        }
        endPublished |= t.endPublished;
      }
      // The merging instance ends once every partition is counted and all is published as final;
      // the others once they read that in the merge record. Not before: the merger may die or
      // move, and whoever takes partition 0 over must still be there to publish the finals.
      if (idle && (merging != null ? merging.finished : endPublished)) {
        return End.IDLE;
      }
    }
    return End.STOPPED;
  }

  /**
   * On its own thread, so a slow cluster never holds up the idle exit or a stop: every {@link
   * #TOPIC_CHECK_NANOS} of the job's clock, the input topic must still exist with the partitions
   * it had at the start. A deleted topic (which the consumers would wait on silently) or a grown
   * one ends the run with one line.
   */
  private void watchTopic() {
    try (KafkaAdmin admin = new KafkaAdmin(config.kafka().settings(), config.kafka().timeout())) {
      long next = job.clock().nanoTime() + TOPIC_CHECK_NANOS;
      while (!stopping) {
        Thread.sleep(WATCH_MILLIS);
        if (job.clock().nanoTime() < next) {
          continue;
        }
        next = job.clock().nanoTime() + TOPIC_CHECK_NANOS;
        int now;
        try {
          now = admin.partitions(input.topic());
        } catch (UserException e) {
          if (e.getMessage().contains("does not exist")) {
            topicProblem.compareAndSet(null,
                UserException.failure("topic '" + input.topic() + "' was deleted while it was being read", e));
          }
          continue; // a slow or briefly unreachable cluster: the consumers say so if it lasts
        }
        if (now > partitionCount) {
          topicProblem.compareAndSet(null, UserException.failure("topic '" + input.topic() + "' grew from "
              + partitionCount + " to " + now + " partitions while it was being read; start every instance of group '"
              + input.group() + "' again to count them all (the state of the others is kept in topic '"
              + stateTopic + "')"));
        }
      }
    } catch (InterruptedException e) {
      // stopping
    } catch (UserException e) {
      if (!stopping) {
        topicProblem.compareAndSet(null, e);
      }
    }
  }

  /**
   * Builds one group member per worker, side by side: each transactional producer starts with a
   * round trip to the cluster (InitProducerId). If one fails (or this thread is interrupted), the
   * ones built are closed and the first error is thrown, later ones suppressed into it.
   */
  private GroupMember[] startMembers(int count, Object staticName) throws Exception {
    GroupMember[] members = new GroupMember[count];
    Throwable[] startErrors = new Throwable[count];
    List<Thread> starters = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int k = i;
      String staticId = staticName == null ? null : staticName + "-" + i;
      String id = input.group() + "-" + (staticName == null ? instance : staticName) + "-" + i;
      Thread starter = new Thread(() -> {
        try {
          members[k] = new GroupMember(config.kafka().settings(), input.topic(), input.group(), id,
              "uniqcount-" + id, stateTopic, input.from().text(), job.clock()::nanoTime, config.kafka().timeout(), staticId);
        } catch (Throwable e) {
          startErrors[k] = e;
        }
      }, "uniqcount-kafka-start-" + i);
      starter.start();
      starters.add(starter);
    }
    boolean interrupted = false;
    for (Thread starter : starters) {
      while (starter.isAlive()) {
        try {
          starter.join(); // to the end even when interrupted: a member built meanwhile must be closed
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    Throwable first = null;
    for (Throwable e : startErrors) {
      if (e != null && first == null) {
        first = e;
      } else if (e != null) {
        first.addSuppressed(e);
      }
    }
    if (first != null || interrupted) {
      for (GroupMember m : members) {
        if (m != null) {
          m.closeUnstarted();
        }
      }
      if (first == null) {
        throw new InterruptedException("stopped while the group's members started");
      }
      throw asException(first);
    }
    return members;
  }

  /**
   * The lowest global watermark the members that own partitions have sealed their windows at
   * ({@link Long#MIN_VALUE} before the first): tests wait on it instead of on time.
   */
  long lowestCutWatermark() {
    long low = Long.MAX_VALUE;
    for (Task t : tasks) {
      if (!t.owned.isEmpty()) {
        low = Math.min(low, t.cutWatermark);
      }
    }
    return low == Long.MAX_VALUE ? Long.MIN_VALUE : low;
  }

  private static Exception asException(Throwable t) {
    return t instanceof Exception ? (Exception) t : new IllegalStateException(t);
  }

  @Override
  public long[] finalPositions(End end) {
    return new long[0];
  }

  @Override
  public Status status() {
    List<Counted> counted = new ArrayList<>();
    long done = 0;
    long total = 0;
    boolean live = !tasks.isEmpty();
    long commits = 0;
    long fenced = 0;
    long lastCommit = -1;
    long lastDuration = 0;
    List<Windows> views = new ArrayList<>();
    long watermark = Long.MIN_VALUE;
    Map<Integer, Long> ends = endsAtStart;
    for (Task t : tasks) {
      live &= t.member.joined(); // before it joined, a member has not seen what it will catch up on
      Map<Integer, GroupMember.Position> positions = t.member.positions();
      for (Map.Entry<Integer, Owned> e : t.owned.entrySet()) {
        GroupMember.Position at = positions.get(e.getKey());
        counted.add(new Counted(e.getKey(), e.getValue().partition, at == null ? -1 : at.lag()));
        Long end = ends.get(e.getKey());
        if (at == null || end == null) {
          live = false;
          continue;
        }
        total += Math.max(0, end - at.first());
        done += Math.max(0, Math.min(at.next(), end) - at.first());
        live &= at.next() >= end;
      }
      long[] c = t.member.commitCounts();
      commits += c[0];
      fenced += c[1];
      long[] last = t.member.lastCommit();
      if (last[0] > lastCommit) {
        lastCommit = last[0];
        lastDuration = last[1];
      }
      Merger m = t.merger;
      if (m != null) {
        for (PartitionView v : m.views) {
          views.add(v.windows());
        }
        watermark = Math.max(watermark, m.emitter.watermarkSec());
      } else {
        watermark = Math.max(watermark, t.cutWatermark);
      }
    }
    double age = (job.clock().nanoTime() - (lastCommit < 0 ? startNanos : lastCommit)) / 1e9;
    return new Status(counted, new JobStatus.Progress("records", done, ends.isEmpty() ? -1 : total, live && !ends.isEmpty()),
        new JobStatus.Commits(true, commits, fenced, age, lastDuration / 1e9), views, watermark,
        partialsPublished.get(), partialsMerged.get());
  }

  @Override
  public void stop() throws InterruptedException {
    stopping = true;
    if (topicWatch != null) {
      topicWatch.interrupt();
      topicWatch.join();
    }
    for (Task t : tasks) {
      t.member.stop();
    }
    long deadline = System.nanoTime() + config.kafka().timeout().toNanos();
    for (int i = 0; i < threads.size(); i++) {
      threads.get(i).join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      if (threads.get(i).isAlive()) {
        tasks.get(i).member.abandon(); // stuck in a producer call: leave without it
        threads.get(i).join(config.kafka().timeout().toMillis());
      }
    }
    try {
      if (resultsTopic != null) {
        resultsTopic.close();
      }
    } catch (IOException e) {
      failure.compareAndSet(null, e);
    }
    if (failure.get() != null) {
      job.fail(failure.get());
    }
  }

  /** A partition this member owns: its state, and what of it was last written to the state topic. */
  private static final class Owned {
    final Partition partition;
    /** Frames per window key at the last write; a key no longer held is deleted at the next. */
    final Map<String, Long> written = new HashMap<>();
    long writtenOffset = -1;
    boolean writtenIdle;
    boolean clockWritten;

    Owned(Partition partition) {
      this.partition = partition;
    }
  }

  /** One member's partitions, its commits, and — while it owns partition 0 — the merge step. */
  private final class Task implements GroupMember.Handler {
    final int index;
    final GroupMember member;
    final Worker worker;
    /** Concurrent: the status reads it from another thread. */
    final Map<Integer, Owned> owned = new java.util.concurrent.ConcurrentHashMap<>();
    volatile Merger merger;
    /** The last state partition, for the merge record's watermark (while not merging). */
    StateTopic cuts;
    volatile long cutWatermark = Long.MIN_VALUE;
    long nextCommitNanos;
    long lastFinishingNanos;
    volatile boolean finishRequested;
    volatile boolean finished;
    /** The input partitions' next offsets the last merge record's final flush covered (empty: none). */
    long[] finalThrough = new long[0];
    /** Whether the last merge record ends a final flush that covered the input up to its end. */
    volatile boolean endPublished;

    Task(int index, GroupMember member, Worker worker) {
      this.index = index;
      this.member = member;
      this.worker = worker;
    }

    @Override
    public Map<Integer, Long> assigned(Collection<Integer> partitions) {
      // one read of every state partition involved (a fresh reader per partition cost seconds per rebalance)
      java.util.Set<Integer> stateParts = new java.util.TreeSet<>();
      for (int p : partitions) {
        stateParts.add(statePartitionOf(p));
      }
      // The state to restore is the one committed with the group's offsets. A member killed while
      // its commit was under way leaves a transaction the coordinator still completes: read
      // before its markers, the state topic would give an older clock record, and that
      // transaction's window images would land later, newer than the clock they are restored with
      // (frames counted twice). So: the committed offsets first (a stable read waits for that
      // transaction), then the state topic until every clock record has caught up with them.
      Map<Integer, Long> committed = partitions.isEmpty() ? Map.of() : member.committedOffsets(partitions);
      Map<String, byte[]> records = Map.of();
      long deadline = System.nanoTime() + MERGE_WAIT_NANOS;
      while (!partitions.isEmpty()) {
        records = StateTopic.read(config.kafka().settings(), stateTopic, stateParts, this + "-restore");
        int behind = -1;
        for (int p : partitions) {
          Long offset = committed.get(p);
          if (offset != null && clockOffset(records, p) < offset) {
            behind = p;
          }
        }
        if (behind < 0) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw UserException.failure("the state of partition " + behind + " in topic '" + stateTopic
              + "' is older than the group's committed offset " + committed.get(behind) + " after "
              + MERGE_WAIT_NANOS / 1_000_000_000L + " s; is another job writing to it?");
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while restoring", e);
        }
      }
      Map<Integer, Long> next = new HashMap<>();
      for (int p : partitions) {
        next.put(p, restore(p, records));
      }
      if (partitions.contains(0)) {
        becomeMerger();
      }
      return next;
    }

    /** The next offset in partition p's clock record, or -1. */
    private long clockOffset(Map<String, byte[]> records, int p) {
      byte[] clock = records.get(p + "/clock");
      return clock == null ? -1 : StateCodec.decodeTask(clock, "record " + p + "/clock of topic " + stateTopic).nextOffset();
    }

    /** Restores partition p from the state topic's records; returns its next offset, or -1. */
    private long restore(int p, Map<String, byte[]> records) {
      Partition partition = job.newPartition();
      Owned o = new Owned(partition);
      String prefix = p + "/";
      TaskState clock = null;
      List<Windows.WindowImage> windows = new ArrayList<>();
      for (Map.Entry<String, byte[]> e : records.entrySet()) {
        String key = e.getKey();
        if (!key.startsWith(prefix)) {
          continue;
        }
        String name = "record " + key + " of topic " + stateTopic;
        if (key.equals(prefix + "clock")) {
          clock = StateCodec.decodeTask(e.getValue(), name);
        } else {
          Windows.WindowImage w = StateCodec.decodeWindow(e.getValue(), name);
          windows.add(w);
          o.written.put(key, w.frames());
        }
      }
      long next = -1;
      if (clock != null) {
        try {
          partition.restore(new Partition.State(false, clock.clock(), clock.lateDropped(),
              new Windows.State(clock.granularities(), clock.releasedEndSec(), windows)), config.counting().counter(), false);
        } catch (IllegalArgumentException e) {
          throw UserException.failure("the state of partition " + p + " in topic " + stateTopic
              + " does not fit this run: " + e.getMessage(), e);
        }
        next = clock.nextOffset();
        job.streams().err().println("uniqcount: partition " + p + " of '" + input.topic() + "' resumes at offset " + next
            + " from the state in topic '" + stateTopic + "'");
        o.writtenOffset = next;
        o.writtenIdle = clock.idle();
        o.clockWritten = true;
      }
      partition.expect();
      if (cutWatermark != Long.MIN_VALUE) {
        cut(o, cutWatermark); // sealed as the windows of the partitions already owned (the line is not in its state)
      }
      owned.put(p, o);
      job.partitions().add(partition);
      return next;
    }

    @Override
    public void frame(int p, byte[] value, int length) {
      worker.onFrame(value, 0, length);
    }

    @Override
    public void batchEnd(int p) {
      worker.endBatch(owned.get(p).partition, false);
    }

    @Override
    public void tick() {
      long now = job.clock().nanoTime();
      if (finishRequested && (merger != null ? !finished : !endPublished)) {
        // the input is idle: look for the end (the merge step) or for the final merge record (the
        // others) often, on real time (the job's clock may stand still)
        long real = System.nanoTime();
        if (real - lastFinishingNanos < FINISHING_NANOS) {
          return;
        }
        lastFinishingNanos = real;
      } else if (now < nextCommitNanos && !announcing()) {
        return;
      }
      nextCommitNanos = now + config.recovery().interval().toNanos();
      commitRound();
    }

    /**
     * Whether a partition with no state yet was given to this member: its first clock record goes
     * out at once, whatever the interval — until every partition has reported, the global
     * watermark cannot move.
     */
    private boolean announcing() {
      for (Owned o : owned.values()) {
        if (!o.clockWritten) {
          return true;
        }
      }
      return false;
    }

    /** Writes what changed, merges if this member merges, and commits. */
    private void commitRound() {
      applyCuts();
      for (Map.Entry<Integer, Owned> e : owned.entrySet()) {
        write(e.getKey(), e.getValue());
      }
      storeFingerprint();
      if (merger != null) {
        merger.round();
      } else {
        member.commit(false);
        if (finishRequested && finalThrough.length > 0) {
          Map<Integer, Long> ends = member.endOffsetsIfKnown();
          endPublished = ends != null && covers(finalThrough, ends);
        }
      }
    }

    private void storeFingerprint() {
      if (!fingerprintStored && !owned.isEmpty()) {
        member.sendState(mergePartition(), JOB_KEY, fingerprint.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        fingerprintStored = true;
      }
    }

    /** Releases this member's windows past the late horizon of the global watermark (the merge record's). */
    private void applyCuts() {
      long w = Long.MIN_VALUE;
      if (merger != null) {
        w = merger.emitter.watermarkSec();
      } else {
        // also without partitions: the merge record says when the input was published to its end
        if (cuts == null) {
          cuts = new StateTopic(config.kafka().settings(), stateTopic, List.of(mergePartition()), this + "-cuts");
        }
        for (StateTopic.Entry e : cuts.poll(Duration.ZERO)) {
          if (e.key().equals(MERGE_KEY) && e.value() != null) {
            StateCodec.MergeState merge = StateCodec.decodeMerge(e.value(), "the merge record in topic " + stateTopic);
            w = Math.max(w, merge.emitter().watermarkSec());
            finalThrough = merge.finalThrough();
          }
        }
      }
      if (w <= cutWatermark || w == Long.MIN_VALUE) {
        return;
      }
      cutWatermark = w;
      for (Owned o : owned.values()) {
        cut(o, w);
      }
    }

    /**
     * Seals this partition's windows past their late horizon of the global watermark {@code w}
     * (they take no more frames, even from this partition lagging behind) and releases those past
     * what rolling windows need held ({@link uniqcount.window.EventTimePolicy#retainSec}).
     */
    private void cut(Owned o, long w) {
      uniqcount.window.EventTimePolicy policy = config.timing().policy();
      List<WindowState> dropped = new ArrayList<>();
      for (Granularity g : config.counting().windows()) {
        o.partition.windows().seal(g, w - policy.latenessSec() - policy.horizonSec(g));
        o.partition.windows().release(g, w - policy.latenessSec() - policy.retainSec(g), dropped);
      }
    }

    /** Writes a partition's changed windows, deletions and clock record (if anything changed). */
    private void write(int p, Owned o) {
      List<Windows.WindowImage> changed = new ArrayList<>();
      Map<String, Long> held = new HashMap<>();
      o.partition.windows().forEachWindow(w -> {
        String key = p + "/" + w.granularity().label() + "/" + w.startSec();
        held.put(key, w.frames());
        Long before = o.written.get(key);
        if (before == null || before != w.frames()) {
          changed.add(new Windows.WindowImage(w.granularity(), w.startSec(), w.endSec(), w.frames(), w.counter().image()));
        }
      });
      int target = statePartitionOf(p);
      boolean any = false;
      for (Windows.WindowImage w : changed) {
        String key = p + "/" + w.granularity().label() + "/" + w.startSec();
        member.sendState(target, key, StateCodec.encodeWindow(w));
        o.written.put(key, w.frames());
        partialsPublished.incrementAndGet();
        any = true;
      }
      for (java.util.Iterator<String> it = o.written.keySet().iterator(); it.hasNext(); ) {
        String key = it.next();
        if (!held.containsKey(key)) {
          member.sendState(target, key, null);
          it.remove();
          any = true;
        }
      }
      long offset = member.position(p);
      boolean idle = job.clock().nanoTime() - o.partition.lastActivityNanos() >= config.timing().policy().idleTimeoutNanos();
      if (any || !o.clockWritten || offset != o.writtenOffset || idle != o.writtenIdle) {
        Windows windows = o.partition.windows();
        TaskState t = new TaskState(offset, idle, o.partition.clockState(), o.partition.lateDropped(),
            windows.granularityList(), windows.releaseLines());
        member.sendState(target, p + "/clock", StateCodec.encodeTask(t));
        partialsPublished.incrementAndGet();
        o.writtenOffset = offset;
        o.writtenIdle = idle;
        o.clockWritten = true;
      }
    }

    @Override
    public void revoked(Collection<Integer> partitions) {
      commitRound();
      if (merger != null && partitions.contains(0) && !config.recovery().exactlyOnce()) {
        merger.writeMergeRecord(NOT_FINAL); // what this merger published, for the next one
        member.commit(true);
      }
      forget(partitions);
    }

    @Override
    public void lost(Collection<Integer> partitions) {
      forget(partitions);
    }

    private void forget(Collection<Integer> partitions) {
      for (int p : partitions) {
        Owned o = owned.remove(p);
        if (o != null) {
          job.removePartition(o.partition);
        }
        if (p == 0) {
          member.setCommitMetadata(0, null); // the next owner of partition 0 names its own merge record
        }
        if (p == 0 && merger != null) {
          merger.close();
          merger = null;
          if (!stopping) {
            job.streams().err().println("uniqcount: partition 0 of '" + input.topic()
                + "' moved to another member, which publishes the results from now on");
          }
        }
      }
    }

    private void becomeMerger() {
      if (merger == null) {
        try {
          merger = new Merger(this);
        } catch (Stopping e) {
          return;
        }
        job.streams().err().println("uniqcount: this instance merges the partial counts of group '" + input.group()
            + "' and publishes the results (it owns partition 0 of '" + input.topic() + "')");
      }
    }

    void closeTails() {
      if (cuts != null) {
        cuts.close();
        cuts = null;
      }
      if (merger != null) {
        merger.close();
        merger = null;
      }
    }

    @Override
    public String toString() {
      return "uniqcount-" + input.group() + "-" + instance + "-" + index;
    }
  }

  /** Whether {@code through} reaches every partition's end in {@code ends}. */
  private static boolean covers(long[] through, Map<Integer, Long> ends) {
    for (Map.Entry<Integer, Long> end : ends.entrySet()) {
      int p = end.getKey();
      if (p >= through.length || through[p] < end.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** The run is stopping while a merger was being set up. */
  private static final class Stopping extends RuntimeException {
    Stopping() {
      super("stopping", null, false, false);
    }
  }

  private static final long[] NOT_FINAL = new long[0];

  /** The merge step of the member that owns partition 0: views of every partition, one emitter. */
  private final class Merger {
    final Task task;
    final StateTopic tail;
    final List<PartitionView> views = new ArrayList<>();
    final Emitter emitter;
    boolean publishedSinceRecord;
    /** The number of the last merge record written or read. */
    long sequence;

    Merger(Task task) {
      this.task = task;
      for (int p = 0; p < partitionCount; p++) {
        views.add(new PartitionView(job.newWindows(), config.counting().counter()));
      }
      JobConfig.Timing timing = config.timing();
      emitter = job.published(new Emitter(() -> views, this::complete, job.newWindows(), timing.policy(),
          config.counting().counter(), job.clock(), timing.emit() == JobConfig.Emit.EARLY,
          timing.earlyInterval().toNanos()));
      List<Integer> all = new ArrayList<>();
      for (int i = 0; i < statePartitions; i++) {
        all.add(i);
      }
      tail = new StateTopic(config.kafka().settings(), stateTopic, all, task + "-merge");
      // The merge record the last commit of partition 0 named must be read: right after that
      // commit returned, its markers may not be written yet and the state topic's end lies before it.
      String committed;
      try {
        committed = task.member.committedMetadata(0);
      } catch (RuntimeException e) {
        tail.close();
        if (stopping) {
          throw new Stopping(); // the stop's wake-up call met the lookup
        }
        throw e;
      }
      // until this merger writes a merge record of its own, partition 0 keeps naming the last one
      task.member.setCommitMetadata(0, committed);
      long named = namedSequence(committed);
      StateCodec.MergeState merge = null;
      long deadline = System.nanoTime() + MERGE_WAIT_NANOS;
      long readDeadline = System.nanoTime() + READ_NANOS;
      while (!tail.caughtUp() || (merge == null ? 0 : merge.sequence()) < named && System.nanoTime() < deadline) {
        if (stopping) {
          tail.close();
          throw new Stopping(); // leaving: a merger that has not read everything must not merge
        }
        if (System.nanoTime() > readDeadline) {
          tail.close();
          throw UserException.failure("cannot read the state topic '" + stateTopic + "' to its end within "
              + READ_NANOS / 1_000_000_000L + " s");
        }
        List<StateTopic.Entry> entries = tail.caughtUp() ? tail.pollToEnd(Duration.ofMillis(200)) : tail.poll(Duration.ofMillis(200));
        for (StateTopic.Entry e : entries) {
          if (e.key().equals(MERGE_KEY)) {
            if (e.value() != null) {
              merge = StateCodec.decodeMerge(e.value(), "the merge record in topic " + stateTopic);
            }
          } else {
            apply(e);
          }
        }
      }
      if ((merge == null ? 0 : merge.sequence()) < named) {
        job.streams().err().println("uniqcount: the merge record " + named + " named by the last commit of partition 0"
            + " did not appear in topic '" + stateTopic + "' within " + MERGE_WAIT_NANOS / 1_000_000_000L
            + " s; continuing from record " + (merge == null ? 0 : merge.sequence())
            + " (results since may be published again)");
      }
      task.member.setCommitMetadata(0, MERGE_SEQUENCE + (merge == null ? 0 : merge.sequence()));
      if (merge != null) {
        sequence = merge.sequence();
        emitter.restore(merge.emitter());
        // windows the last merger released may still be in the views (their owners delete them at
        // their next commit): gone here too, or they would be published again as new
        long w = emitter.watermarkSec();
        if (w != Long.MIN_VALUE) {
          List<WindowState> dropped = new ArrayList<>();
          for (PartitionView v : views) {
            for (Granularity g : config.counting().windows()) {
              v.windows().release(g, w - config.timing().policy().latenessSec() - config.timing().policy().retainSec(g),
                  dropped);
            }
          }
        }
        republishLocally();
      }
    }

    /**
     * stdout or a file cannot have kept what an earlier merging member published: they get the
     * last record of every window still held again, as it was (the results topic has them).
     */
    private void republishLocally() {
      try {
        synchronized (publishLock) {
          ResultSink uncounted = job.localSinkUncounted();
          for (ResultRecord r : emitter.republish()) {
            uncounted.write(r);
          }
          uncounted.flush();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private boolean complete() {
      for (PartitionView v : views) {
        if (!v.clocked()) {
          return false;
        }
      }
      return true;
    }

    /** Applies one record of the state topic to the views. */
    private void apply(StateTopic.Entry e) {
      String key = e.key();
      int slash = key.indexOf('/');
      if (slash <= 0) {
        return; // the merge record or the job's fingerprint
      }
      int p;
      try {
        p = Integer.parseInt(key.substring(0, slash));
      } catch (NumberFormatException x) {
        return;
      }
      if (p >= views.size()) {
        return;
      }
      PartitionView v = views.get(p);
      partialsMerged.incrementAndGet();
      String rest = key.substring(slash + 1);
      String name = "record " + key + " of topic " + stateTopic;
      if (rest.equals("clock")) {
        if (e.value() != null) {
          TaskState t = StateCodec.decodeTask(e.value(), name);
          v.clock(t.nextOffset(), t.clock().watermarkSec(), t.idle(), t.releasedEndSec());
        }
        return;
      }
      if (e.value() != null) {
        v.window(StateCodec.decodeWindow(e.value(), name));
      } else {
        int s = rest.indexOf('/');
        Granularity g = s < 0 ? null : Granularity.byLabel(rest.substring(0, s));
        if (g != null && config.counting().windows().contains(g)) {
          v.removed(g, Long.parseLong(rest.substring(s + 1)));
        }
      }
    }

    private void catchUp() {
      for (StateTopic.Entry e : tail.pollToEnd(Duration.ofSeconds(2))) {
        if (!e.key().equals(MERGE_KEY)) {
          apply(e);
        }
      }
    }

    /** Whether every partition's committed state reached the input's end. */
    private boolean caughtUp() {
      if (!complete()) {
        return false;
      }
      Map<Integer, Long> ends = task.member.endOffsetsIfKnown();
      if (ends == null) {
        return false; // the cluster did not answer in time: look again at the next round
      }
      for (Map.Entry<Integer, Long> end : ends.entrySet()) {
        int p = end.getKey();
        if (p < views.size() && views.get(p).nextOffset() < end.getValue()) {
          return false;
        }
      }
      return true;
    }

    /**
     * One round of the merge step, ending with the member's commit. With {@code --exactly-once}
     * the results and the merge record are in the transaction; without it, the results are sent
     * right after the commit (a member that is no longer in the group's generation is refused
     * there and publishes nothing), and the merge record that says they were published goes out
     * with the next commit — so a crash repeats a result rather than losing it.
     */
    void round() {
      boolean exactlyOnce = config.recovery().exactlyOnce();
      if (!exactlyOnce) {
        writeMergeRecord(NOT_FINAL); // what the last round published
      }
      catchUp();
      boolean flush = task.finishRequested && !task.finished && caughtUp();
      long[] through = NOT_FINAL;
      if (flush) {
        through = new long[views.size()];
        for (int p = 0; p < views.size(); p++) {
          through[p] = views.get(p).nextOffset();
        }
      }
      List<ResultRecord> records = new ArrayList<>(flush ? emitter.flush() : emitter.tick());
      // held back for rolling windows still to publish: more rounds now (bounded), not one per commit
      for (long until = job.clock().nanoTime() + 200_000_000L;
          !flush && emitter.behind() && records.size() < 1000 && job.clock().nanoTime() < until; ) {
        records.addAll(emitter.tick());
      }
      if (!exactlyOnce) {
        task.member.commit(true); // refused for a member the group moved on from: then nothing is published
      }
      try {
        synchronized (publishLock) {
          boolean any = false;
          for (List<ResultRecord> batch = records; !batch.isEmpty(); batch = flush ? emitter.flushMore() : List.of()) {
            for (ResultRecord r : batch) {
              if (exactlyOnce) {
                task.member.sendResult(config.output().topic(), r.key(),
                    r.toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
              } else if (resultsTopic != null) {
                resultsTopic.write(r);
              }
              local.write(r);
            }
            any = true;
          }
          publishedSinceRecord |= any;
          if (exactlyOnce) {
            writeMergeRecord(through);
            task.member.commit(true);
          } else if (resultsTopic != null && any) {
            resultsTopic.flush();
          }
          if (any) {
            local.flush();
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (flush) {
        if (!exactlyOnce) {
          writeMergeRecord(through);
          task.member.commit(true);
        }
        task.finished = true;
      }
    }

    /**
     * Writes the merge record if something was published since the last one, or if it ends the
     * final flush ({@code finalThrough} not empty: the input's offsets it covered).
     */
    private void writeMergeRecord(long[] finalThrough) {
      if (publishedSinceRecord || finalThrough.length > 0) {
        sequence++;
        task.member.sendState(mergePartition(), MERGE_KEY,
            StateCodec.encodeMerge(new StateCodec.MergeState(sequence, emitter.state(), finalThrough)));
        task.member.setCommitMetadata(0, MERGE_SEQUENCE + sequence);
        publishedSinceRecord = false;
      }
    }

    /** The merge record's number named in partition 0's committed offset metadata, or 0. */
    private long namedSequence(String metadata) {
      if (metadata == null || !metadata.startsWith(MERGE_SEQUENCE)) {
        return 0;
      }
      try {
        return Long.parseLong(metadata.substring(MERGE_SEQUENCE.length()));
      } catch (NumberFormatException e) {
        return 0;
      }
    }

    void close() {
      tail.close();
    }
  }
}
