'use strict';
// What the outside grpc-js clients share: the flashsale services from the repository's protos, a
// promise per unary call, and the google.rpc.ErrorInfo of a refused call, decoded from the
// grpc-status-details-bin trailer.
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

function connect(arbiter, regionTarget, protoRoot, rpcRoot) {
  const options = { includeDirs: [protoRoot], keepCase: true, longs: String, enums: String, defaults: true };
  const v1 = grpc.loadPackageDefinition(protoLoader.loadSync(
    ['flashsale/v1/event_admin_service.proto', 'flashsale/v1/flash_sale_service.proto'], options)).flashsale.v1;
  const rpc = new protobuf.Root();
  rpc.resolvePath = (origin, target) => (target.startsWith('google/rpc/') ? `${rpcRoot}/${target}` : protobuf.util.path.resolve(origin, target));
  rpc.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });
  return {
    admin: new v1.EventAdminService(arbiter, grpc.credentials.createInsecure()),
    region: new v1.FlashSaleService(regionTarget, grpc.credentials.createInsecure()),
    errorInfo(err) {
      const [bytes] = err.metadata.get('grpc-status-details-bin');
      const status = rpc.lookupType('google.rpc.Status').decode(bytes);
      const info = status.details.find((d) => d.type_url === 'type.googleapis.com/google.rpc.ErrorInfo');
      return { code: err.code, reason: rpc.lookupType('google.rpc.ErrorInfo').decode(info.value).reason };
    },
  };
}

const call = (client, method, request) => new Promise((resolve, reject) =>
  client[method](request, { deadline: Date.now() + 30000 }, (err, response) => (err ? reject(err) : resolve(response))));
const seconds = (date) => ({ seconds: String(Math.floor(date.getTime() / 1000)), nanos: 0 });

module.exports = { connect, call, seconds };
