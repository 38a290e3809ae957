package uniqcount.frame;

/**
 * Every {@link FrameDecoderTest} with the Vector API fast pass in front of the exact pass (tests
 * run with {@code --add-modules jdk.incubator.vector}; on JDK 17 it is slow but must be right).
 */
class VectorFrameDecoderTest extends FrameDecoderTest {
  @Override
  FrameDecoder newDecoder(int maxFrameBytes) {
    return new FrameDecoder("uid", "ts", maxFrameBytes, BlockScanner.choose(BlockScanner.Choice.VECTOR), false);
  }
}
