'use strict';
// An outside client for the fairness tests: fires a burst plan at region nodes with grpc-js (not the
// project's Java stack) and prints every answer as JSON on stdout.
//
//   node burst.js PLAN.json PROTO_ROOT
//
// PLAN: {"eventId": "...", "deadlineMs": 30000, "targets": {"near": "127.0.0.1:1234", ...},
//        (a target may be a list: a region served by several nodes, one connection to each, its
//        sends spread over them in turn as an L4 load balancer spreads buyers' connections)
//        "sends": [{"requestId": "...", "userId": "...", "region": "near", "offsetMicros": 1200}, ...]}
// Each purchase is sent when its offset is due (sends due together go out in one turn of the event
// loop); the output is one object per send with its send and answer times in UTC microseconds.
// With "streamed": true in the plan, each connection carries its purchases as the messages of one
// StreamPurchases stream instead of a Purchase call each.
const fs = require('fs');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [planFile, protoRoot] = process.argv.slice(2);
const plan = JSON.parse(fs.readFileSync(planFile, 'utf8'));
const definition = protoLoader.loadSync('flashsale/v1/flash_sale_service.proto', {
  includeDirs: [protoRoot], keepCase: true, longs: String, enums: String, defaults: true,
});
const FlashSaleService = grpc.loadPackageDefinition(definition).flashsale.v1.FlashSaleService;

// UTC microseconds from the monotonic clock anchored once at the process's time origin.
const nowMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const timestampMicros = (t) => (t ? Number(t.seconds) * 1e6 + Math.floor(t.nanos / 1000) : 0);

const clients = {};
for (const [region, target] of Object.entries(plan.targets)) {
  clients[region] = [].concat(target).map((t) => new FlashSaleService(t, grpc.credentials.createInsecure()));
}
const turns = {};
const clientFor = (region) => {
  turns[region] = ((turns[region] ?? -1) + 1) % clients[region].length;
  return clients[region][turns[region]];
};

function ready(client) {
  return new Promise((resolve, reject) =>
    client.waitForReady(Date.now() + 10000, (err) => (err ? reject(err) : resolve())));
}

async function main() {
  // connections first, so connection setup is not part of the burst
  await Promise.all(Object.values(clients).flat().map(ready));
  const sends = [...plan.sends].sort((a, b) => a.offsetMicros - b.offsetMicros);
  const results = [];
  let answered = 0;
  // plan.streamed: one StreamPurchases stream per connection, opened before the burst; each
  // purchase is a message on its connection's stream, answered on it by request_id.
  const pendingOnStream = new Map();
  const streamOf = new Map();
  let onStreamAnswered = () => {};
  if (plan.streamed) {
    for (const client of Object.values(clients).flat()) {
      const stream = client.StreamPurchases({ deadline: Date.now() + plan.deadlineMs });
      stream.on('data', (answer) => {
        const r = pendingOnStream.get(answer.request_id);
        if (!r) return;
        pendingOnStream.delete(answer.request_id);
        r.answerMicros = nowMicros();
        if (answer.decision) {
          const d = answer.decision;
          Object.assign(r, {
            code: 0, outcome: d.outcome, rank: Number(d.rank),
            arrivalMicros: timestampMicros(d.arrival_time), decideMicros: timestampMicros(d.decide_time),
          });
        } else {
          r.code = answer.error.code;
        }
        results.push(r);
        onStreamAnswered();
      });
      stream.on('error', (err) => { console.error(`StreamPurchases failed: ${err.message}`); process.exit(1); });
      streamOf.set(client, stream);
    }
  }
  const done = new Promise((resolve) => {
    onStreamAnswered = () => { if (++answered === sends.length) resolve(); };
    const startMs = performance.now();
    let next = 0;
    const fire = () => {
      const elapsedMicros = (performance.now() - startMs) * 1000;
      while (next < sends.length && sends[next].offsetMicros <= elapsedMicros) {
        const s = sends[next++];
        const sendMicros = nowMicros();
        const request = { event_id: plan.eventId, user_id: s.userId, request_id: s.requestId, quantity: 1 };
        if (plan.streamed) {
          const client = clientFor(s.region);
          pendingOnStream.set(s.requestId, { requestId: s.requestId, region: s.region, sendMicros });
          streamOf.get(client).write({ purchase: request });
          continue;
        }
        clientFor(s.region).Purchase(request, { deadline: Date.now() + plan.deadlineMs }, (err, response) => {
          const r = { requestId: s.requestId, region: s.region, sendMicros, answerMicros: nowMicros() };
          if (err) {
            r.code = err.code;
          } else {
            const d = response.decision;
            Object.assign(r, {
              code: 0, outcome: d.outcome, rank: Number(d.rank),
              arrivalMicros: timestampMicros(d.arrival_time), decideMicros: timestampMicros(d.decide_time),
            });
          }
          results.push(r);
          if (++answered === sends.length) resolve();
        });
      }
      if (next < sends.length) setImmediate(fire); // yield so the calls go on the wire, then send what is due
    };
    fire();
  });
  await done;
  streamOf.forEach((stream) => stream.end());
  process.stdout.write(JSON.stringify(results));
  Object.values(clients).flat().forEach((c) => c.close());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
