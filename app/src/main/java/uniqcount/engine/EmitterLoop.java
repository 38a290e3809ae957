package uniqcount.engine;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import uniqcount.emit.Emitter;
import uniqcount.emit.ResultRecord;
import uniqcount.sink.ResultSink;

/**
 * The emitter's thread: a round of the merge step a few times a second, its records written to
 * the sink. Never interrupted: an interrupt during a write would close the output file's channel
 * under everyone's feet; it is stopped by a flag, which also cuts its sleep short.
 */
final class EmitterLoop {
  private final Thread thread;
  private volatile boolean stopped;

  /**
   * @param lock held for a round, so that a checkpoint never sees half of one
   * @param tickMillis real time between rounds (what a round publishes is decided by the job's clock)
   * @param onFailure called with whatever a round throws; the loop then ends
   */
  EmitterLoop(Emitter emitter, ResultSink sink, ReentrantLock lock, long tickMillis, Consumer<Throwable> onFailure) {
    thread = new Thread(() -> {
      try {
        while (!stopped) {
          if (!emitter.behind()) { // held back for rolling windows still to publish: the next round at once
            pause(tickMillis);
          }
          if (!stopped) {
            round(emitter, sink, lock);
          }
        }
      } catch (Throwable e) {
        onFailure.accept(e);
      }
    }, "uniqcount-emitter");
    thread.setDaemon(true);
  }

  /** Waits a tick, or less if stopped meanwhile: the end of a run never waits out a sleeping tick. */
  private synchronized void pause(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000;
    for (long left = millis; !stopped && left > 0; left = (deadline - System.nanoTime()) / 1_000_000) {
      wait(left);
    }
  }

  private static void round(Emitter emitter, ResultSink sink, ReentrantLock lock) throws IOException {
    lock.lock();
    try {
      List<ResultRecord> records = emitter.tick();
      for (ResultRecord r : records) {
        sink.write(r);
      }
      if (!records.isEmpty()) {
        sink.flush();
      }
    } finally {
      lock.unlock();
    }
  }

  void start() {
    thread.start();
  }

  /** Stops the loop after its current round and waits for it (an interrupt of the caller is kept for later). */
  void stopAndJoin() {
    synchronized (this) {
      stopped = true;
      notifyAll();
    }
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true; // a failure elsewhere woke us; the loop ends within one tick
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
