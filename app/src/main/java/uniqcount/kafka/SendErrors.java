package uniqcount.kafka;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Callback;

/**
 * The first asynchronous send failure of a producer, kept for the next call on the producing
 * thread to throw (sends fail on the producer's I/O thread, far from the caller).
 */
public final class SendErrors {
  private final AtomicReference<Exception> first = new AtomicReference<>();
  private final Callback callback = (metadata, e) -> {
    if (e != null) {
      first.compareAndSet(null, e);
    }
  };

  /** The callback to pass to every {@code send}. */
  public Callback callback() {
    return callback;
  }

  /** Throws the first failure, if any, as "cannot write to {@code what}: ...". */
  public void check(String what) throws IOException {
    Exception e = first.get();
    if (e != null) {
      throw new IOException("cannot write to " + what + ": " + e.getMessage(), e);
    }
  }
}
