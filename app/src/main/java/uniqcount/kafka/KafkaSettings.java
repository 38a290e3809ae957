package uniqcount.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import uniqcount.UserException;

/**
 * Client settings shared by the consumer, the producer and the admin client: {@code
 * --kafka-config FILE} first, then every {@code -X key=value}, then {@code --bootstrap-servers}.
 * Passed through untouched (SASL, TLS, anything); values are never printed — {@link #toString()}
 * shows keys only.
 */
public final class KafkaSettings {
  private final Map<String, String> values;

  private KafkaSettings(Map<String, String> values) {
    this.values = values;
  }

  /**
   * @param bootstrapServers {@code host:port[,host:port]}
   * @param configFile a Java properties file, or null
   * @param overrides {@code key=value} pairs from {@code -X}
   * @throws UserException naming a bad pair or an unreadable file
   */
  public static KafkaSettings of(String bootstrapServers, Path configFile, Iterable<String> overrides) {
    Map<String, String> v = new TreeMap<>();
    if (configFile != null) {
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(configFile)) {
        p.load(in);
      } catch (NoSuchFileException e) {
        throw UserException.usage("--kafka-config " + configFile + ": no such file");
      } catch (IOException e) {
        throw UserException.usage("--kafka-config " + configFile + ": cannot read (" + e.getMessage() + ")");
      }
      p.stringPropertyNames().forEach(k -> v.put(k, p.getProperty(k)));
    }
    for (String pair : overrides) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw UserException.usage("-X expects key=value, got '" + redact(pair) + "'");
      }
      v.put(pair.substring(0, eq).trim(), pair.substring(eq + 1));
    }
    if (bootstrapServers != null) {
      v.put("bootstrap.servers", bootstrapServers);
    }
    if (!v.containsKey("bootstrap.servers")) {
      throw UserException.usage("--bootstrap-servers is required for Kafka (or bootstrap.servers in --kafka-config)");
    }
    return new KafkaSettings(v);
  }

  private static String redact(String pair) {
    return pair.length() > 12 ? pair.substring(0, 12) + "…" : pair;
  }

  /**
   * Makes a Kafka client; a configuration error (a missing truststore, a bad JAAS line, a value
   * of the wrong type) becomes one {@link UserException} line naming the client and the cause,
   * with no setting's value in it.
   *
   * @param client what is being made, for the message: "consumer", "producer", "admin client"
   */
  public <T> T create(String client, java.util.function.Supplier<T> factory) {
    try {
      return factory.get();
    } catch (org.apache.kafka.common.KafkaException e) {
      throw error("cannot set up the Kafka " + client, e);
    }
  }

  /**
   * One user-facing line for a Kafka client failure: {@code what}, then the innermost cause's
   * message with every configured value taken out (an invalid value is echoed by Kafka's own
   * message; a secret must never reach a log).
   */
  public UserException error(String what, Throwable e) {
    StringBuilder chain = new StringBuilder();
    String last = null;
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      String m = t instanceof java.nio.file.NoSuchFileException ? "no such file " + t.getMessage() : t.getMessage();
      if (m != null && !m.isBlank() && (last == null || !last.contains(m))) {
        chain.append(chain.length() == 0 ? "" : ": ").append(m.strip());
        last = m;
      }
    }
    String message = chain.length() == 0 ? e.getClass().getSimpleName() : chain.toString();
    return UserException.failure(what + ": " + redactValues(message.replace('\n', ' ')), e);
  }

  /**
   * The message with Kafka's "Invalid value X for configuration k" masked, and the value of every
   * secret setting (passwords, keys, JAAS lines, tokens) wherever it appears.
   */
  String redactValues(String message) {
    String m = message.replaceAll("Invalid value (?s:.*?) for configuration ", "Invalid value for configuration ");
    for (Map.Entry<String, String> e : values.entrySet()) {
      String v = e.getValue();
      if (v != null && v.length() >= 3 && SECRET.matcher(e.getKey()).find()) {
        m = m.replace(v, "***");
      }
    }
    return m;
  }

  /** Settings whose values are secrets: passwords, JAAS lines, private keys, client secrets, tokens (not their URLs). */
  private static final java.util.regex.Pattern SECRET =
      java.util.regex.Pattern.compile("(?i)password|secret|jaas\\.config|\\.key$|keystore\\.key|token$|credentials?$");

  /** The bootstrap servers (not a secret). */
  public String bootstrapServers() {
    return values.get("bootstrap.servers");
  }

  /** A fresh map of the settings with {@code defaults} under them (settings win). */
  public Map<String, Object> with(Map<String, Object> defaults) {
    Map<String, Object> m = new TreeMap<>(defaults);
    m.putAll(values);
    return m;
  }

  @Override
  public String toString() {
    return "KafkaSettings" + values.keySet();
  }
}
