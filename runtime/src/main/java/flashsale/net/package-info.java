/**
 * What both nodes' gRPC servers share at the edge: requests that do not parse answered as bad
 * input, protocol-level rejections logged in one rate-limited line, and connection limits.
 */
package flashsale.net;
