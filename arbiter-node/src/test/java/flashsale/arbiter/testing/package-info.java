/** Test doubles shared by the arbiter node's tests: a loop the test steps by hand. */
package flashsale.arbiter.testing;
