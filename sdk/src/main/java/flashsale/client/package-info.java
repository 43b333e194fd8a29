/**
 * Java SDK for the flash-sale API: {@link flashsale.client.FlashSaleClient} buys from a region node,
 * {@link flashsale.client.EventAdminClient} creates and inspects events on the arbiter, and
 * {@link flashsale.client.FlashSaleChannels} builds channels that retry {@code UNAVAILABLE} and, with
 * TLS files, {@link flashsale.client.RenewingChannel}s that follow a renewed client certificate.
 *
 * <p>Every call carries a deadline. Failures surface as {@link flashsale.client.FlashSaleException},
 * which carries the gRPC code, the server's description and its {@code ErrorInfo} reason.
 */
package flashsale.client;
