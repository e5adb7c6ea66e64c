package org.omspush.isosim;

import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.omspush.isosim.pki.DevPki;
import org.omspush.isosim.scenario.Publisher;
import org.omspush.isosim.scenario.Scenario;
import org.omspush.isosim.server.IsoSim;
import org.omspush.isosim.server.IsoSimOptions;

/**
 * {@code java -jar oms-isosim.jar serve --pki DIR [--port N] …}: runs the stand-in ISO until
 * stopped; optionally plays a scenario of pushes to a receiver. {@code pki --out DIR} writes a
 * dev PKI. Run without arguments for the usage.
 */
public final class Main {

  private static final String USAGE = """
      usage:
        oms-isosim serve --pki DIR [--port N] [--host ADDR] [--aup-interval-ms MS]
                         [--aup-status 429|200] [--page-size N] [--document-size BYTES]
                         [--token-lifetime-s S]
                         [--push-to URL [--outages N] [--changes M] [--market-events K]
                          [--market-events-with-claim J] [--concurrency C]
                          [--out-of-order SHARE] [--duplicates SHARE]]
            Serves the retrieve services at https://localhost:<port>/sst/oms/{service} and
            the stats at https://localhost:<port>/isosim/stats (client certificate required).
            Generates a dev PKI into DIR first when DIR has none. Prints the base URL.
            With --push-to, plays a scenario: N outages x M versions and K market events
            pushed to the receiver URL as the ISO (iso-push-client.pem), then keeps serving.
        oms-isosim pki --out DIR
            Writes a fresh dev PKI (ISO CAs, ISO server, ISO push client, participants, ...).
      """;

  private Main() {}

  public static void main(String[] args) throws Exception {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "isosim-logback.xml");
    }
    if (args.length == 0) {
      System.err.print(USAGE);
      System.exit(2);
    }
    Map<String, String> flags = flags(args);
    switch (args[0]) {
      case "serve" -> serve(flags);
      case "pki" -> {
        Path out = Path.of(required(flags, "out"));
        DevPki.generate(out);
        System.out.println("dev PKI written to " + out.toAbsolutePath());
      }
      default -> {
        System.err.print(USAGE);
        System.exit(2);
      }
    }
  }

  private static void serve(Map<String, String> flags) throws Exception {
    Path dir = Path.of(required(flags, "pki"));
    DevPki pki;
    if (Files.exists(dir.resolve(DevPki.ISO_SERVER))) {
      pki = DevPki.load(dir);
    } else {
      pki = DevPki.generate(dir);
      System.out.println("dev PKI generated in " + dir.toAbsolutePath());
    }
    IsoSimOptions options = IsoSimOptions.of(pki)
        .host(flags.getOrDefault("host", "127.0.0.1"))
        .port(Integer.parseInt(flags.getOrDefault("port", "0")))
        .aupInterval(Duration.ofMillis(Long.parseLong(flags.getOrDefault("aup-interval-ms",
            Long.toString(IsoSimOptions.DEFAULT_AUP_INTERVAL.toMillis())))))
        .aupStatus(Integer.parseInt(flags.getOrDefault("aup-status", "429")))
        .changesPageSize(Integer.parseInt(flags.getOrDefault("page-size", "500")))
        .documentSize(Integer.parseInt(flags.getOrDefault("document-size", "4096")))
        .tokenLifetime(Duration.ofSeconds(Long.parseLong(flags.getOrDefault("token-lifetime-s",
            "86400"))));
    long starting = System.nanoTime();
    Vertx vertx = Vertx.vertx();
    IsoSim iso = IsoSim.start(vertx, options).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    System.out.println("isosim listening on " + iso.baseUrl() + " (started in "
        + (System.nanoTime() - starting) / 1_000_000 + " ms)");
    System.out.println("stats at " + iso.statsUrl());
    System.out.flush();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        iso.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vertx.close();
      } catch (Exception e) {
        // stopping anyway
      }
      stopped.countDown();
    }, "isosim-shutdown"));

    String receiver = flags.get("push-to");
    if (receiver != null) {
      Scenario scenario = Scenario.builder()
          .outages(Integer.parseInt(flags.getOrDefault("outages", "10")))
          .changesPerOutage(Integer.parseInt(flags.getOrDefault("changes", "3")))
          .marketEvents(Integer.parseInt(flags.getOrDefault("market-events", "0")))
          .marketEventsWithClaimCheck(Integer.parseInt(
              flags.getOrDefault("market-events-with-claim", "0")))
          .concurrency(Integer.parseInt(flags.getOrDefault("concurrency", "4")))
          .outOfOrder(Double.parseDouble(flags.getOrDefault("out-of-order", "0.1")))
          .duplicates(Double.parseDouble(flags.getOrDefault("duplicates", "0.05")))
          .documentSize(options.documentSize())
          .attempts(5, Duration.ofSeconds(1))
          .build();
      Publisher publisher = new Publisher(vertx, pki, receiver);
      scenario.run(vertx, iso.state(), publisher).onComplete(outcome -> {
        if (outcome.succeeded()) {
          Scenario.Result result = outcome.result();
          System.out.println("scenario: " + result.plan().pushes().size() + " pushes ("
              + result.plan().duplicates() + " duplicates, " + result.plan().outOfOrderSwaps()
              + " out of order), " + result.accepted() + " accepted, "
              + result.refused().size() + " refused, in " + result.elapsed().toMillis() + " ms");
          result.refused().stream().limit(5).forEach(refusal -> System.out.println(
              "  refused " + refusal.push().message().messageId() + ": " + refusal.statusCode()
                  + " " + refusal.detail()));
        } else {
          System.out.println("scenario failed: " + outcome.cause());
        }
        publisher.close();
      });
    }
    stopped.await();
  }

  private static Map<String, String> flags(String[] args) {
    Map<String, String> flags = new HashMap<>();
    for (int i = 1; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--") || i + 1 >= args.length) {
        System.err.println("unexpected argument " + arg);
        System.err.print(USAGE);
        System.exit(2);
      }
      flags.put(arg.substring(2), args[++i]);
    }
    return flags;
  }

  private static String required(Map<String, String> flags, String name) {
    String value = flags.get(name);
    if (value == null) {
      System.err.println("--" + name + " is required");
      System.err.print(USAGE);
      System.exit(2);
    }
    return value;
  }
}
