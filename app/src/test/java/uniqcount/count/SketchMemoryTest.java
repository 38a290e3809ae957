package uniqcount.count;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** What DataSketches Memory's version check is shown (the JDK it runs on is covered by {@code NewerJdkTest}). */
class SketchMemoryTest {
  @Test
  void isShownAVersionItKnowsOnlyWhereItWouldRefuseTheRealOne() {
    assertNull(SketchMemory.shownVersion(17));
    assertNull(SketchMemory.shownVersion(21));
    assertEquals("17", SketchMemory.shownVersion(18));
    assertEquals("17", SketchMemory.shownVersion(20));
    assertEquals("21", SketchMemory.shownVersion(22));
    assertEquals("21", SketchMemory.shownVersion(25));
  }

  @Test
  void leavesTheJavaVersionPropertyAsItWas() {
    String before = System.getProperty("java.version");
    SketchMemory.load();
    assertEquals(before, System.getProperty("java.version"));
    assertEquals(2.0, SketchImage.estimate(12, registersWithTwo()), 0.01);
  }

  private static byte[] registersWithTwo() {
    byte[] r = new byte[1 << 12];
    r[5] = 1;
    r[900] = 2;
    return r;
  }
}
