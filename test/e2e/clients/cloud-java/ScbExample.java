import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.nio.file.Paths;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The Java driver 4 in cloud mode with nothing but the zip:
 * CqlSession.builder().withCloudSecureConnectBundle(zip). Built with the bundle's own
 * platforms/java-driver-4/pom.xml (whose main class is ScbExample, hence the name). Runs
 * `SELECT host_id FROM system.local` 8 times and prints one JSON line:
 * {"releaseVersion":"..","hostIds":[...distinct node host_ids]}.
 */
public class ScbExample {
  public static void main(String[] args) {
    try (CqlSession session = CqlSession.builder().withCloudSecureConnectBundle(Paths.get(args[0])).build()) {
      TreeSet<String> hostIds = new TreeSet<>();
      String releaseVersion = null;
      for (int i = 0; i < 8; i++) {
        Row row = session.execute("SELECT host_id, release_version FROM system.local").one();
        hostIds.add(row.getUuid("host_id").toString());
        releaseVersion = row.getString("release_version");
      }
      String ids = hostIds.stream().map(id -> "\"" + id + "\"").collect(Collectors.joining(","));
      System.out.println("{\"releaseVersion\":\"" + releaseVersion + "\",\"hostIds\":[" + ids + "]}");
    }
  }
}
