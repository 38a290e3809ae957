package uniqcount.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import uniqcount.emit.Emitter;
import uniqcount.emit.ResultRecord;
import uniqcount.frame.FrameDecoder;
import uniqcount.sink.JsonLinesSink;
import uniqcount.sink.ResultSink;
import uniqcount.source.Chunk;
import uniqcount.source.InputException;
import uniqcount.source.Inputs;
import uniqcount.source.LineChunker;
import uniqcount.window.Clock;
import uniqcount.window.Partition;
import uniqcount.window.Shard;
import uniqcount.window.ZoneCalendar;

/**
 * One {@code count} run over finite input: the calling thread reads the inputs one after another
 * (each a {@link Partition}) and splits them into line-aligned chunks; N worker threads, each
 * owning a {@link Shard}, take chunks from a shared queue (so the load balances itself); an
 * emitter thread publishes early, final and update results as the watermark moves; at the end
 * every window still open is flushed as final.
 *
 * <p>One place handles failures: a worker or the emitter that throws records the error and
 * interrupts the reader, which stops everything and reports it.
 */
final class CountJob {
  private final CountConfig config;
  private final Io io;

  CountJob(CountConfig config, Io io) {
    this.config = config;
    this.io = io;
  }

  int run() throws IOException, InterruptedException {
    List<String> inputs = Inputs.resolve(config.inputs);
    ResultSink sink = openSink();
    ZoneCalendar calendar = new ZoneCalendar(config.zone);
    List<Shard> shards = new ArrayList<>();
    for (int i = 0; i < config.threads; i++) {
      shards.add(new Shard(config.granularities, calendar, config.counterSpec,
          new FrameDecoder(config.uidField, config.tsField, config.maxFrameBytes)));
    }
    List<Partition> partitions = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      partitions.add(new Partition(i, config.policy, Clock.SYSTEM));
    }
    Emitter emitter = new Emitter(shards, partitions, config.policy, config.counterSpec, Clock.SYSTEM,
        config.earlyResults, config.earlyInterval.toNanos());
    Stats stats = new Stats(shards, io.err);
    stats.startReporting(config.statsInterval);

    int capacity = LineChunker.chunkCapacity(config.maxFrameBytes);
    BlockingQueue<Chunk> pool = new ArrayBlockingQueue<>(2 * config.threads + 2);
    for (int i = 0; i < 2 * config.threads + 2; i++) {
      pool.add(new Chunk(capacity));
    }
    BlockingQueue<Chunk> work = new ArrayBlockingQueue<>(2 * config.threads + 2);
    Chunk endOfInput = new Chunk(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
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
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
          reader.interrupt();
        }
      }, "uniqcount-worker-" + i);
      t.setDaemon(true);
      workers.add(t);
      t.start();
    }

    Thread emitting = startEmitter(emitter, sink, failure, reader);
    try {
      LineChunker chunker = new LineChunker(pool, config.maxFrameBytes);
      for (int partition = 0; partition < inputs.size(); partition++) {
        try (InputStream in = Inputs.open(inputs.get(partition), io.in)) {
          int p = partition;
          chunker.read(in, p, chunk -> putUninterruptibly(work, chunk, failure));
        }
      }
      for (int i = 0; i < workers.size(); i++) {
        work.put(endOfInput);
      }
      for (Thread t : workers) {
        t.join();
      }
      emitting.interrupt();
      emitting.join();
    } catch (InterruptedException | WorkerFailed e) {
      stopAll(workers, emitting, stats);
      rethrowWorkerFailure(failure);
      throw e;
    } catch (IOException e) {
      stopAll(workers, emitting, stats);
      throw e;
    }
    rethrowWorkerFailure(failure);
    stats.stop();

    try (ResultSink s = sink) {
      for (ResultRecord r : emitter.flush()) {
        s.write(r);
      }
    }
    stats.printFinal();
    return 0;
  }

  private static void stopAll(List<Thread> workers, Thread emitting, Stats stats) {
    workers.forEach(Thread::interrupt);
    emitting.interrupt();
    stats.stop();
  }

  /** Publishes results as the watermark moves, a few times a second. */
  private Thread startEmitter(Emitter emitter, ResultSink sink, AtomicReference<Throwable> failure, Thread reader) {
    long tickMillis = Math.max(10, Math.min(200, config.earlyInterval.toMillis()));
    Thread t = new Thread(() -> {
      try {
        while (!Thread.currentThread().isInterrupted()) {
          Thread.sleep(tickMillis);
          List<ResultRecord> records = emitter.tick();
          for (ResultRecord r : records) {
            sink.write(r);
          }
          if (!records.isEmpty()) {
            sink.flush();
          }
        }
      } catch (InterruptedException e) {
        // stopped: the final flush follows on the reader thread
      } catch (Throwable e) {
        failure.compareAndSet(null, e);
        reader.interrupt();
      }
    }, "uniqcount-emitter");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void putUninterruptibly(BlockingQueue<Chunk> work, Chunk chunk, AtomicReference<Throwable> failure) {
    try {
      work.put(chunk);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WorkerFailed(failure.get());
    }
  }

  private static void rethrowWorkerFailure(AtomicReference<Throwable> failure) throws IOException {
    Throwable t = failure.get();
    if (t instanceof IOException) {
      throw new InputException("cannot write results: " + t.getMessage(), t);
    }
    if (t != null) {
      throw new IllegalStateException("worker failed: " + t, t);
    }
  }

  private ResultSink openSink() throws IOException {
    if (config.output.equals("-")) {
      return new JsonLinesSink(io.out, false);
    }
    try {
      OutputStream out = Files.newOutputStream(Paths.get(config.output));
      return new JsonLinesSink(out, true);
    } catch (IOException e) {
      throw new InputException("--output " + config.output + ": cannot write (" + e.getMessage() + ")", e);
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
