/**
 * The log conformance suite on a real broker. Needs Kafka (or Redpanda) at VOLUMER_KAFKA_BROKERS
 * (default 127.0.0.1:19092): `scripts/kafka.sh start && scripts/kafka.sh wait`.
 */
import { createKafkaLog } from '../../src/log/kafka-log.js'
import { runLogConformance } from '../log/log-conformance.js'

const brokers = process.env.VOLUMER_KAFKA_BROKERS ?? '127.0.0.1:19092'

runLogConformance(`kafka log (${brokers})`, {
  open: async () => createKafkaLog({ brokers, clientId: 'volumer-conformance' }),
  waitMs: 30_000,
})
