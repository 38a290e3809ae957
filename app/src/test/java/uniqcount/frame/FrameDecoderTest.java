package uniqcount.frame;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import uniqcount.gen.ByteBuffer;
import uniqcount.gen.FrameGenerator;
import uniqcount.gen.GeneratorOptions;
import uniqcount.reference.JacksonReference;

/**
 * The decoder against Jackson. This class tests the exact pass alone; its subclasses run every test
 * again with the fast pass in front ({@link SwarFrameDecoderTest}, {@link VectorFrameDecoderTest}).
 */
class FrameDecoderTest {
  private final FrameDecoder decoder = newDecoder(1 << 20);

  /** The decoder under test; the exact pass alone here. */
  FrameDecoder newDecoder(int maxFrameBytes) {
    return new FrameDecoder("uid", "ts", maxFrameBytes, null, false);
  }

  @Test
  void agreesWithJacksonOnGeneratedFramesWithEveryFault() {
    GeneratorOptions o = allFaults(150_000, 42);
    o.sizeBytes = 700;
    ByteBuffer buf = new ByteBuffer(1 << 16);
    FrameGenerator gen = new FrameGenerator(o);
    Map<Reject, Integer> reasons = new EnumMap<>(Reject.class);
    int accepted = 0;
    while (gen.hasNext()) {
      buf.clear();
      int n = gen.next(buf);
      int len = n - 1; // without '\n'
      assertAgreesWithJackson(buf.array(), 0, len);
      if (decoder.reject() == null) {
        accepted++;
      } else {
        reasons.merge(decoder.reject(), 1, Integer::sum);
      }
    }
    assertTrue(accepted > 140_000, "accepted " + accepted);
    for (Reject r : new Reject[] {Reject.EMPTY, Reject.NOT_OBJECT, Reject.MALFORMED, Reject.TRUNCATED,
        Reject.MISSING_UID, Reject.MISSING_TS, Reject.UID_NOT_STRING, Reject.TS_NOT_INTEGER, Reject.TS_OUT_OF_RANGE}) {
      assertTrue(reasons.getOrDefault(r, 0) > 0, "no frame rejected as " + r + ": " + reasons);
    }
  }

  @Test
  void agreesWithJacksonOnEveryTruncationOfValidFrames() {
    GeneratorOptions o = allFaults(300, 7);
    o.badProb = 0;
    o.sizeBytes = 900;
    FrameGenerator gen = new FrameGenerator(o);
    ByteBuffer buf = new ByteBuffer(1 << 16);
    int checked = 0;
    while (gen.hasNext()) {
      buf.clear();
      int len = gen.next(buf) - 1;
      for (int cut = 0; cut <= len; cut++) {
        assertAgreesWithJackson(buf.array(), 0, cut);
        checked++;
      }
    }
    assertTrue(checked > 200_000, "checked " + checked);
  }

  @Test
  void agreesWithJacksonOnRandomAsciiMutationsOfValidFrames() {
    byte[] alphabet = "{}[]\":,\\ \t\r0123456789-+.eEtrufalsnuid/bx".getBytes(StandardCharsets.US_ASCII);
    GeneratorOptions o = allFaults(4000, 99);
    o.badProb = 0;
    o.sizeBytes = 300;
    FrameGenerator gen = new FrameGenerator(o);
    java.util.SplittableRandom r = new java.util.SplittableRandom(5);
    ByteBuffer buf = new ByteBuffer(1 << 16);
    int mutants = 0;
    while (gen.hasNext()) {
      buf.clear();
      int len = gen.next(buf) - 1;
      byte[] frame = java.util.Arrays.copyOf(buf.array(), len);
      for (int k = 0; k < 40; k++) {
        byte[] m = frame.clone();
        int edits = 1 + r.nextInt(3);
        int mlen = m.length;
        for (int e = 0; e < edits && mlen > 1; e++) {
          int i = r.nextInt(mlen);
          if (m[i] < 0) {
            continue; // only ASCII positions: the decoder does not validate UTF-8 in skipped strings
          }
          int op = r.nextInt(3);
          if (op == 0) {
            m[i] = alphabet[r.nextInt(alphabet.length)];
          } else if (op == 1) {
            System.arraycopy(m, i + 1, m, i, mlen - i - 1);
            mlen--;
          } else {
            m = java.util.Arrays.copyOf(m, mlen + 1);
            System.arraycopy(m, i, m, i + 1, mlen - i);
            m[i] = alphabet[r.nextInt(alphabet.length)];
            mlen++;
          }
        }
        assertAgreesWithJackson(m, 0, mlen);
        mutants++;
      }
    }
    assertTrue(mutants >= 100_000);
  }

