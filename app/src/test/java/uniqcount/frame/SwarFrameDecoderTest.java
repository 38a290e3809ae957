package uniqcount.frame;

/** Every {@link FrameDecoderTest} with the SWAR fast pass in front of the exact pass. */
class SwarFrameDecoderTest extends FrameDecoderTest {
  @Override
  FrameDecoder newDecoder(int maxFrameBytes) {
    return new FrameDecoder("uid", "ts", maxFrameBytes, BlockScanner.choose(BlockScanner.Choice.SWAR), false);
  }
}
