// A Spring Kafka application without Spring Boot (spring-kafka's API directly): for each of two topics a
// KafkaMessageListenerContainer whose DefaultErrorHandler sends a failed record to a dead-letter topic at once
// (FixedBackOff(0, 0)) through a DeadLetterPublishingRecoverer. The first topic's recoverer names its DLT the 3.x way
// (`<topic>.DLT`, through a destination resolver); the second uses Spring 4's default resolver (`<topic>-dlt`).
// Values go through an ErrorHandlingDeserializer around a strict UTF-8 check, so bytes that are not UTF-8 are a
// deserialization failure; the listener throws for values starting with "fail". After the stdin command "heal"
// neither fails, so records replayed from the DLTs are consumed.
//
// args: bootstrap group dotTopic dashTopic
// stdin: "send <topic> <partition> <key> <base64 value>", "heal", "exit"
// prints: "assigned <topic>", "sent <topic> <partition> <offset>", "consumed <topic> <partition> <offset> <key> <base64 value>",
//         "failing <key> <exception class>: <message>" (thrown by the listener),
//         "dead-lettered <topic> <partition> <offset> <exception class>", "healed"
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.ConsumerAwareRebalanceListener;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.kafka.support.serializer.ErrorHandlingDeserializer;
import org.springframework.util.backoff.FixedBackOff;

public class SpringDlt {
  static volatile boolean healed = false;

  /** Passes the bytes through, refusing (until healed) bytes that are not UTF-8 text. */
  static class StrictUtf8 implements Deserializer<byte[]> {
    @Override
    public byte[] deserialize(String topic, byte[] data) {
      if (healed || data == null) return data;
      try {
        StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(data));
      } catch (CharacterCodingException e) {
        throw new SerializationException("value is not UTF-8 text", e);
      }
      return data;
    }
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    String bootstrap = args[0];
    String group = args[1];
    KafkaTemplate<String, byte[]> template = new KafkaTemplate<>(new DefaultKafkaProducerFactory<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringSerializer(), new ByteArraySerializer()));
    DefaultKafkaConsumerFactory<String, byte[]> consumers = new DefaultKafkaConsumerFactory<>(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new StringDeserializer(), new ErrorHandlingDeserializer<>(new StrictUtf8()));
    DeadLetterPublishingRecoverer dotDlt = new DeadLetterPublishingRecoverer(template,
        (record, e) -> new TopicPartition(record.topic() + ".DLT", record.partition()));
    DeadLetterPublishingRecoverer defaultDlt = new DeadLetterPublishingRecoverer(template);
    List<KafkaMessageListenerContainer<String, byte[]>> containers = List.of(
        container(consumers, group, args[2], dotDlt), container(consumers, group, args[3], defaultDlt));
    containers.forEach(KafkaMessageListenerContainer::start);

    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null && !line.equals("exit"); ) {
      String[] words = line.trim().split(" ");
      if (words[0].equals("heal")) {
        healed = true;
        say("healed");
      } else if (words[0].equals("send")) {
        var sent = template.send(words[1], Integer.parseInt(words[2]), words[3], Base64.getDecoder().decode(words[4])).get();
        say("sent " + sent.getRecordMetadata().topic() + " " + sent.getRecordMetadata().partition() + " " + sent.getRecordMetadata().offset());
      }
    }
    containers.forEach(KafkaMessageListenerContainer::stop);
    template.destroy();
  }

  static KafkaMessageListenerContainer<String, byte[]> container(DefaultKafkaConsumerFactory<String, byte[]> consumers,
      String group, String topic, DeadLetterPublishingRecoverer dlt) {
    ContainerProperties props = new ContainerProperties(topic);
    props.setGroupId(group);
    props.setMessageListener((MessageListener<String, byte[]>) record -> {
      if (!healed && new String(record.value(), StandardCharsets.UTF_8).startsWith("fail")) {
        IllegalStateException failure = new IllegalStateException("cannot process " + record.key());
        say("failing " + record.key() + " " + failure);
        throw failure;
      }
      say("consumed " + record.topic() + " " + record.partition() + " " + record.offset() + " " + record.key() + " "
          + Base64.getEncoder().encodeToString(record.value()));
    });
    props.setConsumerRebalanceListener(new ConsumerAwareRebalanceListener() {
      @Override
      public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        if (!partitions.isEmpty()) say("assigned " + topic);
      }
    });
    KafkaMessageListenerContainer<String, byte[]> container = new KafkaMessageListenerContainer<>(consumers, props);
    container.setCommonErrorHandler(new DefaultErrorHandler((ConsumerRecord<?, ?> record, Exception e) -> {
      dlt.accept(record, e);
      say("dead-lettered " + record.topic() + " " + record.partition() + " " + record.offset() + " " + e.getClass().getName());
    }, new FixedBackOff(0, 0)));
    return container;
  }

  static synchronized void say(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
