/**
 * What a sale is, independent of transport and storage: events, stamped tickets, decisions and
 * the per-event ledger. Plain immutable values shared by the arbiter, the region nodes and the
 * stores.
 */
package flashsale.sale;
