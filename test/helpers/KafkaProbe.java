// Ground truth for Kafka tests, from Kafka's own Java client (kafka-clients in scripts/kafka/target/libs), not from
// kafkajs, which mailroom uses. Run: java -cp 'scripts/kafka/target/libs/*' test/helpers/KafkaProbe.java <command>
//   records <topic>            every record from the beginning to the current end: partition, offset, key, value, headers
//   committed <group> <topic>  the group's committed offset per partition
//   topics                     the topic names
// Each result is one line starting with "PROBE " followed by JSON, so log lines on stdout cannot be mistaken for it.
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class KafkaProbe {
  static final String SERVERS = System.getenv().getOrDefault("KAFKA_BOOTSTRAP", "127.0.0.1:9092");

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "records" -> records(args[1]);
      case "committed" -> committed(args[1], args[2]);
      case "topics" -> topics();
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  static void records(String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SERVERS);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(10)).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> ends = c.endOffsets(parts);
      long deadline = System.currentTimeMillis() + 30_000;
      while (parts.stream().anyMatch(tp -> c.position(tp) < ends.get(tp))) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("records: end not reached in 30 s");
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          StringBuilder h = new StringBuilder("{");
          for (Header header : r.headers()) {
            if (h.length() > 1) h.append(',');
            h.append(json(header.key())).append(':').append(json(text(header.value())));
          }
          h.append('}');
          System.out.println("PROBE {\"partition\":" + r.partition() + ",\"offset\":" + r.offset() + ",\"key\":" + json(text(r.key())) + ",\"value\":" + json(text(r.value())) + ",\"headers\":" + h + "}");
        }
      }
    }
  }

  static void committed(String group, String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", SERVERS))) {
      Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      StringBuilder out = new StringBuilder("{");
      for (var e : offsets.entrySet()) {
        if (!e.getKey().topic().equals(topic) || e.getValue() == null) continue;
        if (out.length() > 1) out.append(',');
        out.append('"').append(e.getKey().partition()).append("\":").append(e.getValue().offset());
      }
      System.out.println("PROBE " + out.append('}'));
    }
  }

  static void topics() throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", SERVERS))) {
      StringBuilder out = new StringBuilder("[");
      for (String name : admin.listTopics().names().get()) out.append(out.length() > 1 ? "," : "").append(json(name));
      System.out.println("PROBE " + out.append(']'));
    }
  }

  static String text(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  static String json(String s) {
    if (s == null) return "null";
    StringBuilder b = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      if (ch == '"' || ch == '\\') b.append('\\').append(ch);
      else if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
      else b.append(ch);
    }
    return b.append('"').toString();
  }
}
