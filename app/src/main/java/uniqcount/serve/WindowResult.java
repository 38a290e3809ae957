package uniqcount.serve;

import java.time.Instant;

/**
 * One result record as {@code serve} read it: the fields of the result JSON, checked by {@link
 * ResultJson}. {@code rse} is NaN and {@code counter} null when the record did not carry them.
 */
record WindowResult(
    String window, long startSec, long endSec, long uniques, long frames, String status, int revision, String counter,
    double rse, byte[] sketch) {

  /** A record without a sketch. */
  WindowResult(String window, long startSec, long endSec, long uniques, long frames, String status, int revision,
      String counter, double rse) {
    this(window, startSec, endSec, uniques, frames, status, revision, counter, rse, null);
  }

  /** The key of the result topic: {@code window/start}, e.g. {@code minute/2016-07-11T13:39:00Z}. */
  String key() {
    return window + "/" + Instant.ofEpochSecond(startSec);
  }

  /** Appends the record as a JSON object (the result record's fields, plus {@code key}). */
  void appendJson(StringBuilder sb) {
    sb.append("{\"key\":");
    Json.string(sb, key());
    sb.append(",\"window\":");
    Json.string(sb, window);
    sb.append(",\"start\":\"").append(Instant.ofEpochSecond(startSec))
        .append("\",\"end\":\"").append(Instant.ofEpochSecond(endSec))
        .append("\",\"uniques\":").append(uniques)
        .append(",\"frames\":").append(frames)
        .append(",\"status\":");
    Json.string(sb, status);
    sb.append(",\"revision\":").append(revision).append(",\"counter\":");
    if (counter == null) {
      sb.append("null");
    } else {
      Json.string(sb, counter);
    }
    sb.append(",\"rse\":");
    if (Double.isNaN(rse)) {
      sb.append("null");
    } else {
      sb.append(rse);
    }
    sb.append('}');
  }
}
