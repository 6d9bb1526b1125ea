package io.hellocluster.e2e;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless Chromium, driven by Debian's chromedriver, showing a receiver's page: what a visitor
 * sees, including the page's own WebSocket client. Nothing is downloaded: both binaries are given,
 * so Selenium Manager never runs.
 */
final class BrowserFeed implements AutoCloseable {
  private final ChromeDriverService service;
  private final ChromeDriver driver;

  private BrowserFeed(ChromeDriverService service, ChromeDriver driver) {
    this.service = service;
    this.driver = driver;
  }

  static BrowserFeed open(URI page, Path chromium, Path chromedriver, Path profile) {
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(chromedriver.toFile())
            .usingAnyFreePort()
            .withLogFile(profile.resolveSibling("chromedriver.log").toFile())
            .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    // The network is closed: without the last four, Chromium retries its services in a loop.
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--user-data-dir=" + profile);
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.get(page.toString());
    return new BrowserFeed(service, driver);
  }

  /** Waits until the page lists at least {@code count} greetings; returns their texts. */
  List<String> awaitGreetings(int count, Duration timeout) {
    return new WebDriverWait(driver, timeout)
        .until(
            d -> {
              List<WebElement> items = d.findElements(By.cssSelector("li.greeting .text"));
              return items.size() >= count
                  ? items.stream().map(WebElement::getText).toList()
                  : null;
            });
  }

  /** The connection state the page shows, e.g. {@code connected}. */
  String status() {
    return driver.findElement(By.id("status-text")).getText();
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      service.stop();
    }
  }
}
