// What the Kafka broker holds, read with Kafka's own Java clients (kafka-clients), never with kafkajs, which mailroom
// uses: the ground truth tests compare mailroom's doings with. Each command prints one JSON document on one line.
//   records <bootstrap> <topic>...  every record of the topics, from the beginning to the end offsets taken at start,
//                                   by a plain KafkaConsumer: [{topic, partition, offset (a string), timestamp, key,
//                                   value, headers: [[name, value]...]}], bytes in base64 (null stays null), headers
//                                   in the order the broker returns them
//   offsets <bootstrap> <topic>... [--group <group>]
//                                   the Admin client's earliest and latest offset of each partition, and the group's
//                                   committed offsets: {"topics": {"<topic>": {"<partition>": [earliest, latest]}},
//                                   "group": {"<topic>:<partition>": offset}} ("group" only with --group)
//   topics <bootstrap>              the topic names: ["<topic>"...]
//   producers <bootstrap> <topic>   the producers the broker tracks per partition (Admin.describeProducers), as
//                                   idempotent producers write with ids and sequence numbers:
//                                   {"<partition>": [{"producerId", "epoch", "lastSequence"}]}
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class KafkaTruth {
  static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    List<String> rest = List.of(args).subList(2, args.length);
    Object answer = switch (args[0]) {
      case "records" -> records(args[1], rest);
      case "offsets" -> {
        int flag = rest.indexOf("--group");
        yield flag < 0 ? offsets(args[1], rest, null) : offsets(args[1], rest.subList(0, flag), rest.get(flag + 1));
      }
      case "topics" -> topics(args[1]);
      case "producers" -> producers(args[1], args[2]);
      default -> throw new IllegalArgumentException("unknown command " + args[0]);
    };
    System.out.println(JSON.writeValueAsString(answer));
  }

  static String base64(byte[] bytes) {
    return bytes == null ? null : Base64.getEncoder().encodeToString(bytes);
  }

  static ArrayNode records(String bootstrap, List<String> topics) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    ArrayNode out = JSON.createArrayNode();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : topics) {
        consumer.partitionsFor(topic, Duration.ofSeconds(30)).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      long deadline = System.currentTimeMillis() + 60_000;
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("did not reach the end offsets " + end);
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) continue;
          ObjectNode record = out.addObject();
          record.put("topic", r.topic());
          record.put("partition", r.partition());
          record.put("offset", String.valueOf(r.offset()));
          record.put("timestamp", r.timestamp());
          record.put("key", base64(r.key()));
          record.put("value", base64(r.value()));
          ArrayNode headers = record.putArray("headers");
          for (Header h : r.headers()) headers.addArray().add(h.key()).add(base64(h.value()));
        }
      }
    }
    return out;
  }

  static Admin admin(String bootstrap) {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return Admin.create(props);
  }

  static ObjectNode offsets(String bootstrap, List<String> topics, String group) throws Exception {
    ObjectNode out = JSON.createObjectNode();
    try (Admin admin = admin(bootstrap)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (TopicDescription d : admin.describeTopics(topics).allTopicNames().get().values()) {
        d.partitions().forEach(p -> partitions.add(new TopicPartition(d.name(), p.partition())));
      }
      partitions.sort(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
      var earliest = admin.listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.earliest()))).all().get();
      var latest = admin.listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()))).all().get();
      ObjectNode byTopic = out.putObject("topics");
      for (String topic : topics) byTopic.putObject(topic);
      for (TopicPartition p : partitions) {
        ((ObjectNode) byTopic.get(p.topic())).putArray(String.valueOf(p.partition())).add(earliest.get(p).offset()).add(latest.get(p).offset());
      }
      if (group == null) return out;
      ObjectNode committed = out.putObject("group");
      Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      offsets.entrySet().stream().filter(e -> e.getValue() != null)
          .sorted(Comparator.comparing((Map.Entry<TopicPartition, OffsetAndMetadata> e) -> e.getKey().topic()).thenComparingInt(e -> e.getKey().partition()))
          .forEach(e -> committed.put(e.getKey().topic() + ":" + e.getKey().partition(), e.getValue().offset()));
    }
    return out;
  }

  static ObjectNode producers(String bootstrap, String topic) throws Exception {
    ObjectNode out = JSON.createObjectNode();
    try (Admin admin = admin(bootstrap)) {
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      List<TopicPartition> partitions = new ArrayList<>();
      d.partitions().forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      var states = admin.describeProducers(partitions).all().get();
      for (TopicPartition p : partitions) {
        ArrayNode list = out.putArray(String.valueOf(p.partition()));
        states.get(p).activeProducers().forEach(s -> list.addObject()
            .put("producerId", s.producerId()).put("epoch", s.producerEpoch()).put("lastSequence", s.lastSequence()));
      }
    }
    return out;
  }

  static ArrayNode topics(String bootstrap) throws Exception {
    ArrayNode out = JSON.createArrayNode();
    try (Admin admin = admin(bootstrap)) {
      new TreeSet<>(admin.listTopics().names().get()).forEach(out::add);
    }
    return out;
  }
}
