package uniqcount.broker;

/**
 * A program that starts an embedded broker, prints "broker PID PORT" and waits, with no shutdown
 * of its own (as {@code bench --kafka}): what stops it is the JVM exiting.
 */
public final class BrokerHolder {
  private BrokerHolder() {
  }

  public static void main(String[] args) throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start();
    String servers = kafka.bootstrapServers();
    System.out.println("broker " + kafka.pid() + " " + servers.substring(servers.lastIndexOf(':') + 1));
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
