package uniqcount.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import uniqcount.UserException;
import uniqcount.kafka.KafkaAdmin;
import uniqcount.source.Chunk;
import uniqcount.source.Inputs;
import uniqcount.source.LineChunker;
import uniqcount.window.Partition;

/**
 * Files and stdin: the job's thread reads the inputs one after another (each a partition) and
 * splits them into line-aligned chunks from a pool; the workers take chunks from one queue, so
 * the load balances itself, and each chunk's partition applies the decoded batches in order.
 * A checkpoint pauses the reader between chunks until every chunk handed out is counted.
 *
 * <p>With {@code --read-threads N} (by default for several gzip or zstd inputs) N readers take the
 * inputs in turn and read them side by side: a compressed history inflates on N threads. Each
 * input is still applied only once the one before it has ended (its partition follows that one's),
 * so what counts never depends on the readers; the inputs read ahead hold their decoded frames
 * (16 bytes each), at most {@link #heldLimit} of them in all, until then. An input's read error is
 * reported as a single reader would meet it: once every input before it is counted.
 */
final class FileIngest implements Ingest {
  private final Job job;
  private final List<String> specs;
  private final AtomicLong completed = new AtomicLong();
  /** Bytes read from the inputs as stored (progress). */
  private final AtomicLong rawRead = new AtomicLong();
  private volatile long totalBytes = -1;
  /** Each input's size as stored (-1: not known). */
  private long[] sizes;
  private final List<Thread> threads = new ArrayList<>();
  private final Chunk endOfInput = new Chunk(1);
  private List<String> inputs;
  private int chunks;
  private long[] positions;
  private final AtomicLong dispatched = new AtomicLong();
  private BlockingQueue<Chunk> work;
  private final int readThreadsAsked;
  private int readers = 1;
  /** Worker threads: as asked, else {@link #defaultWorkers}; all of this {@link #plan}. */
  private int workers;
  /** Threads that inflate one multi-member gzip input, when one reader reads the inputs. */
  private int inflaters = 1;
  private long heldLimit;
  private final List<Thread> readerThreads = new ArrayList<>();
  private volatile boolean stopSeen;
  /** Tests: a smaller {@link #heldLimit}, so that readers ahead are held with small inputs too (0: computed). */
  static volatile int heldLimitOverride;
  private final AtomicInteger nextInput = new AtomicInteger();
  /** No input before this one is still being counted (a hint; partitions end in order). */
  private volatile int head;

  FileIngest(Job job, JobConfig.FileInput input) {
    this.job = job;
    this.specs = input.specs();
    this.readThreadsAsked = input.readThreads();
  }

  @Override
  public int open(KafkaAdmin admin) {
    JobConfig.Counting c = job.config().counting();
    inputs = Inputs.resolve(specs);
    sizes = new long[inputs.size()];
    long total = 0;
    for (int i = 0; i < sizes.length; i++) {
      sizes[i] = Inputs.size(inputs.get(i));
      total = total < 0 || sizes[i] < 0 ? -1 : total + sizes[i];
    }
    totalBytes = total;
    boolean checkpointing = job.config().recovery().checkpointDir() != null;
    int cores = Runtime.getRuntime().availableProcessors();
    long heap = Runtime.getRuntime().maxMemory();
    Plan plan = plan(inputs, readThreadsAsked, c.threads(), checkpointing, cores, c.maxFrameBytes(), heap);
    readers = plan.readers();
    inflaters = plan.inflaters();
    workers = plan.workers();
    chunks = plan.chunks();
    if (readers > 1) {
      heldLimit = heldLimitOverride > 0 ? heldLimitOverride : heldLimit(heap);
    }
    return inputs.size();
  }

  /**
   * Read threads: as asked (at most one per input), else for two or more compressed inputs half
   * the cores and at least two, else one. One with a checkpoint, which records one reader's place.
   */
  static int readers(int asked, List<String> inputs, boolean checkpointing, int cores) {
    if (checkpointing || inputs.size() < 2) {
      return 1;
    }
    // stdin (or a pipe) named twice would be read by two threads at once
    if (inputs.stream().anyMatch(i -> i.equals(Inputs.STDIN) || !Files.isRegularFile(Paths.get(i)))) {
      return 1;
    }
    if (asked > 0) {
      return Math.min(asked, inputs.size());
    }
    long compressed = inputs.stream().filter(Inputs::compressed).limit(2).count();
    return compressed < 2 ? 1 : (int) Math.min(inputs.size(), Math.max(2, cores / 2));
  }

