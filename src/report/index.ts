export { MqttReporter } from './mqtt.js'
export { baseTopic, type TopicPayloads, type StateEvent } from './topics.js'