  private void assertAgreesWithJackson(byte[] b, int off, int len) {
    JacksonReference.Fields expected = JacksonReference.parse(b, off, len);
    boolean ok = decoder.decode(b, off, len);
    String frame = new String(b, off, len, StandardCharsets.UTF_8);
    if (expected == null) {
      if (ok) {
        fail("Jackson rejects, decoder accepts: " + frame);
      }
      assertNotNull(decoder.reject());
      return;
    }
    if (!ok) {
      fail("Jackson accepts, decoder rejects (" + decoder.reject() + "): " + frame);
    }
    assertEquals(expected.ts, decoder.timestampSec(), frame);
    byte[] uid = JacksonReference.utf8(expected.uid);
    assertArrayEquals(uid, decoder.uid(), frame);
    assertEquals(UidHash.hash(uid, 0, uid.length), decoder.uidHash());
  }

  static GeneratorOptions allFaults(long count, long seed) {
    GeneratorOptions o = new GeneratorOptions();
    o.count = count;
    o.seed = seed;
    o.users = 5000;
    o.ratePerSec = 10;
    o.delaySec = 20;
    o.delayPercent = 10;
    o.bitflipProb = 0.02;
    o.bitflipMinBit = 0;
    o.stringTsProb = 0.1;
    o.badProb = 0.05;
    o.dupProb = 0.02;
    o.dialectProb = 0.2;
    return o;
  }

  private boolean decode(String json) {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    return decoder.decode(b, 0, b.length);
  }

  private void assertAccepts(String json, String uid, long ts) {
    assertTrue(decode(json), () -> "rejected (" + decoder.reject() + "): " + json);
    assertEquals(uid, new String(decoder.uid(), StandardCharsets.UTF_8), json);
    assertEquals(ts, decoder.timestampSec(), json);
  }

  private void assertRejects(String json, Reject reason) {
    assertFalse(decode(json), json);
    assertEquals(reason, decoder.reject(), json);
  }

  @Test
  void rootFieldsAnywhereAmongDecoys() {
    assertAccepts("{\"a\":{\"uid\":\"decoy\",\"ts\":5},\"ts\":1468244384,\"b\":[{\"uid\":\"x\"}],\"uid\":\"u1\"}", "u1", 1468244384);
    assertAccepts("{\"uid\":\"u1\",\"x\":{\"ts\":\"nope\",\"ts\":[1,{\"uid\":2}]},\"ts\":7}", "u1", 7);
  }

  @Test
  void escapedUidIsComparedByItsDecodedValue() {
    assertAccepts("{\"uid\":\"a\\u0062c\",\"ts\":1}", "abc", 1);
    long escaped = decoder.uidHash();
    assertAccepts("{\"uid\":\"abc\",\"ts\":1}", "abc", 1);
    assertEquals(escaped, decoder.uidHash());
    assertAccepts("{\"uid\":\"q\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"ts\":1}", "q\"\\/\b\f\n\r\t", 1);
    assertAccepts("{\"uid\":\"\\ud83d\\ude00é\",\"ts\":1}", "\uD83D\uDE00é", 1);
    assertAccepts("{\"\\u0075id\":\"k\",\"t\\u0073\":2}", "k", 2);
  }

  @Test
  void stringsWithEscapedQuotesAndBackslashesAreSkippedWhole() {
    assertAccepts("{\"x\":\"\\\\\",\"uid\":\"u\",\"y\":\"\\\\\\\"uid\\\":\",\"ts\":3}", "u", 3);
    assertAccepts("{\"x\":\"ends in backslash \\\\\",\"uid\":\"u\",\"ts\":3}", "u", 3);
  }

  @Test
  void aByteOrderMarkBeforeTheFrameIsSkippedAsJacksonDoes() {
    byte[] b = "\uFEFF{\"uid\":\"u\",\"ts\":5}".getBytes(StandardCharsets.UTF_8);
    assertAgreesWithJackson(b, 0, b.length);
    assertTrue(decoder.decode(b, 0, b.length));
    assertEquals(5, decoder.timestampSec());
  }

