package io.hellocluster.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The podman CLI bound to a store of its own: {@code containers.conf}, {@code storage.conf} and
 * {@code registries.conf} rendered from the templates into one run folder, which also holds the
 * images, containers and any other file the run makes. {@link #close} removes all of it, a JVM
 * shutdown hook does the same when the JVM exits first, and {@link #removeStaleRuns} clears the
 * folders of runs whose JVM was killed outright.
 */
final class Podman implements AutoCloseable {
  static final String RUN_PREFIX = "hello-cluster-e2e-";

  private static final Logger LOG = LoggerFactory.getLogger(Podman.class);
  private static final String OWNER_FILE = "owner.pid";
  private static final List<String> TEMPLATES = List.of("containers", "storage", "registries");

  /** Long enough for `podman load` of a 380 MB image on a slow disk. */
  private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(3);

  private final String runId;
  private final Path root;
  private final Map<String, String> environment;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread shutdownHook;

  private Podman(String runId, Path root) {
    this.runId = runId;
    this.root = root;
    this.environment =
        Map.of(
            "CONTAINERS_CONF", root.resolve("containers.conf").toString(),
            "CONTAINERS_STORAGE_CONF", root.resolve("storage.conf").toString(),
            "CONTAINERS_REGISTRIES_CONF", root.resolve("registries.conf").toString());
    this.shutdownHook = new Thread(this::removeEverything, "podman-cleanup-" + runId);
  }

  /** Makes a fresh run folder under {@code parent} and a podman store inside it. */
  static Podman create(Path parent, Path templates) throws IOException {
    String runId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    Path root = Files.createDirectories(parent).resolve(RUN_PREFIX + runId);
    Files.createDirectory(root);
    Podman podman = new Podman(runId, root);
    Runtime.getRuntime().addShutdownHook(podman.shutdownHook);
    Files.writeString(root.resolve(OWNER_FILE), Long.toString(ProcessHandle.current().pid()));
    writeConfig(root, templates);
    return podman;
  }

  /**
   * Removes the run folders (with their containers and mounts) left by earlier runs whose JVM no
   * longer exists. With {@code --network host} a leftover container would still hold its ports.
   */
  static void removeStaleRuns(Path parent, Path templates) throws IOException {
    if (!Files.isDirectory(parent)) {
      return;
    }
    List<Path> stale;
    try (Stream<Path> runs = Files.list(parent)) {
      stale =
          runs.filter(p -> p.getFileName().toString().startsWith(RUN_PREFIX))
              .filter(Podman::ownerIsGone)
              .toList();
    }
    for (Path run : stale) {
      LOG.warn("Removing [{}] left by a run that did not clean up", run);
      writeConfig(run, templates);
      new Podman(run.getFileName().toString().substring(RUN_PREFIX.length()), run)
          .removeEverything();
    }
  }

  String runId() {
    return runId;
  }

  Path root() {
    return root;
  }

  /** Runs {@code podman ARGS} and returns its standard output; fails on a non-zero exit. */
  String run(String... args) {
    Result result = tryRun(args);
    if (result.exitCode() != 0) {
      throw new IllegalStateException(
          "podman " + String.join(" ", args) + " exited " + result.exitCode() + ": " + result);
    }
    return result.stdout().strip();
  }

  /** Runs {@code podman ARGS} and returns how it ended, whatever the exit code. */
  Result tryRun(String... args) {
    List<String> command = new ArrayList<>();
    command.add("podman");
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile());
    builder.environment().putAll(environment);
    try {
      Path out = Files.createTempFile(root, "podman-", ".out");
      Path err = Files.createTempFile(root, "podman-", ".err");
      try {
        Process process =
            builder
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(nullDevice()))
                .start();
        if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
          process.destroyForcibly();
          throw new IllegalStateException("podman " + args[0] + " took over " + COMMAND_TIMEOUT);
        }
        return new Result(
            process.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run podman: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running podman " + args[0], e);
    }
  }

  /** Exit code of a stopped container, or empty while it runs. */
  Optional<Integer> exitCode(String container) {
    String[] state =
        run("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", container).split(" ");
    return "running".equals(state[0]) ? Optional.empty() : Optional.of(Integer.valueOf(state[1]));
  }

  @Override
  public void close() {
    removeEverything();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // NOTE: the JVM is already shutting down and runs the hook itself; nothing is left to do.
    }
  }

  /** Containers first (they hold mounts), then images, then whatever is still mounted. */
  private void removeEverything() {
    if (!closed.compareAndSet(false, true) || !Files.isDirectory(root)) {
      return;
    }
    report(tryRun("rm", "--all", "--force", "--time", "0"));
    report(tryRun("rmi", "--all", "--force"));
    try {
      unmountEverythingUnder(root);
      deleteRecursively(root);
    } catch (IOException | InterruptedException e) {
      LOG.error("Could not remove [{}]; remove it by hand: {}", root, e.toString());
    }
  }

  private static void report(Result result) {
    if (result.exitCode() != 0) {
      LOG.warn("Cleanup step failed: {}", result);
    }
  }

  private static void writeConfig(Path root, Path templates) throws IOException {
    for (String name : TEMPLATES) {
      String text = Files.readString(templates.resolve(name + ".conf.template"));
      Files.writeString(root.resolve(name + ".conf"), text.replace("@ROOT@", root.toString()));
    }
    Files.createDirectories(root.resolve("tmp"));
    Files.createDirectories(root.resolve("networks"));
  }

  private static boolean ownerIsGone(Path run) {
    try {
      long pid = Long.parseLong(Files.readString(run.resolve(OWNER_FILE)).strip());
      return ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
    } catch (IOException | NumberFormatException e) {
      return true;
    }
  }

  /** Overlay layers and storage's private bind mount, deepest first; lazily if still busy. */
  private static void unmountEverythingUnder(Path root) throws IOException, InterruptedException {
    String prefix = root.toRealPath() + "/";
    List<String> mountPoints;
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
      mountPoints =
          lines
              .map(line -> line.split(" ")[4])
              .filter(point -> point.startsWith(prefix))
              .sorted(Comparator.reverseOrder())
              .toList();
    }
    for (String point : mountPoints) {
      Process umount = new ProcessBuilder("umount", "-l", point).redirectErrorStream(true).start();
      if (!umount.waitFor(30, TimeUnit.SECONDS) || umount.exitValue() != 0) {
        LOG.warn("Could not unmount [{}]", point);
      }
    }
  }

  private static void deleteRecursively(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  private static java.io.File nullDevice() {
    return new java.io.File("/dev/null");
  }

  /** How a podman command ended. */
  record Result(int exitCode, String stdout, String stderr) {
    @Override
    public String toString() {
      return (stderr.isBlank() ? stdout : stderr).strip();
    }
  }
}
