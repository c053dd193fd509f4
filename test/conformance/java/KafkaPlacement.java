// Where Kafka's own Java client places records (reading them back is KafkaTruth.java's). Keys are hex ("-" for
// none), so any bytes, not only UTF-8, pass through.
//   produce <bootstrap> <topic>  a real KafkaProducer (default partitioner, acks=all) sends one record per stdin line
//                                "<hex key>\t<value>"; prints "produced <n>"
//   murmur2                      for each stdin line "<hex key>": "<hex key>\t<Utils.murmur2(key)>"
//   partition <n>                for each stdin line, a text key: "<key>\t<partition>", the partition the default
//                                partitioner (BuiltInPartitioner) chooses for its UTF-8 bytes on a topic of n partitions
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;

public class KafkaPlacement {
  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "produce" -> produce(args[1], args[2]);
      case "murmur2" -> {
        for (String line : stdinLines()) System.out.println(line + "\t" + Utils.murmur2(keyOf(line)));
      }
      case "partition" -> {
        int partitions = Integer.parseInt(args[1]);
        for (String key : stdinLines()) System.out.println(key + "\t" + BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), partitions));
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
}
