package uniqcount.gen;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Makes frames shaped like the challenge generator's: ~2 KB objects whose root holds {@code uid}
 * (19 hex characters) and {@code ts} next to each other after 0–4 other keys (sometimes anywhere,
 * last included), amid keys that repeat, nested objects and arrays with decoy {@code uid}/{@code
 * ts} keys of every type, strings with every JSON escape and with Cyrillic UTF-8, numbers and
 * literals; plus the faults of {@link GeneratorOptions}. Deterministic for a seed.
 *
 * <p>Fast enough for benchmarks: frames are assembled from pre-encoded byte fragments.
 */
public final class FrameGenerator {
  private static final byte[][] WORDS = bytes(
      "Lorem", "ipsum", "dolor", "sit", "amet,", "consectetur", "adipiscing", "elit,", "sed", "do",
      "eiusmod", "tempor", "incididunt", "ut", "labore", "et", "dolore", "magna", "aliqua.", "Ut",
      "enim", "ad", "minim", "veniam,", "quis", "nostrud", "exercitation", "ullamco", "laboris",
      "nisi", "aliquip", "ex", "ea", "commodo", "consequat.", "Duis", "aute", "irure", "in",
      "reprehenderit", "voluptate", "velit", "esse", "cillum", "fugiat", "nulla", "pariatur.",
      "Excepteur", "sint", "occaecat", "cupidatat", "non", "proident,", "sunt", "culpa", "qui",
      "officia", "deserunt", "mollit", "anim", "id", "est", "laborum.", "uid_", "Uid", "ts2", "t",
      "uidts", "u\\u0069d_x", "t\\\\s");
  /** JSON string bodies, already escaped as they appear in a frame. */
  private static final byte[][] PHRASES = bytes(
      "code.\\nD\\nalso\\nsupports\\nscoped\\nresource\\nmanagement\\n(aka",
      "pleasant\\\\for\\\\tasks,\\\\both\\\\small\\\\and\\\\large.\\\\Show",
      "read. Show example Built-in linear and associative arrays,",
      "specifying\\\"types,\\\"like\\\"dynamic\\\"languages\\\"do.\\\"On\\\"the",
      "memory\\fmanagement\\fmakes\\ffor\\fsafe,\\fsimple,\\fand\\frobust",
      "code/properties,/giving/the/best/of/both/the",
      "code\\/properties,\\/giving\\/the\\/best",
      "transactional\\tcode\\tthat\\tis\\teasy\\tto\\twrite\\tand",
      "static\\band\\bthe\\bdynamic\\bworlds.\\bShow\\bexample\\bAutomatic",
      "the\\rRAII\\ridiom)\\rand\\rscope\\rstatements\\rfor\\rdeterministic",
      "other\\\\hand,\\\\static\\\\inference\\\\deduces\\\\types\\\\and\\\\other",
      "slices,\\\"and\\\"ranges\\\"make\\\"daily\\\"programming\\\"simple\\\"and",
      "D allows writing large code fragments without redundantly",
      "Его улыбка, чудный взгляд,",
      "Тоской внезапной осеня,",
      "Все впечатленья бытия -",
      "Печальны были наши встречи:",
      "Вливали в душу хладный яд.",
      "caf\\u00e9 na\\u00efve \\u2603 \\ud83d\\ude00 \\u0000 end",
      "example",
      "",
      "\\\\",
      "ends with a backslash \\\\");
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final byte[][] NOT_JSON = bytes(
      "not json at all", "<html><body>502 Bad Gateway</body></html>", "[1,2,3]", "\"just a string\"",
      "null", "12345", "{uid:\"abc\",ts:1}", "{\"uid\":\"abc\",\"ts\":1468244384,}", "{\"uid\" \"abc\"}",
      "{\"uid\":\"a\",\"ts\":1}}", "{\"uid\":\"a\" \"ts\":1}", "{\"uid\":\"a\",\"ts\":01}",
      "{\"uid\":\"a\\x\",\"ts\":1}", "{\"uid\":\"a\",\"ts\":1,\"x\":tru}", "}{", "{\"uid\":\"a\",\"ts\":1} trailing");
  private static final byte[][] BAD_UIDS = bytes("12345", "null", "true", "[\"abc\"]", "{\"uid\":\"abc\"}", "1.5");
  private static final byte[][] BAD_TS = bytes(
      "1468244384.5", "1.468244384e9", "true", "null", "\"1468244384x\"", "\"\"", "\"-1468244384\"",
      "\" 1468244384\"", "[1468244384]", "{\"ts\":1468244384}", "\"1.5\"", "99999999999999999999999", "-99999999999999");
  private static final byte[] WS = {' ', '\t', '\r', ' '};

  private final GeneratorOptions o;
  private final SplittableRandom random;
  private final long uidSalt;
  private final ByteBuffer line = new ByteBuffer(4096);
  private final ByteBuffer body = new ByteBuffer(4096);
  private final byte[][] recent = new byte[8][];
  private int recentCount;
  private long index;
  private boolean dialect;

