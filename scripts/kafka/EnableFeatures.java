// Raises Kafka features of a running cluster to at least the wanted levels, online (no restart), as
// `kafka-features.sh upgrade --feature name=level` would: `java -cp 'libs/*' EnableFeatures.java <bootstrap> name=level...`.
// A feature already at or above its level is left alone; one the broker does not support at that level is reported
// and skipped (exit 0: the harness goes on without it). Prints one line per feature: "<name> <level> <what happened>".
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.FeatureUpdate;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.SupportedVersionRange;
import org.apache.kafka.clients.admin.UpdateFeaturesOptions;

public class EnableFeatures {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    try (Admin admin = Admin.create(props)) {
      FeatureMetadata features = admin.describeFeatures().featureMetadata().get();
      for (int i = 1; i < args.length; i++) {
        String[] wanted = args[i].split("=");
        String name = wanted[0];
        short level = Short.parseShort(wanted[1]);
        FinalizedVersionRange finalized = features.finalizedFeatures().get(name);
        SupportedVersionRange supported = features.supportedFeatures().get(name);
        if (finalized != null && finalized.maxVersionLevel() >= level) {
          System.out.println(name + " " + finalized.maxVersionLevel() + " already");
        } else if (supported == null || supported.maxVersion() < level) {
          System.out.println(name + " " + (finalized == null ? 0 : finalized.maxVersionLevel()) + " unsupported by the broker");
        } else {
          admin.updateFeatures(Map.of(name, new FeatureUpdate(level, FeatureUpdate.UpgradeType.UPGRADE)), new UpdateFeaturesOptions()).all().get();
          System.out.println(name + " " + level + " upgraded");
        }
      }
    }
  }
}
