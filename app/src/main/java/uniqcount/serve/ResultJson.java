package uniqcount.serve;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A strict reader of one result record: a JSON object (RFC 8259, nothing more lenient) holding
 * at least {@code window}, {@code start}, {@code end}, {@code uniques}, {@code frames}, {@code
 * status} and {@code revision} with the types and values of the result contract, and optionally
 * {@code counter} and {@code rse}. Other fields are skipped, whatever they hold. Anything else is
 * a {@link Foreign} record with a reason, never a crash.
 */
final class ResultJson {
  /** Window kinds, finest first. */
  static final Set<String> WINDOWS = Set.of("minute", "hour", "day", "week", "month", "year");
  /** A rolling window's kind ({@code --rolling}): {@code rolling-90m}, {@code rolling-24h}, {@code rolling-7d}. */
  private static final java.util.regex.Pattern ROLLING = java.util.regex.Pattern.compile("rolling-[1-9][0-9]{0,5}[mhd]");
  private static final Set<String> STATUSES = Set.of("early", "final", "update");
  private static final Set<String> COUNTERS = Set.of("hll", "exact");
  private static final int MAX_DEPTH = 32;
  private static final BigInteger MAX_LONG = BigInteger.valueOf(Long.MAX_VALUE);

  /** Why a record was skipped: a reason (a short stable word, the stats key) and a detail for people. */
  static final class Foreign extends Exception {
    private static final long serialVersionUID = 1L;
    /** Not JSON at all, or JSON with a syntax error. */
    static final String NOT_JSON = "not_json";
    /** JSON, but not an object. */
    static final String NOT_AN_OBJECT = "not_an_object";
    /** An object without one of the required fields. */
    static final String MISSING_FIELD = "missing_field";
    /** A required field of the wrong JSON type. */
    static final String WRONG_TYPE = "wrong_type";
    /** A field of the right type but an impossible value (an unknown window, a negative count, end before start). */
    static final String BAD_VALUE = "bad_value";
    /** A Kafka record whose key is not the {@code window/start} of its value. */
    static final String KEY_MISMATCH = "key_mismatch";
    /** An empty line or a record without a value (a tombstone). */
    static final String EMPTY = "empty";
    /** A {@code sketch} field that is not base64 of a DataSketches HLL image, or not of an hll record. */
    static final String BAD_SKETCH = "bad_sketch";

    private final String reason;

    Foreign(String reason, String detail) {
      super(detail, null, false, false);
      this.reason = reason;
    }

    String reason() {
      return reason;
    }
  }

  /** A JSON number, kept as written. */
  private record Num(String text) {}

  private static final Object NULL = new Object();
  private static final Object NESTED = new Object();

  private final String s;
  private int pos;

  private ResultJson(String s) {
    this.s = s;
  }

  /** Whether {@code window} is a window kind of result records: a calendar window or a rolling one. */
  static boolean isWindow(String window) {
    return WINDOWS.contains(window) || isRolling(window);
  }

  /** Whether {@code window} is a rolling window's kind, e.g. {@code rolling-24h}. */
  static boolean isRolling(String window) {
    return ROLLING.matcher(window).matches();
  }

  /**
   * Reads one result record.
   *
   * @param key the Kafka key, checked against {@code window/start}; null for lines of a file
   * @param text the record value
   * @throws Foreign if it is not a result record
   */
  static WindowResult parse(String key, String text) throws Foreign {
    if (text == null || text.isBlank()) {
      throw new Foreign(Foreign.EMPTY, "an empty record");
    }
    Map<String, Object> fields = new ResultJson(text).object();
    String window = string(fields, "window");
    if (!isWindow(window)) {
      throw new Foreign(Foreign.BAD_VALUE, "unknown window " + quote(window));
    }
    String startText = string(fields, "start");
    long start = instant("start", startText);
    long end = instant("end", string(fields, "end"));
    if (end <= start) {
      throw new Foreign(Foreign.BAD_VALUE, "end " + quote(string(fields, "end")) + " is not after start");
    }
    long uniques = count(fields, "uniques");
    long frames = count(fields, "frames");
    String status = string(fields, "status");
    if (!STATUSES.contains(status)) {
      throw new Foreign(Foreign.BAD_VALUE, "unknown status " + quote(status));
    }
    long revision = count(fields, "revision");
    if (revision > Integer.MAX_VALUE) {
      throw new Foreign(Foreign.BAD_VALUE, "revision " + revision + " is too large");
    }
    String counter = null;
    if (fields.containsKey("counter") && fields.get("counter") != NULL) {
      counter = string(fields, "counter");
      if (!COUNTERS.contains(counter)) {
        throw new Foreign(Foreign.BAD_VALUE, "unknown counter " + quote(counter));
      }
    }
    double rse = Double.NaN;
    if (fields.containsKey("rse") && fields.get("rse") != NULL) {
      rse = number(fields, "rse").doubleValue();
      if (!(rse >= 0 && rse <= 1)) {
        throw new Foreign(Foreign.BAD_VALUE, "rse " + rse + " is not between 0 and 1");
      }
    }
    byte[] sketch = null;
    if (fields.containsKey("sketch") && fields.get("sketch") != NULL) {
      if ("exact".equals(counter)) {
        throw new Foreign(Foreign.BAD_SKETCH, "an exact record with a \"sketch\"");
      }
      sketch = sketch(string(fields, "sketch"));
    }
    WindowResult r = new WindowResult(window, start, end, uniques, frames, status, (int) revision, counter, rse, sketch);
    if (key != null && !key.equals(r.key()) && !key.equals(window + "/" + startText)) {
      throw new Foreign(Foreign.KEY_MISMATCH, "key " + quote(key) + " is not " + quote(r.key()));
    }
    return r;
  }

