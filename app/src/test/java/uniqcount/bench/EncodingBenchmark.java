package uniqcount.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import uniqcount.frame.FrameDecoder;
import uniqcount.frame.UidHash;

/**
 * The cost of JSON itself: the same 2,000 frames as JSON, as a length-prefixed binary encoding of
 * the whole frame (the shape of Protobuf/Avro/CBOR: every string, object and array carries its
 * length, so a reader skips a field without looking at its bytes), and as a fixed layout of only
 * the two fields uniqcount needs. Each benchmark extracts root uid (hashed) and ts per frame.
 * Sizes are printed at setup. Run: {@code scripts/jmh EncodingBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class EncodingBenchmark {
  private static final int FRAMES = 2000;
  private static final byte STRING = 'S';
  private static final byte INT = 'I';
  private static final byte DOUBLE = 'D';
  private static final byte TRUE = 'T';
  private static final byte FALSE = 'F';
  private static final byte NULL = 'N';
  private static final byte OBJECT = 'O';
  private static final byte ARRAY = 'A';
  private static final byte[] UID = "uid".getBytes(StandardCharsets.UTF_8);
  private static final byte[] TS = "ts".getBytes(StandardCharsets.UTF_8);

  private final InMemoryFrames json = InMemoryFrames.generate(FRAMES);
  private byte[] binary;
  private final int[] binaryStarts = new int[FRAMES];
  private byte[] fixed;
  private final int[] fixedStarts = new int[FRAMES];
  private final FrameDecoder exact = new FrameDecoder("uid", "ts", 1 << 20, null, false);
  private final FrameDecoder trusting = new FrameDecoder("uid", "ts", 1 << 20, null, true);

  @Setup
  public void setUp() throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    ByteArrayOutputStream bin = new ByteArrayOutputStream();
    ByteArrayOutputStream fix = new ByteArrayOutputStream();
    for (int i = 0; i < FRAMES; i++) {
      JsonNode root = mapper.readTree(json.bytes, json.starts[i], json.lengths[i]);
      binaryStarts[i] = bin.size();
      bin.write(encode(root));
      fixedStarts[i] = fix.size();
      long ts = root.get("ts").asLong();
      byte[] uid = root.get("uid").asText().getBytes(StandardCharsets.UTF_8);
      for (int k = 0; k < 8; k++) {
        fix.write((int) (ts >>> (8 * k)));
      }
      fix.write(uid.length);
      fix.write(uid);
    }
    binary = bin.toByteArray();
    fixed = fix.toByteArray();
    System.out.printf("%nbytes per frame: JSON %.0f, length-prefixed binary %.0f, fixed uid+ts %.0f%n",
        (double) json.bytes.length / FRAMES, (double) binary.length / FRAMES, (double) fixed.length / FRAMES);
  }

  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public long jsonWholeFrame() {
    return json.decodeAll(exact);
  }

  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public long jsonTrusted() {
    return json.decodeAll(trusting);
  }

  /** Walks the root object's entries, skipping every other value by its length. */
  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public long lengthPrefixedBinary() {
    long sum = 0;
    byte[] b = binary;
    for (int i = 0; i < FRAMES; i++) {
      int p = binaryStarts[i];
      p++; // OBJECT
      p = skipVarint(b, p); // byte length
      long count = readVarint(b, p);
      p = skipVarint(b, p);
      long uidHash = 0;
      long ts = 0;
      for (long e = 0; e < count; e++) {
        int keyLength = (int) readVarint(b, p);
        p = skipVarint(b, p);
        int key = p;
        p += keyLength;
        byte type = b[p];
        if (type == STRING && equal(b, key, keyLength, UID)) {
          int n = (int) readVarint(b, p + 1);
          int s = skipVarint(b, p + 1);
          uidHash = UidHash.hash(b, s, n);
          p = s + n;
        } else if (type == INT && equal(b, key, keyLength, TS)) {
          ts = (long) LONG_LE.get(b, p + 1);
          p += 9;
        } else {
          p = skipValue(b, p);
        }
      }
      sum += ts ^ uidHash;
    }
    return sum;
  }

  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public long fixedLayout() {
    long sum = 0;
    byte[] b = fixed;
    for (int i = 0; i < FRAMES; i++) {
      int p = fixedStarts[i];
      long ts = (long) LONG_LE.get(b, p);
      int n = b[p + 8] & 0xFF;
      sum += ts ^ UidHash.hash(b, p + 9, n);
    }
    return sum;
  }

  private static final java.lang.invoke.VarHandle LONG_LE =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

  private static int skipValue(byte[] b, int p) {
    switch (b[p]) {
      case STRING:
        return skipVarint(b, p + 1) + (int) readVarint(b, p + 1);
      case INT:
      case DOUBLE:
        return p + 9;
      case OBJECT:
      case ARRAY:
        return skipVarint(b, p + 1) + (int) readVarint(b, p + 1);
      default:
        return p + 1;
    }
  }

  private static boolean equal(byte[] b, int from, int length, byte[] key) {
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

  private static long readVarint(byte[] b, int p) {
    long v = 0;
    for (int shift = 0; ; shift += 7) {
      byte c = b[p++];
      v |= (long) (c & 0x7F) << shift;
      if (c >= 0) {
        return v;
      }
    }
  }

  private static int skipVarint(byte[] b, int p) {
    while (b[p] < 0) {
      p++;
    }
    return p + 1;
  }

  /** One value: a type byte, then its bytes; containers: byte length of the rest, then count, then entries. */
  static byte[] encode(JsonNode n) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (n.isTextual()) {
      byte[] s = n.asText().getBytes(StandardCharsets.UTF_8);
      out.write(STRING);
      writeVarint(out, s.length);
      out.write(s);
    } else if (n.isIntegralNumber()) {
      out.write(INT);
      long v = n.asLong();
      for (int k = 0; k < 8; k++) {
        out.write((int) (v >>> (8 * k)));
      }
    } else if (n.isNumber()) {
      out.write(DOUBLE);
      long v = Double.doubleToLongBits(n.asDouble());
      for (int k = 0; k < 8; k++) {
        out.write((int) (v >>> (8 * k)));
      }
    } else if (n.isBoolean()) {
      out.write(n.asBoolean() ? TRUE : FALSE);
    } else if (n.isNull()) {
      out.write(NULL);
    } else {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      writeVarint(body, n.size());
      if (n.isObject()) {
        // Every member, repeats included, in order (Jackson keeps the last of a repeated key only).
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
          writeVarint(body, k.length);
          body.write(k);
          body.write(encode(e.getValue()));
        }
      } else {
        for (JsonNode v : n) {
          body.write(encode(v));
        }
      }
      out.write(n.isObject() ? OBJECT : ARRAY);
      writeVarint(out, body.size());
      body.writeTo(out);
    }
    return out.toByteArray();
  }

  private static void writeVarint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }
}
