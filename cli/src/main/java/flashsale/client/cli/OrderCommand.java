package flashsale.client.cli;

import flashsale.client.OrderClient;
import flashsale.v1.GetOrderResponse;
import flashsale.v1.Order;
import java.util.function.BiFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flashsale pay}, {@code cancel} and {@code order}: the order service's calls on the arbiter
 * (after the win). Each prints the purchase's state after the call.
 */
abstract class OrderCommand extends NodeCommand {
  @Option(names = "--event", required = true, description = "Event id.")
  String eventId;

  @Parameters(index = "0", paramLabel = "REQUEST_ID", description = "The purchase's request id.")
  String requestId;

  /** The call this command makes. */
  abstract BiFunction<OrderClient, OrderCommand, Order> orderCall();

  @Override
  public Integer call() {
    connection.expectArbiter();
    Order order = connection.withChannel(channel -> orderCall().apply(new OrderClient(channel, connection.deadline), this));
    return show(GetOrderResponse.newBuilder().setOrder(order).build(), () -> print(order));
  }

  private void print(Order order) {
    String state = order.getState().name().substring("ORDER_STATE_".length());
    out().printf("%s %s (event %s, user %s, %d unit(s), rank %d)%s%n", state, order.getRequestId(), order.getEventId(),
        order.getUserId(), order.getQuantity(), order.getRank(), order.hasPaymentDeadlineTime()
            ? ", payment deadline " + TimeArgs.format(order.getPaymentDeadlineTime(), output.zone) : "");
  }

  @Command(name = "pay", description = "Confirm the payment of a won purchase before its deadline (asks the arbiter).")
  static final class Pay extends OrderCommand {
    @Override
    BiFunction<OrderClient, OrderCommand, Order> orderCall() {
      return (client, c) -> client.confirmPayment(c.eventId, c.requestId);
    }
  }

  @Command(name = "cancel", description = "Give a won purchase back (its units go to the waitlist), or leave the waitlist.")
  static final class Cancel extends OrderCommand {
    @Override
    BiFunction<OrderClient, OrderCommand, Order> orderCall() {
      return (client, c) -> client.cancelPurchase(c.eventId, c.requestId);
    }
  }

  @Command(name = "order", description = "Show where a purchase stands after its decision: awaiting payment, paid, waitlisted...")
  static final class Show extends OrderCommand {
    @Override
    BiFunction<OrderClient, OrderCommand, Order> orderCall() {
      return (client, c) -> client.getOrder(c.eventId, c.requestId);
    }
  }
}
