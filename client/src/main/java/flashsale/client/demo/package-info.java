/**
 * The one-command demo: a near and a far region on loopback, the same flash-sale burst through
 * every sale mode this build serves, and the fairness report that compares them.
 */
package flashsale.client.demo;
