'use strict';
// A client from another ecosystem for the pool-loss test. Step "create": creates a CENTRAL event
// of 2 units on the arbiter and reads it back (did the arbiter open its pool?). Step "buy" (after
// the test deleted the pool from its Redis, before anybody bought): buys at the region and reads
// the event, decoding each refusal's google.rpc.ErrorInfo. Prints one JSON object on stdout.
//
//   node poolloss.js STEP ARBITER REGION_TARGET REGION_NAME EVENT_ID PROTO_ROOT RPC_PROTO_ROOT
const { connect, call, seconds } = require('./common');

const [step, arbiter, regionTarget, regionName, eventId, protoRoot, rpcRoot] = process.argv.slice(2);
const { admin, region, errorInfo } = connect(arbiter, regionTarget, protoRoot, rpcRoot);

// The answer, or the refusal's code and reason.
async function outcome(promise, read) {
  try {
    return read(await promise);
  } catch (err) {
    if (!err.metadata) throw err;
    return errorInfo(err);
  }
}

async function main() {
  const result = {};
  if (step === 'create') {
    const now = new Date();
    const created = await call(admin, 'CreateEvent', {
      request_id: `create-${eventId}`,
      event: {
        event_id: eventId, item: 'cross-language boots', stock: 2, per_user_limit: 1, regions: [regionName],
        start_time: seconds(new Date(now.getTime() - 1000)), end_time: seconds(new Date(now.getTime() + 3600000)),
        mode: 'EVENT_MODE_CENTRAL',
      },
    });
    result.createdOpened = created.event.pools_opened_at_creation;
    const read = await call(admin, 'GetEvent', { event_id: eventId });
    result.readOpened = read.event.pools_opened_at_creation;
    result.remaining = read.counters.remaining_stock;
  } else {
    result.afterLoss = await outcome(call(region, 'Purchase', { event_id: eventId, user_id: 'bob', request_id: 'bob-1', quantity: 1 }),
      (r) => ({ outcome: r.decision.outcome }));
    result.eventAfterLoss = await outcome(call(admin, 'GetEvent', { event_id: eventId }),
      (r) => ({ remaining: r.counters.remaining_stock }));
  }
  process.stdout.write(JSON.stringify(result));
  admin.close();
  region.close();
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
