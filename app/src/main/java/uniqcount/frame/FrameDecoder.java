package uniqcount.frame;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Extracts the root-level uid and ts of one JSON frame without building a tree.
 *
 * <p>A flyweight: one instance per thread, {@link #decode} over a byte range, then read {@link
 * #uidHash()} and {@link #timestampSec()} or {@link #reject()}. Nothing is allocated per frame.
 *
 * <p>The whole frame is walked: nested objects and arrays are skipped with their structure checked
 * (commas, colons, brackets, string escapes, number grammar, literals), so a truncated or
 * malformed frame is noticed wherever the damage is. Not checked: that the bytes of skipped strings
 * are well-formed UTF-8.
 *
 * <p>Two passes share the walker. The fast pass finds string ends in bitmaps built 64 bytes at a
 * time by a {@link BlockScanner} (quotes, backslashes, control characters; escaped characters found
 * with simdjson's carry trick, every escape letter checked), lazily, only as far as the walk goes.
 * Whenever the fast pass meets anything wrong it gives up and the exact pass, which skips strings
 * eight bytes per step and names the first fault, decides. So the fast pass never changes a result.
 *
 * <p>With {@code trustInput}, the walk stops as soon as both root fields have been seen: the rest
 * of the frame (its structure, escapes, a later repeat of either key, truncation) is not checked.
 *
 * <p>Semantics, matching a conforming JSON parser: the root must be an object; for a key repeated
 * at the root the last value wins; keys are compared by their decoded value; the uid must be a
 * string and is identified by its decoded value (escapes resolved, lone surrogates kept as their
 * three-byte form); ts must be a JSON integer or a string of ASCII digits (leading zeros allowed),
 * within years 1..9999 UTC.
 *
 * <p>Why one class of ~950 lines, against the project's ~400: the exact pass, the fast pass and the
 * walker share their state (position, depth, the block bitmaps, the fields found) in fields of one
 * flyweight, and every hot step is a private method that C2 inlines into {@link #decode}. Moving
 * even the SWAR loads behind one more static method cost 6–12% per frame (docs/PERFORMANCE.md);
 * a split along simdjson-java's lines (block scanner apart, as {@link BlockScanner} already is; the
 * walker apart from the string passes) is worth doing only with a JMH run that shows no loss.
 */
public final class FrameDecoder {
  /** Deepest nesting accepted, counting the root object (as Jackson's default). */
  public static final int MAX_DEPTH = 1000;
  /** 0001-01-01T00:00:00Z: the earliest timestamp accepted. */
  public static final long MIN_TIMESTAMP_SEC = -62_135_596_800L;
  /** 9999-12-31T23:59:59Z: the latest timestamp accepted. */
  public static final long MAX_TIMESTAMP_SEC = 253_402_300_799L;

  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long QUOTES = 0x2222222222222222L;
  private static final long BACKSLASHES = 0x5c5c5c5c5c5c5c5cL;
  private static final long CONTROL_LIMIT = 0x2020202020202020L;

  private static final int MISSING = 0;
  private static final int PRESENT = 1;
  private static final int WRONG_TYPE = 2;
  private static final int OUT_OF_RANGE = 3;

  private static final int OTHER_KEY = 0;
  private static final int UID_KEY = 1;
  private static final int TS_KEY = 2;

  /** Returned by the root walk when, trusting the input, it stopped after both fields. */
  private static final int STOPPED = Integer.MAX_VALUE;
  /** Odd bit positions, for finding escaped characters (simdjson's escape scanner). */
  private static final long ODD_BITS = 0xaaaaaaaaaaaaaaaaL;

  private final byte[] uidKey;
  private final byte[] tsKey;
  private final int maxFrameBytes;
  private final BlockScanner scanner;
  private final boolean trustInput;
  /** Hash uids as Apache DataSketches does (the {@code hll} counter), else with the faster 64-bit {@link UidHash#hash}. */
  private final boolean sketchHash;

  // The fast pass's bitmaps, one long per 64 bytes from base, built as far as blocksDone.
  private boolean fast;
  private int base;
  private int blocksDone;
  private long escapeCarry;
  private boolean controlsSeen;
  private long[] quoteBits = new long[64];
  private long[] escapedBits = new long[64];
  private long[] controlBits = new long[64];
  private final long[] blockMasks = new long[3];
  private final byte[] tailBlock = new byte[64];
  private long fallbacks;
  private final long[] containerIsObject = new long[(MAX_DEPTH >>> 6) + 1];

  private byte[] scratch = new byte[64];
  private byte[] uidBytes = new byte[64];
  private int uidLength;
  private boolean uidInFrame;
  private byte[] frame;
  private int uidOffset;

  private boolean lastStringEscaped;
  private Reject reject;
  private int uidState;
  private int tsState;
  private long uidHash;
  private long timestampSec;

  /**
   * @param uidField name of the root field holding the user id
   * @param tsField name of the root field holding the event time in unix seconds
   * @param maxFrameBytes longer frames are rejected as {@link Reject#TOO_LARGE}
   */
  public FrameDecoder(String uidField, String tsField, int maxFrameBytes) {
    this(uidField, tsField, maxFrameBytes, Scanners.DEFAULT, false);
  }

  /**
   * @param scanner the fast pass's block scanner, or null for the exact pass alone
   * @param trustInput stop walking a frame once both root fields have been seen
   */
  public FrameDecoder(String uidField, String tsField, int maxFrameBytes, BlockScanner scanner, boolean trustInput) {
    this(uidField, tsField, maxFrameBytes, scanner, trustInput, false);
  }

  /**
   * @param sketchHash hash uids with {@link UidHash#sketchHash} (Apache DataSketches' HLL hash,
   *     for the {@code hll} counter) instead of {@link UidHash#hash} (the {@code exact} counter's)
   */
  public FrameDecoder(String uidField, String tsField, int maxFrameBytes, BlockScanner scanner, boolean trustInput,
      boolean sketchHash) {
    this.sketchHash = sketchHash;
    if (maxFrameBytes < 2) {
      throw new IllegalArgumentException("maxFrameBytes must be >= 2, got " + maxFrameBytes);
    }
    this.uidKey = uidField.getBytes(StandardCharsets.UTF_8);
    this.tsKey = tsField.getBytes(StandardCharsets.UTF_8);
    this.maxFrameBytes = maxFrameBytes;
    this.scanner = scanner;
    this.trustInput = trustInput;
  }

  /** Holds the default scanner, chosen once per JVM on first use. */
  private static final class Scanners {
    static final BlockScanner DEFAULT = BlockScanner.fromSystemProperty();
  }

  /** A decoder for the default field names {@code uid} and {@code ts}. */
  public FrameDecoder(int maxFrameBytes) {
    this("uid", "ts", maxFrameBytes);
  }

  /**
   * Decodes one frame: {@code length} bytes of {@code bytes} from {@code offset}, without the line
   * terminator (a trailing CR is whitespace).
   *
   * @return true if the frame has a valid root uid and ts; false if it is rejected, see {@link
   *     #reject()}
   */
  public boolean decode(byte[] bytes, int offset, int length) {
    reject = null;
    uidState = MISSING;
    tsState = MISSING;
    if (length > maxFrameBytes) {
      return rejected(Reject.TOO_LARGE);
    }
    int end = offset + length;
    int start = offset;
    if (length >= 3 && bytes[offset] == (byte) 0xEF && bytes[offset + 1] == (byte) 0xBB && bytes[offset + 2] == (byte) 0xBF) {
      start += 3; // a UTF-8 byte order mark, as at the start of a file written on Windows
    }
    int p = skipWhitespace(bytes, start, end);
    if (p == end) {
      return rejected(Reject.EMPTY);
    }
    if (bytes[p] != '{') {
      return rejected(Reject.NOT_OBJECT);
    }
    frame = bytes;
    if (scanner != null) {
      fast = true;
      base = p;
      blocksDone = 0;
      escapeCarry = 0;
      controlsSeen = false;
      boolean ok = finish(parseRoot(bytes, p + 1, end), end);
      fast = false;
      if (ok) {
        return true;
      }
      fallbacks++;
      reject = null;
      uidState = MISSING;
      tsState = MISSING;
    }
    return finish(parseRoot(bytes, p + 1, end), end);
  }

  private boolean finish(int p, int end) {
    if (p < 0) {
      return false;
    }
    if (p != STOPPED && skipWhitespace(frame, p, end) != end) {
      return rejected(Reject.MALFORMED);
    }
    if (uidState != PRESENT) {
      return rejected(uidState == MISSING ? Reject.MISSING_UID : Reject.UID_NOT_STRING);
    }
    if (!validUtf8(uidInFrame ? frame : uidBytes, uidInFrame ? uidOffset : 0, uidLength)) {
      return rejected(Reject.MALFORMED); // a uid is a user: its bytes are checked, the other strings' are not
    }
    if (tsState != PRESENT) {
      return rejected(
          tsState == MISSING
              ? Reject.MISSING_TS
              : tsState == WRONG_TYPE ? Reject.TS_NOT_INTEGER : Reject.TS_OUT_OF_RANGE);
    }
    return true;
  }

  /**
   * Whether {@code b[from, from + length)} is well-formed UTF-8 as a JSON parser reads it: no
   * stray continuation or invalid start byte, no truncated sequence, no overlong form, nothing
   * above U+10FFFF. Encoded surrogates pass, as a {@code \\ud800} escape decodes to them.
   * ASCII, the common case, is checked eight bytes per step.
   */
  static boolean validUtf8(byte[] b, int from, int length) {
    int i = from;
    int end = from + length;
    while (i + 8 <= end && ((long) LONG_LE.get(b, i) & 0x8080808080808080L) == 0) {
      i += 8;
    }
    while (i < end) {
      int c = b[i] & 0xff;
      if (c < 0x80) {
        i++;
        continue;
      }
      int n;
      int min2 = 0x80;
      int max2 = 0xbf;
      if (c >= 0xc2 && c <= 0xdf) {
        n = 1;
      } else if (c >= 0xe0 && c <= 0xef) {
        n = 2;
        min2 = c == 0xe0 ? 0xa0 : 0x80; // E0 80..9F would be overlong
      } else if (c >= 0xf0 && c <= 0xf4) {
        n = 3;
        min2 = c == 0xf0 ? 0x90 : 0x80; // F0 80..8F would be overlong
        max2 = c == 0xf4 ? 0x8f : 0xbf; // F4 90.. would be above U+10FFFF
      } else {
        return false; // a continuation byte, C0/C1 (overlong), or F5..FF
      }
      if (i + n >= end) {
        return false; // truncated
      }
      int c2 = b[i + 1] & 0xff;
      if (c2 < min2 || c2 > max2) {
        return false;
      }
      for (int k = 2; k <= n; k++) {
        if ((b[i + k] & 0xc0) != 0x80) {
          return false;
        }
      }
      i += n + 1;
    }
    return true;
  }

  /** The block scanner of the fast pass, or null. */
  public BlockScanner scanner() {
    return scanner;
  }

  /** Frames the fast pass handed to the exact pass: only frames that are then rejected, never an accepted one. */
  public long fallbacks() {
    return fallbacks;
  }

  /** Why the last frame was rejected, or null if it was accepted. */
  public Reject reject() {
    return reject;
  }

  /** {@link UidHash} of the decoded uid of the last accepted frame. */
  public long uidHash() {
    return uidHash;
  }

  /** The ts of the last accepted frame, unix seconds. */
  public long timestampSec() {
    return timestampSec;
  }

  /** A copy of the decoded uid bytes of the last accepted frame (for tests and diagnostics). */
  public byte[] uid() {
    byte[] copy = new byte[uidLength];
    System.arraycopy(uidInFrame ? frame : uidBytes, uidInFrame ? uidOffset : 0, copy, 0, uidLength);
    return copy;
  }

  private boolean rejected(Reject reason) {
    reject = reason;
    return false;
  }

  private int fail(Reject reason) {
    reject = reason;
    return -1;
  }

  private int parseRoot(byte[] b, int p, int end) {
    p = skipWhitespace(b, p, end);
    if (p >= end) {
      return fail(Reject.TRUNCATED);
    }
    if (b[p] == '}') {
      return p + 1;
    }
    while (true) {
      if (b[p] != '"') {
        return fail(Reject.MALFORMED);
      }
      int q = skipString(b, p, end);
      if (q < 0) {
        return -1;
      }
      int key = classifyKey(b, p + 1, q - 1);
      p = skipWhitespace(b, q, end);
      if (p >= end) {
        return fail(Reject.TRUNCATED);
      }
      if (b[p] != ':') {
        return fail(Reject.MALFORMED);
      }
      p = skipWhitespace(b, p + 1, end);
      if (p >= end) {
        return fail(Reject.TRUNCATED);
      }
      if (key == UID_KEY) {
        p = parseUid(b, p, end);
      } else if (key == TS_KEY) {
        p = parseTs(b, p, end);
      } else {
        p = skipValue(b, p, end);
      }
      if (p < 0) {
        return -1;
      }
      if (trustInput && uidState != MISSING && tsState != MISSING) {
        return STOPPED;
      }
      p = skipWhitespace(b, p, end);
      if (p >= end) {
        return fail(Reject.TRUNCATED);
      }
      byte c = b[p];
      if (c == '}') {
        return p + 1;
      }
      if (c != ',') {
        return fail(Reject.MALFORMED);
      }
      p = skipWhitespace(b, p + 1, end);
      if (p >= end) {
        return fail(Reject.TRUNCATED);
      }
    }
  }

  private int classifyKey(byte[] b, int from, int to) {
    if (lastStringEscaped) {
      int n = unescape(b, from, to);
      return classifyKeyBytes(scratch, 0, n);
    }
    return classifyKeyBytes(b, from, to - from);
  }

  private int classifyKeyBytes(byte[] b, int from, int length) {
    if (equalsKey(b, from, length, uidKey)) {
      return UID_KEY;
    }
    if (equalsKey(b, from, length, tsKey)) {
      return TS_KEY;
    }
    return OTHER_KEY;
  }

  private static boolean equalsKey(byte[] b, int from, int length, byte[] key) {
    if (length != key.length) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      if (b[from + i] != key[i]) {
        return false;
      }
    }
    return true;
  }

  private int parseUid(byte[] b, int p, int end) {
    if (b[p] != '"') {
      uidState = WRONG_TYPE;
      return skipValue(b, p, end);
    }
    int q = skipString(b, p, end);
    if (q < 0) {
      return -1;
    }
    if (lastStringEscaped) {
      int n = unescape(b, p + 1, q - 1);
      if (uidBytes.length < n) {
        uidBytes = new byte[Math.max(n, uidBytes.length * 2)];
      }
      System.arraycopy(scratch, 0, uidBytes, 0, n);
      uidLength = n;
      uidInFrame = false;
      uidHash = sketchHash ? UidHash.sketchHash(uidBytes, 0, n) : UidHash.hash(uidBytes, 0, n);
    } else {
      uidOffset = p + 1;
      uidLength = q - 1 - uidOffset;
      uidInFrame = true;
      uidHash = sketchHash ? UidHash.sketchHash(b, uidOffset, uidLength) : UidHash.hash(b, uidOffset, uidLength);
    }
    uidState = PRESENT;
    return q;
  }

  private int parseTs(byte[] b, int p, int end) {
    byte c = b[p];
    if (c == '"') {
      int q = skipString(b, p, end);
      if (q < 0) {
        return -1;
      }
      if (lastStringEscaped) {
        int n = unescape(b, p + 1, q - 1);
        parseDigits(scratch, 0, n);
      } else {
        parseDigits(b, p + 1, q - 1);
      }
      return q;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      return parseTsNumber(b, p, end);
    }
    tsState = WRONG_TYPE;
    return skipValue(b, p, end);
  }

  /** A ts given as a string: ASCII digits only, at least one. */
  private void parseDigits(byte[] b, int from, int to) {
    if (from == to) {
      tsState = WRONG_TYPE;
      return;
    }
    long value = 0;
    boolean overflow = false;
    for (int i = from; i < to; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 9) {
        tsState = WRONG_TYPE;
        return;
      }
      if (value > (Long.MAX_VALUE - d) / 10) {
        overflow = true;
      } else {
        value = value * 10 + d;
      }
    }
    setTimestamp(value, overflow);
  }

  /** A ts given as a JSON number: it must be an integer (no fraction, no exponent). */
  private int parseTsNumber(byte[] b, int p, int end) {
    int i = p;
    boolean negative = b[i] == '-';
    if (negative) {
      i++;
      if (i >= end) {
        return fail(Reject.TRUNCATED);
      }
    }
    long value = 0;
    boolean overflow = false;
    byte c = b[i];
    if (c == '0') {
      i++;
    } else if (c >= '1' && c <= '9') {
      while (i < end && (c = b[i]) >= '0' && c <= '9') {
        int d = c - '0';
        if (value > (Long.MAX_VALUE - d) / 10) {
          overflow = true;
        } else {
          value = value * 10 + d;
        }
        i++;
      }
    } else {
      return fail(Reject.MALFORMED);
    }
    if (i < end && (b[i] == '.' || b[i] == 'e' || b[i] == 'E')) {
      tsState = WRONG_TYPE;
      return skipNumberTail(b, i, end);
    }
    setTimestamp(negative ? -value : value, overflow);
    return i;
  }

  private void setTimestamp(long value, boolean overflow) {
    if (overflow || value < MIN_TIMESTAMP_SEC || value > MAX_TIMESTAMP_SEC) {
      tsState = OUT_OF_RANGE;
    } else {
      tsState = PRESENT;
      timestampSec = value;
    }
  }

  /**
   * Skips one value of any kind starting at {@code p} (which is not whitespace and is inside the
   * frame); nested containers are walked iteratively with an explicit stack.
   */
  private int skipValue(byte[] b, int p, int end) {
    int depth = 0;
    while (true) {
      byte c = b[p];
      if (c == '{' || c == '[') {
        boolean object = c == '{';
        if (++depth >= MAX_DEPTH) {
          return fail(Reject.TOO_DEEP);
        }
        setContainer(depth, object);
        p = skipWhitespace(b, p + 1, end);
        if (p >= end) {
          return fail(Reject.TRUNCATED);
        }
        if (b[p] != (object ? '}' : ']')) {
          if (object) {
            p = skipKeyAndColon(b, p, end);
            if (p < 0) {
              return -1;
            }
          }
          continue;
        }
        p++;
        depth--;
      } else {
        p = skipScalar(b, p, end);
        if (p < 0) {
          return -1;
        }
      }
      // After a complete value: close containers or move to the next element.
      while (true) {
        if (depth == 0) {
          return p;
        }
        p = skipWhitespace(b, p, end);
        if (p >= end) {
          return fail(Reject.TRUNCATED);
        }
        boolean object = isObject(depth);
        c = b[p];
        if (c == ',') {
          p = skipWhitespace(b, p + 1, end);
          if (p >= end) {
            return fail(Reject.TRUNCATED);
          }
          if (object) {
            p = skipKeyAndColon(b, p, end);
            if (p < 0) {
              return -1;
            }
          }
          break;
        }
        if (c != (object ? '}' : ']')) {
          return fail(Reject.MALFORMED);
        }
        p++;
        depth--;
      }
    }
  }

  private void setContainer(int depth, boolean object) {
    long bit = 1L << depth;
    if (object) {
      containerIsObject[depth >>> 6] |= bit;
    } else {
      containerIsObject[depth >>> 6] &= ~bit;
    }
  }

  private boolean isObject(int depth) {
    return (containerIsObject[depth >>> 6] & (1L << depth)) != 0;
  }

  /** At a member of a nested object: skips {@code "key" :} and the whitespace after it. */
  private int skipKeyAndColon(byte[] b, int p, int end) {
    if (b[p] != '"') {
      return fail(Reject.MALFORMED);
    }
    p = skipString(b, p, end);
    if (p < 0) {
      return -1;
    }
    p = skipWhitespace(b, p, end);
    if (p >= end) {
      return fail(Reject.TRUNCATED);
    }
    if (b[p] != ':') {
      return fail(Reject.MALFORMED);
    }
    p = skipWhitespace(b, p + 1, end);
    return p >= end ? fail(Reject.TRUNCATED) : p;
  }

  private int skipScalar(byte[] b, int p, int end) {
    byte c = b[p];
    switch (c) {
      case '"':
        return skipString(b, p, end);
      case 't':
        return skipLiteral(b, p, end, TRUE);
      case 'f':
        return skipLiteral(b, p, end, FALSE);
      case 'n':
        return skipLiteral(b, p, end, NULL);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return skipNumber(b, p, end);
        }
        return fail(Reject.MALFORMED);
    }
  }

  private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
  private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
  private static final byte[] NULL = {'n', 'u', 'l', 'l'};

  private int skipLiteral(byte[] b, int p, int end, byte[] literal) {
    for (int i = 0; i < literal.length; i++) {
      if (p + i >= end) {
        return fail(Reject.TRUNCATED);
      }
      if (b[p + i] != literal[i]) {
        return fail(Reject.MALFORMED);
      }
    }
    return p + literal.length;
  }

  /** JSON number grammar: {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}. */
  private int skipNumber(byte[] b, int p, int end) {
    int i = p;
    if (b[i] == '-') {
      i++;
      if (i >= end) {
        return fail(Reject.TRUNCATED);
      }
    }
    byte c = b[i];
    if (c == '0') {
      i++;
    } else if (c >= '1' && c <= '9') {
      i = skipDigits(b, i + 1, end);
    } else {
      return fail(Reject.MALFORMED);
    }
    return skipNumberTail(b, i, end);
  }

  /** The optional fraction and exponent of a number, from just after its integer part. */
  private int skipNumberTail(byte[] b, int i, int end) {
    if (i < end && b[i] == '.') {
      i = requireDigits(b, i + 1, end);
      if (i < 0) {
        return -1;
      }
    }
    if (i < end && (b[i] == 'e' || b[i] == 'E')) {
      i++;
      if (i < end && (b[i] == '+' || b[i] == '-')) {
        i++;
      }
      i = requireDigits(b, i, end);
    }
    return i;
  }

  private int requireDigits(byte[] b, int i, int end) {
    if (i >= end) {
      return fail(Reject.TRUNCATED);
    }
    if (b[i] < '0' || b[i] > '9') {
      return fail(Reject.MALFORMED);
    }
    return skipDigits(b, i + 1, end);
  }

  private static int skipDigits(byte[] b, int i, int end) {
    while (i < end && b[i] >= '0' && b[i] <= '9') {
      i++;
    }
    return i;
  }

  /**
   * Skips a string starting at the quote {@code b[p]}; returns the index after the closing quote
   * and sets {@link #lastStringEscaped}. Searches eight bytes at a time for a quote, a backslash or
   * a control character (which JSON forbids inside strings).
   */
  private int skipString(byte[] b, int p, int end) {
    if (fast) {
      return skipStringFast(p, end);
    }
    boolean escaped = false;
    int i = p + 1;
    while (true) {
      while (i + 8 <= end) {
        long w = (long) LONG_LE.get(b, i);
        long hits = hasZeroByte(w ^ QUOTES) | hasZeroByte(w ^ BACKSLASHES) | hasByteBelow20(w);
        if (hits != 0) {
          i += Long.numberOfTrailingZeros(hits) >>> 3;
          break;
        }
        i += 8;
      }
      if (i >= end) {
        return fail(Reject.TRUNCATED);
      }
      byte c = b[i];
      if (c == '"') {
        lastStringEscaped = escaped;
        return i + 1;
      }
      if (c == '\\') {
        escaped = true;
        if (i + 1 < end && SIMPLE_ESCAPE[b[i + 1] & 0xFF]) {
          i += 2;
        } else {
          i = skipOtherEscape(b, i, end);
          if (i < 0) {
            return -1;
          }
        }
      } else if ((c & 0xFF) < 0x20) {
        return fail(Reject.MALFORMED);
      } else {
        i++;
      }
    }
  }

  /**
   * The fast pass's {@link #skipString}: the next unescaped quote from the bitmaps. Returns -1 (the
   * exact pass then decides) for an unterminated string, a control character or a bad escape.
   */
  private int skipStringFast(int p, int end) {
    int from = p + 1 - base;
    int first = from >>> 6;
    if (first >= blocksDone && !scanThrough(first, end)) {
      return -1;
    }
    int k = first;
    long m = quoteBits[k] & (-1L << from);
    while (m == 0) {
      k++;
      if (base + (k << 6) >= end || (k >= blocksDone && !scanThrough(k, end))) {
        return -1;
      }
      m = quoteBits[k];
    }
    int to = (k << 6) + Long.numberOfTrailingZeros(m);
    if (base + to >= end || (controlsSeen && anyBit(controlBits, from, to))) {
      return -1;
    }
    lastStringEscaped = k == first
        ? (escapedBits[k] & (-1L << from) & ~(-1L << to)) != 0 // the whole string in one word
        : anyBit(escapedBits, from, to);
    return base + to + 1;
  }

  /** True if any bit in positions [from, to) of the bitmap is set. */
  private static boolean anyBit(long[] bits, int from, int to) {
    if (from >= to) {
      return false;
    }
    int k = from >>> 6;
    int last = (to - 1) >>> 6;
    long m = bits[k] & (-1L << from);
    while (k < last) {
      if (m != 0) {
        return true;
      }
      m = bits[++k];
    }
    return (m & (-1L >>> (63 - ((to - 1) & 63)))) != 0;
  }

  /**
   * Builds the bitmaps up to block {@code k}: quotes that are not escaped, escaped characters, and
   * control characters; checks every escape letter. False if an escape is bad or cut off.
   */
  private boolean scanThrough(int k, int end) {
    while (blocksDone <= k) {
      int block = blocksDone;
      if (block >= quoteBits.length) {
        int n = quoteBits.length * 2;
        quoteBits = java.util.Arrays.copyOf(quoteBits, n);
        escapedBits = java.util.Arrays.copyOf(escapedBits, n);
        controlBits = java.util.Arrays.copyOf(controlBits, n);
      }
      int pos = base + (block << 6);
      long[] masks = blockMasks;
      if (pos + 64 <= frame.length) {
        scanner.scan(frame, pos, masks);
      } else {
        int n = end - pos;
        System.arraycopy(frame, pos, tailBlock, 0, n);
        java.util.Arrays.fill(tailBlock, n, 64, (byte) ' ');
        scanner.scan(tailBlock, 0, masks);
      }
      // simdjson's escape scanner: a backslash run escapes the character after it if it is odd.
      long backslashes = masks[BlockScanner.BACKSLASHES];
      long potential = backslashes & ~escapeCarry;
      long maybeEscaped = potential << 1;
      long codes = ((maybeEscaped | ODD_BITS) - potential) ^ ODD_BITS;
      long escaped = codes ^ (backslashes | escapeCarry);
      escapeCarry = (codes & backslashes) >>> 63;
      quoteBits[block] = masks[BlockScanner.QUOTES] & ~escaped;
      escapedBits[block] = escaped;
      long controls = masks[BlockScanner.CONTROLS];
      controlBits[block] = controls;
      controlsSeen |= controls != 0;
      blocksDone = block + 1;
      if (!checkEscapes(escaped, pos, end)) {
        return false;
      }
    }
    return true;
  }

  /** Bit c set for the escape letters {@code " / \\ b f n r t u} (c - 64 in the second word). */
  private static final long ESCAPE_LETTERS_LOW = 1L << '"' | 1L << '/';
  private static final long ESCAPE_LETTERS_HIGH =
      1L << ('\\' - 64) | 1L << ('b' - 64) | 1L << ('f' - 64) | 1L << ('n' - 64) | 1L << ('r' - 64) | 1L << ('t' - 64) | 1L << ('u' - 64);

  /** Every escaped character must be one of {@code " \\ / b f n r t} or {@code u} and four hex digits. */
  private boolean checkEscapes(long escaped, int pos, int end) {
    byte[] b = frame;
    boolean unicode = false;
    while (escaped != 0) {
      int i = pos + Long.numberOfTrailingZeros(escaped);
      escaped &= escaped - 1;
      if (i >= end) {
        return !unicode || checkUnicodeEscapes(pos, end);
      }
      int c = b[i];
      long letters = c < 64 ? ESCAPE_LETTERS_LOW : ESCAPE_LETTERS_HIGH;
      if (c < 0 || ((letters >>> c) & 1) == 0) {
        return false;
      }
      unicode |= c == 'u';
    }
    return !unicode || checkUnicodeEscapes(pos, end);
  }

  /** The rare second look at a block with a {@code \\u} escape: four hex digits must follow each. */
  private boolean checkUnicodeEscapes(int pos, int end) {
    long escaped = escapedBits[(pos - base) >>> 6];
    byte[] b = frame;
    while (escaped != 0) {
      int i = pos + Long.numberOfTrailingZeros(escaped);
      escaped &= escaped - 1;
      if (i < end && b[i] == 'u'
          && (i + 4 >= end || (hexValue(b[i + 1]) | hexValue(b[i + 2]) | hexValue(b[i + 3]) | hexValue(b[i + 4])) < 0)) {
        return false;
      }
    }
    return true;
  }

  private static long hasZeroByte(long v) {
    return (v - ONES) & ~v & HIGHS;
  }

  private static long hasByteBelow20(long v) {
    return (v - CONTROL_LIMIT) & ~v & HIGHS;
  }

  /** Escape letters after a backslash that need no more bytes: {@code " \\ / b f n r t}. */
  private static final boolean[] SIMPLE_ESCAPE = new boolean[256];

  static {
    for (char c : new char[] {'"', '\\', '/', 'b', 'f', 'n', 'r', 't'}) {
      SIMPLE_ESCAPE[c] = true;
    }
  }

  /** The rare escapes: {@code \}uXXXX, a bad escape letter, or a backslash at the very end. */
  private int skipOtherEscape(byte[] b, int i, int end) {
    if (i + 1 >= end) {
      return fail(Reject.TRUNCATED);
    }
    if (b[i + 1] != 'u') {
      return fail(Reject.MALFORMED);
    }
    for (int k = i + 2; k < i + 6; k++) {
      if (k >= end) {
        return fail(Reject.TRUNCATED);
      }
      if (hexValue(b[k]) < 0) {
        return fail(Reject.MALFORMED);
      }
    }
    return i + 6;
  }

  private static int hexValue(byte c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  /**
   * Decodes the escapes of a string body already checked by {@link #skipString} into {@link
   * #scratch}, as UTF-8; returns its length. A surrogate pair becomes one four-byte sequence; a lone
   * surrogate keeps its three-byte form, so distinct strings always give distinct bytes.
   */
  private int unescape(byte[] b, int from, int to) {
    if (scratch.length < to - from) {
      scratch = new byte[Math.max(to - from, scratch.length * 2)];
    }
    byte[] out = scratch;
    int n = 0;
    int i = from;
    while (i < to) {
      byte c = b[i];
      if (c != '\\') {
        out[n++] = c;
        i++;
        continue;
      }
      byte e = b[i + 1];
      i += 2;
      switch (e) {
        case 'b':
          out[n++] = '\b';
          break;
        case 'f':
          out[n++] = '\f';
          break;
        case 'n':
          out[n++] = '\n';
          break;
        case 'r':
          out[n++] = '\r';
          break;
        case 't':
          out[n++] = '\t';
          break;
        case 'u':
          int unit = hex4(b, i);
          i += 4;
          if (unit >= 0xD800 && unit <= 0xDBFF && i + 6 <= to && b[i] == '\\' && b[i + 1] == 'u') {
            int low = hex4(b, i + 2);
            if (low >= 0xDC00 && low <= 0xDFFF) {
              i += 6;
              n = putUtf8(out, n, Character.toCodePoint((char) unit, (char) low));
              break;
            }
          }
          n = putUtf8(out, n, unit);
          break;
        default: // '"', '\\', '/'
          out[n++] = e;
      }
    }
    return n;
  }

  private static int hex4(byte[] b, int i) {
    return hexValue(b[i]) << 12 | hexValue(b[i + 1]) << 8 | hexValue(b[i + 2]) << 4 | hexValue(b[i + 3]);
  }

  /** Escapes are never longer than their UTF-8 form, so {@code out} has room. */
  private static int putUtf8(byte[] out, int n, int cp) {
    if (cp < 0x80) {
      out[n++] = (byte) cp;
    } else if (cp < 0x800) {
      out[n++] = (byte) (0xC0 | (cp >>> 6));
      out[n++] = (byte) (0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out[n++] = (byte) (0xE0 | (cp >>> 12));
      out[n++] = (byte) (0x80 | ((cp >>> 6) & 0x3F));
      out[n++] = (byte) (0x80 | (cp & 0x3F));
    } else {
      out[n++] = (byte) (0xF0 | (cp >>> 18));
      out[n++] = (byte) (0x80 | ((cp >>> 12) & 0x3F));
      out[n++] = (byte) (0x80 | ((cp >>> 6) & 0x3F));
      out[n++] = (byte) (0x80 | (cp & 0x3F));
    }
    return n;
  }

  private static int skipWhitespace(byte[] b, int p, int end) {
    while (p < end) {
      byte c = b[p];
      if (c > ' ' || (c != ' ' && c != '\n' && c != '\r' && c != '\t')) { // most often the first test decides
        break;
      }
      p++;
    }
    return p;
  }
}