  @Test
  void whitespaceAndCrlf() {
    assertAccepts(" \t{ \"uid\" :\r\n \"u\" , \"ts\"\t:\t9 }\r", "u", 9);
  }

  @Test
  void duplicateRootKeysLastWins() {
    assertAccepts("{\"uid\":\"first\",\"ts\":1,\"uid\":\"second\",\"ts\":2}", "second", 2);
    assertAccepts("{\"uid\":5,\"uid\":\"ok\",\"ts\":1}", "ok", 1);
    assertRejects("{\"uid\":\"ok\",\"uid\":5,\"ts\":1}", Reject.UID_NOT_STRING);
  }

  @Test
  void timestampForms() {
    assertAccepts("{\"uid\":\"u\",\"ts\":\"1468244384\"}", "u", 1468244384);
    assertAccepts("{\"uid\":\"u\",\"ts\":\"0001\"}", "u", 1);
    assertAccepts("{\"uid\":\"u\",\"ts\":-0}", "u", 0);
    assertRejects("{\"uid\":\"u\",\"ts\":1.5}", Reject.TS_NOT_INTEGER);
    assertRejects("{\"uid\":\"u\",\"ts\":1e9}", Reject.TS_NOT_INTEGER);
    assertRejects("{\"uid\":\"u\",\"ts\":\"12a\"}", Reject.TS_NOT_INTEGER);
    assertRejects("{\"uid\":\"u\",\"ts\":\"\"}", Reject.TS_NOT_INTEGER);
    assertRejects("{\"uid\":\"u\",\"ts\":\"-5\"}", Reject.TS_NOT_INTEGER);
    assertRejects("{\"uid\":\"u\",\"ts\":null}", Reject.TS_NOT_INTEGER);
    assertRejects("{\"uid\":\"u\",\"ts\":99999999999999999999}", Reject.TS_OUT_OF_RANGE);
    assertRejects("{\"uid\":\"u\",\"ts\":253402300800}", Reject.TS_OUT_OF_RANGE);
    assertAccepts("{\"uid\":\"u\",\"ts\":253402300799}", "u", 253402300799L);
  }

  @Test
  void rejectionReasons() {
    assertRejects("", Reject.EMPTY);
    assertRejects(" \r", Reject.EMPTY);
    assertRejects("[1]", Reject.NOT_OBJECT);
    assertRejects("hello", Reject.NOT_OBJECT);
    assertRejects("{\"uid\":\"u\",\"ts\":1", Reject.TRUNCATED);
    assertRejects("{\"uid\":\"u\",\"ts\":1,\"x\":\"abc", Reject.TRUNCATED);
    assertRejects("{\"uid\":\"u\",\"ts\":1} x", Reject.MALFORMED);
    assertRejects("{\"uid\":\"u\",\"ts\":1,}", Reject.MALFORMED);
    assertRejects("{\"uid\":\"u\",\"ts\":01}", Reject.MALFORMED);
    assertRejects("{\"uid\":\"u\",\"ts\":1,\"x\":tru}", Reject.MALFORMED);
    assertRejects("{\"uid\":\"u\\x\",\"ts\":1}", Reject.MALFORMED);
    assertRejects("{\"uid\":\"u\u0001\",\"ts\":1}", Reject.MALFORMED);
    assertRejects("{\"ts\":1}", Reject.MISSING_UID);
    assertRejects("{\"uid\":\"u\"}", Reject.MISSING_TS);
    assertRejects("{\"uid\":[\"u\"],\"ts\":1}", Reject.UID_NOT_STRING);
    assertRejects("{\"uid\":\"u\",\"ts\":1," + "[".repeat(2000) + "]".repeat(2000) + "}",
        Reject.MALFORMED); // an array is not a key
    assertRejects("{\"uid\":\"u\",\"ts\":1,\"x\":" + "[".repeat(1000) + "]".repeat(1000) + "}", Reject.TOO_DEEP);
    assertAccepts("{\"uid\":\"u\",\"ts\":1,\"x\":" + "[".repeat(998) + "]".repeat(998) + "}", "u", 1);
  }

