package io.hellocluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real browser (Debian's headless Chromium, driven through Debian's chromedriver so nothing is
 * downloaded) loads the page from a running cluster with the default 1–10 s bounds.
 */
@ExtendWith(LogCapturingExtension.class)
class BrowserTest {
  private static final Path SCREENSHOT = Path.of("target", "screenshots", "feed.png");
  private static TestNodes cluster;
  private static ChromeDriver browser;
  private static Path profile;

  @BeforeAll
  static void start() throws Exception {
    cluster =
        TestNodes.start(
            "1s",
            "10s",
            new TestNodes.Spec("broadcaster-1", "broadcaster"),
            new TestNodes.Spec("receiver-1", "receiver"));
    // "Already up" means greetings flow: the first one can go out before the receiver's
    // subscription has reached the broadcaster's node, so wait for one to arrive.
    try (FeedClient feed = FeedClient.webSocket(wsUrl())) {
      feed.next(Duration.ofSeconds(25));
    }
    profile = Files.createTempDirectory("chromium-profile");
    browser = startChromium(profile);
  }

  @AfterAll
  static void stop() throws IOException {
    try {
      if (browser != null) {
        browser.quit();
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
      if (profile != null) {
        try (var files = Files.walk(profile)) {
          files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
      }
    }
  }

  @Test
  void aGreetingAppearsWithinTwelveSecondsOfLoadingThePage() throws IOException {
    browser.get(cluster.node("receiver-1").httpBase() + "/");

    // The longest wait between greetings is 10 s; 2 s more covers delivery and rendering.
    WebElement first =
        new WebDriverWait(browser, Duration.ofSeconds(12))
            .until(
                d ->
                    d.findElements(By.cssSelector("li.greeting")).stream()
                        .findFirst()
                        .orElse(null));
    assertEquals("Hello world", first.findElement(By.className("text")).getText());
    assertTrue(first.findElement(By.className("meta")).getText().contains("via receiver-1"));
    WebElement status = browser.findElement(By.id("status"));
    assertTrue(status.getAttribute("class").contains("connected"), status.getAttribute("class"));

    // Two more, newest first, for the README's screenshot.
    List<WebElement> items =
        new WebDriverWait(browser, Duration.ofSeconds(25))
            .until(
                d -> {
                  List<WebElement> found = d.findElements(By.cssSelector("li.greeting"));
                  return found.size() >= 3 ? found : null;
                });
    long newest = Long.parseLong(items.get(0).getAttribute("data-seq"));
    long oldest = Long.parseLong(items.get(2).getAttribute("data-seq"));
    assertEquals(newest - 2, oldest, "newest first, consecutive");
    Files.createDirectories(SCREENSHOT.getParent());
    Files.copy(
        browser.getScreenshotAs(OutputType.FILE).toPath(),
        SCREENSHOT,
        StandardCopyOption.REPLACE_EXISTING);
  }

  private static String wsUrl() {
    return "ws://127.0.0.1:" + cluster.node("receiver-1").httpPort() + "/feed";
  }

  static ChromeDriver startChromium(Path profile) {
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File("/usr/bin/chromedriver"))
            .usingAnyFreePort()
            .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        // The network is closed here: without these Chromium retries outside connections.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=900,700",
        "--user-data-dir=" + profile.toAbsolutePath());
    return new ChromeDriver(service, options);
  }
}
