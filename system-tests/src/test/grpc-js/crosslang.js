'use strict';
// A client from another ecosystem for the cross-language test: creates an event on the arbiter,
// buys at a region, reads the purchase back, and decodes the google.rpc.ErrorInfo of a refused
// call from the grpc-status-details-bin trailer; then buys on a StreamPurchases stream (a retry of
// the first purchase, a new one, a refused one) and half-closes it; then bids in an auction on
// another stream (a bid, one below the reserve, a message with neither purchase nor bid). Prints
// one JSON object on stdout.
//
//   node crosslang.js ARBITER REGION_TARGET REGION_NAME EVENT_ID PROTO_ROOT RPC_PROTO_ROOT
const { connect, call, seconds } = require('./common');

const [arbiter, regionTarget, regionName, eventId, protoRoot, rpcRoot] = process.argv.slice(2);
const { admin, region, errorInfo } = connect(arbiter, regionTarget, protoRoot, rpcRoot);

async function main() {
  const now = new Date();
  const created = await call(admin, 'CreateEvent', {
    request_id: `create-${eventId}`,
    event: {
      event_id: eventId, item: 'cross-language shoes', stock: 1, per_user_limit: 1, regions: [regionName],
      start_time: seconds(new Date(now.getTime() - 1000)), end_time: seconds(new Date(now.getTime() + 3600000)),
      mode: 'EVENT_MODE_GLOBAL_ORDER',
    },
  });
  const bought = await call(region, 'Purchase', { event_id: eventId, user_id: 'ada', request_id: 'ada-1', quantity: 1 });
  const read = await call(region, 'GetPurchase', { event_id: eventId, request_id: 'ada-1' });
  let refused = null;
  try {
    await call(region, 'Purchase', { event_id: 'no-such-event', user_id: 'ada', request_id: 'ada-2', quantity: 1 });
  } catch (err) {
    refused = errorInfo(err);
  }
  const streamed = await stream([
    { purchase: { event_id: eventId, user_id: 'ada', request_id: 'ada-1', quantity: 1 } },
    { purchase: { event_id: eventId, user_id: 'bob', request_id: 'bob-1', quantity: 1 } },
    { purchase: { event_id: eventId, user_id: 'cy', request_id: 'cy-1', quantity: 0 } },
  ]);
  const auctionId = `${eventId}-auction`;
  await call(admin, 'CreateEvent', {
    request_id: `create-${auctionId}`,
    event: {
      event_id: auctionId, item: 'cross-language painting', regions: [regionName],
      start_time: seconds(new Date(now.getTime() - 1000)), end_time: seconds(new Date(now.getTime() + 3600000)),
      mode: 'EVENT_MODE_GLOBAL_ORDER', kind: 'EVENT_KIND_AUCTION',
      auction: { units: 1, reserve_price_minor: 1000, min_increment_minor: 50, currency_code: 'EUR' },
    },
  });
  await call(region, 'GetEvent', { event_id: auctionId }); // the region knows it before the bids
  const bids = await stream([
    { bid: { event_id: auctionId, user_id: 'ada', request_id: 'ada-bid', amount_minor: 1200, currency_code: 'EUR' } },
    { bid: { event_id: auctionId, user_id: 'eve', request_id: 'eve-bid', amount_minor: 900, currency_code: 'EUR' } },
    {},
  ]);
  process.stdout.write(JSON.stringify({
    streamed,
    bids,
    created: created.event.event_id,
    outcome: bought.decision.outcome,
    readOutcome: read.decision.outcome,
    readRank: read.decision.rank,
    refused,
  }));
  admin.close();
  region.close();
}

// Sends every message on one StreamPurchases stream, half-closes, and resolves with each answer by
// request_id once the server ends the stream (it does so after answering them all).
function stream(messages) {
  return new Promise((resolve, reject) => {
    const answers = {};
    const call = region.StreamPurchases({ deadline: Date.now() + 30000 });
    call.on('data', (answer) => {
      answers[answer.request_id] = answer.decision
        ? { outcome: answer.decision.outcome, rank: answer.decision.rank,
          bid: answer.decision.bid ? answer.decision.bid.answer : null }
        : { code: answer.error.code, reason: answer.error.reason };
    });
    call.on('error', reject);
    call.on('end', () => resolve({ answers, ended: true }));
    messages.forEach((m) => call.write(m));
    call.end();
  });
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