  @Test
  void framesOverTheLimitAreRejected() {
    FrameDecoder small = newDecoder(32);
    byte[] ok = "{\"uid\":\"u\",\"ts\":1}".getBytes(StandardCharsets.UTF_8);
    assertTrue(small.decode(ok, 0, ok.length));
    byte[] big = ("{\"uid\":\"u\",\"ts\":1,\"pad\":\"" + "x".repeat(40) + "\"}").getBytes(StandardCharsets.UTF_8);
    assertFalse(small.decode(big, 0, big.length));
    assertEquals(Reject.TOO_LARGE, small.reject());
  }

  @Test
  void decodesInsideALargerBuffer() {
    byte[] b = "xx{\"uid\":\"u\",\"ts\":4}yy".getBytes(StandardCharsets.UTF_8);
    assertTrue(decoder.decode(b, 2, b.length - 4));
    assertEquals(4, decoder.timestampSec());
  }

  /**
   * Whether bytes are UTF-8 as RFC 3629 has it, except that encoded surrogates pass (a {@code
   * \\ud800} escape decodes to them): the JDK's strict decoder, after each surrogate is replaced.
   */
  private static boolean utf8AllowingSurrogates(byte[] b) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < b.length; i++) {
      if ((b[i] & 0xff) == 0xed && i + 2 < b.length && (b[i + 1] & 0xe0) == 0xa0 && (b[i + 2] & 0xc0) == 0x80) {
        out.write('x');
        i += 2;
      } else {
        out.write(b[i]);
      }
    }
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(out.toByteArray()));
      return true;
    } catch (java.nio.charset.CharacterCodingException e) {
      return false;
    }
  }

  @Test
  void uidsThatAreNotValidUtf8AreRejectedAsMalformed() {
    // stray continuation bytes, overlong forms, truncated sequences, beyond U+10FFFF, surrogates.
    // Where Jackson rejects, so does the decoder; Jackson also takes overlong forms and F5..F7
    // starts (C0 80 becomes U+0000, the same user as "\\u0000"), which RFC 3629 forbids: the
    // decoder rejects those too, so one user is never two byte strings.
    int[] bytes = {'a', 'Z', '7', 0x80, 0x8f, 0x90, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4,
        0xf5, 0xff};
    byte[][] whole = {"é".getBytes(StandardCharsets.UTF_8), "€".getBytes(StandardCharsets.UTF_8),
        "😀".getBytes(StandardCharsets.UTF_8), "Д".getBytes(StandardCharsets.UTF_8), {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
        "u".getBytes(StandardCharsets.UTF_8)};
    java.util.SplittableRandom r = new java.util.SplittableRandom(15);
    byte[] head = "{\"uid\":\"".getBytes(StandardCharsets.UTF_8);
    byte[] tail = "\",\"ts\":1468244384}".getBytes(StandardCharsets.UTF_8);
    int strict = 0;
    int accepted = 0;
    for (int n = 0; n < 30_000; n++) {
      java.io.ByteArrayOutputStream u = new java.io.ByteArrayOutputStream();
      int pieces = 1 + r.nextInt(6);
      boolean clean = r.nextInt(3) == 0; // a third of the uids only of whole characters
      for (int i = 0; i < pieces; i++) {
        if (clean || r.nextBoolean()) {
          u.writeBytes(whole[r.nextInt(whole.length)]);
        } else {
          u.write(bytes[r.nextInt(bytes.length)]);
        }
      }
      byte[] uid = u.toByteArray();
      byte[] frame = new byte[head.length + uid.length + tail.length];
      System.arraycopy(head, 0, frame, 0, head.length);
      System.arraycopy(uid, 0, frame, head.length, uid.length);
      System.arraycopy(tail, 0, frame, head.length + uid.length, tail.length);
      String shown = java.util.HexFormat.ofDelimiter(" ").formatHex(uid);
      if (JacksonReference.parse(frame, 0, frame.length) == null || !utf8AllowingSurrogates(uid)) {
        assertFalse(decoder.decode(frame, 0, frame.length), shown);
        assertEquals(Reject.MALFORMED, decoder.reject(), shown);
        strict += JacksonReference.parse(frame, 0, frame.length) == null ? 0 : 1;
      } else {
        assertAgreesWithJackson(frame, 0, frame.length);
        accepted++;
      }
    }
    assertTrue(strict > 50, "frames Jackson takes but RFC 3629 does not: " + strict);
    assertTrue(accepted > 8000, "valid uids: " + accepted);
  }
}
