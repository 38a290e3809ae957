package uniqcount.gen;

import uniqcount.UserException;

/**
 * What {@link FrameGenerator} makes. Mirrors the challenge generator's flags ({@code -c -r -n -s
 * -l -d -p}) and adds faults; all probabilities are per line, in [0, 1], except {@code
 * delayPercent} which, as in the challenge generator, is a percentage.
 */
public final class GeneratorOptions {
  /** Lines to write (duplicates and bad lines included). */
  public long count = 1_000_000;
  /** Frames per event-second. */
  public int ratePerSec = 1000;
  /** Distinct users to draw from. */
  public int users = 100_000;
  /** Seed: the same options and seed give the same bytes. */
  public long seed = 1;
  /** Approximate frame size in bytes. */
  public int sizeBytes = 2048;
  /** Largest delay, seconds: a delayed frame's ts is 1..delaySec earlier than its position. */
  public int delaySec = 0;
  /** Percentage of frames delayed. */
  public double delayPercent = 0;
  /** Event time of the first frame, unix seconds (the challenge sample starts here). */
  public long startSec = 1_468_244_384L;
  /** Probability that one bit of ts (from {@link #bitflipMinBit} to 62) is flipped. */
  public double bitflipProb = 0;
  /** Lowest bit a bit flip may hit. */
  public int bitflipMinBit = 20;
  /** Probability that ts is written as a string of digits. */
  public double stringTsProb = 0;
  /** Probability of a bad line: truncated, not JSON, missing or ill-typed uid/ts, empty. */
  public double badProb = 0;
  /** Probability that a line repeats one of the last few frames byte for byte. */
  public double dupProb = 0;
  /**
   * Probability of the JSON dialect edges: extra whitespace (spaces, tabs, CR) between tokens, a
   * CRLF line end, an escaped uid ({@code \u0061} for {@code a}) or an escaped root key.
   */
  public double dialectProb = 0;
  /**
   * Live: event time follows the wall clock (the first frame is "now") and lines are paced at
   * {@link #ratePerSec} per second; a count of 0 means no end.
   */
  public boolean live;

  /** Checks every option; the message names the option, the value and the bound. */
  public void validate() {
    require(count >= 0, "-c/--count must be >= 0, got " + count);
    require(ratePerSec >= 1, "-r/--rate must be >= 1, got " + ratePerSec);
    require(users >= 1, "-n/--users must be >= 1, got " + users);
    require(sizeBytes >= 64 && sizeBytes <= 1 << 24, "-l/--size must be between 64 and 16777216, got " + sizeBytes);
    require(delaySec >= 0, "-d/--delay must be >= 0, got " + delaySec);
    require(delayPercent >= 0 && delayPercent <= 100, "-p/--delay-percent must be between 0 and 100, got " + delayPercent);
    require(bitflipMinBit >= 0 && bitflipMinBit <= 62, "--bitflip-min-bit must be between 0 and 62, got " + bitflipMinBit);
    probability("--bitflip-prob", bitflipProb);
    probability("--string-ts-prob", stringTsProb);
    probability("--bad-prob", badProb);
    probability("--dup-prob", dupProb);
    probability("--dialect-prob", dialectProb);
  }

  private static void probability(String name, double p) {
    require(p >= 0 && p <= 1, name + " must be a probability between 0 and 1, got " + p);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw UserException.usage(message);
    }
  }
}
