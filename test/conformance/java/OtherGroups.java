// Members of the group types that are not consumer groups, run by Kafka's own clients, and Kafka's own tools for
// them, in one JVM driven by commands on stdin, one per line (bootstrap first on the command line):
//   earliest <group>                     sets the share group's share.auto.offset.reset to earliest (Admin, group config)
//   share <name> <group> <topic>         a KafkaShareConsumer (share group, KIP-932) that polls and acknowledges
//                                        everything it gets (implicit acknowledgement, committed with commitSync)
//   streams <name> <app-id> <topic>      a Kafka Streams app (group.protocol=streams, KIP-1071) that counts the topic's
//                                        records per key into a state store
//   exit <name>                          the member leaves its group (close)
//   tool <id> share|streams <args...>    runs kafka-share-groups (ShareGroupCommand) or kafka-streams-groups
//                                        (StreamsGroupCommand) with these arguments
//   quit
// It prints "ready", "read <name> <total>" after each poll that read records, "acked <name> <total>" once they are
// acknowledged, "running <name>" when a Streams app reaches RUNNING, "exited <name>", and a tool's output between
// "tool-begin <id>" and "tool-end <id> <exit code>".
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.tools.consumer.group.ShareGroupCommand;
import org.apache.kafka.tools.streams.StreamsGroupCommand;

public class OtherGroups {
  static String bootstrap;
  static final PrintStream OUT = System.out;
  static final Map<String, Runnable> closers = new ConcurrentHashMap<>();

  static synchronized void say(String line) {
    OUT.println(line);
    OUT.flush();
  }

  static class ShareMember implements Runnable {
    final String name;
    final String topic;
    final KafkaShareConsumer<byte[], byte[]> consumer;
    final ConcurrentLinkedQueue<String> commands = new ConcurrentLinkedQueue<>();
    long read = 0;

    ShareMember(String name, String group, String topic) {
      Properties p = new Properties();
      p.put("bootstrap.servers", bootstrap);
      p.put("group.id", group);
      p.put("client.id", name);
      this.name = name;
      this.topic = topic;
      this.consumer = new KafkaShareConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    public void run() {
      consumer.subscribe(List.of(topic));
      for (;;) {
        if ("exit".equals(commands.poll())) {
          consumer.close();
          say("exited " + name);
          return;
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) continue;
        read += records.count();
        say("read " + name + " " + read);
        consumer.commitSync();
        say("acked " + name + " " + read);
      }
    }
  }

  static void startShare(String name, String group, String topic) {
    ShareMember m = new ShareMember(name, group, topic);
    closers.put(name, () -> m.commands.add("exit"));
    new Thread(m, "share-" + name).start();
  }

  static void startStreams(String name, String appId, String topic) throws Exception {
    Properties p = new Properties();
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    p.put(StreamsConfig.CLIENT_ID_CONFIG, name);
    p.put(StreamsConfig.GROUP_PROTOCOL_CONFIG, "streams");
    p.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("mailroom-streams-").toString());
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "200");
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArray().getClass());
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArray().getClass());
    p.put("consumer.auto.offset.reset", "earliest");
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(topic).groupByKey().count();
    KafkaStreams streams = new KafkaStreams(builder.build(), p);
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.RUNNING) say("running " + name);
      if (now == KafkaStreams.State.ERROR) say("failed " + name);
    });
    streams.setUncaughtExceptionHandler(e -> {
      say("error " + name + " " + e);
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    closers.put(name, () -> new Thread(() -> {
      streams.close(Duration.ofSeconds(30));
      say("exited " + name);
    }).start());
    streams.start();
  }

  static void earliest(String group) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(p)) {
      ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
      AlterConfigOp set = new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET);
      admin.incrementalAlterConfigs(Map.of(resource, List.of(set))).all().get();
    }
    say("earliest " + group);
  }

  static void runTool(String id, String which, String[] args) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int[] code = {0};
    Exit.setExitProcedure((status, message) -> {
      code[0] = status;
      throw new RuntimeException("exit " + status);
    });
    PrintStream previous = System.out;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      if (which.equals("share")) ShareGroupCommand.main(args);
      else StreamsGroupCommand.main(args);
    } catch (RuntimeException e) {
      if (!String.valueOf(e.getMessage()).startsWith("exit ")) throw e;
    } finally {
      System.setOut(previous);
      Exit.resetExitProcedure();
    }
    synchronized (OtherGroups.class) {
      OUT.println("tool-begin " + id);
      OUT.print(captured.toString(StandardCharsets.UTF_8));
      OUT.println("tool-end " + id + " " + code[0]);
      OUT.flush();
    }
  }

  public static void main(String[] args) throws Exception {
    // Before any logger exists: the clients' INFO chatter would bury the answers (stderr is read with stdout).
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    bootstrap = args[0];
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    say("ready");
    for (String line; (line = in.readLine()) != null; ) {
      String[] words = line.trim().split("\\s+");
      switch (words[0]) {
        case "earliest" -> earliest(words[1]);
        case "share" -> startShare(words[1], words[2], words[3]);
        case "streams" -> startStreams(words[1], words[2], words[3]);
        case "exit" -> closers.remove(words[1]).run();
        case "tool" -> runTool(words[1], words[2], Arrays.copyOfRange(words, 3, words.length));
        case "quit" -> {
          closers.values().forEach(Runnable::run);
          Thread.sleep(2_000);
          say("bye");
          System.exit(0);
        }
        default -> say("unknown command " + words[0]);
      }
    }
    System.exit(0);
  }
}
