package uniqcount.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import uniqcount.frame.FrameDecoder;
import uniqcount.frame.UidHash;

/**
 * The plain Jackson loop that {@code uniqcount bench} sets beside its own decoder: the streaming
 * parser over one frame, the root's {@code uid} (string, hashed like ours) and {@code ts} (integer
 * or a string of digits) kept, everything else skipped but tokenized, so the whole frame is
 * checked for well-formedness, as the default decoder does. It is what a data engineer would write
 * first; it is measured, never used to count. Timestamps outside the decoder's range are refused
 * as it refuses them.
 */
public final class JacksonBaseline {
  private final JsonFactory factory = new JsonFactory();
  private long uidHash;
  private long ts;

  /** Decodes one frame; false if it is not well-formed or lacks either root field. */
  public boolean decode(byte[] data, int offset, int length) {
    boolean uid = false;
    boolean time = false;
    try (JsonParser p = factory.createParser(data, offset, length)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        t = p.nextToken();
        if (t == JsonToken.VALUE_STRING && name.equals("uid")) {
          byte[] bytes = p.getText().getBytes(StandardCharsets.UTF_8);
          uidHash = UidHash.hash(bytes, 0, bytes.length);
          uid = true;
        } else if (name.equals("ts") && (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_STRING)) {
          if (t == JsonToken.VALUE_NUMBER_INT) {
            ts = p.getLongValue();
          } else {
            String s = p.getText();
            if (s.isEmpty() || s.length() > 18 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
              return false;
            }
            ts = Long.parseLong(s);
          }
          time = ts >= FrameDecoder.MIN_TIMESTAMP_SEC && ts <= FrameDecoder.MAX_TIMESTAMP_SEC;
        } else {
          p.skipChildren();
        }
      }
      return t == JsonToken.END_OBJECT && p.nextToken() == null && uid && time;
    } catch (IOException | RuntimeException e) { // JsonParseException, number overflow
      return false;
    }
  }

  public long uidHash() {
    return uidHash;
  }

  public long timestampSec() {
    return ts;
  }
}
