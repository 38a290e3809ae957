package uniqcount.reference;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;

/**
 * The independent reference for one frame: Jackson's full parser plus the contract's rules for
 * uid and ts, written from DESIGN.md without looking at the decoder.
 */
public final class JacksonReference {
  /** Years 1..9999 UTC. */
  public static final long MIN_TS = -62_135_596_800L;
  public static final long MAX_TS = 253_402_300_799L;

  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  /** A valid frame's fields; null uid means rejected. */
  public static final class Fields {
    public final String uid;
    public final long ts;

    Fields(String uid, long ts) {
      this.uid = uid;
      this.ts = ts;
    }
  }

  private JacksonReference() {}

  /** The root uid and ts of a line (without its newline), or null if the frame must be rejected. */
  public static Fields parse(byte[] line, int offset, int length) {
    JsonNode root;
    try {
      root = MAPPER.readTree(line, offset, length);
    } catch (IOException e) {
      return null;
    }
    if (root == null || !root.isObject()) {
      return null;
    }
    JsonNode uid = root.get("uid");
    JsonNode ts = root.get("ts");
    if (uid == null || !uid.isTextual() || ts == null) {
      return null;
    }
    BigInteger value;
    if (ts.isIntegralNumber()) {
      value = ts.bigIntegerValue();
    } else if (ts.isTextual() && ts.textValue().matches("[0-9]+")) {
      value = new BigInteger(ts.textValue());
    } else {
      return null;
    }
    if (value.compareTo(BigInteger.valueOf(MIN_TS)) < 0 || value.compareTo(BigInteger.valueOf(MAX_TS)) > 0) {
      return null;
    }
    return new Fields(uid.textValue(), value.longValueExact());
  }

  /**
   * UTF-8 bytes of a Java string, keeping a lone surrogate as its own three-byte sequence (so
   * that distinct strings give distinct bytes).
   */
  public static byte[] utf8(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      int cp = s.charAt(i);
      if (Character.isHighSurrogate(s.charAt(i)) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        cp = Character.toCodePoint(s.charAt(i), s.charAt(i + 1));
        i++;
      }
      if (cp < 0x80) {
        out.write(cp);
      } else if (cp < 0x800) {
        out.write(0xC0 | cp >> 6);
        out.write(0x80 | cp & 0x3F);
      } else if (cp < 0x10000) {
        out.write(0xE0 | cp >> 12);
        out.write(0x80 | cp >> 6 & 0x3F);
        out.write(0x80 | cp & 0x3F);
      } else {
        out.write(0xF0 | cp >> 18);
        out.write(0x80 | cp >> 12 & 0x3F);
        out.write(0x80 | cp >> 6 & 0x3F);
        out.write(0x80 | cp & 0x3F);
      }
    }
    return out.toByteArray();
  }
}
