/**
 * The {@code flashsale} command line (picocli): purchase and status against a region node, event
 * administration against the arbiter, the load generator and the fairness report.
 *
 * <p>Server errors print one line, {@code error: <CODE> <REASON>: <description> (<what to do>)},
 * and map to the exit codes in {@link flashsale.client.cli.ExitCodes}. Times are read as ISO-8601
 * or relative ({@code +5s}), shown in {@code --zone}, and always sent as UTC.
 */
package flashsale.client.cli;
