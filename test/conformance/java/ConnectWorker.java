// Kafka Connect in standalone mode (connect-runtime, connect-file, connect-json and connect-transforms from the
// gathered jars, all on the classpath): args are ConnectStandalone's, a worker properties file then connector files.
import org.apache.kafka.connect.cli.ConnectStandalone;

public class ConnectWorker {
  public static void main(String[] args) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    ConnectStandalone.main(args);
  }
}
