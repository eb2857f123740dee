// Loads the librdkafka binding in the main thread and in 3 worker threads at once and creates
// a client in each: the stock binding fails here with "Module did not self-register".
'use strict';
const { Worker, isMainThread, parentPort } = require('node:worker_threads');
const kafka = require('@confluentinc/kafka-javascript');

function probe() {
  const p = new kafka.Producer({ 'bootstrap.servers': '127.0.0.1:9', 'client.id': 'strait-probe' });
  return typeof p.produce === 'function';
}

if (isMainThread) {
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
