/** End-to-end tests: a real arbiter, real region nodes and a real Redis over loopback gRPC. */
package flashsale.system;
