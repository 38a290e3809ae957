package uniqcount.count;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** What DataSketches Memory's version check is shown (the JDK it runs on is covered by {@code NewerJdkTest}). */
class SketchMemoryTest {
  @Test
  void isShownAPlainVersionItAccepts() {
    assertEquals("17", SketchMemory.shownVersion(17));
    assertEquals("17", SketchMemory.shownVersion(18));
    assertEquals("17", SketchMemory.shownVersion(20));
    assertEquals("21", SketchMemory.shownVersion(21));
    assertEquals("21", SketchMemory.shownVersion(25));
  }

  @Test
  void theJavaVersionPropertyIsShownOnlyWhileTheClassInitialises() {
    String real = System.getProperty("java.version");
    String[] seen = new String[1];
    SketchMemory.withJavaVersion("17", () -> seen[0] = System.getProperty("java.version"));
    assertEquals("17", seen[0]);
    assertEquals(real, System.getProperty("java.version"));
    assertThrows(IllegalStateException.class, () -> SketchMemory.withJavaVersion("21", () -> {
      throw new IllegalStateException("failed while shown");
    }));
    assertEquals(real, System.getProperty("java.version"), "restored after a failure too");
  }

  @Test
  void estimatesAfterLoading() {
    SketchMemory.load();
    byte[] registers = new byte[1 << 12];
    registers[5] = 1;
    registers[900] = 2;
    assertEquals(2.0, SketchImage.estimate(12, registers), 0.01);
  }
}
