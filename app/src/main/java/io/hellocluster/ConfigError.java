package io.hellocluster;

/** A setting that stops the node from starting; its message is one line naming the fix. */
public final class ConfigError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigError(String message) {
    super(message);
  }
}
