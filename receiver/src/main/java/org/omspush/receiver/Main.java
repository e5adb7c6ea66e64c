package org.omspush.receiver;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import org.omspush.isosim.pki.DevPki;
import org.omspush.receiver.config.ConfigException;
import org.omspush.receiver.config.ReceiverConfig;
import org.omspush.receiver.config.ShutdownConfig;

/** {@code java -jar oms-receiver.jar serve | demo | pki dev --out DIR}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    String command = args.length == 0 ? "help" : args[0];
    String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
    try {
      return switch (command) {
        case "serve" -> serve();
        case "demo" -> trialOnly("demo", err) ? 2 : Demo.run(rest, out);
        case "pki" -> trialOnly("pki dev", err) ? 2 : pki(rest, out, err);
        case "cert" -> org.omspush.receiver.cli.CertificateRequestCommand.run(rest, out, err);
        case "doctor" -> org.omspush.receiver.cli.Doctor.run(System.getenv(), out);
        case "secrets" -> org.omspush.receiver.cli.SecretsCommand.run(rest, System.getenv(), out, err);
        case "help", "--help", "-h" -> usage(out, 0);
        default -> {
          err.println("unknown command: " + command);
          yield usage(err, 2);
        }
      };
    } catch (ConfigException e) {
      err.println("configuration error: " + e.getMessage());
      return 2;
    } catch (UsageException e) {
      err.println(e.getMessage());
      return usage(err, 2);
    } catch (Exception e) {
      err.println("failed: " + e);
      e.printStackTrace(err);
      return 1;
    }
  }

  /** True, after one line on {@code err}, when this jar has no ISO stand-in for {@code command}. */
  private static boolean trialOnly(String command, PrintStream err) {
    if (TrialParts.isoStandIn()) {
      return false;
    }
    err.println(command + " needs the ISO stand-in and its test PKI, which are " + TrialParts.FULL_JAR);
    return true;
  }

  private static int serve() throws Exception {
    ReceiverConfig config = ReceiverConfig.fromEnvironment();
    ShutdownConfig shutdown = ShutdownConfig.fromEnvironment();
    ReceiverApp app;
    try {
      app = ReceiverApp.start(config).toCompletionStage().toCompletableFuture().get();
    } catch (java.util.concurrent.ExecutionException e) {
      // a setting found wrong only against the database (e.g. the secrets key) is one line too
      if (e.getCause() instanceof ConfigException c) {
        throw c;
      }
      if (e.getCause() instanceof org.omspush.store.secrets.SealedSecretException s) {
        throw new ConfigException(org.omspush.receiver.config.SecretsConfig.KEY_FILE, s.getMessage());
      }
      throw e;
    }
    GracefulShutdown.install(app, shutdown);
    new CountDownLatch(1).await(); // until SIGTERM: the drain ends the process
    return 0;
  }

  private static int pki(String[] args, PrintStream out, PrintStream err) throws Exception {
    if (args.length != 3 || !args[0].equals("dev") || !args[1].equals("--out")) {
      throw new UsageException("usage: pki dev --out DIR");
    }
    Path dir = Path.of(args[2]);
    DevPki.generate(dir);
    out.println("wrote a throwaway test PKI to " + dir.toAbsolutePath() + " (never use it in production)");
    return 0;
  }

  private static int usage(PrintStream out, int status) {
    out.println("""
        usage: java -jar oms-receiver.jar COMMAND
          serve              run the receiver; configured by OMS_* environment variables (see README)
          demo [--replicas N] [--duration D] [--plain]
                             run the receiver against the ISO stand-in on this machine, with a test PKI:
                             N receivers on one database (1..5), the ISO active for D (90s, 5m),
                             --plain: a line every 5 s instead of the live view
          pki dev --out DIR  write a throwaway test PKI (ISO CA, push and server certificates) to DIR
          cert csr --subject DN --out DIR [--key-type rsa|ec] [--dns NAME ...]
                             a new key and a PKCS#10 request for the ISO (or push server) certificate
          doctor             check the configuration (same environment as serve), certificates, TLS,
                             database, ISO and subscribers; print what to register with the ISO
          secrets keygen --out FILE
                             a new key for OMS_SECRETS_KEY_FILE (secrets sealed at rest)
          secrets rotate --new-key FILE
                             re-seal every secret in the database under that key (see README)""");
    return status;
  }

  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message, null, false, false);
    }
  }
}
