// Loads the librdkafka binding in the main thread and in 3 worker threads at once and creates
// a client in each: the stock binding fails here with "Module did not self-register". Also checks
// that librdkafka was built with what secured clusters need (TLS, SASL PLAIN/SCRAM/OAUTHBEARER):
// a build without libssl-dev or libsasl2-dev would otherwise fail only when a cluster uses them.
'use strict';
const { Worker, isMainThread, parentPort } = require('node:worker_threads');
const kafka = require('@confluentinc/kafka-javascript');

const REQUIRED_FEATURES = ['ssl', 'sasl', 'sasl_plain', 'sasl_scram', 'sasl_oauthbearer'];

function probe() {
  const p = new kafka.Producer({ 'bootstrap.servers': '127.0.0.1:9', 'client.id': 'strait-probe' });
  return typeof p.produce === 'function';
}

if (isMainThread) {
  const missing = REQUIRED_FEATURES.filter((f) => !kafka.features.includes(f));
  if (missing.length > 0) {
    console.error('strait install: librdkafka was built without ' + missing.join(', ') + ' (it has: ' + kafka.features.join(', ') + '); install libssl-dev and libsasl2-dev and rebuild');
    process.exit(1);
  }
  probe();
  let pending = 3;
  let failed = false;
  for (let i = 0; i < 3; i++) {
    const w = new Worker(__filename);
    w.on('message', (ok) => { if (!ok) failed = true; });
    w.on('error', (e) => { failed = true; console.error('strait install: worker ' + i + ': ' + e.message); });
    w.on('exit', () => {
      if (--pending === 0) {
        if (failed) process.exit(1);
        console.error('strait install: binding ' + kafka.librdkafkaVersion + ' loads in worker threads');
      }
    });
  }
} else {
  parentPort.postMessage(probe());
}
