package org.omspush.store;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Brings the schema up to date with the Flyway SQL of module {@code oms-migrations}
 * ({@code classpath:db/migration}).
 *
 * <p>Blocking (JDBC): call it at start-up before the pool serves requests, or inside {@code
 * executeBlocking}. Replicas starting together are safe: Flyway serializes them with a
 * PostgreSQL advisory lock. It works from a shaded jar: migrations are classpath resources and
 * Flyway finds its PostgreSQL support through {@code META-INF/services}.
 */
public final class Migrations {

  /** Where the SQL migrations are on the classpath. */
  public static final String LOCATION = "classpath:db/migration";

  private Migrations() {}

  /**
   * Applies every pending migration; a no-op when the schema is current.
   *
   * @return the number of migrations applied
   * @throws org.flywaydb.core.api.FlywayException when the database cannot be reached or a
   *     migration fails (a failed migration is rolled back: PostgreSQL DDL is transactional)
   */
  public static int migrate(DatabaseUrl url) {
    MigrateResult result = Flyway.configure(Migrations.class.getClassLoader())
        .dataSource(url.jdbcUrl(), url.user(), url.password())
        .locations(LOCATION)
        // an empty location would silently apply nothing: refuse instead
        .failOnMissingLocations(true)
        .validateMigrationNaming(true)
        .cleanDisabled(true)
        .loggers("slf4j")
        .load()
        .migrate();
    return result.migrationsExecuted;
  }
}
