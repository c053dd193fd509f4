// Prints, for each key read from stdin (one per line), the partition Kafka's Java producer's default partitioner
// chooses on a topic of N partitions (args[0]): toPositive(murmur2(keyBytes)) % N, Kafka's BuiltInPartitioner rule.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;

public class Murmur2Partition {
  public static void main(String[] args) throws Exception {
    int partitions = Integer.parseInt(args[0]);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String key; (key = in.readLine()) != null; ) {
      System.out.println(key + "\t" + BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), partitions));
    }
  }
}
