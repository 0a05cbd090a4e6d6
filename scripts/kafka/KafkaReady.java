// Readiness probe for scripts/kafka.sh wait: the broker is "ready" only when a transactional
// produce commits, because the transaction coordinator (and its __transaction_state topic) comes
// up after the listener opens, and tests that start on an open port alone fail their first
// initTransactions. Compiled once into the Kafka cache by kafka.sh; uses only kafka-clients.
//
// usage: java -cp '<libs>/*:<classes>' KafkaReady <bootstrap> <timeoutSeconds>
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;

public final class KafkaReady {
  private static final String TOPIC = "_volumer_ready";

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[1]));
    long start = System.nanoTime();
    Exception last = null;
    int attempts = 0;
    while (System.nanoTime() < deadline) {
      attempts++;
      try {
        probe(bootstrap);
        System.out.printf("transactional produce committed after %d ms, %d attempt(s)%n",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), attempts);
        return;
      } catch (Exception e) {
        last = e;
        if (System.getenv("VOLUMER_KAFKA_DEBUG") != null) System.err.println("attempt " + attempts + ": " + e);
        Thread.sleep(500);
      }
    }
    System.err.println("not ready: " + (last == null ? "timeout" : last));
    System.exit(1);
  }

  private static void probe(String bootstrap) throws Exception {
    Properties a = new Properties();
    a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    a.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
    a.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
    try (Admin admin = Admin.create(a)) {
      admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
      try {
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(10, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) throw e;
      }
    }
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "volumer-ready-probe");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10000);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10000);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(TOPIC, "ready", Long.toString(System.currentTimeMillis())));
      producer.commitTransaction();
    }
  }
}
