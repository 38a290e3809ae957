package uniqcount.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import uniqcount.checkpoint.CheckpointStore;
import uniqcount.checkpoint.Snapshot;
import uniqcount.emit.Emitter;
import uniqcount.emit.ResultRecord;
import uniqcount.frame.BlockScanner;
import uniqcount.frame.FrameDecoder;
import uniqcount.kafka.KafkaAdmin;
import uniqcount.kafka.KafkaSettings;
import uniqcount.sink.JsonLinesSink;
import uniqcount.sink.KafkaResultSink;
import uniqcount.sink.ResultSink;
import uniqcount.sink.TeeSink;
import uniqcount.source.Chunk;
import uniqcount.source.FrameHandler;
import uniqcount.source.InputException;
import uniqcount.source.Inputs;
import uniqcount.source.KafkaFrameSource;
import uniqcount.source.LineChunker;
import uniqcount.window.Clock;
import uniqcount.window.Partition;
import uniqcount.window.Shard;
import uniqcount.window.ZoneCalendar;

/**
 * One {@code count} run. N workers each own a {@link Shard}; an emitter thread publishes early,
 * final and update results as the watermark moves; at the end of the input every window still
 * open is flushed as final.
 *
 * <ul>
 *   <li>Files and stdin: the calling thread reads the inputs one after another (each a {@link
 *       Partition}) and splits them into line-aligned chunks; the workers take chunks from a
 *       shared queue, so the load balances itself.
 *   <li>Kafka: each worker polls its own consumer of one consumer group and counts what it
 *       polled; the calling thread waits for {@code --exit-on-idle}, Ctrl-C or a failure.
 * </ul>
 *
 * <p>One place handles failures: a worker, a consumer or the emitter that throws records the
 * error and wakes the calling thread, which stops everything and reports it.
 */
final class CountJob {
  private final CountConfig config;
  private final Io io;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile boolean stopRequested;
  /**
   * Stops the emitter thread. Never interrupt it: an interrupt during a write would close the
   * output file's channel (ClosedByInterruptException) under everyone's feet.
   */
  private volatile boolean emitterStopped;
  private volatile Stats stats;
  private ResultSink extraSink;
  /** Held by the emitter for a round and by a checkpoint, so a snapshot sees no half round. */
  private final java.util.concurrent.locks.ReentrantLock emitLock = new java.util.concurrent.locks.ReentrantLock();
  private JsonLinesSink fileSink;
  private CheckpointStore store;
  private uniqcount.sink.TransactionalResultSink txSink;
  private long nextCheckpointNanos;

  CountJob(CountConfig config, Io io) {
    this.config = config;
    this.io = io;
  }

  /** Asks a running job to stop (Ctrl-C): results published so far stand, open windows are not flushed. */
  void requestStop() {
    stopRequested = true;
  }

  /** Also sends every record to {@code sink} (the demo's table); call before {@link #run()}. */
  void addSink(ResultSink sink) {
    this.extraSink = sink;
  }

  /** The current stats line, or "starting". */
  String statsLine() {
    Stats s = stats;
    return s == null ? "starting" : s.line();
  }