  /** A generator; the options are validated here. */
  public FrameGenerator(GeneratorOptions options) {
    options.validate();
    if (options.live) {
      options.startSec = System.currentTimeMillis() / 1000;
      if (options.count == 0) {
        options.count = Long.MAX_VALUE;
      }
    }
    this.o = options;
    this.random = new SplittableRandom(options.seed);
    this.uidSalt = mix(options.seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
  }

  /** Whether more lines remain. */
  public boolean hasNext() {
    return index < o.count;
  }

  /**
   * Appends the next line, newline included, to {@code out}; returns its length.
   *
   * @throws java.util.NoSuchElementException if every line has been made
   */
  public int next(ByteBuffer out) {
    if (!hasNext()) {
      throw new java.util.NoSuchElementException();
    }
    int before = out.length();
    long position = index++;
    if (o.dupProb > 0 && recentCount > 0 && random.nextDouble() < o.dupProb) {
      out.append(recent[random.nextInt(Math.min(recentCount, recent.length))]);
      return out.length() - before;
    }
    if (o.badProb > 0 && random.nextDouble() < o.badProb) {
      badLine(out, position);
      return out.length() - before;
    }
    line.clear();
    frame(line, position, Variant.VALID);
    boolean crlf = dialect && random.nextInt(2) == 0;
    if (crlf) {
      line.append((byte) '\r');
    }
    line.append((byte) '\n');
    if (o.dupProb > 0) {
      recent[recentCount++ % recent.length] = Arrays.copyOf(line.array(), line.length());
    }
    out.append(line.array(), 0, line.length());
    return out.length() - before;
  }

  /**
   * Writes every remaining line to {@code out}; in live mode paced to the wall clock (flushed
   * every event-second) until the count is reached or the thread is interrupted.
   */
  public void writeAll(OutputStream out) throws IOException {
    ByteBuffer buf = new ByteBuffer(1 << 20);
    long t0 = System.nanoTime();
    while (hasNext()) {
      next(buf);
      if (o.live && index % o.ratePerSec == 0) {
        out.write(buf.array(), 0, buf.length());
        out.flush();
        buf.clear();
        long due = t0 + index / o.ratePerSec * 1_000_000_000L;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          try {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
        continue;
      }
      if (buf.length() >= (1 << 20) - 65536) {
        out.write(buf.array(), 0, buf.length());
        buf.clear();
      }
    }
    out.write(buf.array(), 0, buf.length());
    out.flush();
  }

  private enum Variant {
    VALID,
    MISSING_UID,
    MISSING_TS,
    BAD_UID,
    BAD_TS
  }

  private void badLine(ByteBuffer out, long position) {
    int kind = random.nextInt(8);
    switch (kind) {
      case 0: // truncated
      case 1: {
        line.clear();
        frame(line, position, Variant.VALID);
        out.append(line.array(), 0, 1 + random.nextInt(line.length() - 1));
        break;
      }
      case 2:
        out.append(NOT_JSON[random.nextInt(NOT_JSON.length)]);
        break;
      case 3:
        frame(out, position, Variant.MISSING_UID);
        break;
      case 4:
        frame(out, position, Variant.MISSING_TS);
        break;
      case 5:
        frame(out, position, Variant.BAD_UID);
        break;
      case 6:
        frame(out, position, Variant.BAD_TS);
        break;
      default: // empty or blank
        int blanks = random.nextInt(3);
        for (int i = 0; i < blanks; i++) {
          out.append(WS[random.nextInt(WS.length)]);
        }
    }
    out.append((byte) '\n');
  }

  private void frame(ByteBuffer out, long position, Variant variant) {
    dialect = o.dialectProb > 0 && random.nextDouble() < o.dialectProb;
    int target = o.sizeBytes - 120;
    int members = 0;
    int uidSlot = random.nextInt(10) == 0 ? -1 : random.nextInt(5);
    boolean uidFirst = random.nextBoolean();
    body.clear();
    body.append((byte) '{');
    boolean placed = false;
    while (!placed || body.length() < target) {
      if (!placed && (members == uidSlot || (uidSlot < 0 && body.length() >= target - 400 - random.nextInt(800)))) {
        if (members > 0) {
          comma(body);
        }
        if (uidFirst) {
          uidMember(body, variant);
          comma(body);
          tsMember(body, position, variant);
        } else {
          tsMember(body, position, variant);
          comma(body);
          uidMember(body, variant);
        }
        placed = true;
        members += 2;
        continue;
      }
      if (members > 0) {
        comma(body);
      }
      key(body, WORDS[random.nextInt(WORDS.length)]);
      value(body, 0);
      members++;
    }
    ws(body);
    body.append((byte) '}');
    out.append(body.array(), 0, body.length());
  }

  private void uidMember(ByteBuffer b, Variant variant) {
    if (variant == Variant.MISSING_UID) {
      key(b, UID_MISSING);
      b.appendQuoted(PHRASES[random.nextInt(PHRASES.length)]);
      return;
    }
    if (dialect && random.nextInt(4) == 0) {
      key(b, UID_ESCAPED);
    } else {
      key(b, UID);
    }
    if (variant == Variant.BAD_UID) {
      b.append(BAD_UIDS[random.nextInt(BAD_UIDS.length)]);
    } else {
      long user = random.nextInt(o.users);
      long h1 = mix(user ^ uidSalt);
      long h2 = mix(h1);
      b.append((byte) '"');
      int escapeAt = dialect && random.nextInt(2) == 0 ? random.nextInt(19) : -1;
      for (int i = 0; i < 19; i++) {
        int nibble = i < 16 ? (int) (h1 >>> (60 - 4 * i)) & 15 : (int) (h2 >>> (4 * i)) & 15;
        byte c = HEX[nibble];
        if (i == escapeAt) {
          b.append(UNICODE_ESCAPE);
          b.append(HEX[c >>> 4]);
          b.append(HEX[c & 15]);
        } else {
          b.append(c);
        }
      }
      b.append((byte) '"');
    }
  }

  private void tsMember(ByteBuffer b, long position, Variant variant) {
    if (variant == Variant.MISSING_TS) {
      key(b, TS_MISSING);
      b.appendLong(o.startSec);
      return;
    }
    key(b, TS);
    if (variant == Variant.BAD_TS) {
      b.append(BAD_TS[random.nextInt(BAD_TS.length)]);
      return;
    }
    long ts = o.startSec + position / o.ratePerSec;
    if (o.delaySec > 0 && o.delayPercent > 0 && random.nextDouble() * 100 < o.delayPercent) {
      ts -= 1 + random.nextInt(o.delaySec);
    }
    if (o.bitflipProb > 0 && random.nextDouble() < o.bitflipProb) {
      ts ^= 1L << (o.bitflipMinBit + random.nextInt(63 - o.bitflipMinBit));
    }
    if (o.stringTsProb > 0 && random.nextDouble() < o.stringTsProb) {
      b.append((byte) '"');
      b.appendLong(ts);
      b.append((byte) '"');
    } else {
      b.appendLong(ts);
    }
  }

  private void value(ByteBuffer b, int depth) {
    int r = random.nextInt(100);
    if (r < 62 || depth >= 6) {
      if (r < 4) {
        b.appendLong(random.nextInt(300));
      } else if (r < 7) {
        b.append(ZERO_POINT);
        b.appendLong(random.nextInt(1_000_000));
      } else if (r < 10) {
        b.append(random.nextBoolean() ? TRUE : FALSE);
      } else if (r < 11) {
        b.append(NULL);
      } else {
        b.appendQuoted(PHRASES[random.nextInt(PHRASES.length)]);
      }
    } else if (r < 82) {
      b.append((byte) '[');
      int n = random.nextInt(6) == 0 ? random.nextInt(8) : 0;
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          comma(b);
        }
        ws(b);
        value(b, depth + 1);
      }
      ws(b);
      b.append((byte) ']');
    } else {
      b.append((byte) '{');
      int n = random.nextInt(4) == 0 ? 1 + random.nextInt(12) : 0;
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          comma(b);
        }
        int k = random.nextInt(10);
        if (k == 0) {
          key(b, UID);
          decoy(b, depth);
        } else if (k == 1) {
          key(b, TS);
          decoy(b, depth);
        } else {
          key(b, WORDS[random.nextInt(WORDS.length)]);
          value(b, depth + 1);
        }
      }
      ws(b);
      b.append((byte) '}');
    }
  }

  private void decoy(ByteBuffer b, int depth) {
    if (random.nextInt(3) == 0) {
      b.appendLong(o.startSec + random.nextInt(1_000_000));
    } else {
      value(b, depth + 1);
    }
  }

  private void key(ByteBuffer b, byte[] name) {
    ws(b);
    b.appendQuoted(name);
    ws(b);
    b.append((byte) ':');
    ws(b);
  }

  private void comma(ByteBuffer b) {
    ws(b);
    b.append((byte) ',');
  }

  private void ws(ByteBuffer b) {
    if (dialect && random.nextInt(3) == 0) {
      int n = 1 + random.nextInt(3);
      for (int i = 0; i < n; i++) {
        b.append(WS[random.nextInt(WS.length)]);
      }
    }
  }

  private static final byte[] TRUE = bytes("true")[0];
  private static final byte[] FALSE = bytes("false")[0];
  private static final byte[] NULL = bytes("null")[0];
  private static final byte[] UID = bytes("uid")[0];
  private static final byte[] TS = bytes("ts")[0];
  private static final byte[] UID_MISSING = bytes("uid_missing")[0];
  private static final byte[] TS_MISSING = bytes("ts_missing")[0];
  private static final byte[] UID_ESCAPED = bytes("u\\u0069d")[0];
  private static final byte[] UNICODE_ESCAPE = bytes("\\u00")[0];
  private static final byte[] ZERO_POINT = bytes("0.")[0];

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  private static byte[][] bytes(String... strings) {
    byte[][] out = new byte[strings.length][];
    for (int i = 0; i < strings.length; i++) {
      out[i] = strings[i].getBytes(StandardCharsets.UTF_8);
    }
    return out;
  }
}
