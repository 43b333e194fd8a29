package flashsale.client.cli;

import flashsale.v1.AuctionSettings;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code event create --kind auction}: the auction's rules, amounts in integer minor units. */
final class AuctionOptions {
  @Option(names = "--units", paramLabel = "N", description = "An auction's units: the N best bids win one each.")
  Integer units;

  @Option(names = "--reserve-minor", paramLabel = "AMOUNT", description = "An auction's lowest acceptable bid, in minor units.")
  Long reserveMinor;

  @Option(names = "--increment-minor", paramLabel = "AMOUNT",
      description = "An auction's minimum increment over the N-th best bid, in minor units.")
  Long incrementMinor;

  @Option(names = "--currency", paramLabel = "CODE", description = "An auction's ISO 4217 currency (EUR).")
  String currency;

  @Option(names = "--soft-close-window-seconds", paramLabel = "S",
      description = "An accepted bid stamped this close to the close moves the close later by as much; "
          + "needs --soft-close-cap-seconds (default: none).")
  long softCloseWindowSeconds;

  @Option(names = "--soft-close-cap-seconds", paramLabel = "S",
      description = "The close never moves more than this past --end; needs --soft-close-window-seconds (default: none).")
  long softCloseCapSeconds;

  boolean given() {
    return units != null || reserveMinor != null || incrementMinor != null || currency != null
        || softCloseWindowSeconds != 0 || softCloseCapSeconds != 0;
  }

  /** The settings; the server checks their ranges and answers with the field at fault. */
  AuctionSettings settings(CommandLine command) {
    if (units == null || reserveMinor == null || incrementMinor == null || currency == null) {
      throw new CommandLine.ParameterException(command,
          "--kind auction needs --units, --reserve-minor, --increment-minor and --currency");
    }
    return AuctionSettings.newBuilder().setUnits(units).setReservePriceMinor(reserveMinor)
        .setMinIncrementMinor(incrementMinor).setCurrencyCode(currency)
        .setSoftCloseWindow(com.google.protobuf.Duration.newBuilder().setSeconds(softCloseWindowSeconds))
        .setSoftCloseCap(com.google.protobuf.Duration.newBuilder().setSeconds(softCloseCapSeconds))
        .build();
  }
}
