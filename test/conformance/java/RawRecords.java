// Prints every record of some topics (args: bootstrap topic...), from the beginning to the end offsets captured at
// start, as read by Kafka's own Java consumer: one JSON line per record with its topic, position, and the key, value
// and each header's raw bytes in base64, headers in the order the broker returns them. The ground truth conformance tests compare mailroom's reading with.
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class RawRecords {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    ObjectMapper json = new ObjectMapper();
    Base64.Encoder b64 = Base64.getEncoder();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : Arrays.copyOfRange(args, 1, args.length)) {
        consumer.partitionsFor(topic, Duration.ofSeconds(30)).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.currentTimeMillis() + 30_000;
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("did not reach the end offsets " + end);
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) continue;
          ObjectNode line = json.createObjectNode();
          line.put("topic", r.topic());
          line.put("partition", r.partition());
          line.put("offset", String.valueOf(r.offset()));
          line.put("timestamp", r.timestamp());
          line.put("key", r.key() == null ? null : b64.encodeToString(r.key()));
          line.put("value", r.value() == null ? null : b64.encodeToString(r.value()));
          ArrayNode headers = line.putArray("headers");
          for (Header h : r.headers()) headers.addArray().add(h.key()).add(h.value() == null ? null : b64.encodeToString(h.value()));
          System.out.println(json.writeValueAsString(line));
        }
      }
    }
  }
}
