// Records as the Java reference libraries write them, framed as Confluent's serializers do (KafkaAvroSerializer:
// magic 0, int32 id, Apache Avro's GenericDatumWriter binary; KafkaProtobufSerializer: magic 0, int32 id, the
// message's indexes as protobuf-java's Descriptor gives them, zigzag-varint encoded with [0] as a single 0, then
// the message's bytes). Run on the schema registry's own classpath (.brokers/schema-registry/build/lib), which holds
// Apache Avro, protobuf-java and Apicurio's .proto text parser.
//   avro <id> <schema.avsc text>... <value in Avro's JSON encoding>   (referenced schemas first, the record's last)
//   protobuf <id> <.proto text> <message name> <value as JSON>
// One such case per line of stdin, as a JSON array of strings; one framed record per line of stdout, in base64.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import io.apicurio.registry.utils.protobuf.schema.FileDescriptorUtils;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;

public class SchemaTruth {
  public static void main(String[] ignored) throws Exception {
    ObjectMapper json = new ObjectMapper();
    java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, "UTF-8"));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      if (line.isBlank()) continue;
      System.out.println(framed(json.readValue(line, String[].class)));
    }
  }

  static String framed(String[] args) throws Exception {
    int id = Integer.parseInt(args[1]);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(new byte[] {(byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id});
    if (args[0].equals("avro")) avro(args, out);
    else protobuf(args, out);
    return Base64.getEncoder().encodeToString(out.toByteArray());
  }

  static void avro(String[] args, ByteArrayOutputStream out) throws Exception {
    Schema.Parser parser = new Schema.Parser();
    Schema schema = null;
    for (int i = 2; i < args.length - 1; i++) schema = parser.parse(args[i]);
    Object value = new GenericDatumReader<Object>(schema).read(null, DecoderFactory.get().jsonDecoder(schema, args[args.length - 1]));
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<Object>(schema).write(value, encoder);
    encoder.flush();
  }

  static void protobuf(String[] args, ByteArrayOutputStream out) throws Exception {
    java.util.regex.Matcher pkg = java.util.regex.Pattern.compile("package\\s+([\\w.]+)\\s*;").matcher(args[2]);
    Optional<String> packageName = pkg.find() ? Optional.of(pkg.group(1)) : Optional.empty();
    FileDescriptor file = FileDescriptorUtils.protoFileToFileDescriptor(args[2], "truth.proto", packageName);
    Descriptor descriptor = find(file.getMessageTypes(), args[3]);
    List<Integer> indexes = new ArrayList<>();
    for (Descriptor d = descriptor; d != null; d = d.getContainingType()) indexes.add(0, d.getIndex());
    if (indexes.size() == 1 && indexes.get(0) == 0) out.write(0);
    else {
      writeZigzag(out, indexes.size());
      for (int index : indexes) writeZigzag(out, index);
    }
    out.write(message(descriptor, new ObjectMapper().readTree(args[4])).toByteArray());
  }

  static Descriptor find(List<Descriptor> candidates, String fullName) {
    for (Descriptor d : candidates) {
      if (d.getFullName().equals(fullName)) return d;
      Descriptor nested = find(d.getNestedTypes(), fullName);
      if (nested != null) return nested;
    }
    return null;
  }

  static DynamicMessage message(Descriptor descriptor, JsonNode json) {
    DynamicMessage.Builder builder = DynamicMessage.newBuilder(descriptor);
    for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      FieldDescriptor field = descriptor.findFieldByName(entry.getKey());
      if (field == null) throw new IllegalArgumentException("no field " + entry.getKey());
      builder.setField(field, fieldValue(field, entry.getValue()));
    }
    return builder.build();
  }

  static Object fieldValue(FieldDescriptor field, JsonNode json) {
    switch (field.getJavaType()) {
      case INT: return json.asInt();
      case LONG: return Long.parseLong(json.asText());
      case DOUBLE: return json.asDouble();
      case FLOAT: return (float) json.asDouble();
      case BOOLEAN: return json.asBoolean();
      case STRING: return json.asText();
      case BYTE_STRING: return ByteString.copyFrom(Base64.getDecoder().decode(json.asText()));
      case ENUM: return field.getEnumType().findValueByName(json.asText());
      default: return message(field.getMessageType(), json);
    }
  }

  static void writeZigzag(ByteArrayOutputStream out, int value) {
    int n = (value << 1) ^ (value >> 31);
    while ((n & ~0x7f) != 0) {
      out.write((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.write(n);
  }
}