  int run() throws IOException, InterruptedException {
    try {
      return config.kafka == null ? runFiles() : runKafka();
    } catch (java.io.UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** The scanner for the stats line, e.g. swar or vector-512+trust. */
  private String scannerLabel() {
    return BlockScanner.name(config.scanner) + (config.trustInput ? "+trust" : "");
  }

  private List<Shard> newShards() {
    ZoneCalendar calendar = new ZoneCalendar(config.zone);
    List<Shard> shards = new ArrayList<>();
    for (int i = 0; i < config.threads; i++) {
      shards.add(new Shard(config.granularities, calendar, config.counterSpec,
          new FrameDecoder(config.uidField, config.tsField, config.maxFrameBytes, config.scanner, config.trustInput)));
    }
    return shards;
  }

  private List<Partition> newPartitions(int n) {
    List<Partition> partitions = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      partitions.add(new Partition(i, config.policy, Clock.SYSTEM));
    }
    return partitions;
  }

  private Emitter newEmitter(List<Shard> shards, List<Partition> partitions) {
    return new Emitter(shards, partitions, config.policy, config.counterSpec, Clock.SYSTEM,
        config.earlyResults, config.earlyInterval.toNanos());
  }

  private int runFiles() throws IOException, InterruptedException {
    List<String> inputs = Inputs.resolve(config.inputs);
    String fingerprint = config.fingerprint(inputs);
    if (config.outputTopic != null) {
      try (KafkaAdmin admin = new KafkaAdmin(config.kafkaSettings, config.kafkaTimeout)) {
        admin.checkReachable();
        admin.createIfMissing(config.outputTopic, 0, Map.of("cleanup.policy", "compact"));
      }
    }
    List<Shard> shards = newShards();
    List<Partition> partitions = newPartitions(inputs.size());
    Emitter emitter = newEmitter(shards, partitions);
    Snapshot restored = restore(fingerprint, emitter, partitions, shards);
    long[] positions = restored == null ? new long[inputs.size()] : restored.positions.clone();
    ResultSink sink = openSink(config.kafkaSettings, restored == null ? -1 : restored.outputPosition);
    republish(restored, emitter, sink);
    Stats stats = new Stats(shards, io.err, scannerLabel());
    this.stats = stats;
    stats.startReporting(config.statsInterval);
    java.util.concurrent.atomic.AtomicLong completed = new java.util.concurrent.atomic.AtomicLong();
    long[] dispatched = {0};

    int capacity = LineChunker.chunkCapacity(config.maxFrameBytes);
    BlockingQueue<Chunk> pool = new ArrayBlockingQueue<>(2 * config.threads + 2);
    for (int i = 0; i < 2 * config.threads + 2; i++) {
      pool.add(new Chunk(capacity));
    }
    BlockingQueue<Chunk> work = new ArrayBlockingQueue<>(2 * config.threads + 2);
    Chunk endOfInput = new Chunk(1);
    Thread reader = Thread.currentThread();
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < shards.size(); i++) {
      Shard shard = shards.get(i);
      Thread t = new Thread(() -> {
        try {
          while (true) {
            Chunk c = work.take();
            if (c == endOfInput) {
              return;
            }
            shard.onChunk(c, partitions.get(c.partition()));
            pool.add(c);
            completed.incrementAndGet();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (Throwable e) {
          fail(e, reader);
        }
      }, "uniqcount-worker-" + i);
      t.setDaemon(true);
      workers.add(t);
      t.start();
    }

    Thread emitting = startEmitter(emitter, sink, reader);
    try {
      LineChunker chunker = new LineChunker(pool, config.maxFrameBytes);
      for (int partition = 0; partition < inputs.size(); partition++) {
        if (partitions.get(partition).finished()) {
          continue; // counted before the restart
        }
        try (InputStream in = Inputs.open(inputs.get(partition), io.in)) {
          in.skipNBytes(positions[partition]);
          int p = partition;
          chunker.read(in, partition, positions[partition], chunk -> {
            long end = chunk.startOffset() + chunk.length();
            putUninterruptibly(work, chunk);
            dispatched[0]++;
            positions[p] = end;
            if (stopRequested) {
              throw new StopRequested();
            }
            if (store != null && System.nanoTime() >= nextCheckpointNanos) {
              awaitQuiescent(completed, dispatched[0]);
              checkpoint(fingerprint, positions, emitter, partitions, shards, sink);
            }
          });
        }
      }
      for (int i = 0; i < workers.size(); i++) {
        work.put(endOfInput);
      }
      for (Thread t : workers) {
        t.join();
      }
      stopEmitter(emitting);
    } catch (StopRequested e) {
      // Ctrl-C: count what was handed out, keep a checkpoint, publish no premature finals
      awaitQuiescent(completed, dispatched[0]);
      for (int i = 0; i < workers.size(); i++) {
        work.put(endOfInput);
      }
      for (Thread t : workers) {
        t.join();
      }
      stopEmitter(emitting);
      stats.stop();
      finish(emitter, sink, false, () -> {
        if (store != null) {
          checkpoint(fingerprint, positions, emitter, partitions, shards, sink);
        }
      });
      stats.printFinal();
      return 0;
    } catch (InterruptedException | WorkerFailed e) {
      stopAll(workers, emitting, stats);
      rethrowFailure();
      throw e;
    } catch (java.io.UncheckedIOException e) {
      stopAll(workers, emitting, stats);
      throw e.getCause();
    } catch (IOException e) {
      stopAll(workers, emitting, stats);
      throw e;
    }
    rethrowFailure();
    stats.stop();
    finish(emitter, sink, true, () -> {
      if (store != null) {
        java.util.Arrays.fill(positions, -1);
        checkpoint(fingerprint, positions, emitter, partitions, shards, sink);
      }
    });
    stats.printFinal();
    return 0;
  }

  /**
   * After a restart, publishes again the last record of every window held, unchanged, where the
   * output cannot have kept them: stdout and a plain topic (an output file was cut back to the
   * snapshot and holds them; an exactly-once topic has them committed).
   */
  private void republish(Snapshot restored, Emitter emitter, ResultSink sink) throws IOException {
    if (restored == null || fileSink != null || txSink != null) {
      return;
    }
    for (ResultRecord r : emitter.republish()) {
      sink.write(r);
    }
    sink.flush();
  }

  /** Loads the newest usable snapshot into the fresh objects, or returns null to start from zero. */
  private Snapshot restore(String fingerprint, Emitter emitter, List<Partition> partitions, List<Shard> shards)
      throws IOException {
    if (config.checkpointDir == null) {
      return null;
    }
    store = new CheckpointStore(config.checkpointDir);
    nextCheckpointNanos = System.nanoTime() + config.checkpointInterval.toNanos();
    byte[] payload = store.readLatest(io.err);
    if (payload == null) {
      return null;
    }
    Snapshot s = Snapshot.restore(payload, fingerprint, emitter, partitions, shards, config.counterSpec,
        config.kafka == null);
    io.err.println("uniqcount: resuming from the checkpoint in " + config.checkpointDir);
    return s;
  }

  /** Waits until every dispatched chunk is counted (the reader is paused meanwhile). */
  private void awaitQuiescent(java.util.concurrent.atomic.AtomicLong completed, long dispatched) {
    while (completed.get() < dispatched) {
      if (failure.get() != null) {
        throw new WorkerFailed(failure.get());
      }
      Thread.onSpinWait();
      try {
        Thread.sleep(0, 200_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new WorkerFailed(failure.get());
      }
    }
  }

  /** Writes a snapshot: state, input positions and output length, with the emitter held. */
  private void checkpoint(String fingerprint, long[] positions, Emitter emitter, List<Partition> partitions,
      List<Shard> shards, ResultSink sink) {
    emitLock.lock();
    try {
      sink.flush();
      long outputPosition = fileSink == null ? -1 : fileSink.position();
      byte[] payload = Snapshot.capture(fingerprint, positions, outputPosition, emitter, partitions, shards);
      if (txSink != null) {
        java.util.Map<Integer, Long> offsets = new java.util.HashMap<>();
        for (int i = 0; i < positions.length; i++) {
          offsets.put(i, positions[i]);
        }
        txSink.commit(CheckpointStore.encode(payload), offsets);
      } else {
        store.write(payload);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(new InputException("cannot write a checkpoint to "
          + (txSink != null ? "topic " + config.checkpointTopic : config.checkpointDir) + ": " + e.getMessage(), e));
    } finally {
      emitLock.unlock();
      nextCheckpointNanos = System.nanoTime() + config.checkpointInterval.toNanos();
    }
  }

  private int runKafka() throws IOException, InterruptedException {
    CountConfig.KafkaInput k = config.kafka;
    int partitionCount;
    try (KafkaAdmin admin = new KafkaAdmin(config.kafkaSettings, config.kafkaTimeout)) {
      admin.checkReachable();
      partitionCount = admin.partitions(k.topic);
      if (config.outputTopic != null) {
        admin.createIfMissing(config.outputTopic, 0, Map.of("cleanup.policy", "compact"));
      }
      if (config.exactlyOnce) {
        admin.createIfMissing(config.checkpointTopic, 1, Map.of("cleanup.policy", "compact",
            "max.message.bytes", Integer.toString(64 << 20)));
      }
    }
    String fingerprint = config.fingerprint(List.of());
    List<Shard> shards = newShards();
    List<Partition> partitions = newPartitions(partitionCount);
    Emitter emitter = newEmitter(shards, partitions);
    Snapshot restored;
    if (config.exactlyOnce) {
      // first the producer: it aborts whatever a killed predecessor left open
      txSink = new uniqcount.sink.TransactionalResultSink(config.kafkaSettings, config.outputTopic,
          config.checkpointTopic, k.topic, k.group);
      nextCheckpointNanos = System.nanoTime() + config.checkpointInterval.toNanos();
      byte[] record = uniqcount.kafka.KafkaCheckpoints.latest(config.kafkaSettings, config.checkpointTopic, k.group);
      restored = record == null ? null : Snapshot.restore(
          CheckpointStore.decode(record, "the snapshot in topic " + config.checkpointTopic),
          fingerprint, emitter, partitions, shards, config.counterSpec, false);
      if (restored != null) {
        io.err.println("uniqcount: resuming from the checkpoint in topic " + config.checkpointTopic);
      }
    } else {
      restored = restore(fingerprint, emitter, partitions, shards);
    }
    long[] positions = restored != null ? restored.positions.clone() : new long[partitionCount];
    if (restored == null) {
      java.util.Arrays.fill(positions, -1);
    }
    ResultSink sink = openSink(config.kafkaSettings, restored == null ? -1 : restored.outputPosition);
    republish(restored, emitter, sink);
    Stats stats = new Stats(shards, io.err, scannerLabel());
    this.stats = stats;
    stats.startReporting(config.statsInterval);
    Thread main = Thread.currentThread();
    Thread emitting = startEmitter(emitter, sink, main);

    List<FrameHandler> handlers = new ArrayList<>();
    for (Shard shard : shards) {
      handlers.add(new FrameHandler() {
        @Override
        public void onPartitionAssigned(int partition) {
          partitions.get(partition).expect();
        }

        @Override
        public void onFrame(int partition, byte[] bytes, int offset, int length) {
          shard.onFrame(bytes, offset, length);
        }

        @Override
        public void onBatchEnd(int partition) {
          shard.endBatch(partitions.get(partition));
        }

        @Override
        public void onPartitionEnd(int partition) {
          shard.endPartition(partitions.get(partition));
        }
      });
    }
    KafkaFrameSource source = new KafkaFrameSource(config.kafkaSettings, k.topic, k.group, k.from);
    java.util.Map<Integer, Long> startOffsets = new java.util.HashMap<>();
    for (int i = 0; i < positions.length; i++) {
      if (positions[i] >= 0) {
        startOffsets.put(i, positions[i]);
      }
    }
    if (store != null || txSink != null) {
      source.startFrom(startOffsets);
    }
    if (txSink != null) {
      source.noOffsetCommits();
    }
    source.start(handlers, partitionCount);
    boolean idle = false;
    try {
      while (!stopRequested && failure.get() == null && source.failure() == null) {
        Thread.sleep(100);
        if (k.exitOnIdle != null && System.nanoTime() - source.lastRecordNanos() >= k.exitOnIdle.toNanos()) {
          idle = true;
          break;
        }
        if ((store != null || txSink != null) && System.nanoTime() >= nextCheckpointNanos) {
          java.util.Map<Integer, Long> at = source.pause();
          if (at != null) {
            try {
              at.forEach((p, offset) -> positions[p] = offset);
              checkpoint(fingerprint, positions, emitter, partitions, shards, sink);
            } finally {
              source.resume();
            }
          } else {
            nextCheckpointNanos = System.nanoTime() + config.checkpointInterval.toNanos();
          }
        }
      }
    } catch (InterruptedException e) {
      // a failure woke us
    } catch (java.io.UncheckedIOException e) {
      source.stop();
      emitterStopped = true;
      stats.stop();
      throw e;
    }
    source.stop();
    stopEmitter(emitting);
    stats.stop();
    if (source.failure() != null) {
      failure.compareAndSet(null, source.failure());
    }
    rethrowFailure();
    long[] lastPositions = positions;
    source.finalPositions().forEach((p, offset) -> lastPositions[p] = offset);
    finish(emitter, sink, idle, () -> {
      if (store != null || txSink != null) {
        checkpoint(fingerprint, lastPositions, emitter, partitions, shards, sink);
      }
    });
    stats.printFinal();
    return 0;
  }

  /**
   * Publishes the last records (all windows final when the input is over), runs {@code last}
   * (the final checkpoint) and closes the sink.
   */
  private static void finish(Emitter emitter, ResultSink sink, boolean inputOver, Runnable last) throws IOException {
    try (ResultSink s = sink) {
      if (inputOver) {
        for (ResultRecord r : emitter.flush()) {
          s.write(r);
        }
      }
      last.run();
    }
  }

  private void fail(Throwable e, Thread main) {
    failure.compareAndSet(null, e);
    main.interrupt();
  }

  private void stopAll(List<Thread> workers, Thread emitting, Stats stats) {
    workers.forEach(Thread::interrupt);
    emitterStopped = true;
    stats.stop();
  }

  private void stopEmitter(Thread emitting) throws InterruptedException {
    emitterStopped = true;
    emitting.join();
  }

  /** Publishes results as the watermark moves, a few times a second. */
  private Thread startEmitter(Emitter emitter, ResultSink sink, Thread main) {
    long tickMillis = Math.max(10, Math.min(200, config.earlyInterval.toMillis()));
    Thread t = new Thread(() -> {
      try {
        while (!emitterStopped) {
          Thread.sleep(tickMillis);
          if (emitterStopped) {
            break;
          }
          emitLock.lock();
          try {
            List<ResultRecord> records = emitter.tick();
            for (ResultRecord r : records) {
              sink.write(r);
            }
            if (!records.isEmpty()) {
              sink.flush();
            }
          } finally {
            emitLock.unlock();
          }
        }
      } catch (InterruptedException e) {
        // stopped by a failure elsewhere
      } catch (Throwable e) {
        fail(e, main);
      }
    }, "uniqcount-emitter");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private void putUninterruptibly(BlockingQueue<Chunk> work, Chunk chunk) {
    try {
      work.put(chunk);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WorkerFailed(failure.get());
    }
  }

  private void rethrowFailure() throws IOException {
    Throwable t = failure.get();
    if (t instanceof IOException) {
      throw new InputException(t.getMessage(), t);
    }
    if (t != null) {
      throw new IllegalStateException("worker failed: " + t, t);
    }
  }

  private ResultSink openSink(KafkaSettings settings, long resumeAt) throws IOException {
    List<ResultSink> sinks = new ArrayList<>();
    if (extraSink != null) {
      sinks.add(extraSink);
    }
    if (txSink != null) {
      sinks.add(txSink);
    } else if (config.outputTopic != null) {
      sinks.add(new KafkaResultSink(settings, config.outputTopic));
    }
    if (config.output == null && config.outputTopic == null && extraSink == null || "-".equals(config.output)) {
      sinks.add(new JsonLinesSink(io.out, false));
    } else if (config.output != null) {
      try {
        if (config.checkpointDir != null) {
          fileSink = JsonLinesSink.file(Paths.get(config.output), resumeAt);
          sinks.add(fileSink);
        } else {
          OutputStream out = Files.newOutputStream(Paths.get(config.output));
          sinks.add(new JsonLinesSink(out, true));
        }
      } catch (IOException e) {
        throw new InputException("--output " + config.output + ": cannot write (" + e.getMessage() + ")", e);
      }
    }
    return sinks.size() == 1 ? sinks.get(0) : new TeeSink(sinks);
  }

  /** Unwinds the reader on Ctrl-C. */
  private static final class StopRequested extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StopRequested() {
      super("stop requested", null, false, false);
    }
  }

  /** Unwinds the reader when a worker has failed. */
  private static final class WorkerFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    WorkerFailed(Throwable cause) {
      super("worker failed: " + cause, cause);
    }
  }
}
