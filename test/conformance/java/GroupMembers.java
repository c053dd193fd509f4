// Real Kafka consumers (kafka-clients KafkaConsumer) of either group protocol, and Kafka's own ConsumerGroupCommand,
// in one JVM driven by commands on stdin, one per line:
//   start <name> <group> <classic|consumer> <topic> <commit|nocommit>  a member that subscribes, polls and (with commit)
//                                                                      commits what it read after each poll
//   pause <name>          the member keeps polling (stays in the group) but reads nothing more
//   exit <name>           the member leaves the group (close)
//   tool <id> <args...>   runs kafka-consumer-groups (ConsumerGroupCommand) with these arguments
//   quit
// It prints "ready" once it reads commands, "assigned <name> <partitions>" on each assignment, "read <name> <total>"
// after each poll that read records, "committed <name> <total>", "paused <name>", "exited <name>", and for a tool
// run its output between "tool-begin <id>" and "tool-end <id> <exit code>".
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.tools.consumer.group.ConsumerGroupCommand;

public class GroupMembers {
  /** MAILROOM_KAFKA_BROKERS, as the test and the CLI read it, points at another broker. */
  static final String BOOTSTRAP = System.getenv().getOrDefault("MAILROOM_KAFKA_BROKERS", "127.0.0.1:9092");
  static final PrintStream OUT = System.out;
  static final Map<String, Member> members = new ConcurrentHashMap<>();

  static synchronized void say(String line) {
    OUT.println(line);
    OUT.flush();
  }

  static class Member implements Runnable {
    final String name;
    final KafkaConsumer<byte[], byte[]> consumer;
    final String topic;
    final boolean commit;
    final ConcurrentLinkedQueue<String> commands = new ConcurrentLinkedQueue<>();
    final Thread thread;
    long read = 0;

    Member(String name, String group, String protocol, String topic, boolean commit) {
      Properties p = new Properties();
      p.put("bootstrap.servers", BOOTSTRAP);
      p.put("group.id", group);
      p.put("group.protocol", protocol);
      p.put("client.id", name);
      p.put("auto.offset.reset", "earliest");
      p.put("enable.auto.commit", "false");
      p.put("max.poll.records", "50");
      if (protocol.equals("classic")) p.put("partition.assignment.strategy", "org.apache.kafka.clients.consumer.RangeAssignor");
      this.name = name;
      this.topic = topic;
      this.commit = commit;
      this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
      this.thread = new Thread(this, "member-" + name);
    }

    public void run() {
      consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        public void onPartitionsRevoked(Collection<TopicPartition> parts) {}
        public void onPartitionsAssigned(Collection<TopicPartition> parts) {
          say("assigned " + name + " " + consumer.assignment().stream().map(tp -> String.valueOf(tp.partition())).sorted().toList());
        }
      });
      try {
        for (;;) {
          for (String command; (command = commands.poll()) != null; ) {
            if (command.equals("exit")) {
              consumer.close();
              say("exited " + name);
              return;
            }
            if (command.equals("pause")) {
              consumer.pause(consumer.assignment());
              say("paused " + name);
            }
          }
          ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
          // Partitions assigned after a pause are paused too: a paused member reads nothing more.
          if (!consumer.paused().isEmpty()) consumer.pause(consumer.assignment());
          if (records.isEmpty()) continue;
          read += records.count();
          say("read " + name + " " + read);
          if (commit) {
            consumer.commitSync();
            say("committed " + name + " " + read);
          }
        }
      } catch (WakeupException e) {
        consumer.close();
      }
    }
  }

  static void runTool(String id, String[] args) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int[] code = {0};
    Exit.setExitProcedure((status, message) -> {
      code[0] = status;
      throw new RuntimeException("exit " + status);
    });
    PrintStream previous = System.out;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      ConsumerGroupCommand.main(args);
    } catch (RuntimeException e) {
      if (!String.valueOf(e.getMessage()).startsWith("exit ")) throw e;
    } finally {
      System.setOut(previous);
      Exit.resetExitProcedure();
    }
    synchronized (GroupMembers.class) {
      OUT.println("tool-begin " + id);
      OUT.print(captured.toString(StandardCharsets.UTF_8));
      OUT.println("tool-end " + id + " " + code[0]);
      OUT.flush();
    }
  }

  public static void main(String[] args) throws Exception {
    // Before any logger exists: the clients' INFO chatter would bury the answers (stderr is read with stdout).
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    say("ready");
    for (String line; (line = in.readLine()) != null; ) {
      String[] words = line.trim().split("\\s+");
      switch (words[0]) {
        case "start" -> {
          Member m = new Member(words[1], words[2], words[3], words[4], words[5].equals("commit"));
          members.put(m.name, m);
          m.thread.start();
        }
        case "pause", "exit" -> members.get(words[1]).commands.add(words[0]);
        case "tool" -> runTool(words[1], Arrays.copyOfRange(words, 2, words.length));
        case "quit" -> {
          for (Member m : members.values()) m.commands.add("exit");
          for (Member m : members.values()) m.thread.join(15_000);
          say("bye");
          System.exit(0);
        }
        default -> say("unknown command " + words[0]);
      }
    }
    System.exit(0);
  }
}
