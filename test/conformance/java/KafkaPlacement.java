// Where records sit in a Kafka topic, as Kafka's own Java client sees and places them. Keys are hex ("-" for none),
// so any bytes, not only UTF-8, pass through.
//   produce <bootstrap> <topic>  a real KafkaProducer (default partitioner, acks=all) sends one record per stdin line
//                                "<hex key>\t<value>"; prints "produced <n>"
//   read <bootstrap> <topic>...  a KafkaConsumer reads every record of the topics from the beginning to the end
//                                offsets taken at start; prints "<topic>\t<partition>\t<offset>\t<hex key>\t<value>"
//   ends <bootstrap> <topic>     the topic's end offsets: "<partition>\t<end>" per partition
//   murmur2                      for each stdin line "<hex key>": "<hex key>\t<Utils.murmur2(key)>"
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;

public class KafkaPlacement {
  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "produce" -> produce(args[1], args[2]);
      case "read" -> read(args[1], List.of(args).subList(2, args.length));
      case "ends" -> ends(args[1], args[2]);
      case "murmur2" -> {
        for (String line : stdinLines()) System.out.println(line + "\t" + Utils.murmur2(keyOf(line)));
      }
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
  }

  static List<String> stdinLines() throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    List<String> lines = new ArrayList<>();
    for (String line; (line = in.readLine()) != null; ) if (!line.isEmpty()) lines.add(line);
    return lines;
  }

  static byte[] keyOf(String hex) {
    return hex.equals("-") ? null : HexFormat.of().parseHex(hex);
  }

  static String hexOf(byte[] key) {
    return key == null ? "-" : HexFormat.of().formatHex(key);
  }

  static void produce(String bootstrap, String topic) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    List<String> lines = stdinLines();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (String line : lines) {
        String[] parts = line.split("\t", 2);
        producer.send(new ProducerRecord<>(topic, keyOf(parts[0]), parts[1].getBytes(StandardCharsets.UTF_8)));
      }
      producer.flush();
    }
    System.out.println("produced " + lines.size());
  }

  static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return new KafkaConsumer<>(p);
  }

  static List<TopicPartition> partitionsOf(KafkaConsumer<?, ?> consumer, String topic) {
    List<TopicPartition> partitions = new ArrayList<>();
    for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) partitions.add(new TopicPartition(topic, info.partition()));
    return partitions;
  }

  static void read(String bootstrap, List<String> topics) {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : topics) partitions.addAll(partitionsOf(consumer, topic));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      long deadline = System.currentTimeMillis() + 60_000;
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("did not reach the end offsets " + ends);
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          System.out.println(r.topic() + "\t" + r.partition() + "\t" + r.offset() + "\t" + hexOf(r.key()) + "\t" + new String(r.value(), StandardCharsets.UTF_8));
        }
      }
    }
  }

  static void ends(String bootstrap, String topic) {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap)) {
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitionsOf(consumer, topic), Duration.ofSeconds(30));
      Map<Integer, Long> sorted = new TreeMap<>();
      ends.forEach((tp, end) -> sorted.put(tp.partition(), end));
      sorted.forEach((partition, end) -> System.out.println(partition + "\t" + end));
    }
  }
}
