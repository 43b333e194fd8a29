package flashsale.sale;

public enum Outcome {
  WON,
  LOST
}