  /** The bytes of a sketch field, checked to be a DataSketches HLL image. */
  private static byte[] sketch(String base64) throws Foreign {
    byte[] bytes;
    try {
      bytes = java.util.Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new Foreign(Foreign.BAD_SKETCH, "\"sketch\" is not base64");
    }
    String problem = uniqcount.count.SketchImage.problem(bytes);
    if (problem != null) {
      throw new Foreign(Foreign.BAD_SKETCH, "\"sketch\" is not a DataSketches HLL image: " + problem);
    }
    uniqcount.count.SketchMemory.load();
    try {
      org.apache.datasketches.hll.HllSketch.heapify(bytes);
    } catch (RuntimeException e) {
      throw new Foreign(Foreign.BAD_SKETCH, "\"sketch\" is not a DataSketches HLL image (" + e.getClass().getSimpleName() + ")");
    }
    return bytes;
  }

  /** At most 60 characters of {@code v}, in quotes, for a detail message. */
  static String quote(String v) {
    return "\"" + (v.length() > 60 ? v.substring(0, 60) + "…" : v) + "\"";
  }

  private static Object field(Map<String, Object> fields, String name) throws Foreign {
    Object v = fields.get(name);
    if (v == null) {
      throw new Foreign(Foreign.MISSING_FIELD, "no field \"" + name + "\"");
    }
    return v;
  }

  private static String string(Map<String, Object> fields, String name) throws Foreign {
    Object v = field(fields, name);
    if (!(v instanceof String)) {
      throw new Foreign(Foreign.WRONG_TYPE, "\"" + name + "\" is not a string");
    }
    return (String) v;
  }

  private static BigDecimal number(Map<String, Object> fields, String name) throws Foreign {
    Object v = field(fields, name);
    if (!(v instanceof Num)) {
      throw new Foreign(Foreign.WRONG_TYPE, "\"" + name + "\" is not a number");
    }
    return new BigDecimal(((Num) v).text());
  }

  /** A whole number from 0 to Long.MAX_VALUE (written without fraction or exponent). */
  private static long count(Map<String, Object> fields, String name) throws Foreign {
    BigDecimal d = number(fields, name);
    String text = ((Num) fields.get(name)).text();
    if (text.indexOf('.') >= 0 || text.indexOf('e') >= 0 || text.indexOf('E') >= 0 || d.signum() < 0) {
      throw new Foreign(Foreign.BAD_VALUE, "\"" + name + "\" is not a whole number >= 0: " + quote(text));
    }
    BigInteger i = d.toBigIntegerExact();
    if (i.compareTo(MAX_LONG) > 0) {
      throw new Foreign(Foreign.BAD_VALUE, "\"" + name + "\" is too large: " + quote(text));
    }
    return i.longValue();
  }

  /** An ISO-8601 instant in UTC ({@code Z}) on a whole second. */
  private static long instant(String name, String text) throws Foreign {
    try {
      if (!text.endsWith("Z")) {
        throw new DateTimeException("not UTC");
      }
      Instant t = Instant.parse(text);
      if (t.getNano() != 0) {
        throw new DateTimeException("not a whole second");
      }
      return t.getEpochSecond();
    } catch (DateTimeException e) {
      throw new Foreign(Foreign.BAD_VALUE, "\"" + name + "\" is not an ISO-8601 UTC instant: " + quote(text));
    }
  }

  // ---- the JSON grammar ----

  private Foreign syntax(String what) {
    return new Foreign(Foreign.NOT_JSON, what + " at character " + pos + " of " + quote(s.strip()));
  }

