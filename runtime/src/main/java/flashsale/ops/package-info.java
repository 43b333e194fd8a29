/**
 * What both node commands share to be operable: configuration from flags, {@code FLASHSALE_*}
 * environment variables and a file; {@code --version}, {@code --bind} and {@code --log-format};
 * one-line start-up errors.
 */
package flashsale.ops;
