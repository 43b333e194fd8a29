/** Test doubles shared by the arbiter node's tests: a loop the test steps by hand, a node with a region stream open. */
package flashsale.arbiter.testing;