  /**
   * How the inputs are read: by how many readers, inflating threads and workers, with how many
   * chunks. Readers as {@link #readers} decides, but no more than the heap holds chunks for: a reader
   * waiting to hand its next chunk holds up to two, in an eighth of the heap with the workers'
   * (see {@link #chunkCount}). The rest is decided for the readers that fit: {@link #inflaters} when
   * one reader reads the inputs, and workers as asked ({@code threadsAsked} > 0), else
   * {@link #defaultWorkers}.
   */
  static Plan plan(List<String> inputs, int readThreadsAsked, int threadsAsked, boolean checkpointing, int cores,
      int maxFrameBytes, long maxHeapBytes) {
    int readers = readers(readThreadsAsked, inputs, checkpointing, cores);
    if (readers > 1) {
      // with several readers the default is a worker per core (defaultWorkers)
      int workerChunks = chunkCount(threadsAsked > 0 ? threadsAsked : Math.max(1, cores), maxFrameBytes, maxHeapBytes);
      long fit = maxHeapBytes / 8 / LineChunker.chunkCapacity(maxFrameBytes);
      readers = (int) Math.max(1, Math.min(readers, 1 + (fit - workerChunks) / 2));
    }
    int inflaters = readers > 1 ? 1 : inflaters(readThreadsAsked, checkpointing, cores);
    int workers = threadsAsked > 0 ? threadsAsked : defaultWorkers(inputs, readers, inflaters, cores);
    return new Plan(readers, inflaters, workers, chunkCount(workers, maxFrameBytes, maxHeapBytes) + 2 * (readers - 1));
  }

  /** What {@link #plan} decides. */
  record Plan(int readers, int inflaters, int workers, int chunks) {}

  /**
   * Workers by default: the cores, but one fewer when one thread inflates all the history (gzip of
   * one member, read by one reader): that thread sets the pace and needs a core of its own (on 2
   * cores, 1 worker counted such a file 13–15% faster than 2).
   */
  private static int defaultWorkers(List<String> inputs, int readers, int inflaters, int cores) {
    if (cores < 2) {
      return 1;
    }
    if (readers > 1) {
      return cores;
    }
    for (String input : inputs) {
      if (!Inputs.inflatedByOneThread(input, inflaters)) {
        return cores;
      }
    }
    return cores - 1;
  }

  /**
   * Threads that inflate a multi-member gzip input read by one reader: as asked, else half the
   * cores and at least two; one with a checkpoint (as for {@link #readers}).
   */
  static int inflaters(int asked, boolean checkpointing, int cores) {
    if (checkpointing) {
      return 1;
    }
    return asked > 0 ? asked : Math.max(2, cores / 2);
  }

  /**
   * Decoded frames the inputs read ahead may hold in all before their readers wait for the input
   * being counted to end: 16 bytes each (trimmed batches), in an eighth of the heap.
   */
  static long heldLimit(long maxHeapBytes) {
    return Math.max(1 << 14, maxHeapBytes / 8 / 16);
  }

  /**
   * How many chunks to read ahead with: two per worker and two more, but no more than an eighth
   * of the heap holds (counters and windows need the rest), and at least three (the reader
   * carries a line over into the next chunk while a worker has one).
   *
   * @throws UserException if even three chunks for this frame size limit would not fit
   */
  static int chunkCount(int threads, int maxFrameBytes, long maxHeapBytes) {
    long capacity = LineChunker.chunkCapacity(maxFrameBytes);
    long fit = maxHeapBytes / 8 / capacity;
    if (fit < 3) {
      throw UserException.usage("--max-frame-bytes " + maxFrameBytes + " needs 3 read buffers of " + (capacity >> 20)
          + " MiB, more than an eighth of the heap (" + (maxHeapBytes >> 20) + " MiB): lower it, or raise -Xmx"
          + " (UNIQCOUNT_JAVA_OPTS)");
    }
    return (int) Math.min(2L * threads + 2, fit);
  }

  @Override
  public int workers() {
    return workers;
  }

