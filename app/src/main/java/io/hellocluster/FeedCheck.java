package io.hellocluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A smoke check shipped in the image for {@code helm test} and scripts: connects to a receiver's
 * {@code /events} stream and exits 0 as soon as one greeting arrives, 1 if none does in time.
 *
 * <p>Usage: {@code FeedCheck <events-url> [timeout-seconds]}
 */
public final class FeedCheck {
  private static final long DEFAULT_TIMEOUT_SECONDS = 30;

  private FeedCheck() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: FeedCheck <events-url> [timeout-seconds]");
      System.exit(2);
    }
    long timeout = args.length == 2 ? Long.parseLong(args[1]) : DEFAULT_TIMEOUT_SECONDS;
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    CompletableFuture<String> greeting =
        CompletableFuture.supplyAsync(() -> firstGreeting(client, URI.create(args[0])));
    try {
      System.out.println("greeting received: " + greeting.get(timeout, TimeUnit.SECONDS));
      System.exit(0);
    } catch (TimeoutException e) {
      System.err.println("no greeting from " + args[0] + " within " + timeout + " s");
    } catch (ExecutionException e) {
      System.err.println("cannot read " + args[0] + ": " + e.getCause().getMessage());
    }
    System.exit(1);
  }

  private static String firstGreeting(HttpClient client, URI uri) {
    HttpRequest request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").build();
    try {
      HttpResponse<java.io.InputStream> response =
          client.send(request, HttpResponse.BodyHandlers.ofInputStream());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("HTTP " + response.statusCode());
      }
      try (BufferedReader lines =
          new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = lines.readLine()) != null) {
          if (line.startsWith("data:") && line.contains("\"seq\"")) {
            return line.substring("data:".length()).trim();
          }
        }
      }
      throw new IllegalStateException("stream ended before any greeting");
    } catch (IOException e) {
      throw new IllegalStateException(e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
