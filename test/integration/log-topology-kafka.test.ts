/** applyTopology / checkTopology on a real broker (VOLUMER_BROKERS, default 127.0.0.1:19092). */
import { createKafkaLog } from '../../src/log/kafka-log.js'
import { runTopologySuite } from '../log/topology-suite.js'

const brokers = process.env.VOLUMER_BROKERS ?? process.env.VOLUMER_KAFKA_BROKERS ?? '127.0.0.1:19092'

runTopologySuite(`kafka (${brokers})`, async () => createKafkaLog({ brokers, clientId: 'volumer-topology-test' }), 30_000)
