package io.inferbus.verticles.cli;

/** What the client's exit status says. */
final class ExitCodes {
  /** The job succeeded (or, for status, has not ended badly). */
  static final int SUCCEEDED = 0;
  /** The job failed, was cancelled or expired. */
  static final int JOB_DID_NOT_SUCCEED = 1;
  /** The command was wrong, the service could not be reached, or it refused the request. */
  static final int USAGE_OR_CONNECTION = 2;

  private ExitCodes() {}

  static int of(String status) {
    return switch (status) {
      case "failed", "cancelled", "expired" -> JOB_DID_NOT_SUCCEED;
      default -> SUCCEEDED;
    };
  }
}