  @Override
  public Map<String, String> describe() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("input", inputs.size() + " file(s)");
    for (String input : inputs) {
      d.put("input file " + input, stamp(input));
    }
    return d;
  }

  private static String stamp(String input) {
    if (input.equals(Inputs.STDIN)) {
      return "stdin";
    }
    try {
      Path p = Paths.get(input);
      return Files.size(p) + " bytes, modified " + Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return "unreadable";
    }
  }

  /** The inputs are one history, read in the order given: each continues the one before. */
  @Override
  public void link(List<Partition> partitions) {
    for (int i = 1; i < partitions.size(); i++) {
      partitions.get(i).follow(partitions.get(i - 1), readers > 1);
    }
  }

  @Override
  public boolean keepsFinished() {
    return true;
  }

  @Override
  public void startAt(long[] from) {
    positions = from != null ? from : new long[inputs.size()];
  }

  @Override
  public End run() throws Exception {
    JobConfig.Counting c = job.config().counting();
    BlockingQueue<Chunk> pool = new ArrayBlockingQueue<>(chunks);
    int capacity = LineChunker.chunkCapacity(c.maxFrameBytes());
    for (int i = 0; i < chunks; i++) {
      pool.add(new Chunk(capacity));
    }
    work = new ArrayBlockingQueue<>(chunks + job.workers().size());
    for (int i = 0; i < job.workers().size(); i++) {
      Worker worker = job.workers().get(i);
      Thread t = new Thread(() -> work(worker, pool), "uniqcount-worker-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    if (readers > 1) {
      return readSideBySide(pool, c.maxFrameBytes());
    }
    LineChunker chunker = new LineChunker(pool, c.maxFrameBytes());
    try {
      for (int partition = 0; partition < inputs.size(); partition++) {
        if (job.partitions().get(partition).finished()) {
          rawRead.addAndGet(Math.max(0, sizes[partition])); // done before the restart
          continue; // counted before the restart
        }
        try (InputStream in = Inputs.open(inputs.get(partition), job.streams().in(), rawRead, inflaters)) {
          skipTo(in, partition);
          int p = partition;
          chunker.read(in, partition, positions[partition], chunk -> {
            long end = chunk.startOffset() + chunk.length();
            hand(chunk);
            positions[p] = end;
            if (job.stopRequested()) {
              throw new StopRequested();
            }
            if (job.checkpointDue()) {
              awaitQuiescent();
              job.checkpoint(positions);
            }
          });
        }
      }
    } catch (StopRequested e) {
      // Ctrl-C: count what was handed out, keep a checkpoint, publish no premature finals
      awaitQuiescent();
      endWorkers();
      return End.STOPPED;
    }
    endWorkers();
    return End.INPUT_OVER;
  }

  /** {@link #readers} threads take the inputs in turn; returns once all are read, or stopped. */
  private End readSideBySide(BlockingQueue<Chunk> pool, int maxFrameBytes) throws InterruptedException {
    for (int r = 0; r < readers; r++) {
      Thread t = new Thread(() -> readInputs(new LineChunker(pool, maxFrameBytes)), "uniqcount-reader-" + r);
      t.setDaemon(true);
      readerThreads.add(t);
      t.start();
    }
    for (Thread t : readerThreads) {
      t.join(); // a failure elsewhere interrupts this thread, and the job stops the readers
    }
    if (stopSeen || job.stopRequested()) {
      awaitQuiescent();
      endWorkers();
      return End.STOPPED;
    }
    endWorkers();
    return End.INPUT_OVER;
  }

  /** One reader: the next input not taken yet, until none is left. */
  private void readInputs(LineChunker chunker) {
    try {
      for (int partition = nextInput.getAndIncrement(); partition < inputs.size(); partition = nextInput.getAndIncrement()) {
        Partition before = partition == 0 ? null : job.partitions().get(partition - 1);
        try (InputStream in = Inputs.open(inputs.get(partition), job.streams().in(), rawRead)) {
          chunker.read(in, partition, 0, chunk -> {
            awaitTurn(before);
            hand(chunk);
            if (job.stopRequested()) {
              throw new StopRequested();
            }
          });
        } catch (UserException | IOException e) {
          awaitEnded(before); // where one reader would have met it: after every input before this one
          throw e;
        }
      }
    } catch (StopRequested e) {
      stopSeen = true;
    } catch (Interrupted | InterruptedException e) {
      // a failure elsewhere; the job reports that one
    } catch (Throwable e) {
      job.fail(e);
    }
  }

  /** Holds a reader ahead while the inputs read ahead hold {@link #heldLimit} frames, until the one before its input ends. */
  private void awaitTurn(Partition before) {
    while (before != null && !before.finished() && heldFrames() >= heldLimit) {
      pause();
    }
  }

  /** Frames decoded and waiting in the inputs after the one being counted. */
  private long heldFrames() {
    List<Partition> partitions = job.partitions();
    int taken = Math.min(nextInput.get(), partitions.size());
    int h = head;
    while (h < taken && partitions.get(h).finished()) {
      h++;
    }
    head = h;
    long held = 0;
    for (int p = h + 1; p < taken; p++) {
      held += partitions.get(p).pendingFrames();
    }
    return held;
  }

  private void awaitEnded(Partition before) {
    while (before != null && !before.finished()) {
      pause();
    }
  }

  private void pause() {
    if (job.failed()) {
      throw new Interrupted();
    }
    if (job.stopRequested()) {
      throw new StopRequested();
    }
    try {
      Thread.sleep(2);
    } catch (InterruptedException e) {
      throw new Interrupted();
    }
  }

  /** Skips what a checkpoint says was counted. */
  private void skipTo(InputStream in, int partition) throws IOException {
    try {
      in.skipNBytes(positions[partition]);
    } catch (java.io.EOFException e) {
      throw UserException.failure(inputs.get(partition) + ": shorter than the checkpoint's position (" + positions[partition]
          + " bytes): it changed since; use another --checkpoint directory", e);
    }
  }

  private void work(Worker worker, BlockingQueue<Chunk> pool) {
    try {
      while (true) {
        Chunk chunk = work.take();
        if (chunk == endOfInput) {
          return;
        }
        worker.onChunk(chunk, job.partitions().get(chunk.partition()));
        pool.add(chunk);
        completed.incrementAndGet();
      }
    } catch (InterruptedException e) {
      // stopped after a failure elsewhere
    } catch (Throwable e) {
      job.fail(e);
    }
  }

  private void hand(Chunk chunk) {
    try {
      work.put(chunk);
      dispatched.incrementAndGet();
    } catch (InterruptedException e) {
      throw new Interrupted();
    }
  }

  /** Waits until every chunk handed out is counted (the reader is paused meanwhile). */
  private void awaitQuiescent() {
    while (completed.get() < dispatched.get()) {
      if (job.failed()) {
        throw new Interrupted();
      }
      try {
        Thread.sleep(0, 200_000);
      } catch (InterruptedException e) {
        throw new Interrupted();
      }
    }
  }

  private void endWorkers() throws InterruptedException {
    for (int i = 0; i < threads.size(); i++) {
      work.put(endOfInput);
    }
    for (Thread t : threads) {
      t.join();
    }
  }

  @Override
  public long[] finalPositions(End end) {
    return end == End.INPUT_OVER ? Job.positions(inputs.size(), -1) : positions.clone();
  }

  @Override
  public void stop() throws InterruptedException {
    for (Thread t : readerThreads) {
      t.interrupt();
    }
    for (Thread t : threads) {
      t.interrupt();
    }
    for (Thread t : readerThreads) {
      t.join();
    }
    for (Thread t : threads) {
      t.join();
    }
  }

  @Override
  public Status status() {
    List<Counted> counted = new ArrayList<>();
    List<Partition> partitions = job.partitions();
    if (partitions != null) {
      for (int i = 0; i < partitions.size(); i++) {
        Partition p = partitions.get(i);
        if (p.started() && !p.finished()) {
          counted.add(new Counted(i, p, -1));
        }
      }
    }
    // a resumed run reads the counted part of an input again to skip it, and adds whole inputs counted before
    return new Status(counted, new JobStatus.Progress("bytes", rawRead.get(), totalBytes, false), null, List.of(), null,
        0, 0);
  }

  /** Unwinds the reader on a stop request. */
  private static final class StopRequested extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StopRequested() {
      super("stop requested", null, false, false);
    }
  }

  /** Unwinds the reader when a failure elsewhere interrupted it; the job reports that failure. */
  private static final class Interrupted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Interrupted() {
      super("interrupted by a failure elsewhere", null, false, false);
    }
  }
}
