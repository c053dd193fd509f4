// What the Kafka broker holds, asked with Kafka's own Java admin client (kafka-clients), for tests that must not
// trust mailroom's kafkajs reading: earliest and latest offsets of each partition of the topics, and a group's
// committed offsets. Usage: java KafkaOffsets.java <bootstrap> <group> <topic>...
// Prints one JSON object: {"topics": {"<topic>": {"<partition>": [earliest, latest]}}, "group": {"<topic>:<partition>": offset}}
import java.util.*;
import java.util.stream.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

public class KafkaOffsets {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    try (Admin admin = Admin.create(props)) {
      List<String> topics = Arrays.asList(args).subList(2, args.length);
      List<TopicPartition> partitions = new ArrayList<>();
      for (TopicDescription d : admin.describeTopics(topics).allTopicNames().get().values()) {
        d.partitions().forEach(p -> partitions.add(new TopicPartition(d.name(), p.partition())));
      }
      var earliest = admin.listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.earliest()))).all().get();
      var latest = admin.listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()))).all().get();
      StringBuilder out = new StringBuilder("{\"topics\":{");
      for (int t = 0; t < topics.size(); t++) {
        String topic = topics.get(t);
        out.append(t == 0 ? "" : ",").append('"').append(topic).append("\":{");
        List<TopicPartition> of = partitions.stream().filter(p -> p.topic().equals(topic)).sorted(Comparator.comparingInt(TopicPartition::partition)).toList();
        for (int i = 0; i < of.size(); i++) {
          TopicPartition p = of.get(i);
          out.append(i == 0 ? "" : ",").append('"').append(p.partition()).append("\":[")
            .append(earliest.get(p).offset()).append(',').append(latest.get(p).offset()).append(']');
        }
        out.append('}');
      }
      out.append("},\"group\":{");
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(args[1]).partitionsToOffsetAndMetadata().get();
      out.append(committed.entrySet().stream().filter(e -> e.getValue() != null)
        .map(e -> "\"" + e.getKey().topic() + ":" + e.getKey().partition() + "\":" + e.getValue().offset())
        .sorted().collect(Collectors.joining(",")));
      out.append("}}");
      System.out.println(out);
    }
  }
}