  private Map<String, Object> object() throws Foreign {
    skipSpace();
    if (pos >= s.length()) {
      throw new Foreign(Foreign.EMPTY, "an empty record");
    }
    char c = s.charAt(pos);
    if (c != '{') {
      Object v = value(0); // a valid JSON text that is not an object, or not JSON
      skipSpace();
      if (pos < s.length()) {
        throw syntax("unexpected text");
      }
      throw new Foreign(Foreign.NOT_AN_OBJECT, "a JSON " + (v instanceof String ? "string" : v instanceof Num ? "number"
          : v == NESTED ? "array" : "literal") + ", not an object");
    }
    Map<String, Object> fields = new HashMap<>();
    pos++;
    skipSpace();
    if (peek() == '}') {
      pos++;
    } else {
      while (true) {
        skipSpace();
        if (peek() != '"') {
          throw syntax("expected a field name");
        }
        String name = string();
        skipSpace();
        expect(':');
        Object v = value(1);
        if (fields.put(name, v) != null) {
          throw new Foreign(Foreign.BAD_VALUE, "field " + quote(name) + " appears twice");
        }
        skipSpace();
        char next = peek();
        pos++;
        if (next == '}') {
          break;
        }
        if (next != ',') {
          pos--;
          throw syntax("expected , or }");
        }
      }
    }
    skipSpace();
    if (pos < s.length()) {
      throw syntax("text after the object");
    }
    return fields;
  }

  private Object value(int depth) throws Foreign {
    if (depth > MAX_DEPTH) {
      throw syntax("nested too deep");
    }
    skipSpace();
    char c = peek();
    switch (c) {
      case '"':
        return string();
      case '{':
        container('}', true, depth);
        return NESTED;
      case '[':
        container(']', false, depth);
        return NESTED;
      case 't':
        literal("true");
        return Boolean.TRUE;
      case 'f':
        literal("false");
        return Boolean.FALSE;
      case 'n':
        literal("null");
        return NULL;
      default:
        if (c == '-' || c >= '0' && c <= '9') {
          return number();
        }
        throw syntax("unexpected " + (pos >= s.length() ? "end" : "character"));
    }
  }

  /** Skips a nested object or array (a field this reader does not use). */
  private void container(char close, boolean object, int depth) throws Foreign {
    pos++;
    skipSpace();
    if (peek() == close) {
      pos++;
      return;
    }
    while (true) {
      skipSpace();
      if (object) {
        if (peek() != '"') {
          throw syntax("expected a field name");
        }
        string();
        skipSpace();
        expect(':');
      }
      value(depth + 1);
      skipSpace();
      char next = peek();
      pos++;
      if (next == close) {
        return;
      }
      if (next != ',') {
        pos--;
        throw syntax("expected , or " + close);
      }
    }
  }

  private void literal(String word) throws Foreign {
    if (!s.startsWith(word, pos)) {
      throw syntax("unexpected character");
    }
    pos += word.length();
  }

  private Num number() throws Foreign {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
    } else if (isDigit(peek())) {
      digits();
    } else {
      throw syntax("bad number");
    }
    if (peek() == '.') {
      pos++;
      if (!isDigit(peek())) {
        throw syntax("bad number");
      }
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw syntax("bad number");
      }
      digits();
    }
    if (pos - start > 400) {
      throw syntax("number too long");
    }
    return new Num(s.substring(start, pos));
  }

  private void digits() {
    while (isDigit(peek())) {
      pos++;
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private String string() throws Foreign {
    pos++; // the opening quote
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= s.length()) {
        throw syntax("unterminated string");
      }
      char c = s.charAt(pos++);
      if (c == '"') {
        return sb.toString();
      }
      if (c < 0x20) {
        throw syntax("control character in a string");
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (pos >= s.length()) {
        throw syntax("unterminated string");
      }
      char e = s.charAt(pos++);
      switch (e) {
        case '"':
        case '\\':
        case '/':
          sb.append(e);
          break;
        case 'b':
          sb.append('\b');
          break;
        case 'f':
          sb.append('\f');
          break;
        case 'n':
          sb.append('\n');
          break;
        case 'r':
          sb.append('\r');
          break;
        case 't':
          sb.append('\t');
          break;
        case 'u':
          if (pos + 4 > s.length()) {
            throw syntax("bad \\u escape");
          }
          int cp = 0;
          for (int i = 0; i < 4; i++) {
            int d = Character.digit(s.charAt(pos++), 16);
            if (d < 0) {
              throw syntax("bad \\u escape");
            }
            cp = cp * 16 + d;
          }
          sb.append((char) cp);
          break;
        default:
          throw syntax("bad escape");
      }
    }
  }

  private void expect(char c) throws Foreign {
    if (peek() != c) {
      throw syntax("expected " + c);
    }
    pos++;
  }

  private char peek() {
    return pos < s.length() ? s.charAt(pos) : '\0';
  }

  private void skipSpace() {
    while (pos < s.length()) {
      char c = s.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }
}
