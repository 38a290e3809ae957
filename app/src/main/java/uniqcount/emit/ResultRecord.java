package uniqcount.emit;

import java.time.Instant;

/**
 * One published result: the distinct count of one window at one moment. The JSON form is the
 * contract of DESIGN.md:
 *
 * <pre>{"window":"minute","start":"2016-07-11T13:39:00Z","end":"2016-07-11T13:40:00Z",
 *  "uniques":16193,"frames":24000,"status":"final","revision":0,"counter":"hll","rse":0.0081}</pre>
 */
public final class ResultRecord {
  /** Result status. */
  public enum Status {
    /** Speculative: the window is still open. */
    EARLY("early"),
    /** The watermark passed the window's end plus the allowed lateness. */
    FINAL("final"),
    /** A late frame changed a final window. */
    UPDATE("update");

    private final String label;

    Status(String label) {
      this.label = label;
    }

    /** The JSON value. */
    public String label() {
      return label;
    }
  }

  private final String window;
  private final long startSec;
  private final long endSec;
  private final long uniques;
  private final long frames;
  private final Status status;
  private final int revision;
  private final String counter;
  private final double rse;
  /** Base64 of the window's DataSketches HLL image ({@code --emit-sketch}), or null. */
  private final String sketch;

  /** A record; {@code rse} is the relative standard error of {@code uniques} (0 if exact). */
  public ResultRecord(
      String window, long startSec, long endSec, long uniques, long frames, Status status, int revision, String counter, double rse) {
    this(window, startSec, endSec, uniques, frames, status, revision, counter, rse, null);
  }

  /** A record with the window's sketch: base64 of its compact DataSketches HLL image. */
  public ResultRecord(String window, long startSec, long endSec, long uniques, long frames, Status status, int revision,
      String counter, double rse, String sketch) {
    this.sketch = sketch;
    this.window = window;
    this.startSec = startSec;
    this.endSec = endSec;
    this.uniques = uniques;
    this.frames = frames;
    this.status = status;
    this.revision = revision;
    this.counter = counter;
    this.rse = rse;
  }

  /** Granularity name, e.g. {@code minute}. */
  public String window() {
    return window;
  }

  /** Window start, unix seconds. */
  public long startSec() {
    return startSec;
  }

  /** Window end (exclusive), unix seconds. */
  public long endSec() {
    return endSec;
  }

  /** Distinct users. */
  public long uniques() {
    return uniques;
  }

  /** Frames counted in the window. */
  public long frames() {
    return frames;
  }

  /** Base64 of the window's compact DataSketches HLL image, or null. */
  public String sketch() {
    return sketch;
  }

  /** Status. */
  public Status status() {
    return status;
  }

  /** Revision: 0 for the first record of a window, +1 for each later one. */
  public int revision() {
    return revision;
  }

  /** Relative standard error of {@link #uniques()}; 0 if exact. */
  public double rse() {
    return rse;
  }

  /** The key of a compacted topic: {@code window/start}, e.g. {@code minute/2016-07-11T13:39:00Z}. */
  public String key() {
    return window + "/" + Instant.ofEpochSecond(startSec);
  }

  /** The record as one line of JSON (no newline). */
  public String toJson() {
    StringBuilder sb = new StringBuilder(200);
    sb.append("{\"window\":\"").append(window)
        .append("\",\"start\":\"").append(Instant.ofEpochSecond(startSec))
        .append("\",\"end\":\"").append(Instant.ofEpochSecond(endSec))
        .append("\",\"uniques\":").append(uniques)
        .append(",\"frames\":").append(frames)
        .append(",\"status\":\"").append(status.label())
        .append("\",\"revision\":").append(revision)
        .append(",\"counter\":\"").append(counter)
        .append("\",\"rse\":").append(formatRse(rse));
    if (sketch != null) {
      sb.append(",\"sketch\":\"").append(sketch).append('"');
    }
    sb.append('}');
    return sb.toString();
  }

  private static String formatRse(double rse) {
    if (rse == 0) {
      return "0";
    }
    return java.math.BigDecimal.valueOf(rse).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
  }

  @Override
  public String toString() {
    return toJson();
  }
}
